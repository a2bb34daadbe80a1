package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Subscriptions per session and the presence attrs bound (docs/PROTOCOL.md §12), on a real node. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ClientLimitsTest {

  private static final int MAX_SUBSCRIPTIONS = 3;
  private static final int MAX_ATTRS_BYTES = 100;
  private static final int MAX_ATTRS_KEYS = 4;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setMaxSubscriptions(MAX_SUBSCRIPTIONS)
      .setMaxAttrsBytes(MAX_ATTRS_BYTES).setMaxAttrsKeys(MAX_ATTRS_KEYS));
  private static GatewayNode node;

  private static JsonObject keys(int n) {
    JsonObject attrs = new JsonObject();
    for (int i = 0; i < n; i++) {
      attrs.put("k" + i, i);
    }
    return attrs;
  }

  private static Future<JsonObject> presence(String clientId) {
    return node.vertx().eventBus().<JsonObject>request("gateway.presence", new JsonObject().put("clientId", clientId))
        .map(m -> m.body());
  }

  /**
   * Verifies that a subscribe beyond maxSubscriptions is refused with a non-fatal not_allowed naming its seq and topic,
   * sent before the ack that covers it, while the ones within the bound are accepted.
   */
  @Test
  void aSubscribeBeyondMaxSubscriptionsIsRefusedNamingItsSeqAndTopic(Vertx vertx, VertxTestContext ctx) {
    int subscribes = MAX_SUBSCRIPTIONS + 1;
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("limits-subs").compose(w -> {
      Future<JsonObject> acked = c.nextMatching("the ack of every subscribe",
          f -> "ack".equals(f.getString("type")) && f.getLong("ack") == subscribes);
      for (int i = 1; i <= subscribes; i++) {
        c.send(new JsonObject().put("type", "subscribe").put("seq", c.nextSeq()).put("topic", "limits/t" + i)
            .put("version", 0));
      }
      return acked;
    }).map(ack -> {
      ctx.verify(() -> {
        List<JsonObject> all = c.received();
        List<JsonObject> errors = all.stream().filter(f -> "error".equals(f.getString("type"))).toList();
        assertEquals(1, errors.size(), "only the one beyond is refused: " + errors);
        JsonObject e = errors.get(0);
        assertEquals("not_allowed", e.getString("code"));
        assertFalse(e.getBoolean("fatal"));
        assertEquals(subscribes, e.getLong("refSeq"));
        assertEquals("limits/t" + subscribes, e.getString("topic"));
        int ackAt = all.indexOf(ack);
        assertTrue(all.indexOf(e) < ackAt, "the refusal comes before the ack that covers it: " + all);
      });
      return null;
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a hello whose attrs exceed maxAttrsBytes is a fatal too_large, close 1008, and creates nothing. */
  @Test
  void aHelloWithAttrsOverTheByteBoundIsRefusedBeforeAnySession(Vertx vertx, VertxTestContext ctx) {
    JsonObject attrs = new JsonObject().put("note", "x".repeat(MAX_ATTRS_BYTES));
    helloRefused(vertx, ctx, "limits-attrs-bytes", attrs);
  }

  /** Verifies that a hello whose attrs have more than maxAttrsKeys keys is refused the same way. */
  @Test
  void aHelloWithTooManyAttrsKeysIsRefusedBeforeAnySession(Vertx vertx, VertxTestContext ctx) {
    helloRefused(vertx, ctx, "limits-attrs-keys", keys(MAX_ATTRS_KEYS + 1));
  }

  private void helloRefused(Vertx vertx, VertxTestContext ctx, String clientId, JsonObject attrs) {
    WireClient.connect(vertx, node.port()).compose(c -> {
      Future<JsonObject> error = c.next("error");
      return c.send(new JsonObject().put("type", "hello").put("clientId", clientId).put("attrs", attrs))
          .compose(v -> error)
          .compose(e -> c.closed().map(code -> {
            ctx.verify(() -> {
              assertEquals("too_large", e.getString("code"));
              assertTrue(e.getBoolean("fatal"));
              assertEquals((short) 1008, code);
              assertTrue(c.received().stream().noneMatch(f -> "welcome".equals(f.getString("type"))));
            });
            return null;
          }));
    }).compose(v -> presence(clientId).transform(ar -> {
      ctx.verify(() -> {
        assertTrue(ar.failed(), "no presence record: " + ar.result());
        assertEquals(404, assertInstanceOf(ReplyException.class, ar.cause()).failureCode());
      });
      return Future.succeededFuture();
    })).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a ping whose attrs are over the bound gets a non-fatal too_large, still counts as a heartbeat (it is
   * answered and the presence record is touched) and leaves the previous attrs in place.
   */
  @Test
  void aPingWithAttrsOverTheBoundIsAHeartbeatWhoseAttrsAreIgnored(Vertx vertx, VertxTestContext ctx) {
    String clientId = "limits-ping";
    JsonObject first = new JsonObject().put("v", 1);
    WireClient.connect(vertx, node.port()).compose(c -> c.hello(new JsonObject().put("type", "hello")
        .put("clientId", clientId).put("attrs", first)).compose(w -> presence(clientId)).compose(before -> {
          Future<JsonObject> pong = c.next("pong");
          return c.send(new JsonObject().put("type", "ping").put("attrs", keys(MAX_ATTRS_KEYS + 1)))
              .compose(v -> pong).compose(p -> presence(clientId)).map(after -> {
                ctx.verify(() -> {
                  List<JsonObject> all = c.received();
                  JsonObject error = all.stream().filter(f -> "error".equals(f.getString("type"))).findFirst()
                      .orElseThrow(() -> new AssertionError("no error: " + all));
                  assertEquals("too_large", error.getString("code"));
                  assertFalse(error.getBoolean("fatal"));
                  assertEquals(first, after.getJsonObject("attrs"), "the previous attrs stay");
                  assertEquals("ONLINE", after.getString("state"));
                  assertTrue(after.getLong("lastSeen") >= before.getLong("lastSeen"));
                  assertFalse(c.closed().isComplete());
                });
                return null;
              });
        })).onComplete(ctx.succeedingThenComplete());
  }
}
