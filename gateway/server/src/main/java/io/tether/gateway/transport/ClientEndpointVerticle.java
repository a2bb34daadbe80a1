package io.tether.gateway.transport;

import io.tether.gateway.services.GatewayServices;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The client WebSocket endpoint ({@code /ws}, docs/PROTOCOL.md §1). One instance per event loop, all sharing the
 * port. Each instance owns the connections it accepted and drives their deadlines (handshake timeout, heartbeats)
 * from a single periodic sweep instead of one timer per session.
 *
 * <p>A handshake is admitted in this order, each refusal answered before any WebSocket or session work and followed
 * by closing the connection (docs/PROTOCOL.md §1): path (404), upgrade (400), draining (503), no split-brain quorum (503), handshake rate of the
 * remote address (429), browser Origin (403), sockets of the remote address (429), sessions on this node (503),
 * sockets on this node (503).
 */
public final class ClientEndpointVerticle extends VerticleBase {

  public static final String PATH = "/ws";

  private final GatewayServices mgr;
  private final int port;
  private final ConnectionLimit limit;
  private final AddressLimits addressLimits;
  private final OriginPolicy origins;
  /** Each open connection, with the remote address its per-address place was taken for. */
  private final Map<Connection, String> connections = new HashMap<>();
  /** The sweep's copy of the connections (grown as needed, cleared after each sweep). */
  private Connection[] sweepScratch = new Connection[0];
  /**
   * TCP connections accepted whose upgrade request has not been read yet, oldest first, with their deadline
   * (System.nanoTime). A connection that does not complete its request within {@code handshakeTimeoutMs} of being
   * accepted is closed by the sweep: a client dribbling its request a byte at a time (slowloris) would otherwise hold
   * its socket for ever, since an idle timeout never fires while bytes trickle in (docs/OPERATIONS.md "Timeouts").
   */
  private final LinkedHashMap<HttpConnection, Long> unrequested = new LinkedHashMap<>();
  private HttpServer server;

  /**
   * @param limit the node's socket limit and {@code addressLimits} its per-address limits: both shared by all
   *     instances
   */
  public ClientEndpointVerticle(GatewayServices mgr, int port, ConnectionLimit limit, AddressLimits addressLimits) {
    this.mgr = mgr;
    this.port = port;
    this.limit = limit;
    this.addressLimits = addressLimits;
    this.origins = new OriginPolicy(mgr.options().getAllowedOrigins());
  }

