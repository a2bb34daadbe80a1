package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the on-disk session costs (docs/CLIENT.md "Sessions across a restart"): every own frame is on disk before it
 * leaves, with group commit (frames numbered during a save go out together after the next one), so a burst of
 * writes costs a few saves, not one fsync each. Rounds of {@value #BURSTS} bursts of {@value #BURST} writes made at
 * once (the next burst once all are answered by a backend here), with and without a store, alternating; prints the
 * figures. Asserts only that each write of the
 * stored rounds reached the backend once: timings on a shared machine are figures, not verdicts.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class StoreThroughputTest {

  /** A burst: the node's bound of open requests per session (100), all numbered at once. */
  private static final int BURST = 100;
  private static final int BURSTS = 10;
  private static final int WRITES = BURST * BURSTS;
  private static final int ROUNDS = 4;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAllowedAddresses(List.of("test.*"))
      .setMaxRequestsPerSecond(1_000_000)); // the figure is the client's, not the rate limit's
  private static GatewayNode node;

  private final Map<String, Integer> byBody = new ConcurrentHashMap<>();

  /** One round: connect, the bursts, close; the elapsed ms of the bursts. */
  private Future<Long> round(Vertx vertx, String clientId, Path storeDir) {
    TetherClientOptions options = new TetherClientOptions().setUrl("ws://127.0.0.1:" + node.port() + "/ws")
        .setClientId(clientId);
    if (storeDir != null) {
      options.setStoreDir(storeDir.toString());
    }
    TetherClient c = TetherClient.create(vertx, options);
    long[] start = new long[1];
    Future<?> bursts = c.connect().map(v -> {
      start[0] = System.nanoTime();
      return v;
    });
    for (int b = 0; b < BURSTS; b++) {
      int first = b * BURST;
      bursts = bursts.compose(v -> {
        List<Future<Object>> all = new ArrayList<>();
        for (int i = first; i < first + BURST; i++) {
          all.add(c.request("test.tp", new JsonObject().put("c", clientId).put("n", i)));
        }
        return Future.all(all);
      });
    }
    return bursts.map(v -> (System.nanoTime() - start[0]) / 1_000_000).compose(ms -> c.close().map(ms));
  }

  /** Verifies that bursts of writes with a store are delivered once each, and prints their cost against no store. */
  @Test
  void aBurstOfWritesWithTheStoreIsCommittedInGroups(Vertx vertx, VertxTestContext ctx, @TempDir Path dir) {
    node.vertx().eventBus().<JsonObject>consumer("test.tp", m -> {
      if (m.body().getString("c").startsWith("tp-store")) {
        byBody.merge(m.body().getString("c") + "/" + m.body().getInteger("n"), 1, Integer::sum);
      }
      m.reply(new JsonObject().put("ok", true));
    }).completion().compose(v -> {
      Future<List<long[]>> chain = Future.succeededFuture(new ArrayList<>());
      for (int r = 0; r < ROUNDS; r++) {
        int round = r;
        chain = chain.compose(list -> round(vertx, "tp-plain-" + round, null)
            .compose(plain -> round(vertx, "tp-store-" + round, dir.resolve("r" + round)).map(stored -> {
              list.add(new long[] {plain, stored});
              return list;
            })));
      }
      return chain;
    }).onComplete(ctx.succeeding(list -> ctx.verify(() -> {
      assertEquals(ROUNDS * WRITES, byBody.size(), "every stored-round write reached the backend");
      assertEquals(ROUNDS * WRITES, byBody.values().stream().mapToInt(Integer::intValue).sum(), "each once");
      StringBuilder sb = new StringBuilder("StoreThroughputTest: " + BURSTS + " bursts of " + BURST
          + " writes, answered, ms (no store / store):");
      for (long[] r : list) {
        sb.append(' ').append(r[0]).append('/').append(r[1]);
      }
      long[] last = list.get(list.size() - 1);
      sb.append("; last round ").append(WRITES * 1000L / Math.max(1, last[0])).append(" vs ")
          .append(WRITES * 1000L / Math.max(1, last[1])).append(" writes/s");
      System.out.println(sb);
      ctx.completeNow();
    })));
  }
}
