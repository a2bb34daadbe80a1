package io.tether.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Heartbeat and presence (docs/PROTOCOL.md §4): a silent client goes SUSPECT and is pinged after 1.5 heartbeats,
 * is disconnected (1001) and DETACHED after 2; any client frame keeps or brings it back ONLINE; ping/pong; attrs.
 *
 * <p>Deadlines are the behaviour here, so elapsed times are measured from the {@code welcome} and checked against
 * generous bounds (the machine is shared).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class HeartbeatTest {

  private static final long HEARTBEAT_MS = 400;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setHeartbeatMs(HEARTBEAT_MS));
  private static GatewayNode node;


  // ---------------------------------------------------------------------------------------------------------

  /** Verifies that a client silent after its hello is reported SUSPECT after about 1.5 heartbeats. */
  @Test
  void silentClientBecomesSuspectAfterOneAndAHalfHeartbeats(Vertx vertx, VertxTestContext ctx) {
    String clientId = "hb-suspect";
    PresenceWatch watch = new PresenceWatch(clientId);
    Clock clock = new Clock();
    watch.start()
        .compose(v -> WireClient.connect(vertx, node.port()))
        .compose(c -> clock.hello(c, new JsonObject().put("type", "hello").put("clientId", clientId)))
        .compose(w -> watch.reached("SUSPECT"))
        .map(at -> {
          clock.assertBetween("SUSPECT", at, HEARTBEAT_MS * 13 / 10, HEARTBEAT_MS * 3);
          return null;
        })
        .compose(v -> presenceState(clientId))
        .map(state -> {
          // The presence record follows the transition (it may already have moved on to DETACHED).
          assertTrue(state.equals("SUSPECT") || state.equals("DETACHED"), "presence state: " + state);
          return null;
        })
        .eventually(watch::stop)
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that the server pings a silent client (with its ack position) after about 1.5 heartbeats. */
  @Test
  void silentClientReceivesServerPingAfterOneAndAHalfHeartbeats(Vertx vertx, VertxTestContext ctx) {
    Clock clock = new Clock();
    WireClient.connect(vertx, node.port())
        .compose(c -> clock.hello(c, new JsonObject().put("type", "hello").put("clientId", "hb-ping"))
            .compose(w -> c.next()))
        .map(frame -> {
          clock.assertBetween("server ping", System.nanoTime(), HEARTBEAT_MS * 13 / 10, HEARTBEAT_MS * 3);
          assertEquals("ping", frame.getString("type"), "first frame after welcome: " + frame.encode());
          assertEquals(0L, frame.getLong("ack"), "server ping carries its ack position");
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a silent client's socket is closed with 1001 after about 2 heartbeats. */
  @Test
  void silentClientIsDisconnectedWith1001AfterTwoHeartbeats(Vertx vertx, VertxTestContext ctx) {
    Clock clock = new Clock();
    WireClient.connect(vertx, node.port())
        .compose(c -> clock.hello(c, new JsonObject().put("type", "hello").put("clientId", "hb-close"))
            .compose(w -> c.closed()))
        .map(code -> {
          clock.assertBetween("close", System.nanoTime(), HEARTBEAT_MS * 18 / 10, HEARTBEAT_MS * 4);
          assertEquals(Short.valueOf((short) 1001), code, "close code");
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a silent client's session becomes DETACHED after about 2 heartbeats (and stays resumable). */
  @Test
  void silentClientBecomesDetachedAfterTwoHeartbeats(Vertx vertx, VertxTestContext ctx) {
    String clientId = "hb-detached";
    PresenceWatch watch = new PresenceWatch(clientId);
    Clock clock = new Clock();
    WireClient[] first = new WireClient[1];
    watch.start()
        .compose(v -> WireClient.connect(vertx, node.port()))
        .compose(c -> {
          first[0] = c;
          return clock.hello(c, new JsonObject().put("type", "hello").put("clientId", clientId));
        })
        .compose(w -> watch.reached("DETACHED"))
        .map(at -> {
          clock.assertBetween("DETACHED", at, HEARTBEAT_MS * 18 / 10, HEARTBEAT_MS * 4);
          assertEquals(List.of("ONLINE", "SUSPECT", "DETACHED"), watch.states(), "presence transitions");
          return null;
        })
        .compose(v -> first[0].closed())
        .compose(code -> WireClient.connect(vertx, node.port()))
        .compose(c -> c.resume(first[0]))
        .map(answer -> {
          assertEquals("resumed", answer.getString("type"), "a heartbeat-detached session is resumable: "
              + answer.encode());
          return null;
        })
        .eventually(watch::stop)
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that when a silent client sees its socket close, presence already says DETACHED: the server closes the
   * socket only once the store and the presence record have the detach (a backend asking right after the client saw
   * the close used to read SUSPECT).
   */
  @Test
  void presenceSaysDetachedByTheTimeTheSilentClientSeesTheClose(Vertx vertx, VertxTestContext ctx) {
    String clientId = "hb-close-presence";
    WireClient.connect(vertx, node.port())
        .compose(c -> c.hello(clientId).compose(w -> c.closed()))
        .compose(code -> presenceState(clientId))
        .onComplete(ctx.succeeding(state -> ctx.verify(() -> {
          assertEquals("DETACHED", state, "presence as soon as the close is seen");
          ctx.completeNow();
        })));
  }

  /** Verifies that a client sending a frame every half heartbeat stays ONLINE past 3 heartbeats. */
  @Test
  void clientSendingFramesStaysOnlinePastThreeHeartbeats(Vertx vertx, VertxTestContext ctx) {
    String clientId = "hb-active";
    PresenceWatch watch = new PresenceWatch(clientId);
    long[] timer = {-1};
    WireClient[] client = new WireClient[1];
    watch.start()
        .compose(v -> WireClient.connect(vertx, node.port()))
        .compose(c -> {
          client[0] = c;
          return c.hello(clientId);
        })
        .compose(w -> {
          long welcomeAt = System.nanoTime();
          timer[0] = vertx.setPeriodic(HEARTBEAT_MS / 2,
              id -> client[0].send(new JsonObject().put("type", "ping").put("ack", client[0].lastSeq())));
          // Staying connected past the deadline is the behaviour: wait it out, then check.
          return vertx.timer(HEARTBEAT_MS * 3 + HEARTBEAT_MS / 2).map(t -> welcomeAt);
        })
        .compose(welcomeAt -> {
          vertx.cancelTimer(timer[0]);
          assertTrue(millis(System.nanoTime() - welcomeAt) > HEARTBEAT_MS * 3);
          return presenceState(clientId);
        })
        .map(state -> {
          assertEquals("ONLINE", state, "presence after 3 heartbeats of activity");
          assertEquals(List.of("ONLINE"), watch.states(), "no SUSPECT or DETACHED transition while active");
          List<JsonObject> received = client[0].received();
          assertFalse(received.stream().anyMatch(f -> "ping".equals(f.getString("type"))),
              "the server never had to ping an active client: " + received);
          assertTrue(received.stream().anyMatch(f -> "pong".equals(f.getString("type"))),
              "the client's pings were answered");
          return null;
        })
        .compose(v -> client[0].unread())
        .map(unread -> {
          assertTrue(unread.stream().noneMatch(f -> "error".equals(f.getString("type"))), "errors: " + unread);
          return null;
        })
        .eventually(() -> {
          vertx.cancelTimer(timer[0]);
          return watch.stop();
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a frame from a SUSPECT client brings its session back to ONLINE (and keeps the socket). */
  @Test
  void clientFrameWhileSuspectBringsSessionBackOnline(Vertx vertx, VertxTestContext ctx) {
    String clientId = "hb-recover";
    PresenceWatch watch = new PresenceWatch(clientId);
    WireClient[] client = new WireClient[1];
    watch.start()
        .compose(v -> WireClient.connect(vertx, node.port()))
        .compose(c -> {
          client[0] = c;
          return c.hello(clientId);
        })
        // The server's ping is sent as the session turns SUSPECT; answering it is a client frame.
        .compose(w -> client[0].next("ping"))
        .compose(ping -> watch.reached("SUSPECT"))
        .compose(at -> client[0].send(new JsonObject().put("type", "pong").put("ack", client[0].lastSeq())))
        .compose(v -> watch.reachedAgain("ONLINE"))
        .map(at -> {
          assertEquals(List.of("ONLINE", "SUSPECT", "ONLINE"), watch.states().subList(0, 3), "transitions");
          return null;
        })
        // Still the same, usable session on the same socket.
        .compose(v -> {
          long seq = client[0].nextSeq();
          client[0].send(new JsonObject().put("type", "request").put("seq", seq).put("stream", 2 * seq - 1)
              .put("address", "demo.echo").put("body", new JsonObject().put("back", true)));
          return client[0].next("response");
        })
        .map(resp -> {
          assertEquals(true, resp.getBoolean("ok"), resp.encode());
          assertEquals(new JsonObject().put("back", true), resp.getJsonObject("body"));
          return null;
        })
        .eventually(watch::stop)
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that the server answers a client ping with a pong carrying its ack of the client's frames. */
  @Test
  void serverAnswersPingWithPongCarryingAck(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port())
        .compose(c -> c.hello("hb-pong").compose(w -> {
          // One reliable frame first, so that the ack has something to say.
          long seq = c.nextSeq();
          c.send(new JsonObject().put("type", "request").put("seq", seq).put("stream", 1)
              .put("address", "demo.echo").put("body", new JsonObject()));
          return c.next("response");
        }).compose(resp -> {
          c.ack(resp.getLong("seq"));
          c.send(new JsonObject().put("type", "ping").put("ack", resp.getLong("seq")));
          return c.next("pong");
        }))
        .map(pong -> {
          assertEquals(1L, pong.getLong("ack"), "pong acks the client's frame 1: " + pong.encode());
          assertNull(pong.getValue("seq"), "pong is not a reliable frame");
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that the attrs of a client ping replace the attrs of its presence record. */
  @Test
  void pingAttrsReplacePresenceAttrs(Vertx vertx, VertxTestContext ctx) {
    String clientId = "hb-attrs";
    JsonObject helloAttrs = new JsonObject().put("app", "1.2").put("net", "wifi");
    JsonObject pingAttrs = new JsonObject().put("net", "lte").put("battery", 40);
    WireClient[] client = new WireClient[1];
    WireClient.connect(vertx, node.port())
        .compose(c -> {
          client[0] = c;
          return c.hello(new JsonObject().put("type", "hello").put("clientId", clientId).put("attrs", helloAttrs));
        })
        .compose(w -> presence(clientId))
        .map(record -> {
          assertEquals(helloAttrs, record.getJsonObject("attrs"), "attrs from hello: " + record.encode());
          return null;
        })
        .compose(v -> {
          client[0].send(new JsonObject().put("type", "ping").put("ack", 0).put("attrs", pingAttrs));
          return client[0].next("pong");
        })
        .compose(pong -> presence(clientId))
        .map(record -> {
          assertEquals(pingAttrs, record.getJsonObject("attrs"), "attrs replaced by the ping's: " + record.encode());
          assertEquals("ONLINE", record.getString("state"));
          assertEquals(client[0].sessionId(), record.getString("sessionId"));
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /**
   * Times a deadline from the handshake. The server starts its heartbeat clock while handling the hello, i.e. after
   * the hello was sent and before the welcome arrives; so a lower bound is checked against the time elapsed since
   * the hello was sent and an upper bound against the time since the welcome arrived. Neither can then fail because
   * of a slow handshake on a busy machine.
   */
  private static final class Clock {
    private long helloSentAt;
    private long welcomeAt;

    Future<JsonObject> hello(WireClient c, JsonObject hello) {
      helloSentAt = System.nanoTime();
      return c.hello(hello).map(w -> {
        welcomeAt = System.nanoTime();
        return w;
      });
    }

    void assertBetween(String what, long atNanos, long minMs, long maxMs) {
      long sinceHello = millis(atNanos - helloSentAt);
      long sinceWelcome = millis(atNanos - welcomeAt);
      assertTrue(sinceHello >= minMs && sinceWelcome <= maxMs,
          what + " " + sinceHello + " ms after the hello was sent, " + sinceWelcome + " ms after the welcome; expected"
              + " between " + minMs + " and " + maxMs + " ms (heartbeat " + HEARTBEAT_MS + " ms)");
    }
  }

  private static Future<JsonObject> presence(String clientId) {
    return node.vertx().eventBus().<JsonObject>request("gateway.presence", new JsonObject().put("clientId", clientId))
        .map(Message::body);
  }

  private static Future<String> presenceState(String clientId) {
    return presence(clientId).map(r -> r.getString("state"));
  }

  /**
   * Watches {@code gateway.presence.events} for one client (registered before the client's hello), recording each
   * state with the time it was observed.
   */
  private static final class PresenceWatch {
    private final String clientId;
    private final List<String> states = new ArrayList<>();
    private final List<Long> times = new ArrayList<>();
    private final Map<String, Promise<Long>> waiting = new ConcurrentHashMap<>();
    private MessageConsumer<JsonObject> consumer;

    PresenceWatch(String clientId) {
      this.clientId = clientId;
    }

    Future<Void> start() {
      consumer = node.vertx().eventBus().consumer("gateway.presence.events", this::onEvent);
      return consumer.completion();
    }

    Future<Void> stop() {
      return consumer == null ? Future.succeededFuture() : consumer.unregister();
    }

    private synchronized void onEvent(Message<JsonObject> m) {
      JsonObject e = m.body();
      if (!clientId.equals(e.getString("clientId"))) {
        return;
      }
      long now = System.nanoTime();
      states.add(e.getString("state"));
      times.add(now);
      Promise<Long> p = waiting.remove(e.getString("state") + "#" + count(e.getString("state")));
      if (p != null) {
        p.tryComplete(now);
      }
    }

    private int count(String state) {
      return (int) states.stream().filter(state::equals).count();
    }

    synchronized List<String> states() {
      return List.copyOf(states);
    }

    /** Completes with the time the first event with {@code state} was observed. */
    Future<Long> reached(String state) {
      return nth(state, 1);
    }

    /** Completes with the time the second event with {@code state} was observed. */
    Future<Long> reachedAgain(String state) {
      return nth(state, 2);
    }

    private synchronized Future<Long> nth(String state, int n) {
      int seen = 0;
      for (int i = 0; i < states.size(); i++) {
        if (states.get(i).equals(state) && ++seen == n) {
          return Future.succeededFuture(times.get(i));
        }
      }
      return waiting.computeIfAbsent(state + "#" + n, k -> Promise.promise()).future();
    }
  }
}
