package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prefetch for offline use (docs/CLIENT.md "Prefetch") against a real node, with a {@link FaultyRelay} as the network:
 * reads declared for prefetch are fetched while the session is idle, and answered from the cache once the network is
 * gone, counted as hits; prefetch waits for the application's requests and for the network; the backend's
 * {@code prefetch} list is followed within the bound.
 *
 * <p>The reads go to test consumers on the node's event bus ({@code test.pf.*}), which record what reached the
 * backend and when (on the node's clock). Waits are on futures and events; the only timers are the behaviour's own
 * (a backend that takes a while to answer, a period offline during which nothing may be fetched).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class PrefetchTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAllowedAddresses(List.of("test.*")));
  private static GatewayNode node;

  private static final long IDLE_MS = 200;
  private static final String ITEM = "test.pf.item";

  /** One request that reached a test consumer, with the node's time of arrival. */
  private record Arrival(String address, Object body, long at) {
  }

  private final List<TetherClient> clients = new ArrayList<>();
  private final List<FaultyRelay> relays = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final List<Arrival> arrivals = new CopyOnWriteArrayList<>();

  @AfterEach
  void cleanUp(VertxTestContext ctx) {
    List<Future<?>> all = new ArrayList<>();
    clients.forEach(c -> all.add(c.close().otherwiseEmpty()));
    relays.forEach(r -> all.add(r.stop().otherwiseEmpty()));
    consumers.forEach(c -> all.add(c.unregister().otherwiseEmpty()));
    Future.join(all).onComplete(ar -> ctx.completeNow());
  }

  private TetherClient client(Vertx vertx, int port, String clientId, UnaryOperator<TetherClientOptions> customize) {
    TetherClient c = TetherClient.create(vertx, customize.apply(new TetherClientOptions()
        .setUrl("ws://127.0.0.1:" + port + "/ws")
        .setClientId(clientId)
        .setCacheableAddresses(List.of("test.pf.*"))
        .setReconnectInitialDelayMs(20)
        .setReconnectMaxDelayMs(200)
        .setConnectTimeoutMs(3_000)));
    clients.add(c);
    return c;
  }

  private Future<FaultyRelay> relay(Vertx vertx) {
    return FaultyRelay.start(vertx, node.port()).onSuccess(relays::add);
  }

  /** A backend at {@code address} that records each request and answers with {@code reply}. */
  private Future<Void> backend(String address, Consumer<Message<Object>> reply) {
    MessageConsumer<Object> consumer = node.vertx().eventBus().consumer(address, m -> {
      arrivals.add(new Arrival(address, m.body(), System.currentTimeMillis()));
      reply.accept(m);
    });
    consumers.add(consumer);
    return consumer.completion();
  }

  /** {@value #ITEM}: answers {@code {"id":…,"name":"item <id>","version":3}}. */
  private Future<Void> items() {
    return backend(ITEM, m -> {
      int id = ((JsonObject) m.body()).getInteger("id");
      m.reply(new JsonObject().put("id", id).put("name", "item " + id).put("version", 3));
    });
  }

  private List<Object> bodiesAt(String address) {
    return arrivals.stream().filter(a -> a.address().equals(address)).map(Arrival::body).toList();
  }

  private static JsonObject item(int id) {
    return new JsonObject().put("id", id);
  }

  private static Future<Void> cutOff(FaultyRelay relay) {
    relay.blackhole(true);
    return relay.dropAll();
  }

  /**
   * The acceptance test of issue 12 item 5. Verifies that reads declared for prefetch are fetched while the client
   * is idle (once each, into the cache and the on-disk store), that once the network is gone each is answered from
   * the cache, marked as such, and counted as a hit, and that a read that was not prefetched misses and is counted:
   * 2 prefetched reads and 1 other give a hit rate of 2/3.
   */
  @Test
  void prefetchedReadsAreAnsweredOfflineAndCountedAsHits(Vertx vertx, VertxTestContext ctx, @TempDir Path dir) {
    AtomicReference<Future<Reply>> notPrefetched = new AtomicReference<>();
    items().compose(v -> relay(vertx)).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), "pf-offline", o -> o.setStoreDir(dir.toString())
          .setPrefetch(new PrefetchOptions().setIdleMs(IDLE_MS).addEntry(ITEM, item(1)).addEntry(ITEM, item(2))));
      ClientWatch w = ClientWatch.watch(c);
      return c.connect()
          // Declaring an entry of the options again gives its future: it completes once the answer is cached.
          .compose(v -> Future.all(c.prefetch(ITEM, item(1)), c.prefetch(ITEM, item(2))))
          .compose(v -> {
            assertEquals(List.of(item(1), item(2)), bodiesAt(ITEM), "each prefetched once, in order");
            CacheStats s = c.cacheStats();
            assertEquals(2, s.prefetched());
            assertEquals(2, s.prefetchFetches());
            assertEquals(0, s.hits() + s.misses(), "nothing counted while ONLINE");
            return c.flushStore();
          })
          .compose(v -> {
            String stored = readString(dir.resolve("cache.json"));
            assertTrue(stored.contains("item 1") && stored.contains("item 2"), "in the on-disk store: " + stored);
            return cutOff(relay).compose(x -> w.reached(ConnectionState.RECONNECTING));
          })
          .compose(v -> Future.all(c.requestEx(ITEM, item(1)), c.requestEx(ITEM, item(2))))
          .compose(both -> {
            for (int i = 0; i < 2; i++) {
              Reply r = both.resultAt(i);
              assertTrue(r.fromCache(), "answered by the cache");
              assertEquals(new JsonObject().put("id", i + 1).put("name", "item " + (i + 1)).put("version", 3),
                  r.body());
            }
            notPrefetched.set(c.requestEx(ITEM, item(9)));
            return c.flushStore(); // a barrier on the client's context: the read has been placed
          })
          .map(v -> {
            assertNotEquals(ConnectionState.ONLINE, c.state());
            assertFalse(notPrefetched.get().isComplete(), "not prefetched: waits for the network");
            CacheStats s = c.cacheStats();
            System.out.println("PrefetchTest offline: " + s);
            assertEquals(2, s.hits());
            assertEquals(2, s.prefetchHits());
            assertEquals(1, s.misses());
            assertEquals(2.0 / 3, s.hitRate(), 1e-9);
            assertEquals(List.of(item(1), item(2)), bodiesAt(ITEM), "nothing reached the backend while offline");
            return null;
          });
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that no prefetch is sent while a request of the application is in flight: the backend answers the
   * application's request after 1.5 s, and the prefetch reaches it only after that, at least idleMs later.
   */
  @Test
  void prefetchWaitsForTheApplicationsRequest(Vertx vertx, VertxTestContext ctx) {
    long slowMs = 1_500;
    long[] answeredAt = new long[1];
    Future<Void> slow = backend("test.slow", m -> node.vertx().setTimer(slowMs, id -> {
      answeredAt[0] = System.currentTimeMillis();
      m.reply("done");
    }));
    Future.all(items(), slow).compose(v -> {
      TetherClient c = client(vertx, node.port(), "pf-busy",
          o -> o.setPrefetch(new PrefetchOptions().setIdleMs(IDLE_MS).addEntry(ITEM, item(1))));
      return c.connect()
          .compose(x -> {
            Future<Object> busy = c.request("test.slow", "work"); // within idleMs of the connection
            return Future.all(busy, c.prefetch(ITEM, item(1)));
          })
          .map(x -> {
            List<String> order = arrivals.stream().map(Arrival::address).toList();
            assertEquals(List.of("test.slow", ITEM), order);
            long after = arrivals.get(1).at() - answeredAt[0];
            assertTrue(after >= IDLE_MS, "the prefetch came " + after + " ms after the application's response");
            return null;
          });
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that nothing is prefetched while the network is gone: a read declared while RECONNECTING has not reached
   * the backend 1 s (5 × idleMs) later; it is fetched once the client is back.
   */
  @Test
  void prefetchWaitsForTheNetwork(Vertx vertx, VertxTestContext ctx) {
    items().compose(v -> relay(vertx)).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), "pf-net",
          o -> o.setPrefetch(new PrefetchOptions().setIdleMs(IDLE_MS)));
      ClientWatch w = ClientWatch.watch(c);
      AtomicReference<Future<Void>> declared = new AtomicReference<>();
      return c.connect()
          .compose(v -> cutOff(relay))
          .compose(v -> w.reached(ConnectionState.RECONNECTING))
          .compose(v -> {
            declared.set(c.prefetch(ITEM, item(4)));
            Promise<Void> later = Promise.promise();
            vertx.setTimer(5 * IDLE_MS, id -> later.complete());
            return later.future();
          })
          .compose(v -> {
            assertEquals(List.of(), arrivals, "nothing sent while the network is gone");
            assertFalse(declared.get().isComplete());
            relay.blackhole(false);
            return declared.get();
          })
          .map(v -> {
            assertEquals(ConnectionState.ONLINE, c.state());
            assertEquals(List.of(item(4)), bodiesAt(ITEM), "fetched once back");
            assertEquals(1, c.cacheStats().prefetched());
            return null;
          });
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that the {@code prefetch} list in a prefetched answer is followed within {@code prefetch.maxEntries}
   * (4: the index and 3 of the 5 items it names; the other 2 are dropped and counted), that the named items are
   * answered offline from the cache, and that declaring one more entry then fails with {@code prefetch_full}.
   */
  @Test
  void theBackendsPrefetchListIsFollowedWithinTheBound(Vertx vertx, VertxTestContext ctx) {
    JsonArray named = new JsonArray();
    for (int id = 1; id <= 5; id++) {
      named.add(new JsonObject().put("address", ITEM).put("body", item(id)));
    }
    Future<Void> index = backend("test.pf.index", m -> m.reply(new JsonObject().put("title", "five items")
        .put("prefetch", named)));
    Future.all(items(), index).compose(v -> relay(vertx)).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), "pf-list", o -> o.setPrefetch(new PrefetchOptions()
          .setIdleMs(IDLE_MS).setMaxEntries(4).addEntry("test.pf.index", new JsonObject())));
      ClientWatch w = ClientWatch.watch(c);
      return c.connect()
          .compose(x -> c.prefetch("test.pf.index", new JsonObject()))
          .compose(x -> Future.all(c.prefetch(ITEM, item(1)), c.prefetch(ITEM, item(2)), c.prefetch(ITEM, item(3))))
          .compose(x -> {
            assertEquals(List.of(item(1), item(2), item(3)), bodiesAt(ITEM), "the first 3 named, once each");
            CacheStats s = c.cacheStats();
            assertEquals(4, s.prefetchEntries());
            assertEquals(4, s.prefetched());
            assertEquals(2, s.prefetchDropped(), "items 4 and 5: over prefetch.maxEntries");
            return c.prefetch(ITEM, item(4)).transform(ar -> {
              TetherException e = assertInstanceOf(TetherException.class, ar.cause());
              assertEquals(ClientErrorCode.PREFETCH_FULL.code(), e.code());
              assertTrue(e.getMessage().contains("prefetch.maxEntries"), e.getMessage());
              return cutOff(relay);
            });
          })
          .compose(x -> w.reached(ConnectionState.RECONNECTING))
          .compose(x -> c.requestEx(ITEM, item(3)))
          .map(r -> {
            assertTrue(r.fromCache());
            assertEquals("item 3", r.bodyAsJsonObject().getString("name"));
            assertEquals(1, c.cacheStats().prefetchHits());
            return null;
          });
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that the related resources the server pushes on a prefetch's stream (seed 002's sub-resources:
   * {@code demo.related} sends {@code a} and {@code b}) are kept with the prefetched answer and come with it offline.
   */
  @Test
  void relatedResourcesOfAPrefetchComeWithItsOfflineAnswer(Vertx vertx, VertxTestContext ctx) {
    JsonObject query = new JsonObject().put("id", 7);
    relay(vertx).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), "pf-related", o -> o.setCacheableAddresses(List.of("demo.related"))
          .setPrefetch(new PrefetchOptions().setIdleMs(IDLE_MS).addEntry("demo.related", query)));
      ClientWatch w = ClientWatch.watch(c);
      return c.connect()
          .compose(v -> c.prefetch("demo.related", query))
          .compose(v -> cutOff(relay))
          .compose(v -> w.reached(ConnectionState.RECONNECTING))
          .compose(v -> c.requestEx("demo.related", query))
          .map(r -> {
            assertTrue(r.fromCache());
            assertEquals(query, r.body());
            assertEquals(List.of("a", "b"), List.copyOf(r.resources().keySet()));
            assertEquals(new JsonObject().put("id", 7).put("resource", "b"), r.resources().get("b"));
            assertEquals(1, c.cacheStats().prefetchHits());
            return null;
          });
    }).onComplete(ctx.succeedingThenComplete());
  }

  private static String readString(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
