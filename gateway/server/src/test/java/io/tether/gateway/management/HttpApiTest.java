package io.tether.gateway.management;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The HTTP API on the management port (docs/PROTOCOL.md §10): key required, publish, send, presence. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class HttpApiTest {

  private static final String KEY = "test-key-0123456789abcdef";

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setApiKey(KEY));
  private static GatewayNode node;

  private record Reply(int status, JsonObject json) {
  }

  /** Calls the API with {@code authorization} as the Authorization header (null: none). */
  private static Future<Reply> call(Vertx vertx, HttpMethod method, String path, String authorization,
      JsonObject body) {
    HttpClient http = vertx.createHttpClient();
    RequestOptions options = new RequestOptions().setMethod(method).setPort(node.managementPort())
        .setHost("127.0.0.1").setURI(path);
    if (authorization != null) {
      options.putHeader("Authorization", authorization);
    }
    return http.request(options)
        .compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body.encode())))
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b.toJsonObject())))
        .eventually(() -> http.close());
  }

  /** Verifies that a call without a key, or with a wrong one, is refused with 401 and does nothing. */
  @Test
  void callsWithoutTheKeyAreRefused(Vertx vertx, VertxTestContext ctx) {
    JsonObject publish = new JsonObject().put("topic", "api/refused").put("body", 1);
    call(vertx, HttpMethod.POST, "/api/publish", null, publish)
        .compose(none -> call(vertx, HttpMethod.POST, "/api/publish", "Bearer wrong-key-0123456789", publish)
            .map(wrong -> new Reply[] {none, wrong}))
        .compose(replies -> node.vertx().eventBus().<JsonObject>request("gateway.publish",
            new JsonObject().put("topic", "api/refused").put("body", 2)).map(m -> {
              ctx.verify(() -> {
                assertEquals(401, replies[0].status(), replies[0].json().encode());
                assertEquals(401, replies[1].status(), replies[1].json().encode());
                assertEquals(1L, m.body().getLong("version"), "the refused calls published nothing");
              });
              return null;
            }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that POST /api/publish with the key publishes: a subscribed client gets the notify. */
  @Test
  void publishWithTheKeyNotifiesSubscribers(Vertx vertx, VertxTestContext ctx) {
    String topic = "api/prices";
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("api-subscriber").compose(w -> {
      Future<JsonObject> acked = c.next("ack");
      return c.send(new JsonObject().put("type", "subscribe").put("seq", c.nextSeq()).put("topic", topic)
          .put("version", 0)).compose(v -> acked);
    }).compose(ack -> call(vertx, HttpMethod.POST, "/api/publish", "Bearer " + KEY,
        new JsonObject().put("topic", topic).put("body", new JsonObject().put("eur", 12))))
        .compose(reply -> c.next("notify").map(notify -> {
          ctx.verify(() -> {
            assertEquals(200, reply.status(), reply.json().encode());
            assertEquals(reply.json().getLong("version"), notify.getLong("version"));
            assertEquals(new JsonObject().put("eur", 12), notify.getJsonObject("body"));
          });
          return null;
        })))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that POST /api/send with the key pushes to the client and answers its seq. */
  @Test
  void sendWithTheKeyPushesToTheClient(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("api-send")
        .compose(w -> call(vertx, HttpMethod.POST, "/api/send", "Bearer " + KEY,
            new JsonObject().put("clientId", "api-send").put("body", new JsonObject().put("hi", true))))
        .compose(reply -> c.next("push").map(push -> {
          ctx.verify(() -> {
            assertEquals(200, reply.status(), reply.json().encode());
            assertEquals(reply.json().getLong("seq"), push.getLong("seq"));
            assertEquals(new JsonObject().put("hi", true), push.getJsonObject("body"));
          });
          return null;
        })))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that send to an unknown client answers 404, and a malformed body 400, each with a message. */
  @Test
  void badCallsGetClearErrors(Vertx vertx, VertxTestContext ctx) {
    call(vertx, HttpMethod.POST, "/api/send", "Bearer " + KEY,
        new JsonObject().put("clientId", "api-nobody").put("body", 1))
        .compose(unknown -> call(vertx, HttpMethod.POST, "/api/publish", "Bearer " + KEY, new JsonObject())
            .map(malformed -> new Reply[] {unknown, malformed}))
        .onComplete(ctx.succeeding(replies -> ctx.verify(() -> {
          assertEquals(404, replies[0].status(), replies[0].json().encode());
          assertEquals(400, replies[1].status(), replies[1].json().encode());
          assertEquals(true, replies[1].json().getString("error").contains("topic"), replies[1].json().encode());
          ctx.completeNow();
        })));
  }

  /** Verifies that GET /api/presence/{clientId} with the key answers the presence record. */
  @Test
  void presenceWithTheKeyAnswersTheRecord(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("api-presence")
        .compose(w -> call(vertx, HttpMethod.GET, "/api/presence/api-presence", "Bearer " + KEY, null)))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          assertEquals(200, reply.status(), reply.json().encode());
          assertEquals("api-presence", reply.json().getString("clientId"));
          assertEquals("ONLINE", reply.json().getString("state"));
          ctx.completeNow();
        })));
  }
}
