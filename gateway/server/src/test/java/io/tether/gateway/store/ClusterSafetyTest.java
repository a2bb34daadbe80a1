package io.tether.gateway.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ClusterSafety} on real Hazelcast members: it is not asked on a timer here (no {@code start()}), so what it
 * reports comes from its own answers and from the membership events alone.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class ClusterSafetyTest {

  private final List<HazelcastInstance> members = new ArrayList<>();

  @AfterEach
  void stop() {
    members.forEach(HazelcastInstance::shutdown);
  }

  /**
   * Verifies that a member joining makes a safe cluster "not safe" at once, without being asked (a rolling restart
   * must never read a "safe" from before the join), and that asking again says safe once the migrations are done.
   */
  @Test
  void aJoinMakesItUnsafeAtOnceUntilAskedAgainAfterTheMigrations(Vertx vertx, VertxTestContext ctx) {
    List<String> list = memberList();
    HazelcastInstance first = member(list.get(0), list, "safety-a");
    ClusterSafety safety = new ClusterSafety(vertx, first);
    first.getMap(ClusterStore.SESSIONS).put("some-session", "x"); // something to migrate
    safety.refresh()
        .compose(safe -> {
          ctx.verify(() -> assertTrue(safe && safety.isSafe(), "one member with its data: safe"));
          return vertx.executeBlocking(() -> member(list.get(1), list, "safety-b"), false);
        })
        .compose(second -> until(vertx, () -> !safety.isSafe(), "the join to make it unsafe"))
        .compose(v -> untilAsked(vertx, safety))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertTrue(safety.isSafe());
          ctx.completeNow();
        })));
  }

  /** Verifies that a member leaving makes it "not safe" at once as well. */
  @Test
  void aMemberLeavingMakesItUnsafeAtOnce(Vertx vertx, VertxTestContext ctx) {
    List<String> list = memberList();
    HazelcastInstance first = member(list.get(0), list, "leave-a");
    HazelcastInstance second = member(list.get(1), list, "leave-b");
    ClusterSafety safety = new ClusterSafety(vertx, first);
    untilAsked(vertx, safety)
        .compose(v -> vertx.executeBlocking(() -> {
          second.getLifecycleService().terminate();
          return null;
        }, false))
        .compose(v -> until(vertx, () -> !safety.isSafe(), "the departure to make it unsafe"))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertFalse(safety.isSafe());
          ctx.completeNow();
        })));
  }

  /** Two members' addresses on free ports. */
  private static List<String> memberList() {
    return List.of("127.0.0.1:" + TestNodes.freePort(), "127.0.0.1:" + TestNodes.freePort());
  }

  /** Starts the member at {@code address} (one of {@code list}). */
  private HazelcastInstance member(String address, List<String> list, String name) {
    int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    GatewayOptions o = new GatewayOptions().setClusterHost("127.0.0.1").setClusterPort(port).setMembers(list)
        .setNodeId(name);
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(HazelcastSetup.config(o, name));
    synchronized (members) {
      members.add(hz);
    }
    return hz;
  }

  /** Polls {@code condition} every 20 ms (nothing else changes it here but the listener). */
  private static Future<Void> until(Vertx vertx, BooleanSupplier condition, String what) {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + 30_000;
    vertx.setPeriodic(20, id -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(id);
        done.tryComplete();
      } else if (System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        done.tryFail("timed out waiting for " + what);
      }
    });
    return done.future();
  }

  /** Asks every 200 ms until the answer is safe. */
  private static Future<Void> untilAsked(Vertx vertx, ClusterSafety safety) {
    return safety.refresh().compose(safe -> safe ? Future.succeededFuture()
        : vertx.timer(200).compose(t -> untilAsked(vertx, safety)));
  }
}
