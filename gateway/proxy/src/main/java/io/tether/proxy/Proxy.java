package io.tether.proxy;

import io.tether.client.ConnectionState;
import io.tether.client.TetherClient;
import io.tether.client.TetherClientOptions;
import io.tether.client.TetherStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The client proxy (docs/PROXY.md): every TCP connection A accepted on {@code --listen} becomes a byte stream in one
 * gateway session (B), to the node-side upstream {@code --upstream} (C). A break of B is masked: the session resumes
 * and both sides resend what the other missed, while A stays open and merely waits (its bytes wait in the stream's
 * buffers, bounded by the credit windows, then TCP pushes back on the application). A break longer than
 * {@code --release-after-ms} releases A (the application sees an EOF, not a hang); the application closing A ends
 * the stream and the node closes C. The session ends {@code --idle-close-ms} after its last connection closed.
 *
 * <p>Runs on the context it is started on: the client, the listener and every connection share one event loop.
 */
public final class Proxy {

  private static final Logger LOG = Logger.getLogger(Proxy.class.getName());
  /** Pause between attempts to reach the gateway for a waiting connection. */
  private static final long RETRY_MS = 250;
  /**
   * The longest pause between reconnect attempts: a proxy masks breaks for programs that wait on it, so it tries
   * again often (the SDK's default backs off to 30 s, which would eat a release window after a few failed attempts).
   */
  private static final long RECONNECT_MAX_MS = 2_000;

  private final Vertx vertx;
  private final ProxyOptions options;
  private final Set<Link> links = new LinkedHashSet<>();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong released = new AtomicLong();
  private final AtomicLong bytesUp = new AtomicLong();
  private final AtomicLong bytesDown = new AtomicLong();
  private TetherClient client;
  private Future<TetherClient> connecting;
  private NetServer server;
  private long releaseTimer = -1;
  private long idleTimer = -1;

  /** One application connection and its stream. */
  private final class Link {
    final NetSocket app;
    TetherStream stream;
    long up;
    long down;
    boolean appClosed;

    Link(NetSocket app) {
      this.app = app;
    }
  }

  public Proxy(Vertx vertx, ProxyOptions options) {
    this.vertx = vertx;
    this.options = options;
  }

