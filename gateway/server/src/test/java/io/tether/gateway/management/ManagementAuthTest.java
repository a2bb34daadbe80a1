package io.tether.gateway.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The API key on the management port and the separate health port (docs/PROTOCOL.md §10): /admin/* and /api/* need
 * the key (401 with WWW-Authenticate otherwise), /health and /metrics are open on the management port and on the
 * health port, and the health port serves nothing else.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ManagementAuthTest {

  private static final String KEY = "auth-test-key-0123456789abcdef";
  /** As long as {@link #KEY} and equal but for the last character. */
  private static final String NEAR_KEY = "auth-test-key-0123456789abcdeF";

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setApiKey(KEY).setHealthPort(TestNodes.freePort()));
  private static GatewayNode node;

  private record Reply(int status, String authenticate, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** GET {@code path} on {@code port} with the given headers. */
  private static Future<Reply> get(Vertx vertx, int port, String path, Map<String, String> headers) {
    HttpClient http = vertx.createHttpClient();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
        .setURI(path);
    headers.forEach(options::putHeader);
    return http.request(options)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("WWW-Authenticate"),
            b.toString())))
        .eventually(http::close);
  }

  private static Map<String, String> bearer(String key) {
    return Map.of("Authorization", "Bearer " + key);
  }

  /** Connects {@code clientId} so that it has a presence record. */
  private static Future<WireClient> connected(Vertx vertx, String clientId) {
    return WireClient.connect(vertx, node.port()).compose(c -> c.hello(clientId).map(w -> c));
  }

  private static void assertRefused(Reply r) {
    assertEquals(401, r.status(), r.body());
    assertNotNull(r.authenticate(), "401 carries WWW-Authenticate");
    assertTrue(r.authenticate().startsWith("Bearer "), r.authenticate());
    assertFalse(r.body().contains("ONLINE"), "no presence data in a refusal: " + r.body());
  }

  /** Verifies that GET /admin/clients/{id} without any key is 401 with WWW-Authenticate and no presence data. */
  @Test
  void adminWithoutKeyIsRefusedWith401(Vertx vertx, VertxTestContext ctx) {
    connected(vertx, "auth-nokey")
        .compose(c -> get(vertx, node.managementPort(), "/admin/clients/auth-nokey", Map.of()))
        .map(r -> {
          assertRefused(r);
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that GET /admin/clients/{id} with a wrong key (same length, last character differs) is 401. */
  @Test
  void adminWithWrongKeyIsRefusedWith401(Vertx vertx, VertxTestContext ctx) {
    connected(vertx, "auth-wrongkey")
        .compose(c -> get(vertx, node.managementPort(), "/admin/clients/auth-wrongkey", bearer(NEAR_KEY)))
        .compose(near -> get(vertx, node.managementPort(), "/admin/clients/auth-wrongkey",
            Map.of("X-API-Key", KEY + "x")).map(longer -> {
              assertRefused(near);
              assertRefused(longer);
              return null;
            }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that GET /admin/clients/{id} with the right key as a Bearer credential answers the presence record. */
  @Test
  void adminWithRightKeyAnswersThePresenceRecord(Vertx vertx, VertxTestContext ctx) {
    String clientId = "auth-rightkey";
    JsonObject attrs = new JsonObject().put("app", "2.0");
    WireClient.connect(vertx, node.port())
        .compose(c -> c.hello(new JsonObject().put("type", "hello").put("clientId", clientId).put("attrs", attrs)))
        .compose(welcome -> get(vertx, node.managementPort(), "/admin/clients/" + clientId, bearer(KEY)).map(r -> {
          assertEquals(200, r.status(), r.body());
          JsonObject rec = r.json();
          assertEquals(clientId, rec.getString("clientId"), r.body());
          assertEquals(welcome.getString("sessionId"), rec.getString("sessionId"), r.body());
          assertEquals("ONLINE", rec.getString("state"), r.body());
          assertEquals(node.nodeId(), rec.getString("node"), r.body());
          assertTrue(rec.getLong("lastSeen") > 0, r.body());
          assertEquals(attrs, rec.getJsonObject("attrs"), r.body());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that GET /admin/clients/{id} with the right key answers 404 for a client the cluster never saw. */
  @Test
  void adminWithRightKeyIsNotFoundForUnknownClient(Vertx vertx, VertxTestContext ctx) {
    get(vertx, node.managementPort(), "/admin/clients/auth-never-connected", bearer(KEY)).map(r -> {
      assertEquals(404, r.status(), r.body());
      assertEquals("unknown client", r.json().getString("error"), r.body());
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that the key is also accepted in the X-API-Key header. */
  @Test
  void adminAcceptsTheKeyInXApiKey(Vertx vertx, VertxTestContext ctx) {
    connected(vertx, "auth-xapikey")
        .compose(c -> get(vertx, node.managementPort(), "/admin/clients/auth-xapikey", Map.of("X-API-Key", KEY)))
        .map(r -> {
          assertEquals(200, r.status(), r.body());
          assertEquals("auth-xapikey", r.json().getString("clientId"), r.body());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that GET /api/presence/{id} is 401 without the key or with a wrong one, and 200 with it. */
  @Test
  void apiPresenceNeedsTheKey(Vertx vertx, VertxTestContext ctx) {
    String path = "/api/presence/auth-api";
    connected(vertx, "auth-api")
        .compose(c -> get(vertx, node.managementPort(), path, Map.of()))
        .compose(none -> get(vertx, node.managementPort(), path, bearer(NEAR_KEY))
            .compose(wrong -> get(vertx, node.managementPort(), path, bearer(KEY)).map(right -> {
              assertRefused(none);
              assertRefused(wrong);
              assertEquals(200, right.status(), right.body());
              assertEquals("auth-api", right.json().getString("clientId"), right.body());
              return null;
            })))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that /health and /metrics answer without a key on the health port, which is not the management port. */
  @Test
  void healthAndMetricsAreOpenOnTheHealthPort(Vertx vertx, VertxTestContext ctx) {
    int healthPort = node.healthPort();
    get(vertx, healthPort, "/health", Map.of())
        .compose(health -> get(vertx, healthPort, "/metrics", Map.of()).map(metrics -> {
          assertNotEquals(node.managementPort(), healthPort, "a port of its own");
          assertEquals(node.options().getHealthPort(), healthPort, "the configured health port");
          assertEquals(200, health.status(), health.body());
          assertEquals("UP", health.json().getString("status"), health.body());
          assertEquals(node.nodeId(), health.json().getString("node"), health.body());
          assertEquals(200, metrics.status());
          assertTrue(metrics.body().contains("tether_sessions"), metrics.body());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that /health and /metrics also stay open (no key) on the management port when a health port is set. */
  @Test
  void healthAndMetricsStayOpenOnTheManagementPort(Vertx vertx, VertxTestContext ctx) {
    get(vertx, node.managementPort(), "/health", Map.of())
        .compose(health -> get(vertx, node.managementPort(), "/metrics", Map.of()).map(metrics -> {
          assertEquals(200, health.status(), health.body());
          assertEquals("UP", health.json().getString("status"), health.body());
          assertEquals(200, metrics.status());
          assertTrue(metrics.body().contains("tether_sessions"), metrics.body());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that the health port serves neither /admin nor /api, even with the right key. */
  @Test
  void healthPortServesNothingButHealthAndMetrics(Vertx vertx, VertxTestContext ctx) {
    connected(vertx, "auth-healthport")
        .compose(c -> get(vertx, node.healthPort(), "/admin/clients/auth-healthport", bearer(KEY)))
        .compose(admin -> get(vertx, node.healthPort(), "/api/presence/auth-healthport", bearer(KEY)).map(api -> {
          assertEquals(404, admin.status(), admin.body());
          assertFalse(admin.body().contains("ONLINE"), admin.body());
          assertEquals(404, api.status(), api.body());
          assertFalse(api.body().contains("ONLINE"), api.body());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }
}
