package io.tether.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How sessions end: {@code bye} from the client, and replacement by a newer {@code hello} (docs/PROTOCOL.md §2, §7). */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class SessionEndTest {

  private static final short NORMAL = 1000;
  private static final short POLICY = 1008;

  /** /admin/* needs the API key (docs/PROTOCOL.md §10). */
  private static final String API_KEY = "session-end-test-key-0123";

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setApiKey(API_KEY));
  private static GatewayNode node;


  private static final JsonObject BYE = new JsonObject().put("type", "bye");

  /** The presence record from gateway.presence on the node's event bus. */
  private static Future<JsonObject> presenceOnBus(String clientId) {
    return node.vertx().eventBus().<JsonObject>request("gateway.presence", new JsonObject().put("clientId", clientId))
        .map(m -> m.body());
  }

  /** {@code {"status":…, "body":…}} of GET /admin/clients/{clientId} on the management port. */
  private static Future<JsonObject> presenceOverHttp(Vertx vertx, String clientId) {
    HttpClient http = vertx.createHttpClient();
    return http.request(HttpMethod.GET, node.managementPort(), "127.0.0.1", "/admin/clients/" + clientId)
        .compose(req -> req.putHeader("Authorization", "Bearer " + API_KEY).send())
        .compose(resp -> resp.body().map(b -> new JsonObject().put("status", resp.statusCode())
            .put("body", new JsonObject(b))))
        .eventually(http::close);
  }

  /** Verifies that bye from the client closes its socket with 1000. */
  @Test
  void byeFromClientClosesTheSocketWith1000(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("se-bye-close").compose(w -> {
      c.send(BYE);
      return c.closed();
    }).map(status -> {
      ctx.verify(() -> {
        assertEquals(NORMAL, status, "closed with 1000 after bye");
        List<String> types = c.received().stream().map(f -> f.getString("type")).toList();
        assertEquals(List.of("welcome"), types, "nothing but the welcome before the close: " + types);
      });
      return null;
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that after bye, gateway.presence and GET /admin/clients/{id} report the session CLOSED. */
  @Test
  void byeMarksPresenceClosed(Vertx vertx, VertxTestContext ctx) {
    String clientId = "se-bye-presence";
    WireClient.connect(vertx, node.port()).compose(c -> c.hello(clientId).compose(w -> {
      c.send(BYE);
      return c.closed();
    }).compose(status -> presenceOnBus(clientId)).compose(bus -> {
      ctx.verify(() -> {
        assertEquals(clientId, bus.getString("clientId"), bus.encode());
        assertEquals(c.sessionId(), bus.getString("sessionId"), bus.encode());
        assertEquals("CLOSED", bus.getString("state"), "gateway.presence after bye: " + bus.encode());
      });
      return presenceOverHttp(vertx, clientId);
    }).map(http -> {
      ctx.verify(() -> {
        assertEquals(200, http.getInteger("status"), http.encode());
        JsonObject body = http.getJsonObject("body");
        assertEquals(clientId, body.getString("clientId"), body.encode());
        assertEquals(c.sessionId(), body.getString("sessionId"), body.encode());
        assertEquals("CLOSED", body.getString("state"), "GET /admin/clients after bye: " + body.encode());
      });
      return null;
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a session ended by bye cannot be resumed: the resume fails with reason unknown and close 1008. */
  @Test
  void resumeAfterByeFailsWithUnknown(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c1 -> c1.hello("se-bye-resume").compose(w -> {
      c1.send(BYE);
      return c1.closed();
    }).compose(status -> WireClient.connect(vertx, node.port()))
        .compose(c2 -> c2.resume(c1).compose(answer -> {
          ctx.verify(() -> {
            assertEquals("error", answer.getString("type"), "resume of an ended session refused: " + answer.encode());
            assertEquals("resume_failed", answer.getString("code"), answer.encode());
            assertEquals("unknown", answer.getString("reason"), answer.encode());
            assertEquals(true, answer.getBoolean("fatal"), answer.encode());
          });
          return c2.closed();
        }).map(status -> {
          ctx.verify(() -> assertEquals(POLICY, status, "closed with 1008 after the failed resume"));
          return null;
        })))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a second hello with the same clientId ends the first session: its socket gets
   * {"type":"bye","reason":"replaced"} as the last frame and is closed with 1000.
   */
  @Test
  void secondHelloWithSameClientIdSendsReplacedByeToTheOldSocketAndClosesIt(Vertx vertx, VertxTestContext ctx) {
    String clientId = "se-replace-bye";
    WireClient.connect(vertx, node.port()).compose(c1 -> c1.hello(clientId)
        .compose(w1 -> WireClient.connect(vertx, node.port()))
        .compose(c2 -> c2.hello(clientId))
        .compose(w2 -> {
          ctx.verify(() -> assertNotEquals(c1.sessionId(), w2.getString("sessionId"), "a new session"));
          return c1.next("bye");
        })
        .compose(bye -> {
          ctx.verify(() -> assertEquals(new JsonObject().put("type", "bye").put("reason", "replaced"), bye));
          return c1.closed();
        })
        .map(status -> {
          ctx.verify(() -> {
            assertEquals(NORMAL, status, "the replaced session's socket is closed with 1000");
            List<JsonObject> all = c1.received();
            assertEquals("bye", all.get(all.size() - 1).getString("type"), "bye is the last frame: " + all);
          });
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that after a second hello with the same clientId, gateway.presence and GET /admin/clients/{id} name
   * the new session, ONLINE.
   */
  @Test
  void secondHelloWithSameClientIdMakesPresenceNameTheNewSession(Vertx vertx, VertxTestContext ctx) {
    String clientId = "se-replace-presence";
    WireClient.connect(vertx, node.port()).compose(c1 -> c1.hello(clientId)
        .compose(w1 -> WireClient.connect(vertx, node.port()))
        .compose(c2 -> c2.hello(clientId).compose(w2 -> c1.closed())
            .compose(oldClosed -> presenceOnBus(clientId))
            .compose(bus -> {
              ctx.verify(() -> {
                assertEquals(c2.sessionId(), bus.getString("sessionId"), "gateway.presence: " + bus.encode());
                assertNotEquals(c1.sessionId(), bus.getString("sessionId"));
                assertEquals("ONLINE", bus.getString("state"), bus.encode());
              });
              return presenceOverHttp(vertx, clientId);
            })
            .map(http -> {
              ctx.verify(() -> {
                assertEquals(200, http.getInteger("status"), http.encode());
                JsonObject body = http.getJsonObject("body");
                assertEquals(c2.sessionId(), body.getString("sessionId"), "GET /admin/clients: " + body.encode());
                assertEquals("ONLINE", body.getString("state"), body.encode());
              });
              return null;
            })))
        .onComplete(ctx.succeedingThenComplete());
  }
}
