package io.tether.gateway.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The management port without an API key (docs/PROTOCOL.md §10): health, Prometheus metrics, /admin and /api off,
 * unknown paths. With a key: ManagementAuthTest.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ManagementTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o);
  private static GatewayNode node;


  /** A response's status, content type and body. */
  private record Reply(int status, String contentType, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private static Future<Reply> get(Vertx vertx, String path) {
    HttpClient http = vertx.createHttpClient();
    return http.request(HttpMethod.GET, node.managementPort(), "127.0.0.1", path)
        .compose(req -> req.send())
        .compose((HttpClientResponse resp) -> resp.body()
            .map(b -> new Reply(resp.statusCode(), resp.getHeader("content-type"), b.toString())))
        .eventually(() -> http.close());
  }

  /** Verifies that GET /health answers 200 with status UP and the node's id. */
  @Test
  void healthIsUpWithNodeId(Vertx vertx, VertxTestContext ctx) {
    get(vertx, "/health").map(r -> {
      assertEquals(200, r.status(), r.body());
      assertEquals("UP", r.json().getString("status"), r.body());
      assertEquals(node.nodeId(), r.json().getString("node"), r.body());
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that GET /metrics answers Prometheus text with the gateway's and Vert.x's meters after traffic. */
  @Test
  void metricsExposeGatewayAndVertxMetersAfterTraffic(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port())
        .compose(c -> c.hello("mgmt-metrics").compose(w -> {
          c.send(new JsonObject().put("type", "request").put("seq", c.nextSeq()).put("stream", 1)
              .put("address", "demo.echo").put("body", new JsonObject().put("n", 1)));
          return c.next("response");
        }))
        .compose(resp -> get(vertx, "/metrics"))
        .map(r -> {
          assertEquals(200, r.status());
          assertTrue(r.contentType() != null && r.contentType().startsWith("text/plain"), r.contentType());
          String text = r.body();
          assertTrue(text.contains("tether_frames_in_total"), "tether_frames_in_total in:\n" + text);
          assertTrue(Pattern.compile("(?m)^tether_frames_in_total\\{[^}]*type=\"hello\"[^}]*} [1-9]")
              .matcher(text).find(), "the hello was counted:\n" + text);
          assertTrue(Pattern.compile("(?m)^tether_frames_in_total\\{[^}]*type=\"request\"[^}]*} [1-9]")
              .matcher(text).find(), "the request was counted:\n" + text);
          assertTrue(text.contains("tether_sessions"), "tether_sessions in:\n" + text);
          assertTrue(Pattern.compile("(?m)^tether_sessions\\{[^}]*state=\"ONLINE\"[^}]*} [1-9]")
              .matcher(text).find(), "the connected session is counted ONLINE:\n" + text);
          assertTrue(Pattern.compile("(?m)^vertx_\\w+").matcher(text).find(), "vertx_ meters in:\n" + text);
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that without a configured API key GET /admin/clients/{id} is off: 404 with a body saying how to turn it
   * on, and no presence data, even for a connected client.
   */
  @Test
  void adminIsOffWithoutAnApiKey(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port())
        .compose(c -> c.hello("mgmt-admin-off"))
        .compose(welcome -> get(vertx, "/admin/clients/mgmt-admin-off").map(r -> {
          assertEquals(404, r.status(), r.body());
          assertTrue(r.json().getString("error").contains("--api-key"), r.body());
          assertTrue(!r.body().contains(welcome.getString("sessionId")), "no presence data: " + r.body());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that without a configured API key the HTTP API is off: 404 saying how to turn it on. */
  @Test
  void apiIsOffWithoutAnApiKey(Vertx vertx, VertxTestContext ctx) {
    get(vertx, "/api/presence/mgmt-admin-off").map(r -> {
      assertEquals(404, r.status(), r.body());
      assertTrue(r.json().getString("error").contains("--api-key"), r.body());
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that without a configured API key the console is off: its page, listing, event stream and stats are
   * 404 saying how to turn it on (docs/OPERATIONS.md "Console").
   */
  @Test
  void consoleIsOffWithoutAnApiKey(Vertx vertx, VertxTestContext ctx) {
    List<String> paths = List.of("/console", "/console/console.js", "/admin/sessions", "/admin/console/events",
        "/admin/console/stats");
    Future<Void> chain = Future.succeededFuture();
    for (String path : paths) {
      chain = chain.compose(v -> get(vertx, path).map(r -> {
        assertEquals(404, r.status(), path + ": " + r.body());
        assertTrue(r.json().getString("error").contains("--api-key"), path + ": " + r.body());
        return null;
      }));
    }
    chain.onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that an unknown path on the management port answers 404. */
  @Test
  void unknownPathIsNotFound(Vertx vertx, VertxTestContext ctx) {
    get(vertx, "/no/such/path").map(r -> {
      assertEquals(404, r.status(), r.body());
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }
}
