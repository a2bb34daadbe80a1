package io.tether.gateway.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP relay that puts a controllable "network" between a client and a gateway node, so integration tests can
 * inject the faults that sessions must survive (docs/PROTOCOL.md §2 resume, §4 heartbeat).
 *
 * <p>It listens on an ephemeral port of 127.0.0.1 and relays each accepted connection to the target port, bytes
 * unchanged in both directions. Connect a {@link WireClient} to {@link #port()} instead of the node's port. Faults:
 * <ul>
 *   <li>{@link #dropAll()}: every relayed connection is closed at the TCP level on both sides, and nothing still in
 *       flight is forwarded — no WebSocket close frame crosses the relay, as when a network path dies.</li>
 *   <li>{@link #blackhole(boolean)}: while on, bytes in both directions are silently discarded and connections stay
 *       open, as when a path stops delivering without resetting (the case only heartbeats can detect). Discarding
 *       happens per TCP read, so a WebSocket frame that is only partly discarded corrupts that connection's
 *       stream: switch it while the connection is quiet.</li>
 *   <li>{@link #dropWhenServerSends(String)}: once, the first time bytes from the node contain a marker, every
 *       connection is dropped as by {@link #dropAll()} and those bytes are not forwarded: a frame the node sent is
 *       lost in the break, as when a socket dies before the client read it.</li>
 * </ul>
 * The relay keeps accepting connections after a fault, so a client can reconnect through it. Thread-safe.
 */
public final class FaultyRelay {

  private static final String HOST = "127.0.0.1";

  private final String targetHost;
  private volatile int targetPort;
  private final NetServer server;
  private final NetClient client;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile boolean blackhole;
  private volatile String dropMarker;

  private FaultyRelay(Vertx vertx, String targetHost, int targetPort) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = vertx.createNetServer().connectHandler(this::accept);
    this.client = vertx.createNetClient();
  }

  /** Starts a relay to {@code 127.0.0.1:targetPort}. */
  public static Future<FaultyRelay> start(Vertx vertx, int targetPort) {
    return start(vertx, HOST, targetPort);
  }

  /** Starts a relay to {@code targetHost:targetPort}. */
  public static Future<FaultyRelay> start(Vertx vertx, String targetHost, int targetPort) {
    FaultyRelay relay = new FaultyRelay(vertx, targetHost, targetPort);
    return relay.server.listen(0, HOST).map(s -> relay);
  }

  /** The port clients connect to. */
  public int port() {
    return server.actualPort();
  }

  /** Connections currently relayed (accepted and not yet closed). */
  public int connectionCount() {
    return links.size();
  }

  /** New connections go to {@code port} from now on (as a load balancer sending a resume to another node). */
  public FaultyRelay retarget(int port) {
    targetPort = port;
    return this;
  }

  /** Whether the relay currently discards all bytes. */
  public boolean isBlackholed() {
    return blackhole;
  }

  /** While {@code on}, bytes in both directions are discarded; connections stay open. */
  public FaultyRelay blackhole(boolean on) {
    blackhole = on;
    return this;
  }

  /**
   * Arms a one-shot fault: the first chunk of bytes from the node that contains {@code marker} (as UTF-8 text) is not
   * forwarded, and every connection is dropped at once ({@link #dropAll()}). Later bytes are relayed normally.
   */
  public FaultyRelay dropWhenServerSends(String marker) {
    dropMarker = marker;
    return this;
  }

  /**
   * Closes every relayed connection on both sides at the TCP level, forwarding nothing further. Completes when all
   * are closed; {@link #connectionCount()} is 0 by then (unless new connections came in meanwhile).
   */
  public Future<Void> dropAll() {
    List<Future<Void>> closing = new ArrayList<>();
    for (Link link : List.copyOf(links)) {
      closing.add(link.close());
    }
    return Future.all(closing).mapEmpty();
  }

  /** Stops accepting, drops every connection and releases the relay's sockets. */
  public Future<Void> stop() {
    return server.close()
        .transform(ar -> dropAll())
        .transform(ar -> client.close());
  }

  @Override
  public String toString() {
    return "FaultyRelay[" + HOST + ":" + port() + " -> " + targetHost + ":" + targetPort + ", connections="
        + links.size() + (blackhole ? ", blackholed" : "") + "]";
  }

  private void accept(NetSocket in) {
    // Nothing may be read before the outbound side exists to receive it.
    in.pause();
    Link link = new Link(in);
    links.add(link);
    in.closeHandler(v -> link.close());
    client.connect(targetPort, targetHost).onComplete(ar -> {
      if (ar.failed()) {
        link.close();
        return;
      }
      NetSocket out = ar.result();
      if (!link.attach(out)) {
        out.close(); // dropped while connecting
        return;
      }
      out.closeHandler(v -> link.close());
      forward(link, in, out, false);
      forward(link, out, in, true);
      in.resume();
    });
  }

  private void forward(Link link, NetSocket from, NetSocket to, boolean fromServer) {
    from.handler((Buffer data) -> {
      if (blackhole || link.isClosed()) {
        return;
      }
      String marker = dropMarker;
      if (fromServer && marker != null && data.toString(java.nio.charset.StandardCharsets.UTF_8).contains(marker)) {
        dropMarker = null;
        dropAll();
        return;
      }
      to.write(data);
      if (to.writeQueueFull()) {
        from.pause();
        to.drainHandler(v -> from.resume());
      }
    });
  }

  /** One relayed connection: the accepted socket and, once connected, the socket to the target. */
  private final class Link {
    private final NetSocket in;
    private volatile NetSocket out;
    private final AtomicBoolean closed = new AtomicBoolean();

    Link(NetSocket in) {
      this.in = in;
    }

    /** Sets the outbound socket; false when the link was closed meanwhile. */
    synchronized boolean attach(NetSocket socket) {
      if (closed.get()) {
        return false;
      }
      out = socket;
      return true;
    }

    boolean isClosed() {
      return closed.get();
    }

    /** Closes both sides once; later calls (e.g. from the close handlers this triggers) do nothing. */
    Future<Void> close() {
      NetSocket o;
      synchronized (this) {
        if (!closed.compareAndSet(false, true)) {
          return Future.succeededFuture();
        }
        o = out;
      }
      links.remove(this);
      Future<Void> a = quietly(in.close());
      Future<Void> b = o == null ? Future.succeededFuture() : quietly(o.close());
      return Future.all(a, b).mapEmpty();
    }

    private Future<Void> quietly(Future<Void> f) {
      return f.recover(t -> Future.succeededFuture());
    }
  }
}
