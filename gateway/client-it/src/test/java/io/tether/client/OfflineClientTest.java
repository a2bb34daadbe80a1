package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's offline operation against a real node, with a {@link FaultyRelay} as the network between them: exactly
 * once and in order across breaks, the request queue, the response cache, and the on-disk store.
 *
 * <p>Writes go to a test consumer on the node's event bus ({@code test.write.*}, allowed by the node's options), so
 * what the backend received is checked on the server side. "The client is offline" is made by a relay that drops its
 * connections and then blackholes the retries: the client stays RECONNECTING (or OFFLINE) until the test lets it
 * through. Waits are on events (states, session events, replies), never on sleeps.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class OfflineClientTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAllowedAddresses(List.of("test.*")));
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

  /**
   * A client with fast reconnects. The connect timeout is what a blackholed attempt takes to fail: generous, for a
   * loaded machine.
   */
  private TetherClient client(Vertx vertx, int port, String clientId, UnaryOperator<TetherClientOptions> customize) {
    TetherClient c = TetherClient.create(vertx, customize.apply(new TetherClientOptions()
        .setUrl("ws://127.0.0.1:" + port + "/ws")
        .setClientId(clientId)
        .setReconnectInitialDelayMs(20)
        .setReconnectMaxDelayMs(200)
        .setConnectTimeoutMs(3_000)));
    clients.add(c);
    return c;
  }

  private Future<FaultyRelay> relay(Vertx vertx) {
    return FaultyRelay.start(vertx, node.port()).onSuccess(relays::add);
  }

  /** A backend on the node that records what it receives at {@code address} and replies {@code {"stored":n}}. */
  private Future<List<Object>> recorder(String address, Promise<Void> firstArrived) {
    List<Object> received = new CopyOnWriteArrayList<>();
    MessageConsumer<Object> consumer = node.vertx().eventBus().consumer(address, m -> {
      received.add(m.body());
      m.reply(new JsonObject().put("stored", received.size()));
      if (firstArrived != null) {
        firstArrived.tryComplete();
      }
    });
    consumers.add(consumer);
    return consumer.completion().map(v -> received);
  }

  /** Cuts the client off: its connections are dropped and its reconnect attempts go nowhere until unblackholed. */
  private static Future<Void> cutOff(FaultyRelay relay) {
    relay.blackhole(true);
    return relay.dropAll();
  }

  /** Publishes {@code {"v":version}} for versions from..to, one after the other, from the node's event bus. */
  private static Future<Void> publish(String topic, int from, int to) {
    Future<Void> chain = Future.succeededFuture();
    for (int v = from; v <= to; v++) {
      JsonObject msg = new JsonObject().put("topic", topic).put("body", new JsonObject().put("v", v));
      chain = chain.compose(x -> node.vertx().eventBus().request("gateway.publish", msg).mapEmpty());
    }
    return chain;
  }

  private static List<Integer> oneTo(int n) {
    return IntStream.rangeClosed(1, n).boxed().collect(Collectors.toList());
  }

  private static List<Object> writes(String key, int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(i -> (Object) new JsonObject().put(key, i)).toList();
  }

  private static void assertStrictlyIncreasing(List<Long> values, String what) {
    for (int i = 1; i < values.size(); i++) {
      assertTrue(values.get(i) > values.get(i - 1), what + " not strictly increasing at " + i + ": " + values);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  /**
   * Verifies that the application sees every push and every topic change once and in order across repeated breaks:
   * five connection drops (three during demo.push runs of 100 pushes while gateway.publish changes a topic, two while
   * the topic changes) and then a blackhole period that only the heartbeat detects, during which 50 more pushes and
   * 5 more changes are sent. Each break is armed only once the previous one has been resumed, so each hits the live
   * connection. Changes published while the session was detached arrive coalesced (the newest only,
   * docs/PROTOCOL.md §6): for notifications "once and in order" means strictly increasing versions ending at the last.
   */
  @Test
  void everyPushAndNotifyIsSeenOnceInOrderAcrossRepeatedBreaks(Vertx vertx, VertxTestContext ctx) {
    String clientId = "off-order";
    String topic = "off/order-" + System.nanoTime();
    int perRun = 100;
    int lastRun = 50;
    int lastVersion = 25;
    List<Long> seqs = new CopyOnWriteArrayList<>();
    List<Integer> pushes = new CopyOnWriteArrayList<>();
    List<Notification> notes = new CopyOnWriteArrayList<>();
    // The next break: at this many pushes seen, or at the first notification of at least this version (-1: none).
    AtomicInteger dropAtPushes = new AtomicInteger(-1);
    AtomicLong dropAtVersion = new AtomicLong(-1);
    Promise<Void> allPushesSeen = Promise.promise();
    Promise<Void> lastVersionSeen = Promise.promise();
    String[] session = new String[1];
    ClientWatch[] watch = new ClientWatch[1];
    relay(vertx).compose(relay -> {
      // The node's heartbeat is 25 s: the client's own (500 ms) is what notices the blackhole.
      TetherClient c = client(vertx, relay.port(), clientId, o -> o.setHeartbeatMs(500));
      ClientWatch w = ClientWatch.watch(c);
      watch[0] = w;
      c.pushHandler(p -> {
        seqs.add(p.seq());
        pushes.add(p.bodyAsJsonObject().getInteger("n"));
        if (dropAtPushes.compareAndSet(pushes.size(), -1)) {
          relay.dropAll();
        }
        if (pushes.size() == 3 * perRun + lastRun) {
          allPushesSeen.tryComplete();
        }
      });
      c.notifyHandler(n -> {
        seqs.add(n.seq());
        notes.add(n);
        long at = dropAtVersion.get();
        if (at > 0 && n.version() >= at && dropAtVersion.compareAndSet(at, -1)) {
          relay.dropAll();
        }
        if (n.version() == lastVersion) {
          lastVersionSeen.tryComplete();
        }
      });
      Future<Void> chain = c.connect().compose(v -> c.subscribe(topic)).onSuccess(v -> session[0] = c.sessionId());
      for (int run = 0; run < 3; run++) {
        int r = run;
        chain = chain.compose(v -> {
          Future<SessionEvent> resumed = w.next(SessionEvent.Kind.RESUMED);
          dropAtPushes.set(r * perRun + 30);
          return Future.all(c.requestJson("demo.push", new JsonObject().put("count", perRun)),
              publish(topic, r * 4 + 1, r * 4 + 4)).compose(x -> resumed).mapEmpty();
        });
      }
      for (int from = 13; from <= 17; from += 4) {
        int f = from;
        chain = chain.compose(v -> {
          Future<SessionEvent> resumed = w.next(SessionEvent.Kind.RESUMED);
          dropAtVersion.set(f);
          return publish(topic, f, f + 3).compose(x -> resumed).mapEmpty();
        });
      }
      return chain
          .compose(v -> w.reached(ConnectionState.ONLINE))
          .compose(v -> {
            // The path now silently stops delivering; it heals once the client has noticed.
            Future<SessionEvent> resumed = w.next(SessionEvent.Kind.RESUMED);
            w.onState(s -> {
              if (s == ConnectionState.RECONNECTING) {
                relay.blackhole(false);
              }
            });
            relay.blackhole(true);
            return Future.all(
                node.vertx().eventBus().request("demo.push", new JsonObject().put("count", lastRun)
                    .put("to", clientId)),
                publish(topic, 21, lastVersion),
                resumed);
          })
          .compose(v -> Future.all(allPushesSeen.future(), lastVersionSeen.future()))
          .map(v -> c);
    }).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      List<Integer> expected = new ArrayList<>();
      for (int run = 0; run < 3; run++) {
        expected.addAll(oneTo(perRun));
      }
      expected.addAll(oneTo(lastRun));
      assertEquals(expected, pushes, "every push once, in order");
      List<Long> versions = notes.stream().map(Notification::version).toList();
      assertStrictlyIncreasing(versions, "notification versions");
      assertEquals((long) lastVersion, versions.get(versions.size() - 1));
      notes.forEach(n -> assertEquals(new JsonObject().put("v", n.version()), n.body()));
      assertStrictlyIncreasing(seqs, "seqs of pushes and notifications together");
      assertEquals(session[0], c.sessionId(), "the same session throughout");
      List<SessionEvent.Kind> kinds = watch[0].kinds();
      assertFalse(kinds.contains(SessionEvent.Kind.RESYNCED), "events: " + kinds);
      assertTrue(kinds.stream().filter(k -> k == SessionEvent.Kind.RESUMED).count() >= 6,
          "five drops and a blackhole, each resumed: " + kinds);
      assertEquals((long) lastVersion, c.cachedTopic(topic).version(), "the topic cache holds the latest value");
      ctx.completeNow();
    })));
  }

  /**
   * Verifies that writes made while the client is RECONNECTING (connections dropped, retries blackholed) are queued,
   * not sent, and reach the backend once each and in order after the reconnection.
   */
  @Test
  void writesQueuedWhileReconnectingArriveOnceInOrderAfterReconnection(Vertx vertx, VertxTestContext ctx) {
    String address = "test.write.reconnecting";
    recorder(address, null).compose(received -> relay(vertx).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), "off-writes", o -> o);
      ClientWatch w = ClientWatch.watch(c);
      String[] session = new String[1];
      List<Future<Object>> queued = new ArrayList<>();
      return c.connect()
          .compose(v -> {
            session[0] = c.sessionId();
            return cutOff(relay);
          })
          .compose(v -> w.reached(ConnectionState.RECONNECTING))
          .compose(v -> {
            for (int i = 1; i <= 5; i++) {
              queued.add(c.request(address, new JsonObject().put("i", i)));
            }
            // Runs on the client's context after the five requests: once it completes they have been placed.
            return c.flushStore();
          })
          .compose(v -> {
            assertNotEquals(ConnectionState.ONLINE, c.state());
            assertEquals(5, c.queuedRequests());
            assertTrue(received.isEmpty(), "nothing sent while cut off: " + received);
            relay.blackhole(false);
            return Future.all(queued);
          })
          .compose(all -> {
            assertEquals(List.of(1, 2, 3, 4, 5), all.list().stream()
                .map(r -> ((JsonObject) r).getInteger("stored")).toList(), "each answered, in order");
            // One more, online: any duplicate of the queued ones would have reached the backend before it.
            return c.request(address, new JsonObject().put("i", 6));
          })
          .map(v -> {
            assertEquals(writes("i", 1, 6), received, "once each, in order");
            assertEquals(0, c.queuedRequests());
            assertEquals(session[0], c.sessionId(), "resumed, not re-synced");
            assertTrue(w.kinds().contains(SessionEvent.Kind.RESUMED), "events: " + w.kinds());
            return null;
          });
    })).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that writes made while the client is OFFLINE (reconnect attempts exhausted, node unreachable) stay
   * queued and are sent once, in order, by the next connect().
   */
  @Test
  void writesQueuedWhileOfflineAreSentOnceInOrderByTheNextConnect(Vertx vertx, VertxTestContext ctx) {
    String address = "test.write.offline";
    recorder(address, null).compose(received -> relay(vertx).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), "off-offline", o -> o.setMaxReconnectAttempts(1));
      ClientWatch w = ClientWatch.watch(c);
      List<Future<Object>> queued = new ArrayList<>();
      return c.connect()
          .compose(v -> cutOff(relay))
          .compose(v -> w.reached(ConnectionState.OFFLINE))
          .compose(v -> {
            for (int i = 1; i <= 3; i++) {
              queued.add(c.request(address, new JsonObject().put("i", i)));
            }
            return c.flushStore(); // a barrier on the client's context, as above
          })
          .compose(v -> {
            assertEquals(ConnectionState.OFFLINE, c.state(), "nobody reconnects an OFFLINE client");
            assertEquals(3, c.queuedRequests());
            assertTrue(received.isEmpty());
            relay.blackhole(false);
            return c.connect();
          })
          .compose(v -> Future.all(queued))
          .compose(v -> c.request(address, new JsonObject().put("i", 4)))
          .map(v -> {
            assertEquals(writes("i", 1, 4), received, "once each, in order");
            assertTrue(w.kinds().contains(SessionEvent.Kind.RESUMED), "connect() resumed: " + w.kinds());
            return null;
          });
    })).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that while the relay is down a request to a cacheable address is answered from the cache, marked as
   * such, with the related resources the server had pushed with the response; the body is matched as canonical JSON.
   */
  @Test
  void cacheableRequestIsAnsweredFromTheCacheWhileTheRelayIsDown(Vertx vertx, VertxTestContext ctx) {
    relay(vertx).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), "off-cache",
          o -> o.setCacheableAddresses(List.of("demo.rel*")));
      ClientWatch w = ClientWatch.watch(c);
      return c.connect()
          .compose(v -> c.requestEx("demo.related", new JsonObject().put("id", 7).put("lang", "en")))
          .compose(online -> {
            assertFalse(online.fromCache());
            assertEquals(new JsonObject().put("id", 7), online.body());
            assertEquals(List.of("a", "b"), List.copyOf(online.resources().keySet()));
            return cutOff(relay).compose(v -> w.reached(ConnectionState.RECONNECTING))
                .compose(v -> c.requestEx("demo.related", new JsonObject().put("lang", "en").put("id", 7)))
                .map(offline -> {
                  assertNotEquals(ConnectionState.ONLINE, c.state());
                  assertTrue(offline.fromCache(), "answered by the cache");
                  assertEquals(online.body(), offline.body());
                  assertEquals(online.resources(), offline.resources(), "related resources come with it");
                  assertEquals(new JsonObject().put("id", 7).put("resource", "a"), offline.resources().get("a"));
                  assertEquals(online.receivedAt(), offline.receivedAt(), "when the server had sent it");
                  Reply peek = c.cached("demo.related", new JsonObject().put("id", 7).put("lang", "en"));
                  assertNotNull(peek);
                  assertTrue(peek.fromCache());
                  assertEquals(online.body(), peek.body());
                  return null;
                });
          });
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that while the relay is down a cacheable request the cache cannot answer waits for the connection and
   * is then answered by the server (not marked as from the cache), which also caches it.
   */
  @Test
  void uncachedReadWaitsForTheConnectionAndIsAnsweredByTheServer(Vertx vertx, VertxTestContext ctx) {
    relay(vertx).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), "off-miss", o -> o.setCacheableAddresses(List.of("demo.echo")));
      ClientWatch w = ClientWatch.watch(c);
      AtomicReference<Future<Reply>> read = new AtomicReference<>();
      return c.connect()
          .compose(v -> cutOff(relay))
          .compose(v -> w.reached(ConnectionState.RECONNECTING))
          .compose(v -> {
            read.set(c.requestEx("demo.echo", "never asked before"));
            return c.flushStore(); // a barrier on the client's context: the request has been placed
          })
          .compose(v -> {
            assertFalse(read.get().isComplete(), "nothing cached to answer with");
            assertEquals(1, c.queuedRequests());
            relay.blackhole(false);
            return read.get();
          })
          .map(reply -> {
            assertFalse(reply.fromCache());
            assertEquals("never asked before", reply.body());
            assertNotNull(c.cached("demo.echo", "never asked before"), "cached now");
            return null;
          });
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies the on-disk store across a restart: a client caches a response and queues a write while cut off, and is
   * closed without having sent it; a new client on the same directory starts with the cached response (answered
   * from the cache before it connects) and sends the queued write once.
   */
  @Test
  void storedCacheAndQueuedWriteSurviveARestartOfTheClient(Vertx vertx, VertxTestContext ctx, @TempDir Path dir) {
    String address = "test.write.store";
    String clientId = "off-store";
    JsonObject query = new JsonObject().put("k", 1);
    UnaryOperator<TetherClientOptions> stored = o -> o.setStoreDir(dir.toString())
        .setCacheableAddresses(List.of("demo.echo"));
    Promise<Void> firstArrived = Promise.promise();
    AtomicReference<Future<Object>> write = new AtomicReference<>();
    recorder(address, firstArrived).compose(received -> relay(vertx).compose(relay -> {
      TetherClient first = client(vertx, relay.port(), clientId, stored);
      ClientWatch w = ClientWatch.watch(first);
      return first.connect()
          .compose(v -> first.requestEx("demo.echo", query))
          .compose(reply -> {
            assertFalse(reply.fromCache());
            return cutOff(relay);
          })
          .compose(v -> w.reached(ConnectionState.RECONNECTING))
          .compose(v -> {
            write.set(first.request(address, new JsonObject().put("w", 1)));
            return first.flushStore();
          })
          .compose(v -> first.close())
          .compose(v -> {
            TetherException closed = assertInstanceOf(TetherException.class, write.get().cause());
            assertEquals(TetherException.CLOSED, closed.code());
            assertTrue(received.isEmpty(), "the first client never sent it");
            // The application restarts: a new client on the same store, straight to the node.
            TetherClient second = client(vertx, node.port(), clientId, stored);
            return second.ready().map(x -> second);
          })
          .compose(second -> {
            assertEquals(1, second.queuedRequests(), "the queued write is back");
            Reply peek = second.cached("demo.echo", query);
            assertNotNull(peek, "the cached response is back");
            assertEquals(query, peek.body());
            assertEquals(ConnectionState.OFFLINE, second.state());
            return second.requestEx("demo.echo", query)
                .compose(reply -> {
                  assertTrue(reply.fromCache(), "answered from the stored cache before connecting");
                  return second.connect();
                })
                .compose(v -> firstArrived.future())
                .compose(v -> second.request(address, new JsonObject().put("w", 2)))
                .compose(v -> second.flushStore())
                .map(v -> {
                  assertEquals(writes("w", 1, 2), received, "the stored write once, then the new one");
                  assertEquals(0, second.queuedRequests());
                  JsonObject file = readJson(dir.resolve("writes.json"));
                  assertTrue(file.getJsonArray("writes").isEmpty(), "sent writes leave the store: " + file);
                  return null;
                });
          });
    })).onComplete(ctx.succeedingThenComplete());
  }

  private static JsonObject readJson(Path file) {
    try {
      return new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
