package io.tether.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.ClusterExtension;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Routing between two clustered nodes (docs/ARCHITECTURE.md "Routing"): the event bus hands {@code gateway.*}
 * messages to either node's bridge, so every operation must reach the node a session is attached to.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class CrossNodeRoutingTest {

  @RegisterExtension
  static final ClusterExtension CLUSTER = ClusterExtension.start(2, o -> o);
  @ClusterExtension.Node(0)
  private static GatewayNode a;
  @ClusterExtension.Node(1)
  private static GatewayNode b;

  /**
   * Verifies that sends from a backend on either node, whichever node's bridge the event bus picks, all reach a
   * client attached to one node, each once and in the order sent.
   */
  @Test
  void sendsFromEitherNodeReachTheClientInOrder(Vertx vertx, VertxTestContext ctx) {
    int count = 20;
    WireClient.connect(vertx, a.port()).compose(c -> c.hello("route-order").compose(w -> {
      Future<Object> chain = Future.succeededFuture();
      for (int i = 1; i <= count; i++) {
        GatewayNode from = i % 2 == 0 ? a : b;
        JsonObject send = new JsonObject().put("clientId", "route-order").put("body", new JsonObject().put("i", i));
        chain = chain.compose(x -> from.vertx().eventBus().request("gateway.send", send).map(m -> m.body()));
      }
      return chain.compose(x -> c.take(count, "push"));
    })).onComplete(ctx.succeeding(pushes -> ctx.verify(() -> {
      assertEquals(IntStream.rangeClosed(1, count).boxed().collect(Collectors.toList()),
          pushes.stream().map(p -> p.getJsonObject("body").getInteger("i")).collect(Collectors.toList()));
      ctx.completeNow();
    })));
  }

  /** Verifies that a server-initiated request sent from the other node's event bus is answered by the client. */
  @Test
  void serverRequestFromTheOtherNodeIsAnswered(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, a.port()).compose(c -> c.hello("route-ask").compose(w -> {
      c.next("request").onSuccess(req -> c.send(new JsonObject().put("type", "response").put("seq", c.nextSeq())
          .put("stream", req.getLong("stream")).put("ok", true).put("body", new JsonObject().put("yes", true))));
      return b.vertx().eventBus().request("gateway.request", new JsonObject().put("clientId", "route-ask")
          .put("address", "q").put("body", new JsonObject()).put("timeoutMs", 10_000)).map(m -> m.body());
    })).onComplete(ctx.succeeding(answer -> ctx.verify(() -> {
      assertEquals(new JsonObject().put("yes", true), answer);
      ctx.completeNow();
    })));
  }

  /** Verifies that a hello on one node ends the same client's session on the other with bye "replaced". */
  @Test
  void helloOnOneNodeReplacesTheSessionOnTheOther(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, a.port()).compose(old -> old.hello("route-replace")
        .compose(w -> WireClient.connect(vertx, b.port()))
        .compose(fresh -> fresh.hello("route-replace"))
        .compose(w -> old.next("bye"))
        .compose(bye -> old.closed().map(code -> List.of(bye, code))))
        .onComplete(ctx.succeeding(byeAndCode -> ctx.verify(() -> {
          assertEquals("replaced", ((JsonObject) byeAndCode.get(0)).getString("reason"));
          assertEquals((short) 1000, byeAndCode.get(1));
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that resuming on the other node while the first socket is still open makes the first node close that
   * socket at once (not at its next write), with 1008.
   */
  @Test
  void resumeOnTheOtherNodeClosesTheOldSocketAtOnce(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, a.port()).compose(old -> old.hello("route-takeover")
        .compose(w -> WireClient.connect(vertx, b.port()))
        .compose(fresh -> fresh.resume(old.sessionId(), old.resumeToken(), old.lastSeq()))
        .compose(resumed -> old.closed().map(code -> List.of(resumed, code))))
        .onComplete(ctx.succeeding(result -> ctx.verify(() -> {
          JsonObject resumed = (JsonObject) result.get(0);
          assertEquals("resumed", resumed.getString("type"));
          assertEquals(b.nodeId(), resumed.getString("node"));
          assertEquals((short) 1008, result.get(1));
          ctx.completeNow();
        })));
  }
  /**
   * Verifies takeover fencing against a slow old owner: node A never hears that the session moved (its fence message
   * is dropped), its half-open socket is still open, and after the resume on B a backend on A sends to the session.
   * A's stale write is refused by the store (old epoch), never reaches the old socket, and the frame is delivered on
   * the new connection instead, with the next seq.
   */
  @Test
  void oldOwnersLateWriteNeverReachesTheClientAfterTakeover(Vertx vertx, VertxTestContext ctx) {
    Handler<DeliveryContext<Object>> dropFences = dc -> {
      if (dc.message().body() instanceof JsonObject op && "fence".equals(op.getString("op"))) {
        return; // lost on the way: A keeps believing it owns the session
      }
      dc.next();
    };
    a.vertx().eventBus().addInboundInterceptor(dropFences);
    FaultyRelay.start(vertx, a.port()).compose(relay -> WireClient.connect(vertx, relay.port())
        .compose(old -> old.hello("route-late-write").compose(w -> {
          relay.blackhole(true); // half-open: A's socket stays up, nothing gets through
          return WireClient.connect(vertx, b.port());
        }).compose(fresh -> fresh.resume(old.sessionId(), old.resumeToken(), old.lastSeq()).compose(resumed -> {
          relay.blackhole(false); // whatever A writes from now on would reach the old client
          ctx.verify(() -> assertTrue(a.services().isAttachedHere(old.sessionId()),
              "A still holds the session it lost: its write will be a late one"));
          JsonObject late = new JsonObject().put("sessionId", old.sessionId())
              .put("body", new JsonObject().put("late", true));
          // A backend on A, talking to A's own bridge: A still holds the session object from before the takeover.
          return a.vertx().eventBus().<JsonObject>request("gateway.send", late,
              new DeliveryOptions().setLocalOnly(true));
        }).compose(reply -> fresh.next("push").map(push -> List.of(reply.body(), push)))
            .compose(result -> old.closed().map(code -> {
              ctx.verify(() -> {
                JsonObject push = (JsonObject) result.get(1);
                assertEquals(1L, ((JsonObject) result.get(0)).getLong("seq"), "the send was numbered by the new owner");
                assertEquals(1L, push.getLong("seq"));
                assertEquals(new JsonObject().put("late", true), push.getJsonObject("body"));
                assertEquals((short) 1008, code, "A dropped the old socket when its write was fenced");
                assertTrue(old.received().stream().noneMatch(f -> "push".equals(f.getString("type"))),
                    "the old socket never got the late frame: " + old.received());
              });
              return null;
            })))))
        .onComplete(ar -> {
          a.vertx().eventBus().removeInboundInterceptor(dropFences);
          ctx.succeedingThenComplete().handle(ar);
        });
  }
}
