package io.tether.gateway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tether.gateway.GatewayNode;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Store writes of many sessions grouped by partition ({@link PartitionFlushes}), on two real members: node A issues
 * the writes, node B owns the partition they go to (so the operation crosses the network and A holds the backup).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class PartitionFlushesTest {

  private GatewayNode a;
  private GatewayNode b;
  private SimpleMeterRegistry registry;
  private ClusterStore store;

  @BeforeEach
  void startCluster(VertxTestContext ctx) {
    TestNodes.cluster(2, o -> o).onComplete(ctx.succeeding(nodes -> {
      a = nodes.get(0);
      b = nodes.get(1);
      registry = new SimpleMeterRegistry();
      store = new ClusterStore(a.vertx(), a.hazelcast(), new GatewayMetrics(registry)::storeOperation);
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stopCluster(VertxTestContext ctx) {
    List<GatewayNode> alive = new ArrayList<>();
    for (GatewayNode n : Arrays.asList(a, b)) {
      if (n != null && n.hazelcast().getLifecycleService().isRunning()) {
        alive.add(n);
      }
    }
    TestNodes.stopAll(alive).onComplete(ctx.succeedingThenComplete());
  }

  /** {@code n} session ids in one partition whose primary is node B. */
  private List<String> keysInOnePartitionOwnedByB(int n) {
    HazelcastInstance hz = a.hazelcast();
    int partition = -1;
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < n; i++) {
      String key = "batch-" + i;
      var p = hz.getPartitionService().getPartition(key);
      if (partition == -1 && p.getOwner().getUuid().equals(b.hazelcast().getCluster().getLocalMember().getUuid())) {
        partition = p.getPartitionId();
      }
      if (p.getPartitionId() == partition) {
        keys.add(key);
      }
    }
    return keys;
  }

  private double flushOps() {
    Counter c = registry.find(GatewayMetrics.STORE_OPERATIONS).tag("op", "flush").counter();
    return c == null ? 0 : c.count();
  }

  private Future<Void> createAll(List<String> keys) {
    List<Future<Void>> created = new ArrayList<>();
    for (String k : keys) {
      created.add(store.create(k, SessionRecord.create("client-" + k, "token", "node-a#1", 120_000, 100, 1 << 20,
          null)));
    }
    return Future.all(created).mapEmpty();
  }

  /** Calls {@link ClusterStore#flush} for each key in one event-loop turn of node A, frames 1..k for the k-th. */
  private Future<List<Future<Integer>>> flushInOneTurn(List<String> keys, List<Long> epochs) {
    Promise<List<Future<Integer>>> issued = Promise.promise();
    a.vertx().runOnContext(v -> {
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        results.add(store.flush(keys.get(i), Sessions.Flush.epoch(epochs.get(i)).frames(1, i + 1).op()));
      }
      issued.complete(results);
    });
    return issued.future();
  }

  /**
   * Verifies that the writes of 20 sessions in one partition, made in one event-loop turn, go to the store as one
   * operation, that each gets its own result, and that each record holds its own session's frames.
   */
  @Test
  void writesOfManySessionsInOnePartitionGoOutAsOneOperation(VertxTestContext ctx) {
    List<String> keys = keysInOnePartitionOwnedByB(20);
    List<Long> epochs = keys.stream().map(k -> 1L).toList();
    createAll(keys).compose(v -> {
      double before = flushOps();
      return flushInOneTurn(keys, epochs).compose(results -> Future.all(results).map(all -> {
        ctx.verify(() -> {
          assertEquals(1, flushOps() - before, "store operations for 20 writes in one partition");
          for (Future<Integer> r : results) {
            assertEquals(FlushOp.OK, r.result());
          }
          IMap<String, SessionRecord> map = b.hazelcast().getMap(ClusterStore.SESSIONS);
          for (int i = 0; i < keys.size(); i++) {
            assertEquals(i + 1, map.get(keys.get(i)).outSeq(), "frames stored for " + keys.get(i));
          }
        });
        return all;
      }));
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that in one batch a session whose epoch moved on is FENCED and stores nothing, an unknown session is
   * GONE, and the others are written as if they had been alone.
   */
  @Test
  void aFencedSessionInABatchIsFencedWithoutHarmingTheOthers(VertxTestContext ctx) {
    List<String> keys = keysInOnePartitionOwnedByB(6);
    List<String> existing = keys.subList(0, 5); // keys.get(5) is never created: GONE
    List<Long> epochs = List.of(1L, 1L, 2L, 1L, 1L, 1L); // keys.get(2) writes with an epoch its record never had
    createAll(existing).compose(v -> flushInOneTurn(keys, epochs))
        .compose(results -> Future.join(results).otherwiseEmpty().map(x -> results))
        .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
          assertEquals(List.of(FlushOp.OK, FlushOp.OK, FlushOp.FENCED, FlushOp.OK, FlushOp.OK, FlushOp.GONE),
              results.stream().map(Future::result).toList());
          IMap<String, SessionRecord> map = a.hazelcast().getMap(ClusterStore.SESSIONS);
          assertEquals(0, map.get(keys.get(2)).outSeq(), "the fenced session stored nothing");
          assertEquals(5, map.get(keys.get(4)).outSeq());
          assertNull(map.get(keys.get(5)), "a write to an unknown session creates nothing");
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that once a batch has answered, its writes survive the crash of the partition's owner: the backup
   * (promoted on node A) holds every session's frames. The answer waits for the backup as a single write does.
   */
  @Test
  void aBatchThatAnsweredSurvivesTheCrashOfThePartitionOwner(VertxTestContext ctx) {
    List<String> keys = keysInOnePartitionOwnedByB(30);
    List<Long> epochs = keys.stream().map(k -> 1L).toList();
    createAll(keys).compose(v -> flushInOneTurn(keys, epochs)).compose(Future::all)
        .compose(all -> {
          b.hazelcast().getLifecycleService().terminate();
          return b.vertx().close().otherwiseEmpty();
        })
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          IMap<String, SessionRecord> map = a.hazelcast().getMap(ClusterStore.SESSIONS);
          for (int i = 0; i < keys.size(); i++) {
            SessionRecord r = map.get(keys.get(i));
            assertInstanceOf(SessionRecord.class, r, keys.get(i));
            assertEquals(i + 1, r.outSeq(), "frames of " + keys.get(i) + " after the owner crashed");
          }
          ctx.completeNow();
        })));
  }
}
