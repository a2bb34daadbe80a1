package io.tether.gateway.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Topic changes reaching a subscriber whose buffer is full (docs/PROTOCOL.md §3, §6). */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class NotifyBackpressureTest {

  private static final int BUFFER = 10;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setBufferMaxFrames(BUFFER));
  private static GatewayNode node;

  /**
   * Verifies that a subscriber that stops acking while its topic changes more often than its buffer holds is not
   * left behind: once it acks, it gets the newest value (the changes in between coalesce), and versions only go up.
   */
  @Test
  void subscriberWithAFullBufferGetsTheNewestValueOnceItAcks(Vertx vertx, VertxTestContext ctx) {
    String topic = "backpressure/t";
    int changes = 3 * BUFFER;
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("notify-backpressure").compose(w -> {
      Future<JsonObject> acked = c.next("ack");
      return c.send(new JsonObject().put("type", "subscribe").put("seq", c.nextSeq()).put("topic", topic)
          .put("version", 0)).compose(v -> acked);
    }).compose(ack -> {
      Future<Object> chain = Future.succeededFuture();
      for (int i = 1; i <= changes; i++) {
        JsonObject publish = new JsonObject().put("topic", topic).put("body", new JsonObject().put("i", i));
        chain = chain.compose(x -> node.vertx().eventBus().request("gateway.publish", publish).map(m -> m.body()));
      }
      return chain;
    }).compose(x -> c.take(BUFFER, "notify")) // what the full buffer held; the rest waits for acks
        // Past the subscription's second catch-up read (1 s after subscribing), which also finds the buffer full:
        // from then on only the ack can release the newest value. The elapsed time is part of the scenario.
        .compose(first -> vertx.timer(1500).map(t -> first))
        .compose(first -> {
          Future<JsonObject> newest = c.nextMatching("the newest notify", f -> "notify".equals(f.getString("type"))
              && f.getLong("version") == changes);
          return c.ack(first.get(first.size() - 1).getLong("seq")).compose(v -> newest);
        })
        .map(newest -> {
          ctx.verify(() -> {
            assertEquals(new JsonObject().put("i", changes), newest.getJsonObject("body"));
            List<Long> versions = c.received().stream().filter(f -> "notify".equals(f.getString("type")))
                .map(f -> f.getLong("version")).toList();
            for (int i = 1; i < versions.size(); i++) {
              assertTrue(versions.get(i) > versions.get(i - 1), "versions only go up: " + versions);
            }
            assertTrue(versions.size() < changes, "changes held back coalesced: " + versions);
          });
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }
}
