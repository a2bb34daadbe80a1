package io.tether.gateway.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.ClusterExtension;
import io.tether.gateway.testing.SseClient;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console across two nodes (docs/OPERATIONS.md "Console"): a console on one node sees the sessions of the other
 * live, and lists every member with the health that member reports itself.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ConsoleClusterTest {

  private static final String KEY = "console-cluster-key-0123456789";

  @RegisterExtension
  static final ClusterExtension CLUSTER = ClusterExtension.start(2, o -> o.setApiKey(KEY)
      .setConsoleStatsIntervalMs(300));
  @ClusterExtension.Node(0)
  private static GatewayNode a;
  @ClusterExtension.Node(1)
  private static GatewayNode b;

  /** Verifies that a session on node b reaches a console stream on node a, with b as its node, within 1 s. */
  @Test
  void aConsoleOnOneNodeSeesTheOtherNodesSessionsLive(Vertx vertx, VertxTestContext ctx) {
    String clientId = "cluster-console";
    long[] sent = {0};
    SseClient.open(vertx, a.managementPort(), KEY)
        .compose(sse -> sse.next("ready", 5_000).compose(r -> WireClient.connect(vertx, b.port()))
            .compose(c -> {
              sent[0] = System.currentTimeMillis();
              return c.hello(clientId);
            })
            .compose(w -> sse.next("presence", d -> clientId.equals(d.getString("clientId")), 5_000))
            .map(e -> {
              assertEquals("ONLINE", e.data().getString("state"), e.data().encode());
              assertEquals(b.nodeId(), e.data().getString("node"), e.data().encode());
              long lag = e.receivedAt() - sent[0];
              System.out.println("console on " + a.nodeId() + " saw a hello on " + b.nodeId() + " after " + lag
                  + " ms");
              assertTrue(lag < 1_000, lag + " ms");
              return null;
            })
            .eventually(sse::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that the stats list both members, each UP with its own node id, and mark the one serving the console. */
  @Test
  void statsListEveryMemberWithItsOwnHealth(Vertx vertx, VertxTestContext ctx) {
    SseClient.open(vertx, a.managementPort(), KEY)
        .compose(sse -> sse.next("stats", d -> d.getJsonArray("members", new JsonArray()).size() == 2, 5_000)
            .map(e -> {
              Map<String, JsonObject> byNode = new HashMap<>();
              e.data().getJsonArray("members").forEach(m -> byNode.put(((JsonObject) m).getString("node"),
                  (JsonObject) m));
              assertEquals(2, byNode.size(), e.data().encode());
              for (GatewayNode n : new GatewayNode[] {a, b}) {
                JsonObject m = byNode.get(n.nodeId());
                assertEquals("UP", m.getString("status"), m.encode());
                assertEquals("gateway", m.getString("role"), m.encode());
                assertEquals(2, m.getInteger("clusterMembers"), m.encode());
                assertEquals(n == a, m.getBoolean("local"), m.encode());
              }
              return null;
            })
            .eventually(sse::close))
        .onComplete(ctx.succeedingThenComplete());
  }
}
