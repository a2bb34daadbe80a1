package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.NodeExtension;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Breaks longer than the resume window, against a real node whose window is short (1.5 s): the client's resume
 * fails, it starts a new session (RESYNCED), and what it keeps for the application is current again.
 *
 * <p>The client is kept away (relay dropped and blackholed) until the node has expired the session, which the test
 * learns from the node's {@code gateway.presence.events}, not from a sleep.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class OfflineResyncTest {

  private static final long RESUME_WINDOW_MS = 1500;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setResumeWindowMs(RESUME_WINDOW_MS)
      .setAllowedAddresses(List.of("test.*")));
  private static GatewayNode node;

  private final List<TetherClient> clients = new ArrayList<>();
  private final List<FaultyRelay> relays = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();

  @AfterEach
  void cleanUp(VertxTestContext ctx) {
    List<Future<?>> all = new ArrayList<>();
    clients.forEach(c -> all.add(c.close().otherwiseEmpty()));
    relays.forEach(r -> all.add(r.stop().otherwiseEmpty()));
    consumers.forEach(c -> all.add(c.unregister().otherwiseEmpty()));
    Future.join(all).onComplete(ar -> ctx.completeNow());
  }

  private TetherClient client(Vertx vertx, int port, String clientId) {
    TetherClient c = TetherClient.create(vertx, new TetherClientOptions()
        .setUrl("ws://127.0.0.1:" + port + "/ws")
        .setClientId(clientId)
        .setReconnectInitialDelayMs(20)
        .setReconnectMaxDelayMs(200)
        .setConnectTimeoutMs(3_000));
    clients.add(c);
    return c;
  }

  private Future<FaultyRelay> relay(Vertx vertx) {
    return FaultyRelay.start(vertx, node.port()).onSuccess(relays::add);
  }

  /**
   * Completes when the node reports the session {@code sessionId[0]} of {@code clientId} CLOSED (expired). The
   * listener is registered before the test cuts the client off; the id is filled in when known.
   */
  private Future<Future<Void>> expiry(String clientId, String[] sessionId) {
    Promise<Void> expired = Promise.promise();
    MessageConsumer<JsonObject> consumer = node.vertx().eventBus().consumer("gateway.presence.events", m -> {
      JsonObject ev = m.body();
      if (clientId.equals(ev.getString("clientId")) && "CLOSED".equals(ev.getString("state"))
          && ev.getString("sessionId").equals(sessionId[0])) {
        expired.tryComplete();
      }
    });
    consumers.add(consumer);
    return consumer.completion().map(v -> expired.future());
  }

  private static Future<Void> publish(String topic, JsonObject body) {
    return node.vertx().eventBus().request("gateway.publish", new JsonObject().put("topic", topic).put("body", body))
        .mapEmpty();
  }

  /**
   * Verifies that after a break longer than the resume window the client is re-synced on a new session and its
   * topic cache is current again: the topic changed twice while the client was away, and after the re-sync the
   * subscription's version and the cached value are the latest (one coalesced notification).
   */
  @Test
  void breakLongerThanTheResumeWindowResyncsAndTheTopicCacheIsCurrentAgain(Vertx vertx, VertxTestContext ctx) {
    String clientId = "resync-topic";
    String topic = "resync/" + System.nanoTime();
    String[] session = new String[1];
    List<Notification> notes = new CopyOnWriteArrayList<>();
    Promise<Void> firstValue = Promise.promise();
    Promise<Void> latestValue = Promise.promise();
    expiry(clientId, session).compose(expired -> relay(vertx).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), clientId);
      ClientWatch w = ClientWatch.watch(c);
      c.notifyHandler(n -> {
        notes.add(n);
        if (n.version() == 1) {
          firstValue.tryComplete();
        } else if (n.version() == 3) {
          latestValue.tryComplete();
        }
      });
      Future<SessionEvent> resynced = w.next(SessionEvent.Kind.RESYNCED);
      return publish(topic, new JsonObject().put("p", 1))
          .compose(v -> c.connect())
          .compose(v -> c.subscribe(topic))
          .compose(v -> firstValue.future())
          .compose(v -> {
            assertEquals(1L, c.cachedTopic(topic).version());
            session[0] = c.sessionId();
            relay.blackhole(true);
            return relay.dropAll();
          })
          // The topic changes while the client is away.
          .compose(v -> publish(topic, new JsonObject().put("p", 2)))
          .compose(v -> publish(topic, new JsonObject().put("p", 3)))
          .compose(v -> expired)
          .compose(v -> {
            relay.blackhole(false);
            return resynced;
          })
          .compose(event -> latestValue.future().map(event))
          .map(event -> {
            assertEquals(session[0], event.previousSessionId());
            assertNotEquals(session[0], c.sessionId(), "a new session");
            assertTrue(List.of("expired", "unknown").contains(event.reason()), "reason " + event.reason());
            assertEquals(List.of(SessionEvent.Kind.STARTED, SessionEvent.Kind.RESYNCED), w.kinds());
            assertEquals(List.of(1L, 3L), notes.stream().map(Notification::version).toList(),
                "re-subscribed with version 1: one notification with the latest value");
            assertEquals(3L, c.subscriptions().get(topic), "the subscription's version is the latest");
            Notification cached = c.cachedTopic(topic);
            assertEquals(3L, cached.version());
            assertEquals(new JsonObject().put("p", 3), cached.body(), "the cached value is the latest");
            return null;
          });
    })).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that writes queued during a break longer than the resume window are not lost with the session: they
   * had never been sent, so they go out on the new session, once each and in order.
   */
  @Test
  void writesQueuedDuringABreakLongerThanTheResumeWindowAreSentOnTheNewSession(Vertx vertx, VertxTestContext ctx) {
    String clientId = "resync-writes";
    String address = "test.write.resync";
    String[] session = new String[1];
    List<Object> received = new CopyOnWriteArrayList<>();
    MessageConsumer<Object> backend = node.vertx().eventBus().consumer(address, m -> {
      received.add(m.body());
      m.reply(new JsonObject().put("stored", received.size()));
    });
    consumers.add(backend);
    backend.completion().compose(x -> expiry(clientId, session)).compose(expired -> relay(vertx).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), clientId);
      ClientWatch w = ClientWatch.watch(c);
      Future<SessionEvent> resynced = w.next(SessionEvent.Kind.RESYNCED);
      List<Future<Object>> queued = new ArrayList<>();
      return c.connect()
          .compose(v -> {
            session[0] = c.sessionId();
            relay.blackhole(true);
            return relay.dropAll();
          })
          .compose(v -> w.reached(ConnectionState.RECONNECTING))
          .compose(v -> {
            for (int i = 1; i <= 3; i++) {
              queued.add(c.request(address, new JsonObject().put("i", i)));
            }
            return expired;
          })
          .compose(v -> {
            assertEquals(3, c.queuedRequests());
            relay.blackhole(false);
            return resynced;
          })
          .compose(event -> Future.all(queued).map(event))
          .compose(event -> c.request(address, new JsonObject().put("i", 4)).map(event))
          .map(event -> {
            assertEquals(0, event.lostRequests(), "nothing had been sent on the lost session");
            assertNotEquals(session[0], c.sessionId());
            assertEquals(IntStream.rangeClosed(1, 4).mapToObj(i -> (Object) new JsonObject().put("i", i)).toList(),
                received, "once each, in order, on the new session");
            return null;
          });
    })).onComplete(ctx.succeedingThenComplete());
  }
}