  @Override
  public Future<?> start() {
    int maxFrame = mgr.options().getMaxFrameBytes();
    HttpServerOptions options = new HttpServerOptions()
        .setHost(mgr.options().getHost())
        .setPort(port)
        // No h2c: a cleartext connection would otherwise wait for enough bytes to tell an HTTP/2 preface from HTTP/1,
        // before the server sees it as a connection at all, which a client sending a byte at a time stretches for
        // as long as it likes (slowloris): the request deadline below starts only once the connection exists.
        .setHttp2ClearTextEnabled(false)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        // Netty drops anything above this on its own (close 1009, no error frame); between maxFrameBytes and this,
        // Connection answers with a too_large error frame first.
        .setMaxWebSocketFrameSize(maxFrame * 4)
        .setMaxWebSocketMessageSize(maxFrame * 4)
        // The HTTP phase of a connection (the upgrade, or a refusal) runs on its event loop only: strict mode spares
        // the connection Vert.x's cross-thread write queue, whose first chunk is a 4 KB array kept for the socket's
        // whole life, upgraded or not (docs/BENCHMARKS.md "Sessions at scale"). The WebSocket keeps its own queue.
        .setStrictThreadMode(true);
    if (mgr.options().getTlsCert() != null) {
      // wss:// served by the node itself (docs/OPERATIONS.md "TLS"); the files are read when the server starts.
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(mgr.options().getTlsCert()).setKeyPath(mgr.options().getTlsKey()));
    }
    // A request handler rather than a handshake handler: a refusal must close its connection, or a client that holds
    // refused connections open would use up the descriptors the limit is there to keep.
    server = vertx.createHttpServer(options).connectionHandler(this::onConnection).requestHandler(this::onRequest);
    long hb = mgr.options().getHeartbeatMs();
    long tick = Math.max(10, Math.min(1000, Math.min(hb / 10, mgr.options().getHandshakeTimeoutMs() / 4)));
    vertx.setPeriodic(tick, id -> sweep());
    return server.listen();
  }

  private void onConnection(HttpConnection conn) {
    unrequested.put(conn, System.nanoTime() + mgr.options().getHandshakeTimeoutMs() * 1_000_000L);
    conn.closeHandler(v -> unrequested.remove(conn));
  }

  private void onRequest(HttpServerRequest req) {
    unrequested.remove(req.connection());
    if (!PATH.equals(req.path())) {
      refuse(req, 404, null);
    } else if (!req.canUpgradeToWebSocket()) {
      refuse(req, 400, null);
    } else if (mgr.draining()) {
      // The node is shutting down: a load balancer retries this elsewhere (haproxy retry-on 503).
      refuse(req, 503, "draining");
    } else if (mgr.quorumLost()) {
      // The minority side of a network split: its store refuses every session write, so a session started or
      // resumed here could not be kept. The load balancer retries a node on the majority side.
      refuse(req, 503, "no_quorum");
    } else {
      String address = remoteAddress(req);
      if (!addressLimits.tryStartHandshake(address, System.nanoTime())) {
        refuse(req, 429, "handshake_rate");
      } else if (!origins.allows(req.getHeader(HttpHeaders.ORIGIN), req.getHeader(HttpHeaders.HOST))) {
        // A page from a foreign site: a browser would otherwise open the socket with the user's cookies.
        refuse(req, 403, "origin");
      } else if (!addressLimits.tryAcquire(address)) {
        refuse(req, 429, "per_ip");
      } else {
        admit(req, address);
      }
    }
  }

  /** The per-address checks passed and hold a place for {@code address}: the node's own limits, then the upgrade. */
  private void admit(HttpServerRequest req, String address) {
    int maxSessions = mgr.options().getMaxSessions();
    if (maxSessions > 0 && mgr.localSessionCount() >= maxSessions) {
      // This node has all the sessions it may hold: the load balancer tries another node (haproxy retry-on 503).
      addressLimits.release(address);
      refuse(req, 503, "sessions");
    } else if (!limit.tryAcquire()) {
      // Full: refused before the process runs out of descriptors; the load balancer tries another node.
      addressLimits.release(address);
      refuse(req, 503, "full");
    } else {
      req.toWebSocket().onComplete(ar -> {
        if (ar.failed()) {
          limit.release();
          addressLimits.release(address);
          return;
        }
        boolean lean = LeanWebSocket.apply(ar.result()); // on this event loop, before anything is written
        // With the direct write path nothing of Vert.x waits in a queue, so frames written to the channel and through
        // the WebSocket API reach the socket in the order they were written (Connection.write(text, more)).
        Connection c = new Connection(ar.result(),
            lean ? ((WebSocketInternal) ar.result()).channelHandlerContext() : null, mgr, context, this);
        connections.put(c, address);
        c.start();
      });
    }
  }

  /** The client's IP address: the peer of the TCP connection (behind a proxy, the proxy's). */
  private static String remoteAddress(HttpServerRequest req) {
    SocketAddress a = req.remoteAddress();
    if (a == null) {
      return "";
    }
    return a.hostAddress() != null ? a.hostAddress() : String.valueOf(a.host());
  }

  /** Answers {@code status} before any WebSocket or session work, and closes the connection. */
  private void refuse(HttpServerRequest req, int status, String metricReason) {
    if (metricReason != null) {
      mgr.metrics().connectionRefused(metricReason);
    }
    if (status == 429) {
      req.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
    }
    req.response().setStatusCode(status).putHeader(HttpHeaders.CONNECTION, "close").end()
        .onComplete(v -> req.connection().close());
  }

  private void sweep() {
    long nanos = System.nanoTime();
    for (Iterator<Map.Entry<HttpConnection, Long>> it = unrequested.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<HttpConnection, Long> e = it.next();
      if (e.getValue() - nanos > 0) {
        break; // the rest were accepted later
      }
      it.remove();
      mgr.metrics().connectionRefused("request_timeout");
      closeNow(e.getKey());
    }
    long now = System.currentTimeMillis();
    // A tick may close its connection, which removes it from the map: iterate over a copy, into an array kept from
    // tick to tick, so that a sweep over tens of thousands of connections allocates nothing.
    Connection[] all = connections.keySet().toArray(sweepScratch);
    sweepScratch = all;
    for (int i = 0; i < all.length && all[i] != null; i++) {
      all[i].tick(now);
      all[i] = null;
    }
    addressLimits.sweep(System.nanoTime());
  }

  /**
   * Closes the TCP connection at once: {@link HttpConnection#close()} is a graceful shutdown, which for an HTTP/1.x
   * connection with a request still being read waits for that request (a slowloris one never comes); a shutdown with
   * no grace period does not wait.
   */
  private static void closeNow(HttpConnection conn) {
    conn.shutdown(0, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  void removed(Connection c) {
    String address = connections.remove(c);
    if (address != null) {
      limit.release();
      addressLimits.release(address);
    }
  }

  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
