package io.tether.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Graceful drain (docs/OPERATIONS.md "Drain"): node A is told to stop while a client is attached to it; node B
 * stays. Each test has its own two-node cluster.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class DrainTest {

  private GatewayNode a;
  private GatewayNode b;

  @BeforeEach
  void startCluster(VertxTestContext ctx) {
    TestNodes.cluster(2, o -> o.setDrainTimeoutMs(20_000)).onComplete(ctx.succeeding(nodes -> {
      a = nodes.get(0);
      b = nodes.get(1);
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stopCluster(VertxTestContext ctx) {
    TestNodes.stopAll(java.util.Arrays.asList(a, b)).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a draining node tells its client to reconnect (reason shutdown), reports DRAINING with 503 on
   * /health, and refuses new WebSocket handshakes with 503, while the client's session keeps working.
   */
  @Test
  void drainingNodeTellsClientsToReconnectAndRefusesNewSockets(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, a.port()).compose(c -> c.hello("drain-tell").compose(w -> {
      Future<JsonObject> reconnect = c.next("reconnect");
      a.drain();
      return reconnect;
    }).compose(reconnect -> {
      ctx.verify(() -> assertEquals("shutdown", reconnect.getString("reason")));
      return vertx.createHttpClient().request(HttpMethod.GET, a.managementPort(), "127.0.0.1", "/health")
          .compose(req -> req.send())
          .compose(resp -> resp.body().map(body -> {
            ctx.verify(() -> {
              assertEquals(503, resp.statusCode());
              assertEquals("DRAINING", body.toJsonObject().getString("status"));
            });
            return null;
          }));
    }).compose(x -> WireClient.connect(vertx, a.port()).transform(ar -> {
      ctx.verify(() -> {
        assertTrue(ar.failed(), "a new socket on a draining node is refused");
        assertTrue(ar.cause() instanceof UpgradeRejectedException, String.valueOf(ar.cause()));
        assertEquals(503, ((UpgradeRejectedException) ar.cause()).getStatus());
      });
      return Future.succeededFuture();
    })).compose(x -> {
      // The client is not forced off: its socket on A keeps working until it moves (or the drain times out).
      Future<JsonObject> response = c.next("response");
      return c.send(new JsonObject().put("type", "request").put("seq", c.nextSeq()).put("stream", 1)
          .put("address", "demo.echo").put("body", new JsonObject().put("still", "here"))).compose(v -> response);
    }).map(response -> {
      ctx.verify(() -> assertEquals(new JsonObject().put("still", "here"), response.getJsonObject("body")));
      return null;
    })).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies the whole drain: pushes buffered before and during the drain all reach the client once and in order
   * after it resumes on B, and the drain completes (A leaves) once the session has moved, well before its timeout.
   */
  @Test
  void drainCompletesAfterTheSessionMovedAndNothingIsLost(Vertx vertx, VertxTestContext ctx) {
    String clientId = "drain-move";
    int before = 5;
    int during = 5;
    long started = System.currentTimeMillis();
    WireClient.connect(vertx, a.port()).compose(c1 -> c1.autoAck(false).hello(clientId)
        .compose(w -> sendPushes(clientId, 1, before))
        .compose(x -> c1.take(before, "push"))
        .compose(x -> {
          Future<JsonObject> reconnect = c1.next("reconnect");
          Future<Void> drained = a.drain();
          return reconnect.compose(r -> sendPushes(clientId, before + 1, during))
              .compose(x2 -> c1.take(during, "push"))
              .compose(x2 -> c1.close())
              .compose(x2 -> WireClient.connect(vertx, b.port()))
              // The client acknowledged nothing: B replays everything after lastSeq 0.
              .compose(c2 -> c2.resume(c1.sessionId(), c1.resumeToken(), 0)
                  .compose(resumed -> c2.take(before + during, "push")))
              .compose(replayed -> drained.map(v -> replayed));
        }))
        .onComplete(ctx.succeeding(replayed -> ctx.verify(() -> {
          assertEquals(LongStream.rangeClosed(1, before + during).boxed().collect(Collectors.toList()),
              replayed.stream().map(p -> p.getLong("seq")).collect(Collectors.toList()));
          assertEquals(LongStream.rangeClosed(1, before + during).boxed().collect(Collectors.toList()),
              replayed.stream().map(p -> p.getJsonObject("body").getLong("i")).collect(Collectors.toList()));
          assertFalse(System.currentTimeMillis() - started > 20_000, "drained before its timeout");
          assertFalse(a.hazelcast().getLifecycleService().isRunning(), "A left the cluster");
          ctx.completeNow();
        })));
  }

  private Future<Void> sendPushes(String clientId, int from, int count) {
    Future<Void> chain = Future.succeededFuture();
    for (int i = from; i < from + count; i++) {
      JsonObject send = new JsonObject().put("clientId", clientId).put("body", new JsonObject().put("i", i));
      chain = chain.compose(x -> b.vertx().eventBus().request("gateway.send", send).mapEmpty());
    }
    return chain;
  }
}
