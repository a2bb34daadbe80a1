package io.tether.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * cluster-config/grafana/tether-dashboard.json (docs/OPERATIONS.md "Grafana"): valid JSON in the dashboard model
 * Grafana imports, and every metric a panel or variable queries is in the /metrics output of a real node that has
 * done what makes each meter appear (a hello, a request, a resume, a failed resume, a refused subscribe, a foreign
 * Origin, a client closed for flooding). A renamed meter, or a dashboard query with a typo, fails here.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class GrafanaDashboardTest {

  private static final Path DASHBOARD = Path.of("..", "..", "cluster-config", "grafana", "tether-dashboard.json");
  /** Metric names in PromQL: the families the node exports. */
  private static final Pattern METRIC = Pattern.compile("\\b((?:tether|jvm|process|vertx)_[a-zA-Z0-9_]+)\\b");

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAllowedAddresses(List.of("demo.*"))
      .setMaxSubscriptions(1).setMaxFramesPerSecond(50).setRateLimitCloseAfterMs(1_000));
  private static GatewayNode node;

  private static JsonObject dashboard() throws IOException {
    return new JsonObject(Files.readString(DASHBOARD, StandardCharsets.UTF_8));
  }

  /** Every PromQL expression of the dashboard: panel targets and query variables. */
  private static List<String> queries(JsonObject dash) {
    List<String> out = new ArrayList<>();
    for (Object p : dash.getJsonArray("panels")) {
      JsonArray targets = ((JsonObject) p).getJsonArray("targets");
      if (targets != null) {
        targets.forEach(t -> out.add(((JsonObject) t).getString("expr")));
      }
    }
    for (Object v : dash.getJsonObject("templating").getJsonArray("list")) {
      JsonObject var = (JsonObject) v;
      if ("query".equals(var.getString("type"))) {
        out.add(var.getString("definition"));
      }
    }
    return out;
  }

  /** Verifies that the dashboard is a Grafana dashboard: title, uid, panels with unique ids, datasource, queries. */
  @Test
  void theDashboardIsValidGrafanaJson() throws IOException {
    JsonObject dash = dashboard();
    assertEquals("tether-gateway", dash.getString("uid"));
    assertNotNull(dash.getString("title"));
    assertTrue(dash.getInteger("schemaVersion") >= 36, "schemaVersion");
    Set<Integer> ids = new HashSet<>();
    int queried = 0;
    for (Object o : dash.getJsonArray("panels")) {
      JsonObject p = (JsonObject) o;
      assertTrue(ids.add(p.getInteger("id")), "panel ids are unique: " + p.getInteger("id"));
      assertNotNull(p.getJsonObject("gridPos"), p.getString("title"));
      if (!"row".equals(p.getString("type"))) {
        assertEquals("${datasource}", p.getJsonObject("datasource").getString("uid"), p.getString("title"));
        assertFalse(p.getJsonArray("targets").isEmpty(), p.getString("title"));
        p.getJsonArray("targets").forEach(t -> assertTrue(((JsonObject) t).getString("expr").contains("$instance"),
            p.getString("title") + " filters by the node variable"));
        queried++;
      }
    }
    assertTrue(queried >= 20, queried + " panels");
  }

  /** Verifies that every metric the dashboard queries is in a real node's /metrics output after some traffic. */
  @Test
  void everyQueriedMetricIsExportedByARealNode(Vertx vertx, VertxTestContext ctx) throws IOException {
    Set<String> wanted = new TreeSet<>();
    for (String q : queries(dashboard())) {
      Matcher m = METRIC.matcher(q);
      while (m.find()) {
        wanted.add(m.group(1));
      }
    }
    assertTrue(wanted.size() >= 15, "metrics queried: " + wanted);
    traffic(vertx).compose(v -> metrics(vertx)).map(text -> {
      List<String> missing = new ArrayList<>();
      for (String name : wanted) {
        if (!Pattern.compile("(?m)^" + name + "[{ ]").matcher(text).find()) {
          missing.add(name);
        }
      }
      assertEquals(List.of(), missing, "queried by the dashboard but not exported");
      System.out.println("dashboard: " + wanted.size() + " metrics queried, all exported: " + wanted);
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  private static Future<String> metrics(Vertx vertx) {
    HttpClient http = vertx.createHttpClient();
    return http.request(HttpMethod.GET, node.managementPort(), "127.0.0.1", "/metrics")
        .compose(req -> req.send()).compose(resp -> resp.body()).map(b -> b.toString()).eventually(http::close);
  }

  /** What makes the meters with tags appear: each counter exists only once it has counted something. */
  private static Future<Void> traffic(Vertx vertx) {
    return WireClient.connect(vertx, node.port()).compose(c -> c.hello("dash-1").compose(w -> {
      c.send(new JsonObject().put("type", "request").put("seq", c.nextSeq()).put("stream", 1)
          .put("address", "demo.echo").put("body", new JsonObject().put("n", 1)));
      return c.next("response");
    }).compose(r -> {
      c.send(new JsonObject().put("type", "subscribe").put("seq", c.nextSeq()).put("topic", "dash/a"));
      c.send(new JsonObject().put("type", "subscribe").put("seq", c.nextSeq()).put("topic", "dash/b"));
      return c.nextMatching("the refused subscribe", f -> "error".equals(f.getString("type"))
          && "not_allowed".equals(f.getString("code")));
    }).compose(refused -> c.close()).compose(v -> WireClient.connect(vertx, node.port()))
        .compose(again -> again.resume(c))
        .compose(resumed -> WireClient.connect(vertx, node.port()))
        .compose(bad -> bad.resume(c.sessionId(), "not-the-token", 0)))
        .compose(failed -> WireClient.connectFromOrigin(vertx, node.port(), "https://elsewhere.example")
            .transform(ar -> Future.succeededFuture()))
        .compose(v -> WireClient.connect(vertx, node.port()))
        .compose(f -> f.hello("dash-flood").compose(w -> {
          // Ten times the frame rate until the node closes the socket (tether_limit_closes).
          long timer = vertx.setPeriodic(20, id -> {
            for (int i = 0; i < 10; i++) {
              f.send(new JsonObject().put("type", "ping"));
            }
          });
          return f.closed().onComplete(ar -> vertx.cancelTimer(timer));
        }))
        .mapEmpty();
  }
}
