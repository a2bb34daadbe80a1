package io.tether.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.testing.ClusterExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Topics across two clustered nodes (docs/PROTOCOL.md §6): versions, fan-out, coalescing while detached. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class ClusterTopicsTest {

  @RegisterExtension
  static final ClusterExtension CLUSTER = ClusterExtension.start(2, o -> o);
  @ClusterExtension.Node(0)
  private static GatewayNode a;
  @ClusterExtension.Node(1)
  private static GatewayNode b;

  private static Future<JsonObject> subscribe(WireClient c, String topic, long version) {
    Future<JsonObject> acked = c.next("ack");
    return c.send(new JsonObject().put("type", "subscribe").put("seq", c.nextSeq()).put("topic", topic)
        .put("version", version)).compose(v -> acked);
  }

  private static Future<Long> publish(GatewayNode via, String topic, Object body) {
    return via.vertx().eventBus().<JsonObject>request("gateway.publish",
        new JsonObject().put("topic", topic).put("body", body)).map(m -> m.body().getLong("version"));
  }

  /**
   * Verifies that 4 publishers, two on each node, publishing 1000 updates each to one topic get unique versions,
   * increasing for each publisher, and that subscribers on both nodes see versions only go up and end on the last.
   */
  @Test
  void concurrentPublishersOnTwoNodesGetUniqueIncreasingVersions(Vertx vertx, VertxTestContext ctx) {
    String topic = "race/one";
    int perPublisher = 1000;
    List<List<Long>> versions = new ArrayList<>();
    Future<WireClient> onA = WireClient.connect(vertx, a.port())
        .compose(c -> c.autoAck(true).hello("topics-race-a").map(c));
    Future<WireClient> onB = WireClient.connect(vertx, b.port())
        .compose(c -> c.autoAck(true).hello("topics-race-b").map(c));
    Future.all(onA, onB).compose(x -> subscribe(onA.result(), topic, 0))
        .compose(x -> subscribe(onB.result(), topic, 0))
        .compose(x -> {
          List<Future<Void>> publishers = new ArrayList<>();
          for (int p = 0; p < 4; p++) {
            GatewayNode via = p % 2 == 0 ? a : b;
            List<Long> mine = new CopyOnWriteArrayList<>();
            versions.add(mine);
            Future<Void> chain = Future.succeededFuture();
            for (int i = 1; i <= perPublisher; i++) {
              JsonObject body = new JsonObject().put("publisher", p).put("i", i);
              chain = chain.compose(v -> publish(via, topic, body).map(mine::add).mapEmpty());
            }
            publishers.add(chain);
          }
          return Future.all(publishers);
        })
        .compose(x -> {
          long last = versions.stream().flatMap(List::stream).mapToLong(Long::longValue).max().orElseThrow();
          return Future.all(lastNotify(onA.result(), last), lastNotify(onB.result(), last)).map(last);
        })
        .onComplete(ctx.succeeding(last -> ctx.verify(() -> {
          Set<Long> all = new HashSet<>();
          for (List<Long> mine : versions) {
            assertEquals(perPublisher, mine.size());
            for (int i = 1; i < mine.size(); i++) {
              assertTrue(mine.get(i) > mine.get(i - 1), "versions increase for one publisher");
            }
            all.addAll(mine);
          }
          assertEquals(4 * perPublisher, all.size(), "no two publishes got the same version");
          for (WireClient c : List.of(onA.result(), onB.result())) {
            List<Long> seen = c.received().stream().filter(f -> "notify".equals(f.getString("type")))
                .map(f -> f.getLong("version")).toList();
            for (int i = 1; i < seen.size(); i++) {
              assertTrue(seen.get(i) > seen.get(i - 1), "a subscriber never sees a version go backwards: " + seen);
            }
            assertEquals(last, seen.get(seen.size() - 1), "every subscriber ends on the final version");
          }
          ctx.completeNow();
        })));
  }

  private static Future<JsonObject> lastNotify(WireClient c, long version) {
    return c.nextMatching("the notify of version " + version, f -> "notify".equals(f.getString("type"))
        && f.getLong("version") == version);
  }

  /**
   * Verifies that a client detached while its topic changes 100 times gets exactly one notify for it when it
   * resumes, carrying the latest version and value.
   */
  @Test
  void detachedClientGetsOneNotifyWithTheLatestVersionOnResume(Vertx vertx, VertxTestContext ctx) {
    String topic = "coalesce/one";
    Promise<Void> detached = Promise.promise();
    a.vertx().eventBus().<JsonObject>consumer(GatewayApi.PRESENCE_EVENTS, m -> {
      if ("topics-coalesce".equals(m.body().getString("clientId")) && "DETACHED".equals(m.body().getString("state"))) {
        detached.tryComplete();
      }
    });
    List<Long> published = new ArrayList<>();
    WireClient.connect(vertx, a.port()).compose(c1 -> c1.hello("topics-coalesce")
        .compose(w -> subscribe(c1, topic, 0))
        .compose(x -> c1.close())
        .compose(x -> detached.future())
        .compose(x -> {
          Future<Void> chain = Future.succeededFuture();
          for (int i = 1; i <= 100; i++) {
            int n = i;
            chain = chain.compose(v -> publish(n % 2 == 0 ? a : b, topic, new JsonObject().put("n", n))
                .map(published::add).mapEmpty());
          }
          return chain;
        })
        .compose(x -> WireClient.connect(vertx, b.port()))
        .compose(c2 -> c2.resume(c1).compose(resumed -> c2.next("notify")).compose(notify -> {
          // A round trip after the notify: anything else queued for the client would have arrived before the pong.
          Future<JsonObject> pong = c2.next("pong");
          return c2.send(new JsonObject().put("type", "ping")).compose(v -> pong).map(p -> {
            ctx.verify(() -> {
              assertEquals(published.get(99), notify.getLong("version"));
              assertEquals(new JsonObject().put("n", 100), notify.getJsonObject("body"));
              assertEquals(1, c2.received().stream().filter(f -> "notify".equals(f.getString("type"))).count(),
                  "one notify for the topic, not one per change: " + c2.received());
            });
            return null;
          });
        })))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a publish reaches only the nodes with subscribers to the topic: with a subscriber on A alone, node
   * B's event bus receives no message for the topic, and A delivers the change.
   */
  @Test
  void publishReachesOnlyNodesWithSubscribers(Vertx vertx, VertxTestContext ctx) {
    String topic = "fanout/only-a";
    AtomicInteger toB = new AtomicInteger();
    Handler<DeliveryContext<Object>> count = dc -> {
      if (dc.message().body() instanceof JsonObject change && topic.equals(change.getString("topic"))
          && change.containsKey("version")) { // a change notice, not the publish request itself
        toB.incrementAndGet();
      }
      dc.next();
    };
    b.vertx().eventBus().addInboundInterceptor(count);
    WireClient.connect(vertx, a.port()).compose(c -> c.hello("topics-fanout")
        .compose(w -> subscribe(c, topic, 0))
        .compose(x -> publish(b, topic, new JsonObject().put("x", 1)))
        .compose(version -> c.next("notify").map(n -> {
          ctx.verify(() -> {
            assertEquals(version, n.getLong("version"));
            assertEquals(0, toB.get(), "node B, with no subscriber, got no message for the topic");
          });
          return null;
        })))
        .eventually(() -> {
          b.vertx().eventBus().removeInboundInterceptor(count);
          return Future.succeededFuture();
        })
        .onComplete(ctx.succeedingThenComplete());
  }
}
