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
 * The operators' console (docs/OPERATIONS.md "Console"): the page at {@code /console} ({@link ConsolePage}), and
 * behind the key the session listing {@code GET /admin/sessions} ({@link SessionListing}), the event stream
 * {@code GET /admin/console/events} ({@link ConsoleStreams}) and {@code GET /admin/console/stats}
 * ({@link ConsoleStats}). A handful of routes do not need a router.
 */
public final class ManagementServer extends VerticleBase {

  private static final String ADMIN = "/admin/";
  private static final String CLIENTS = ADMIN + "clients/";
  private static final String SESSIONS = ADMIN + "sessions";
  private static final String CONSOLE_EVENTS = ADMIN + "console/events";
  private static final String CONSOLE_STATS = ADMIN + "console/stats";

  private final GatewayServices mgr;
  private final PrometheusMeterRegistry registry;
  private final Supplier<String> status;
  private final IntSupplier clusterMembers;
  private final BooleanSupplier clusterSafe;
  private HttpServer server;
  private HttpServer healthServer;
  private HttpApi api;
  private ManagementAuth auth;
  private final ConsolePage page = new ConsolePage();
  private ClusterHealth cluster;
  private ConsoleStats stats;
  private ConsoleStreams streams;
  private SessionListing listing;

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
    cluster = new ClusterHealth(vertx, mgr, this::health);
    stats = new ConsoleStats(mgr, registry, cluster);
    streams = new ConsoleStreams(vertx, mgr.options(), mgr.metrics(), stats);
    listing = new SessionListing(mgr);
    mgr.metrics().consoleStreamsGauge(streams::open);
    server = vertx.createHttpServer(new HttpServerOptions()
            .setHost(mgr.options().getManagementHost())
            .setPort(mgr.options().getManagementPort()))
        .requestHandler(this::handle);
    Future<?> management = page.load(vertx).compose(v -> cluster.start()).compose(v -> server.listen());
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
    } else if (ConsolePage.serves(path) && req.method() == HttpMethod.GET) {
      if (auth.enabled()) {
        page.handle(req);
      } else {
        json(req, 404, new JsonObject().put("error", ManagementAuth.OFF));
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
      JsonObject health = health();
      json(req, "UP".equals(health.getString("status")) ? 200 : 503, health);
      return true;
    }
    if (path.equals("/metrics")) {
      req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape());
      return true;
    }
    return false;
  }

  /** What GET /health answers (and what this member tells the others' consoles, {@link ClusterHealth}). */
  private JsonObject health() {
    return new JsonObject().put("status", status.get()).put("node", mgr.nodeId())
        .put("role", mgr.options().isBackendOnly() ? "backend" : "gateway")
        .put("sessions", mgr.localSessionCount()).put("clusterMembers", clusterMembers.getAsInt())
        .put("clusterSafe", clusterSafe.getAsBoolean());
  }

  /** An authorised call under /admin/. */
  private void admin(HttpServerRequest req, String path) {
    if (req.method() == HttpMethod.GET && path.equals(SESSIONS)) {
      listing.handle(req);
    } else if (req.method() == HttpMethod.GET && path.equals(CONSOLE_EVENTS)) {
      streams.open(req);
    } else if (req.method() == HttpMethod.GET && path.equals(CONSOLE_STATS)) {
      stats.snapshot().onSuccess(s -> json(req, 200, s));
    } else if (req.method() == HttpMethod.GET && path.startsWith(CLIENTS) && path.length() > CLIENTS.length()) {
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
    if (streams != null) {
      streams.closeAll();
    }
    Future<Void> health = healthServer == null ? Future.succeededFuture() : healthServer.close();
    return server == null ? health : health.compose(v -> server.close());
  }
}
