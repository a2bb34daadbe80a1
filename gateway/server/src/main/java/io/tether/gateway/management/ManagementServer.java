package io.tether.gateway.management;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tether.gateway.services.GatewayServices;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The management port (docs/PROTOCOL.md §10): {@code GET /health} and {@code GET /metrics} (Prometheus text), open;
 * {@code GET /admin/clients/{clientId}} and the HTTP API under {@code /api/} ({@link HttpApi}), both behind the API
 * key ({@link ManagementAuth}) and off without one. With {@code healthPort > 0} a second listener on
 * {@code healthHost:healthPort} serves {@code /health} and {@code /metrics} only, so that the management port can be
 * firewalled while the load balancer and Prometheus still reach them; the management port keeps serving them too.
 * A handful of routes do not need a router.
 */
public final class ManagementServer extends VerticleBase {

  private static final String ADMIN = "/admin/";
  private static final String CLIENTS = ADMIN + "clients/";

  private final GatewayServices mgr;
  private final PrometheusMeterRegistry registry;
  private final Supplier<String> status;
  private final IntSupplier clusterMembers;
  private final BooleanSupplier clusterSafe;
  private HttpServer server;
  private HttpServer healthServer;
  private HttpApi api;
  private ManagementAuth auth;

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
    auth = new ManagementAuth(mgr.options().getApiKey());
    server = vertx.createHttpServer(new HttpServerOptions()
            .setHost(mgr.options().getManagementHost())
            .setPort(mgr.options().getManagementPort()))
        .requestHandler(this::handle);
    Future<?> management = server.listen();
    if (mgr.options().getHealthPort() == 0) {
      return management;
    }
    healthServer = vertx.createHttpServer(new HttpServerOptions()
            .setHost(mgr.options().getHealthHost())
            .setPort(mgr.options().getHealthPort()))
        .requestHandler(this::handleHealthPort);
    return management.compose(s -> healthServer.listen());
  }

  /** The management port actually bound. */
  public int actualPort() {
    return server.actualPort();
  }

  /** The port actually serving /health and /metrics apart from the management port, or 0 if there is none. */
  public int actualHealthPort() {
    return healthServer == null ? 0 : healthServer.actualPort();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (path.startsWith(HttpApi.PREFIX)) {
      if (auth.admit(req)) {
        api.handle(req);
      }
    } else if (path.startsWith(ADMIN)) {
      if (auth.admit(req)) {
        admin(req, path);
      }
    } else if (!openRoute(req, path)) {
      json(req, 404, new JsonObject().put("error", "not found").put("path", path));
    }
  }

  /** The health port: /health and /metrics, nothing else (no key is ever accepted or needed here). */
  private void handleHealthPort(HttpServerRequest req) {
    if (!openRoute(req, req.path())) {
      json(req, 404, new JsonObject().put("error", "this port serves only GET /health and GET /metrics")
          .put("path", req.path()));
    }
  }

  /** Answers /health or /metrics; false if {@code req} is neither. */
  private boolean openRoute(HttpServerRequest req, String path) {
    if (req.method() != HttpMethod.GET) {
      return false;
    }
    if (path.equals("/health")) {
      String state = status.get();
      json(req, "UP".equals(state) ? 200 : 503, new JsonObject().put("status", state).put("node", mgr.nodeId())
          .put("role", mgr.options().isBackendOnly() ? "backend" : "gateway")
          .put("sessions", mgr.localSessionCount()).put("clusterMembers", clusterMembers.getAsInt())
          .put("clusterSafe", clusterSafe.getAsBoolean()));
      return true;
    }
    if (path.equals("/metrics")) {
      req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape());
      return true;
    }
    return false;
  }

  /** An authorised call under /admin/. */
  private void admin(HttpServerRequest req, String path) {
    if (req.method() == HttpMethod.GET && path.startsWith(CLIENTS) && path.length() > CLIENTS.length()) {
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
    Future<Void> health = healthServer == null ? Future.succeededFuture() : healthServer.close();
    return server == null ? health : health.compose(v -> server.close());
  }
}
