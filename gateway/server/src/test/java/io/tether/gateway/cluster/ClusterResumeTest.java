package io.tether.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.ClusterExtension;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Resume on another node of the cluster (docs/PROTOCOL.md §2 "Resume after any disconnect, on any node", §8): a
 * session created on node A, cut at the TCP level while A stays up, fed while detached, and resumed on node B.
 *
 * <p>Two clustered nodes run in-process, each with its own Hazelcast member and clustered Vert.x. Backends are
 * simulated with each node's own event bus. {@code gateway.send} is sent with {@code localOnly} so that it is
 * handled by the bridge of the node named in the test: with a plain send the clustered event bus picks either
 * node's bridge, which would make the cross-node cases random.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ClusterResumeTest {

  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  @RegisterExtension
  static final ClusterExtension CLUSTER = ClusterExtension.start(2, o -> o);
  @ClusterExtension.Node(0)
  private static GatewayNode nodeA;
  @ClusterExtension.Node(1)
  private static GatewayNode nodeB;

  private final List<FaultyRelay> relays = new CopyOnWriteArrayList<>();
  private final List<WireClient> clients = new CopyOnWriteArrayList<>();

  @AfterEach
  void cleanUp(VertxTestContext ctx) {
    List<Future<Void>> all = new ArrayList<>();
    clients.forEach(c -> all.add(c.close().recover(t -> Future.succeededFuture())));
    relays.forEach(r -> all.add(r.stop().recover(t -> Future.succeededFuture())));
    Future.join(all).onComplete(ar -> ctx.completeNow());
  }

  // ---------------------------------------------------------------------------------------------------------
  // helpers

  /** A session that was created on node A through a relay, whose socket was then cut. */
  private record Cut(WireClient first, String sessionId, String token) {
  }

  private Future<WireClient> connect(Vertx vertx, int port) {
    return WireClient.connect(vertx, port).onSuccess(clients::add);
  }

  /** Says hello on node A through a new relay; completes with the client and the relay. */
  private Future<WireClient> helloOnA(Vertx vertx, String clientId, FaultyRelay[] relayOut) {
    return FaultyRelay.start(vertx, nodeA.port()).compose(relay -> {
      relays.add(relay);
      relayOut[0] = relay;
      return connect(vertx, relay.port());
    }).compose(c -> c.hello(clientId).map(welcome -> {
      assertEquals(nodeA.nodeId(), welcome.getString("node"), "the session starts on node A");
      return c;
    }));
  }

  /**
   * Cuts the relay (no close frame reaches A) and completes once A has detached the session: A published
   * DETACHED and let go of it (its state is in the cluster store, so another node may now take it over).
   */
  private Future<Cut> cut(Vertx vertx, WireClient c, FaultyRelay relay) {
    String sessionId = c.sessionId();
    Promise<Void> detached = Promise.promise();
    MessageConsumer<JsonObject> consumer = nodeA.vertx().eventBus().consumer("gateway.presence.events", m -> {
      if (sessionId.equals(m.body().getString("sessionId")) && "DETACHED".equals(m.body().getString("state"))) {
        detached.tryComplete();
      }
    });
    return consumer.completion()
        .compose(v -> relay.dropAll())
        .compose(v -> detached.future())
        .eventually(consumer::unregister)
        .map(v -> new Cut(c, sessionId, c.resumeToken()));
  }

  /** A session created on A, cut, and resumed on B with everything received; completes with the client on B. */
  private Future<WireClient> movedToB(Vertx vertx, String clientId) {
    FaultyRelay[] relay = new FaultyRelay[1];
    return helloOnA(vertx, clientId, relay)
        .compose(c1 -> cut(vertx, c1, relay[0]))
        .compose(cut -> connect(vertx, nodeB.port())
            .compose(c2 -> c2.resume(cut.first()).map(resumed -> {
              assertEquals("resumed", resumed.getString("type"), resumed.encode());
              assertEquals(nodeB.nodeId(), resumed.getString("node"));
              return c2;
            })));
  }

  /** {@code gateway.send} handled by the bridge of {@code via}; completes with the reply's seq. */
  private static Future<Long> send(GatewayNode via, JsonObject message) {
    return via.vertx().eventBus().<JsonObject>request("gateway.send", message, LOCAL)
        .map(reply -> reply.body().getLong("seq"));
  }

  private static JsonArray bodies(int from, int to) {
    JsonArray a = new JsonArray();
    IntStream.rangeClosed(from, to).forEach(n -> a.add(new JsonObject().put("n", n)));
    return a;
  }

  /** Ping, then wait for the pong: every frame the server sent before answering has arrived by then. */
  private static Future<JsonObject> roundTrip(WireClient c) {
    Future<JsonObject> pong = c.next("pong");
    return c.send(new JsonObject().put("type", "ping")).compose(v -> pong);
  }

  private static List<Long> seqs(List<JsonObject> frames) {
    return frames.stream().map(f -> f.getLong("seq")).collect(Collectors.toList());
  }

  private static List<Integer> ns(List<JsonObject> frames) {
    return frames.stream().map(f -> f.getJsonObject("body").getInteger("n")).collect(Collectors.toList());
  }

  // ---------------------------------------------------------------------------------------------------------

  /**
   * Verifies that a session created on A, cut while A stays up, and fed from B while detached, is resumed on B:
   * {@code resumed} comes from B, and the replay is exactly the frames after the client's lastSeq — including those
   * sent while detached — in order, each once.
   */
  @Test
  void resumeOnOtherNodeReplaysEverythingAfterLastSeqIncludingFramesSentWhileDetached(Vertx vertx,
      VertxTestContext ctx) {
    String clientId = "cr-replay";
    FaultyRelay[] relay = new FaultyRelay[1];
    helloOnA(vertx, clientId, relay)
        .compose(c1 -> send(nodeA, new JsonObject().put("clientId", clientId).put("bodies", bodies(1, 10)))
            .compose(seq -> {
              assertEquals(10L, seq);
              return c1.take(10, "push");
            })
            .compose(pushes -> {
              assertEquals(LongStream.rangeClosed(1, 10).boxed().toList(), seqs(pushes));
              return c1.ack(4); // acked partially: 5..10 stay buffered
            })
            .compose(v -> cut(vertx, c1, relay[0])))
        .compose(cut -> send(nodeB, new JsonObject().put("sessionId", cut.sessionId()).put("bodies", bodies(11, 15)))
            .compose(seq -> {
              assertEquals(15L, seq, "the detached session's buffer numbers them after 10");
              return connect(vertx, nodeB.port());
            })
            // The client claims up to 7 (say it persisted only that far): 8..15 must come back.
            .compose(c2 -> c2.resume(cut.sessionId(), cut.token(), 7).compose(resumed -> {
              assertEquals("resumed", resumed.getString("type"), resumed.encode());
              assertEquals(nodeB.nodeId(), resumed.getString("node"), "resumed by node B");
              assertEquals(cut.sessionId(), resumed.getString("sessionId"));
              assertNotEquals(cut.token(), resumed.getString("resumeToken"), "the token rotates");
              assertEquals(0L, resumed.getLong("lastSeq"), "the client sent no reliable frame");
              return c2.take(8, "push");
            }).compose(replay -> {
              assertEquals(LongStream.rangeClosed(8, 15).boxed().toList(), seqs(replay), "original seqs, in order");
              assertEquals(IntStream.rangeClosed(8, 15).boxed().toList(), ns(replay));
              return roundTrip(c2).map(pong -> c2);
            })))
        .onComplete(ctx.succeeding(c2 -> ctx.verify(() -> {
          long pushes = c2.received().stream().filter(f -> "push".equals(f.getString("type"))).count();
          assertEquals(8, pushes, "each frame once: " + c2);
          ctx.completeNow();
        })));
  }

  /** Verifies that after resuming on B, a client request is forwarded and answered over B's socket. */
  @Test
  void requestAfterResumeOnOtherNodeIsAnswered(Vertx vertx, VertxTestContext ctx) {
    JsonObject body = new JsonObject().put("after", "move");
    movedToB(vertx, "cr-request").compose(c2 -> {
      Future<JsonObject> response = c2.next("response");
      return c2.send(new JsonObject().put("type", "request").put("seq", c2.nextSeq()).put("stream", 1)
          .put("address", "demo.echo").put("body", body)).compose(v -> response);
    }).onComplete(ctx.succeeding(response -> ctx.verify(() -> {
      assertEquals(1L, response.getLong("stream"));
      assertEquals(true, response.getBoolean("ok"), response.encode());
      assertEquals(body, response.getJsonObject("body"));
      ctx.completeNow();
    })));
  }

  /** Verifies that after resuming on B, a push sent by clientId from B's event bus is delivered. */
  @Test
  void pushFromTheNewNodeIsDeliveredAfterResume(Vertx vertx, VertxTestContext ctx) {
    String clientId = "cr-push-b";
    movedToB(vertx, clientId).compose(c2 -> {
      Future<JsonObject> push = c2.next("push");
      return send(nodeB, new JsonObject().put("clientId", clientId).put("body", new JsonObject().put("from", "B")))
          .compose(seq -> push.map(p -> {
            assertEquals(seq, p.getLong("seq"));
            return p;
          }));
    }).onComplete(ctx.succeeding(push -> ctx.verify(() -> {
      assertEquals(new JsonObject().put("from", "B"), push.getJsonObject("body"));
      ctx.completeNow();
    })));
  }

  /**
   * Verifies that a backend on node A can still reach the client by clientId after the session moved to node B:
   * {@code gateway.send} handled by A's bridge succeeds and the push arrives over B's socket (cross-node routing).
   */
  @Test
  void sendFromTheOldNodeReachesTheSessionAttachedToTheNewNode(Vertx vertx, VertxTestContext ctx) {
    String clientId = "cr-push-a";
    movedToB(vertx, clientId).compose(c2 -> {
      Future<JsonObject> push = c2.next("push");
      return send(nodeA, new JsonObject().put("clientId", clientId).put("body", new JsonObject().put("from", "A")))
          .compose(seq -> push.map(p -> {
            assertEquals(seq, p.getLong("seq"));
            return p;
          }));
    }).onComplete(ctx.succeeding(push -> ctx.verify(() -> {
      assertEquals(new JsonObject().put("from", "A"), push.getJsonObject("body"));
      ctx.completeNow();
    })));
  }

  /** Verifies that presence asked on node A reports the resumed session ONLINE on node B. */
  @Test
  void presenceOnTheOldNodeReportsOnlineOnTheNewNode(Vertx vertx, VertxTestContext ctx) {
    String clientId = "cr-presence";
    Promise<Void> onlineOnB = Promise.promise();
    MessageConsumer<JsonObject> events = nodeA.vertx().eventBus().consumer("gateway.presence.events", m -> {
      JsonObject e = m.body();
      if (clientId.equals(e.getString("clientId")) && "ONLINE".equals(e.getString("state"))
          && nodeB.nodeId().equals(e.getString("node"))) {
        onlineOnB.tryComplete();
      }
    });
    events.completion()
        .compose(v -> movedToB(vertx, clientId))
        .compose(c2 -> onlineOnB.future()
            .compose(v -> nodeA.vertx().eventBus().<JsonObject>request("gateway.presence",
                new JsonObject().put("clientId", clientId), LOCAL))
            .map(reply -> {
              JsonObject p = reply.body();
              assertEquals("ONLINE", p.getString("state"), p.encode());
              assertEquals(nodeB.nodeId(), p.getString("node"), p.encode());
              assertEquals(c2.sessionId(), p.getString("sessionId"));
              assertEquals(clientId, p.getString("clientId"));
              return p;
            }))
        .eventually(events::unregister)
        .onComplete(ctx.succeedingThenComplete());
  }
}
