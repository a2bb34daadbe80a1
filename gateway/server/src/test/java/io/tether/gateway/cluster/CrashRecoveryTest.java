package io.tether.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.store.ClusterStore;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A gateway node crashes (its Hazelcast member is terminated without leaving, its sockets die): the work it held is
 * finished elsewhere (docs/ARCHITECTURE.md "Crash recovery"). Each test has its own two-node cluster, node A being
 * the one that crashes.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class CrashRecoveryTest {

  /**
   * Backends co-located with node B talk to B's bridge. (Right after a crash the event bus still lists the dead
   * node's bridge for a while and may hand it a message, which then vanishes; sendRetrying shows a remote backend's
   * rule for that.)
   */
  private static final DeliveryOptions ON_B = new DeliveryOptions().setLocalOnly(true);

  private GatewayNode a;
  private GatewayNode b;

  @BeforeEach
  void startCluster(VertxTestContext ctx) {
    TestNodes.cluster(2, o -> o.setAllowedAddresses(List.of("test.*"))).onComplete(ctx.succeeding(nodes -> {
      a = nodes.get(0);
      b = nodes.get(1);
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stopCluster(VertxTestContext ctx) {
    TestNodes.stopAll(java.util.Arrays.asList(b)).onComplete(ctx.succeedingThenComplete());
  }

  /** Kills node A the way a crash does: the member vanishes without leaving, then its process (sockets) dies. */
  private Future<Void> crash(GatewayNode node) {
    node.hazelcast().getLifecycleService().terminate();
    return node.vertx().close().otherwiseEmpty();
  }

  /**
   * Verifies that whoever hears of a member's departure finds it gone from the live nodes already: a resume that checks
   * the live nodes after the departure was handled must not take the dead node for the live dispatcher of a pending
   * request (it would never be dispatched again).
   */
  @Test
  void aDepartureIsReportedOnlyAfterTheLiveNodesDroppedTheNode(VertxTestContext ctx) {
    ClusterStore store = new ClusterStore(b.vertx(), b.hazelcast());
    String dead = a.services().instance();
    ctx.verify(() -> assertTrue(store.liveNodes().contains(dead)));
    store.onNodeLeft(node -> ctx.verify(() -> {
      assertEquals(dead, node);
      assertFalse(store.liveNodes().contains(node), "live nodes when the departure is reported: " + store.liveNodes());
      ctx.completeNow();
    }));
    crash(a);
  }

  /**
   * Verifies that a client request which node A acknowledged but whose backend reply never came back (A crashed) is
   * dispatched again after the client resumes on node B: the backend sees the same gateway.requestId a second time
   * and only then, and the client gets exactly one response.
   */
  @Test
  void unansweredRequestOfACrashedNodeIsRedispatchedOnceWithTheSameRequestId(Vertx vertx, VertxTestContext ctx) {
    List<String> requestIds = new CopyOnWriteArrayList<>();
    Promise<Void> firstArrived = Promise.promise();
    // The backend runs on node B. It holds the first delivery unanswered (A dies meanwhile) and answers the second.
    b.vertx().eventBus().<JsonObject>consumer("test.work", m -> {
      requestIds.add(m.headers().get(GatewayApi.HEADER_REQUEST_ID));
      if (requestIds.size() == 1) {
        firstArrived.complete();
      } else {
        m.reply(new JsonObject().put("done", m.body().getInteger("job")));
      }
    });
    b.vertx().eventBus().<JsonObject>consumer("test.echo", m -> m.reply(m.body()));
    WireClient.connect(vertx, a.port()).compose(c1 -> c1.hello("crash-redispatch")
        .compose(w -> {
          Future<JsonObject> acked = c1.next("ack");
          return c1.send(new JsonObject().put("type", "request").put("seq", c1.nextSeq()).put("stream", 1)
              .put("address", "test.work").put("body", new JsonObject().put("job", 7))).compose(v -> acked);
        })
        .compose(ack -> firstArrived.future())
        .compose(v -> crash(a))
        .compose(v -> WireClient.connect(vertx, b.port()))
        .compose(c2 -> c2.resume(c1).compose(resumed -> {
          assertEquals("resumed", resumed.getString("type"), resumed.encode());
          assertEquals(1, resumed.getLong("lastSeq"), "the request was stored before A acknowledged it");
          return c2.nextMatching("the response on stream 1", f -> "response".equals(f.getString("type"))
              && f.getLong("stream") == 1);
        }).compose(response -> {
          // A second request through B, answered after anything a duplicate dispatch could have produced.
          Future<JsonObject> echoed = c2.nextMatching("the echo response", f -> "response".equals(f.getString("type"))
              && f.getLong("stream") == 3);
          return c2.send(new JsonObject().put("type", "request").put("seq", c2.nextSeq()).put("stream", 3)
              .put("address", "test.echo").put("body", new JsonObject())).compose(v -> echoed).map(e -> {
                ctx.verify(() -> {
                  assertTrue(response.getBoolean("ok"), response.encode());
                  assertEquals(new JsonObject().put("done", 7), response.getJsonObject("body"));
                  long responses = c2.received().stream().filter(f -> "response".equals(f.getString("type"))
                      && f.getLong("stream") == 1).count();
                  assertEquals(1, responses, "exactly one response to the request");
                });
                return null;
              });
        })))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertEquals(2, requestIds.size(), "dispatched by A, then once more after the crash: " + requestIds);
          assertEquals(requestIds.get(0), requestIds.get(1), "the same idempotency key both times");
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that the sessions of a crashed node are reported DETACHED (presence record and event) by the
   * survivors, and that a backend's send to such a session is buffered and replayed when the client resumes.
   */
  @Test
  void sessionsOfACrashedNodeBecomeDetachedAndBufferSends(Vertx vertx, VertxTestContext ctx) {
    String clientId = "crash-orphan";
    Promise<JsonObject> detachedEvent = Promise.promise();
    b.vertx().eventBus().<JsonObject>consumer(GatewayApi.PRESENCE_EVENTS, m -> {
      if (clientId.equals(m.body().getString("clientId")) && "DETACHED".equals(m.body().getString("state"))) {
        detachedEvent.tryComplete(m.body());
      }
    });
    WireClient.connect(vertx, a.port()).compose(c1 -> c1.hello(clientId)
        .compose(w -> crash(a))
        .compose(v -> detachedEvent.future())
        .compose(event -> b.services().presence(clientId))
        .compose(presence -> {
          ctx.verify(() -> assertEquals("DETACHED", presence.state(), "presence after the crash"));
          return b.vertx().eventBus().<JsonObject>request("gateway.send", new JsonObject().put("clientId", clientId)
              .put("body", new JsonObject().put("while", "detached")), ON_B);
        })
        .compose(reply -> WireClient.connect(vertx, b.port())
            .compose(c2 -> c2.resume(c1).compose(resumed -> c2.next("push")).map(push -> {
              ctx.verify(() -> {
                assertEquals(reply.body().getLong("seq"), push.getLong("seq"));
                assertEquals(new JsonObject().put("while", "detached"), push.getJsonObject("body"));
              });
              return null;
            }))))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * A backend's gateway.send by the documented rule (docs/ARCHITECTURE.md "Crash recovery"): a short timeout, and a
   * retry on timeout or 503. Right after a crash the event bus may still hand a message to the dead node's bridge,
   * where it vanishes.
   */
  private Future<Long> sendRetrying(JsonObject send, int attempts) {
    return b.vertx().eventBus().<JsonObject>request("gateway.send", send, new DeliveryOptions().setSendTimeout(2000))
        .map(m -> m.body().getLong("seq"))
        .recover(e -> attempts > 1 && e instanceof ReplyException re
            && (re.failureType() == ReplyFailure.TIMEOUT || re.failureCode() == 503)
            ? sendRetrying(send, attempts - 1) : Future.failedFuture(e));
  }

  /**
   * Verifies that a backend's sends to a client whose node crashed keep working: the first send that finds the
   * owner gone detaches the session itself (no need to wait for the cluster's own detection) and buffers.
   */
  @Test
  void sendToASessionWhoseNodeCrashedIsBuffered(Vertx vertx, VertxTestContext ctx) {
    String clientId = "crash-send";
    List<Long> seqs = new ArrayList<>();
    WireClient.connect(vertx, a.port()).compose(c1 -> c1.hello(clientId)
        .compose(w -> crash(a))
        .compose(v -> {
          Future<Void> chain = Future.succeededFuture();
          for (int i = 1; i <= 5; i++) {
            JsonObject send = new JsonObject().put("sessionId", c1.sessionId()).put("body", new JsonObject().put("i", i));
            chain = chain.compose(x -> sendRetrying(send, 5).map(seq -> seqs.add(seq)).mapEmpty());
          }
          return chain;
        })
        .compose(v -> WireClient.connect(vertx, b.port()))
        .compose(c2 -> c2.resume(c1).compose(resumed -> c2.take(5, "push"))))
        .onComplete(ctx.succeeding(pushes -> ctx.verify(() -> {
          assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs);
          for (int i = 0; i < 5; i++) {
            assertEquals(i + 1, pushes.get(i).getLong("seq"));
            assertEquals(i + 1, pushes.get(i).getJsonObject("body").getInteger("i"));
          }
          ctx.completeNow();
        })));
  }
  /**
   * Verifies that a subscription made on node A survives A's crash: after the client resumes on B, a change of the
   * topic is notified to it, with the version the publisher got.
   */
  @Test
  void subscriptionMadeOnACrashedNodeIsHonouredAfterResume(Vertx vertx, VertxTestContext ctx) {
    String topic = "crash/sub";
    WireClient.connect(vertx, a.port()).compose(c1 -> c1.hello("crash-subscribe")
        .compose(w -> {
          Future<JsonObject> acked = c1.next("ack");
          return c1.send(new JsonObject().put("type", "subscribe").put("seq", c1.nextSeq()).put("topic", topic)
              .put("version", 0)).compose(v -> acked);
        })
        .compose(ack -> crash(a))
        .compose(v -> WireClient.connect(vertx, b.port()))
        .compose(c2 -> c2.resume(c1).compose(resumed -> b.vertx().eventBus().<JsonObject>request("gateway.publish",
                new JsonObject().put("topic", topic).put("body", new JsonObject().put("after", "crash")), ON_B))
            .compose(reply -> c2.next("notify").map(notify -> {
              ctx.verify(() -> {
                assertEquals(reply.body().getLong("version"), notify.getLong("version"));
                assertEquals(topic, notify.getString("topic"));
                assertEquals(new JsonObject().put("after", "crash"), notify.getJsonObject("body"));
              });
              return null;
            }))))
        .onComplete(ctx.succeedingThenComplete());
  }
}
