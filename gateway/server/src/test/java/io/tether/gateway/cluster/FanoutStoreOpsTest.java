package io.tether.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.tether.gateway.GatewayNode;
import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A publish to a topic with many subscribers on one node costs at most one store operation per partition, however
 * many subscribers there are (docs/ARCHITECTURE.md "The write path"). The node runs with 7 partitions and one event
 * loop, so that 300 subscribers share each partition with ~40 others and one publish's writes are made in one burst.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class FanoutStoreOpsTest {

  private static final int PARTITIONS = 7;
  private static final int SUBSCRIBERS = 300;
  private static final String TOPIC = "fanout/ops";
  private static GatewayNode node;

  @BeforeAll
  static void start(VertxTestContext ctx) {
    // Read by Hazelcast when the member starts (a member setting); cleared at once so no other member gets it.
    System.setProperty("hazelcast.partition.count", String.valueOf(PARTITIONS));
    TestNodes.start(o -> o.setInstances(1)).onComplete(ar -> {
      System.clearProperty("hazelcast.partition.count");
      node = ar.result();
      ctx.completeNow();
    }).onFailure(ctx::failNow);
  }

  @AfterAll
  static void stop(VertxTestContext ctx) {
    TestNodes.stopAll(node == null ? List.of() : List.of(node)).onComplete(ctx.succeedingThenComplete());
  }

  private static double ops(String op) {
    Counter c = node.services().metrics().registry().find(GatewayMetrics.STORE_OPERATIONS).tag("op", op).counter();
    return c == null ? 0 : c.count();
  }

  /** Completes once {@code condition} holds (checked every 20 ms). */
  private static Future<Void> until(Vertx vertx, java.util.function.BooleanSupplier condition) {
    Promise<Void> p = Promise.promise();
    vertx.setPeriodic(20, id -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(id);
        p.tryComplete();
      }
    });
    return p.future();
  }

  /**
   * Verifies that each of 5 publishes to 300 subscribers (which never ack, so no trim writes) reaches every one of
   * them with at most 7 flush operations (one per partition) and one publish operation, where a write per
   * subscriber would be 300.
   */
  @Test
  void aPublishToManySubscribersCostsAtMostOneStoreOperationPerPartition(Vertx vertx, VertxTestContext ctx) {
    assertEquals(PARTITIONS, node.hazelcast().getPartitionService().getPartitions().size());
    List<WireClient> clients = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < SUBSCRIBERS; i++) {
      String id = "fanout-ops-" + i;
      chain = chain.compose(v -> WireClient.connect(vertx, node.port()).compose(c -> {
        clients.add(c);
        Future<JsonObject> acked = c.next("ack");
        return c.hello(id).compose(w -> c.send(new JsonObject().put("type", "subscribe").put("seq", c.nextSeq())
            .put("topic", TOPIC).put("version", 0))).compose(x -> acked).mapEmpty();
      }));
    }
    List<Double> flushes = new ArrayList<>();
    chain
        // Each subscription reads the topic twice (at once and 1 s later); once all have, only publishes move it.
        .compose(v -> until(vertx, () -> ops("topic_read") >= 2 * SUBSCRIBERS))
        .compose(v -> {
          Future<Void> rounds = Future.succeededFuture();
          for (int r = 1; r <= 5; r++) {
            long version = r;
            rounds = rounds.compose(x -> {
              double before = ops("flush");
              List<Future<JsonObject>> got = new ArrayList<>();
              for (WireClient c : clients) {
                got.add(c.nextMatching("notify " + version, f -> "notify".equals(f.getString("type"))
                    && f.getLong("version") == version));
              }
              return node.vertx().eventBus().request(GatewayApi.PUBLISH, new JsonObject().put("topic", TOPIC)
                      .put("body", new JsonObject().put("r", version)))
                  .compose(m -> Future.all(got))
                  .map(all -> flushes.add(ops("flush") - before)).mapEmpty();
            });
          }
          return rounds;
        })
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          Set<Integer> partitions = new HashSet<>();
          for (WireClient c : clients) {
            partitions.add(node.hazelcast().getPartitionService().getPartition(c.sessionId()).getPartitionId());
          }
          for (double f : flushes) {
            assertTrue(f <= partitions.size(), "flush operations per publish: " + flushes + ", partitions used: "
                + partitions.size());
          }
          assertEquals(5, ops("publish"));
          clients.forEach(WireClient::close);
          ctx.completeNow();
        })));
  }
}
