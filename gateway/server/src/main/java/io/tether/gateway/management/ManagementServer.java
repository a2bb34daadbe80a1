package io.tether.gateway.management;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tether.gateway.services.GatewayServices;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The management port (docs/PROTOCOL.md §10): {@code GET /health}, {@code GET /metrics} (Prometheus text),
 * {@code GET /admin/clients/{clientId}}, and the key-protected HTTP API under {@code /api/} ({@link HttpApi}). A
 * handful of routes do not need a router.
 */
public final class ManagementServer extends VerticleBase {

  private static final String CLIENTS = "/admin/clients/";

  private final GatewayServices mgr;
  private final PrometheusMeterRegistry registry;
  private final Supplier<String> status;
  private final IntSupplier clusterMembers;
  private final BooleanSupplier clusterSafe;
  private HttpServer server;
  private HttpApi api;

  public ManagementServer(GatewayServices mgr, PrometheusMeterRegistry registry, Supplier<String> status,
      IntSupplier clusterMembers, BooleanSupplier clusterSafe) {
    this.mgr = mgr;
    this.registry = registry;
    this.status = status;
    this.clusterMembers = clusterMembers;
    this.clusterSafe = clusterSafe;
  }

  @Override
  public Future<?> start() {
    api = new HttpApi(vertx, mgr);
    server = vertx.createHttpServer(new HttpServerOptions()
            .setHost(mgr.options().getManagementHost())
            .setPort(mgr.options().getManagementPort()))
        .requestHandler(this::handle);
    return server.listen();
  }

  public int actualPort() {
    return server.actualPort();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (path.startsWith(HttpApi.PREFIX)) {
      api.handle(req);
    } else if (req.method().name().equals("GET") && path.equals("/health")) {
      String state = status.get();
      json(req, "UP".equals(state) ? 200 : 503, new JsonObject().put("status", state).put("node", mgr.nodeId())
          .put("role", mgr.options().isBackendOnly() ? "backend" : "gateway")
          .put("sessions", mgr.localSessionCount()).put("clusterMembers", clusterMembers.getAsInt())
          .put("clusterSafe", clusterSafe.getAsBoolean()));
    } else if (req.method().name().equals("GET") && path.equals("/metrics")) {
      req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape());
    } else if (req.method().name().equals("GET") && path.startsWith(CLIENTS) && path.length() > CLIENTS.length()) {
      String clientId = path.substring(CLIENTS.length());
      mgr.presence(clientId).onComplete(ar -> {
        if (ar.failed()) {
          json(req, 503, new JsonObject().put("error", "presence store unavailable"));
        } else if (ar.result() == null) {
          json(req, 404, new JsonObject().put("error", "unknown client").put("clientId", clientId));
        } else {
          json(req, 200, ar.result().toJson());
        }
      });
    } else {
      json(req, 404, new JsonObject().put("error", "not found").put("path", path));
    }
  }

  static void json(HttpServerRequest req, int status, JsonObject body) {
    req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
