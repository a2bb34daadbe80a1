package io.tether.gateway.transport;

import io.tether.gateway.services.GatewayServices;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;

/**
 * The client WebSocket endpoint ({@code /ws}, docs/PROTOCOL.md §1). One instance per event loop, all sharing the
 * port. Each instance owns the connections it accepted and drives their deadlines (handshake timeout, heartbeats)
 * from a single periodic sweep instead of one timer per session.
 */
public final class ClientEndpointVerticle extends VerticleBase {

  public static final String PATH = "/ws";

  private final GatewayServices mgr;
  private final int port;
  private final ConnectionLimit limit;
  private final Set<Connection> connections = new HashSet<>();
  private HttpServer server;

  public ClientEndpointVerticle(GatewayServices mgr, int port, ConnectionLimit limit) {
    this.mgr = mgr;
    this.port = port;
    this.limit = limit;
  }

  @Override
  public Future<?> start() {
    int maxFrame = mgr.options().getMaxFrameBytes();
    HttpServerOptions options = new HttpServerOptions()
        .setHost(mgr.options().getHost())
        .setPort(port)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        // Netty drops anything above this on its own (close 1009, no error frame); between maxFrameBytes and this,
        // Connection answers with a too_large error frame first.
        .setMaxWebSocketFrameSize(maxFrame * 4)
        .setMaxWebSocketMessageSize(maxFrame * 4);
    // A request handler rather than a handshake handler: a refusal must close its connection, or a client that holds
    // refused connections open would use up the descriptors the limit is there to keep.
    server = vertx.createHttpServer(options).requestHandler(this::onRequest);
    long hb = mgr.options().getHeartbeatMs();
    long tick = Math.max(10, Math.min(1000, Math.min(hb / 10, mgr.options().getHandshakeTimeoutMs() / 4)));
    vertx.setPeriodic(tick, id -> sweep());
    return server.listen();
  }

  private void onRequest(HttpServerRequest req) {
    if (!PATH.equals(req.path())) {
      refuse(req, 404, null);
    } else if (!req.canUpgradeToWebSocket()) {
      refuse(req, 400, null);
    } else if (mgr.draining()) {
      // The node is shutting down: a load balancer retries this elsewhere (haproxy retry-on 503).
      refuse(req, 503, "draining");
    } else if (!limit.tryAcquire()) {
      // Full: refused before the process runs out of descriptors; the load balancer tries another node.
      refuse(req, 503, "full");
    } else {
      req.toWebSocket().onComplete(ar -> {
        if (ar.failed()) {
          limit.release();
          return;
        }
        Connection c = new Connection(ar.result(), mgr, context, this);
        connections.add(c);
        c.start();
      });
    }
  }

  /** Answers {@code status} before any WebSocket or session work, and closes the connection. */
  private void refuse(HttpServerRequest req, int status, String metricReason) {
    if (metricReason != null) {
      mgr.metrics().connectionRefused(metricReason);
    }
    req.response().setStatusCode(status).putHeader(HttpHeaders.CONNECTION, "close").end()
        .onComplete(v -> req.connection().close());
  }

  private void sweep() {
    long now = System.currentTimeMillis();
    for (Connection c : new ArrayList<>(connections)) {
      c.tick(now);
    }
  }

  void removed(Connection c) {
    if (connections.remove(c)) {
      limit.release();
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
