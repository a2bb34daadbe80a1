package io.tether.gateway.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.store.ClusterStore;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Topic bounds (docs/PROTOCOL.md §6): the maximum number of topics and the topic TTL. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class TopicBoundsTest {

  private static final long TTL_MS = 1500;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setMaxTopics(3).setTopicTtlMs(TTL_MS));
  private static GatewayNode node;

  private static Future<Long> publish(String topic, Object body) {
    return node.vertx().eventBus().<JsonObject>request("gateway.publish",
        new JsonObject().put("topic", topic).put("body", body)).map(m -> m.body().getLong("version"));
  }

  /**
   * Verifies that once the cluster holds maxTopics topics, publishing a new topic is refused with 429 while
   * publishing to an existing one still works.
   */
  @Test
  void newTopicBeyondTheMaximumIsRefusedWhileExistingOnesStillPublish(VertxTestContext ctx) {
    publish("bounds/1", 1).compose(v -> publish("bounds/2", 2)).compose(v -> publish("bounds/3", 3))
        .compose(v -> node.services().countTopics())
        .compose(count -> publish("bounds/4", 4).transform(ar -> {
          ctx.verify(() -> {
            assertTrue(ar.failed(), "a fourth topic is refused");
            assertEquals(429, ((ReplyException) ar.cause()).failureCode(), ar.cause().getMessage());
          });
          return publish("bounds/1", 11);
        }))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertTrue(v > 0, "an existing topic still publishes");
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that a topic not published for its TTL is forgotten (a late subscriber finds nothing), and that when
   * it is published again its version is higher than before the expiry, so cached versions stay comparable.
   */
  @Test
  void expiredTopicIsForgottenAndItsVersionKeepsIncreasing(Vertx vertx, VertxTestContext ctx) {
    String topic = "bounds/ttl";
    publish(topic, "first").compose(first ->
        // The TTL running out is the behaviour under test: wait for it.
        vertx.timer(TTL_MS + 500).compose(t -> vertx.executeBlocking(
                () -> node.hazelcast().getMap(ClusterStore.TOPICS).get(topic)))
            .compose(gone -> {
              ctx.verify(() -> assertNull(gone, "the topic expired"));
              return publish(topic, "again");
            })
            .map(again -> {
              ctx.verify(() -> assertTrue(again > first, "version " + again + " after expiry > " + first));
              return null;
            }))
        .onComplete(ctx.succeedingThenComplete());
  }
}