  /** Listens, and connects the session; completes once listening (the session connects in the background too). */
  public Future<Proxy> start() {
    server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true)).connectHandler(this::accept);
    return server.listen(options.getListenPort(), options.getListenHost()).map(s -> {
      LOG.info("tether-proxy listening on " + options.getListenHost() + ":" + s.actualPort() + " → upstream '"
          + options.getUpstream() + "' through " + options.getGateway() + " as " + options.getClientId());
      session().onFailure(e -> LOG.warning("gateway not reachable yet: " + e.getMessage()
          + " (connections will try again)"));
      return this;
    });
  }

  public int port() {
    return server.actualPort();
  }

  /** Connections open now. */
  public int connections() {
    return links.size();
  }

  /** Connections accepted so far, and released by a long break. */
  public long accepted() {
    return accepted.get();
  }

  public long released() {
    return released.get();
  }

  /**
   * One status line: connections, bytes each way, the session's state and the heap in use after the last GC (what
   * the proxy holds, without garbage), for the progress of long runs and for the soak's memory bound.
   */
  public String status() {
    TetherClient c = client;
    return "tether-proxy: connections=" + links.size() + " accepted=" + accepted.get() + " released=" + released.get()
        + " up=" + bytesUp.get() + " down=" + bytesDown.get() + " state=" + (c == null ? "NONE" : c.state())
        + " heapAfterGcKiB=" + heapAfterGc() / 1024;
  }

  /** Heap in use after the last collection, summed over the heap pools. */
  static long heapAfterGc() {
    long used = 0;
    for (java.lang.management.MemoryPoolMXBean p : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == java.lang.management.MemoryType.HEAP && p.getCollectionUsage() != null) {
        used += p.getCollectionUsage().getUsed();
      }
    }
    return used;
  }

  /** The gateway client, or null while there is no session. */
  public TetherClient client() {
    return client;
  }

  /** Closes every connection, ends the session (bye) and stops listening. */
  public Future<Void> stop() {
    for (Link l : Set.copyOf(links)) {
      l.app.close();
    }
    Future<Void> closed = client == null ? Future.succeededFuture() : client.close();
    return closed.transform(ar -> server.close());
  }

  // -- the session --------------------------------------------------------------------------------------------

  private Future<TetherClient> session() {
    if (connecting != null) {
      return connecting;
    }
    TetherClientOptions o = new TetherClientOptions().setUrl(options.getGateway()).setClientId(options.getClientId())
        .setMaxReconnectAttempts(-1).setReconnectInitialDelayMs(100).setReconnectMaxDelayMs(RECONNECT_MAX_MS);
    if (options.getToken() != null) {
      o.setToken(options.getToken());
    }
    if (options.getHeartbeatMs() > 0) {
      o.setHeartbeatMs(options.getHeartbeatMs());
    }
    TetherClient c = TetherClient.create(vertx, o);
    c.stateHandler(this::stateChanged);
    c.exceptionHandler(e -> LOG.fine(() -> "session: " + e.getMessage()));
    c.sessionHandler(e -> {
      if (e.kind() == io.tether.client.SessionEvent.Kind.RESYNCED) {
        LOG.warning("the session could not be resumed (" + e.reason() + "): a new one started; the "
            + links.size() + " connection(s) of the old one are closed");
      }
    });
    client = c;
    connecting = c.connect().map(c).onFailure(e -> {
      if (client == c) {
        client = null;
        connecting = null;
      }
      c.close();
    });
    return connecting;
  }

  /** A break starts the release timer; the session back before it fires keeps every connection. */
  private void stateChanged(ConnectionState state) {
    if (state == ConnectionState.ONLINE) {
      if (releaseTimer >= 0) {
        vertx.cancelTimer(releaseTimer);
        releaseTimer = -1;
        LOG.info("gateway link back: " + links.size() + " connection(s) kept");
      }
    } else if (state == ConnectionState.RECONNECTING && releaseTimer < 0 && !links.isEmpty()) {
      LOG.info("gateway link broken: resuming; connections are released after " + options.getReleaseAfterMs() + " ms");
      releaseTimer = vertx.setTimer(options.getReleaseAfterMs(), id -> {
        releaseTimer = -1;
        releaseAll();
      });
    }
  }

  /** The break lasted too long: every application connection gets an EOF; the node releases the upstreams. */
  private void releaseAll() {
    LOG.warning("gateway link down for more than " + options.getReleaseAfterMs() + " ms: releasing " + links.size()
        + " connection(s)");
    for (Link l : Set.copyOf(links)) {
      released.incrementAndGet();
      if (l.stream != null) {
        l.stream.reset("released");
      }
      l.app.close();
    }
  }

  // -- connections --------------------------------------------------------------------------------------------

  private void accept(NetSocket app) {
    if (links.size() >= options.getMaxConnections()) {
      LOG.warning("refused a connection from " + app.remoteAddress() + ": " + links.size()
          + " open (--max-connections)");
      app.close();
      return;
    }
    app.pause();
    accepted.incrementAndGet();
    Link l = new Link(app);
    links.add(l);
    cancelIdle();
    app.closeHandler(v -> appClosed(l));
    app.exceptionHandler(e -> LOG.warning("connection from " + app.remoteAddress() + ": " + e));
    openStream(l, System.currentTimeMillis() + options.getReleaseAfterMs());
  }

  /**
   * Opens the connection's stream; while the gateway cannot be reached the application's connection waits (paused),
   * as it would during a break, and is closed only once {@code --release-after-ms} has passed.
   */
  private void openStream(Link l, long deadline) {
    NetSocket app = l.app;
    session().compose(c -> c.openStream(options.getUpstream(), options.getWindowBytes())).onComplete(ar -> {
      if (l.appClosed) {
        if (ar.succeeded()) {
          ar.result().end();
        }
        return;
      }
      if (ar.succeeded()) {
        bridge(l, ar.result());
      } else if (System.currentTimeMillis() + RETRY_MS < deadline) {
        vertx.setTimer(RETRY_MS, id -> openStream(l, deadline));
      } else {
        LOG.warning("connection from " + app.remoteAddress() + " closed: no stream within " + options.getReleaseAfterMs()
            + " ms (" + ar.cause().getMessage() + ")");
        app.close();
      }
    });
  }

  private void bridge(Link l, TetherStream stream) {
    l.stream = stream;
    NetSocket app = l.app;
    app.handler(b -> {
      l.up += b.length();
      bytesUp.addAndGet(b.length());
      stream.write(b);
      if (stream.writeQueueFull()) {
        app.pause();
        stream.drainHandler(v -> app.resume());
      }
    });
    stream.handler(b -> {
      l.down += b.length();
      bytesDown.addAndGet(b.length());
      app.write(b);
      if (app.writeQueueFull()) {
        stream.pause();
        app.drainHandler(v -> stream.resume());
      }
    });
    stream.closeHandler(reason -> {
      if (!l.appClosed) {
        if (!"eof".equals(reason) && !"released".equals(reason)) {
          LOG.warning("stream " + stream.id() + " ended: " + reason + "; closing the application's connection");
        } else {
          LOG.info("stream " + stream.id() + " ended: " + reason + " after " + l.up + " bytes up, " + l.down
              + " down; closing the application's connection");
        }
        app.end(); // what was received goes first, then the EOF
      }
    });
    app.resume();
  }

  private void appClosed(Link l) {
    l.appClosed = true;
    links.remove(l);
    if (l.stream != null && l.stream.endReason() == null) {
      l.stream.end();
    }
    LOG.info("connection from " + l.app.remoteAddress() + " closed: " + l.up + " bytes up, " + l.down + " bytes down");
    if (links.isEmpty() && options.getIdleCloseMs() > 0 && client != null) {
      idleTimer = vertx.setTimer(options.getIdleCloseMs(), id -> {
        idleTimer = -1;
        if (links.isEmpty() && client != null) {
          LOG.info("no connection for " + options.getIdleCloseMs() + " ms: ending the session");
          TetherClient c = client;
          client = null;
          connecting = null;
          c.close();
        }
      });
    }
  }

  private void cancelIdle() {
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
      idleTimer = -1;
    }
  }
}
