package io.tether.gateway.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The node-wide budget of unacknowledged server bytes (nodeBufferMaxBytes, docs/PROTOCOL.md §12): sends beyond it are
 * refused retryably, nothing accepted is lost, and the counter is given back on ack, end and detach. Every test ends
 * its sessions, so each starts with the counter at 0.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class NodeBufferTest {

  private static final long SESSION_BYTES = 8_192;
  private static final long NODE_BYTES = 16_384;
  private static final String PAD = "x".repeat(900);

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setMaxFrameBytes(4_096).setBufferMaxBytes(SESSION_BYTES)
      .setNodeBufferMaxBytes(NODE_BYTES));
  private static GatewayNode node;

  private static long buffered() {
    return node.services().nodeBuffer().bytes();
  }

  /** One gateway.send of a ~1 KB push: its seq, or the failure the backend sees. */
  private static Future<Long> send(String clientId, int n) {
    JsonObject msg = new JsonObject().put("clientId", clientId).put("body", new JsonObject().put("n", n).put("pad", PAD));
    return node.vertx().eventBus().<JsonObject>request("gateway.send", msg).map(m -> m.body().getLong("seq"));
  }

  private static boolean nodeFull(Throwable t) {
    return BackendFailure.of(t) == BackendFailure.BUFFER_FULL && BackendFailure.of(t).retryable()
        && t.getMessage().contains("node is full");
  }

  private static Future<List<WireClient>> connect(Vertx vertx, String prefix, int n) {
    List<Future<WireClient>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = prefix + i;
      all.add(WireClient.connect(vertx, node.port()).compose(c -> c.hello(id).map(w -> c)));
    }
    return Future.all(all).map(f -> f.list());
  }

  /** Acks everything received (a ping with its ack, answered once the server applied it). */
  private static Future<Void> ackAll(List<WireClient> clients) {
    List<Future<JsonObject>> pongs = new ArrayList<>();
    for (WireClient c : clients) {
      Future<JsonObject> pong = c.next("pong");
      pongs.add(c.send(new JsonObject().put("type", "ping").put("ack", c.lastSeq())).compose(v -> pong));
    }
    return Future.all(pongs).mapEmpty();
  }

  /** Ends each session with bye; the socket closes after the node has let go of the session. */
  private static Future<Void> byeAll(List<WireClient> clients) {
    List<Future<Short>> closed = new ArrayList<>();
    for (WireClient c : clients) {
      closed.add(c.send(new JsonObject().put("type", "bye")).compose(v -> c.closed()));
    }
    return Future.all(closed).mapEmpty();
  }

  /**
   * The budget test: with sessions that never ack, the node's buffered bytes never exceed the budget, sends beyond it
   * are refused as retryable 409 overflow ("the node is full"), every accepted push arrives in order with no gap, the
   * counter is back at 0 once the clients ack, and a refused send succeeds when retried then.
   */
  @Test
  void sendsBeyondTheNodeBudgetAreRefusedRetryablyAndNothingAcceptedIsLost(Vertx vertx, VertxTestContext ctx) {
    int clients = 4;
    int rounds = 8;
    AtomicLong maxSeen = new AtomicLong();
    List<List<Integer>> accepted = new ArrayList<>();
    List<Integer> refusedNodeFull = new ArrayList<>();
    List<Throwable> otherFailures = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      accepted.add(new ArrayList<>());
    }
    connect(vertx, "budget-", clients).compose(cs -> {
      Future<Void> chain = Future.succeededFuture();
      for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < clients; i++) {
          int client = i;
          int n = r * clients + i;
          chain = chain.compose(v -> send("budget-" + client, n).transform(ar -> {
            if (ar.succeeded()) {
              accepted.get(client).add(n);
            } else if (nodeFull(ar.cause())) {
              refusedNodeFull.add(n);
            } else {
              otherFailures.add(ar.cause());
            }
            maxSeen.accumulateAndGet(buffered(), Math::max);
            return Future.succeededFuture();
          }));
        }
      }
      return chain.compose(v -> {
        List<Future<List<JsonObject>>> arrived = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
          arrived.add(cs.get(i).take(accepted.get(i).size(), "push"));
        }
        return Future.all(arrived).map(f -> {
          ctx.verify(() -> {
            assertTrue(otherFailures.isEmpty(), "only node-full refusals: " + otherFailures);
            assertFalse(refusedNodeFull.isEmpty(), "the budget refused sends");
            assertTrue(maxSeen.get() <= NODE_BYTES, "never over the budget: " + maxSeen.get());
            for (int i = 0; i < clients; i++) {
              List<JsonObject> pushes = f.resultAt(i);
              for (int k = 0; k < pushes.size(); k++) {
                assertEquals(k + 1, pushes.get(k).getLong("seq"), "no gap");
                assertEquals(accepted.get(i).get(k), pushes.get(k).getJsonObject("body").getInteger("n"));
              }
            }
          });
          return cs;
        });
      });
    }).compose(cs -> ackAll(cs).compose(v -> {
      ctx.verify(() -> assertEquals(0, buffered(), "all acked: nothing held"));
      // Retried once the clients caught up, a refused send goes through.
      return send("budget-0", refusedNodeFull.get(0));
    }).compose(seq -> cs.get(0).take(1, "push").compose(p -> {
      ctx.verify(() -> assertEquals(refusedNodeFull.get(0), p.get(0).getJsonObject("body").getInteger("n")));
      return byeAll(cs);
    }))).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that what sessions hold unacknowledged goes back to the budget when one says bye and one detaches. */
  @Test
  void theCounterReturnsToZeroWhenSessionsEndOrDetachWithoutAcking(Vertx vertx, VertxTestContext ctx) {
    Promise<Void> detached = Promise.promise();
    MessageConsumer<JsonObject> events = node.vertx().eventBus().consumer("gateway.presence.events", m -> {
      if ("zero-1".equals(m.body().getString("clientId")) && "DETACHED".equals(m.body().getString("state"))) {
        detached.tryComplete();
      }
    });
    events.completion().compose(v -> connect(vertx, "zero-", 2)).compose(cs -> {
      Future<Object> chain = Future.succeededFuture();
      for (int n = 0; n < 6; n++) {
        int k = n;
        chain = chain.compose(v -> send("zero-" + (k % 2), k).map(s -> (Object) s));
      }
      return chain.compose(v -> Future.all(cs.get(0).take(3, "push"), cs.get(1).take(3, "push"))).compose(v -> {
        ctx.verify(() -> assertTrue(buffered() > 0, "unacked bytes held"));
        return byeAll(List.of(cs.get(0)));
      }).compose(v -> cs.get(1).close()).compose(v -> detached.future());
    }).onComplete(ar -> events.unregister()).map(v -> {
      ctx.verify(() -> assertEquals(0, buffered(), "nothing leaked"));
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that the answer to an accepted request is delivered even while the node is full: answers are charged to
   * the budget but never refused by it.
   */
  @Test
  void anAcceptedRequestIsAnsweredWhileTheNodeIsFull(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, "full-", 4).compose(cs -> fill(0).compose(v -> {
      WireClient asker = cs.get(3);
      Future<JsonObject> response = asker.next("response");
      long seq = asker.nextSeq();
      return asker.send(new JsonObject().put("type", "request").put("seq", seq).put("stream", 1)
          .put("address", "demo.echo").put("body", new JsonObject().put("q", 1))).compose(sent -> response);
    }).map(r -> {
      ctx.verify(() -> {
        assertTrue(r.getBoolean("ok"), "answered: " + r);
        assertEquals(new JsonObject().put("q", 1), r.getJsonObject("body"));
      });
      return cs;
    })).compose(NodeBufferTest::byeAll).onComplete(ctx.succeedingThenComplete());
  }

  /** Sends to clients full-0..full-2 in turn until the node refuses a send for being full. */
  private static Future<Void> fill(int n) {
    return send("full-" + (n % 3), n).transform(ar -> {
      if (ar.failed() && nodeFull(ar.cause())) {
        return Future.succeededFuture();
      }
      if (n > 100) {
        return Future.failedFuture(new AssertionError("the node never filled up: " + buffered()));
      }
      return fill(n + 1);
    });
  }
}
