package io.tether.gateway.transport;

import io.tether.gateway.services.GatewayServices;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
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
  private final Set<Connection> connections = new HashSet<>();
  private HttpServer server;

  public ClientEndpointVerticle(GatewayServices mgr, int port) {
    this.mgr = mgr;
    this.port = port;
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
    server = vertx.createHttpServer(options)
        .webSocketHandshakeHandler(handshake -> {
          if (!PATH.equals(handshake.path())) {
            handshake.reject(404);
          } else if (mgr.draining()) {
            // The node is shutting down: a load balancer retries this elsewhere (haproxy retry-on 503).
            handshake.reject(503);
          } else {
            handshake.accept();
          }
        })
        .webSocketHandler(ws -> {
          Connection c = new Connection(ws, mgr, context, this);
          connections.add(c);
          c.start();
        });
    long hb = mgr.options().getHeartbeatMs();
    long tick = Math.max(10, Math.min(1000, Math.min(hb / 10, mgr.options().getHandshakeTimeoutMs() / 4)));
    vertx.setPeriodic(tick, id -> sweep());
    return server.listen();
  }

  private void sweep() {
    long now = System.currentTimeMillis();
    for (Connection c : new ArrayList<>(connections)) {
      c.tick(now);
    }
  }

  void removed(Connection c) {
    connections.remove(c);
  }

  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
