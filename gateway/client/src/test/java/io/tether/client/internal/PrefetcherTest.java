package io.tether.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.client.CacheStats;
import io.tether.client.ConnectionState;
import io.tether.client.PrefetchOptions;
import io.tether.client.Reply;
import io.tether.client.TetherException;
import io.tether.protocol.NamePatterns;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The prefetcher's scheduling over a fake {@link Prefetcher.Sender} that stands for the request table and the server
 * (it answers by putting the response in the cache, as the table does): when prefetches are sent (ONLINE, idle, one
 * at a time), the backend's list, refresh, retry, and the hit counters. Every test runs on one Vert.x context, as the
 * client does; waiting is on the fake's calls, and the only timers are the behaviour's own (idleness, the
 * application's request held for a while).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class PrefetcherTest {

  private static final long IDLE_MS = 50;

  /** One request the prefetcher or the application placed. */
  private record Call(String address, String body, String canonicalBody, Promise<Reply> promise, long at,
      boolean prefetch) {
  }

  private final AtomicReference<ConnectionState> state = new AtomicReference<>(ConnectionState.ONLINE);
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final ResponseCache cache = new ResponseCache(100, 1 << 20);
  /** Called with each prefetch request as it is placed. */
  private volatile Consumer<Call> onPrefetch = c -> { };
  private volatile boolean placingForTheApplication;

  private Prefetcher prefetcher(Vertx vertx, PrefetchOptions options) {
    NamePatterns cacheable = new NamePatterns(List.of("read.*"));
    return new Prefetcher(vertx, options, 5_000, cacheable::matches, cache, state::get,
        (address, body, canonical, timeoutMs, promise) -> {
          ResponseCache.Entry hit = canonical == null ? null : cache.get(ResponseCache.key(address, canonical));
          if (state.get() != ConnectionState.ONLINE && hit != null) {
            promise.complete(hit.toReply()); // as RequestTable answers a read while not ONLINE
            return;
          }
          Call c = new Call(address, body, canonical, promise, System.currentTimeMillis(), !placingForTheApplication);
          calls.add(c);
          if (c.prefetch()) {
            onPrefetch.accept(c);
          }
        }, System::currentTimeMillis);
  }

  /** The server's answer to {@code c}: cached (for a read) and completed, as RequestTable does with a response. */
  private void answer(Call c, Object body) {
    long now = System.currentTimeMillis();
    if (c.canonicalBody() != null) {
      cache.put(c.address(), c.canonicalBody(), Json.encode(body), Map.of(), now);
    }
    c.promise().complete(new Reply(Json.decodeValue(Json.encode(body)), false, now, Map.of()));
  }

  /** An application request, through the prefetcher as the facade places it. */
  private Promise<Reply> appRequest(Prefetcher p, String address, Object body, boolean read) {
    Promise<Reply> promise = Promise.promise();
    String json = Json.encode(body);
    placingForTheApplication = true;
    p.submit(address, json, read ? ResponseCache.canonical(json) : null, 5_000, promise);
    placingForTheApplication = false;
    return promise;
  }

  private List<Call> prefetches() {
    return calls.stream().filter(Call::prefetch).toList();
  }

  private static void onContext(Vertx vertx, VertxTestContext ctx, Runnable body) {
    vertx.getOrCreateContext().runOnContext(v -> ctx.verify(body::run));
  }

  /** Verifies that declared reads are sent one at a time, none before idleMs has passed, and each once. */
  @Test
  void declaredReadsAreFetchedOneAtATimeOnceIdle(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      Prefetcher p = prefetcher(vertx, new PrefetchOptions().setIdleMs(IDLE_MS));
      long started = System.currentTimeMillis();
      int[] open = new int[1];
      onPrefetch = c -> ctx.verify(() -> {
        assertEquals(0, open[0], "one prefetch at a time");
        open[0]++;
        vertx.setTimer(30, id -> {
          open[0]--;
          answer(c, new JsonObject().put("for", c.address()));
        });
      });
      p.start(new PrefetchOptions().addEntry("read.a", 1).addEntry("read.b", 2).addEntry("read.c", 3).getEntries());
      io.vertx.core.Future.all(p.declare("read.a", "1"), p.declare("read.b", "2"), p.declare("read.c", "3"))
          .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
            List<Call> sent = prefetches();
            assertEquals(List.of("read.a", "read.b", "read.c"), sent.stream().map(Call::address).toList());
            assertTrue(sent.get(0).at() - started >= IDLE_MS, "not before idleMs: " + (sent.get(0).at() - started));
            CacheStats s = p.stats();
            assertEquals(3, s.prefetchEntries());
            assertEquals(3, s.prefetched());
            assertEquals(3, s.prefetchFetches());
            assertEquals(0, s.prefetchFailures());
            ctx.completeNow();
          })));
    });
  }

  /** Verifies that no prefetch is sent while a request of the application is in flight, nor within idleMs after. */
  @Test
  void noPrefetchWhileTheApplicationHasARequestInFlight(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      Prefetcher p = prefetcher(vertx, new PrefetchOptions().setIdleMs(IDLE_MS));
      p.start(List.of(PrefetchOptions.Entry.of("read.a", 1)));
      Promise<Reply> busy = appRequest(p, "app.slow", "work", false);
      long[] answeredAt = new long[1];
      vertx.setTimer(10 * IDLE_MS, id -> ctx.verify(() -> {
        assertEquals(List.of(), prefetches(), "nothing while the application waits for its response");
        answeredAt[0] = System.currentTimeMillis();
        answer(calls.get(0), "done");
      }));
      onPrefetch = c -> ctx.verify(() -> {
        assertTrue(busy.future().isComplete());
        assertTrue(c.at() - answeredAt[0] >= IDLE_MS, "idleMs after the application's response: "
            + (c.at() - answeredAt[0]));
        ctx.completeNow();
      });
    });
  }

  /** Verifies that nothing is fetched while the client is not ONLINE, and that idleness counts from going ONLINE. */
  @Test
  void noPrefetchWhileNotOnline(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      state.set(ConnectionState.RECONNECTING);
      Prefetcher p = prefetcher(vertx, new PrefetchOptions().setIdleMs(IDLE_MS));
      p.start(List.of());
      p.declare("read.a", "1").onComplete(ctx.succeedingThenComplete());
      long[] onlineAt = new long[1];
      vertx.setTimer(10 * IDLE_MS, id -> ctx.verify(() -> {
        assertEquals(List.of(), prefetches(), "nothing while RECONNECTING");
        state.set(ConnectionState.ONLINE);
        onlineAt[0] = System.currentTimeMillis();
        p.online();
      }));
      onPrefetch = c -> ctx.verify(() -> {
        assertTrue(c.at() - onlineAt[0] >= IDLE_MS, "idleMs after going ONLINE");
        answer(c, 1);
      });
    });
  }

  /**
   * Verifies that a declared read's {@code prefetch} list is followed within maxEntries: named reads join the table
   * and are fetched; the one over the bound, a write and a malformed item are dropped and counted; children's own
   * lists are not followed.
   */
  @Test
  void theBackendsListIsFollowedWithinTheBound(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      Prefetcher p = prefetcher(vertx, new PrefetchOptions().setIdleMs(IDLE_MS).setMaxEntries(3));
      JsonArray list = new JsonArray()
          .add(new JsonObject().put("address", "read.item").put("body", new JsonObject().put("id", 1)))
          .add(new JsonObject().put("address", "write.item").put("body", 9))
          .add(new JsonObject().put("address", "read.item").put("body", new JsonObject().put("id", 2)))
          .add(new JsonObject().put("address", "read.item").put("body", new JsonObject().put("id", 3)))
          .add(new JsonObject().put("no", "address"));
      JsonArray grandChildren = new JsonArray().add(new JsonObject().put("address", "read.deeper"));
      onPrefetch = c -> {
        if (c.address().equals("read.index")) {
          answer(c, new JsonObject().put("prefetch", list));
          return;
        }
        answer(c, new JsonObject().put("prefetch", grandChildren));
        if (prefetches().size() == 3) {
          ctx.verify(() -> {
            assertEquals(List.of("read.index", "read.item", "read.item"),
                prefetches().stream().map(Call::address).toList());
            assertEquals(List.of("{\"id\":1}", "{\"id\":2}"),
                prefetches().subList(1, 3).stream().map(Call::body).toList());
            CacheStats s = p.stats();
            assertEquals(3, s.prefetchEntries());
            assertEquals(3, s.prefetched());
            assertEquals(3, s.prefetchDropped(), "the write, id 3 (over the bound) and the malformed item");
            vertx.setTimer(5 * IDLE_MS, id -> ctx.verify(() -> {
              assertEquals(3, prefetches().size(), "read.deeper is not followed");
              ctx.completeNow();
            }));
          });
        }
      };
      p.start(List.of(PrefetchOptions.Entry.of("read.index", new JsonObject())));
    });
  }

  /** Verifies that an answer refreshMs old is fetched again when idle. */
  @Test
  void aStaleAnswerIsFetchedAgain(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      long refreshMs = 200;
      Prefetcher p = prefetcher(vertx, new PrefetchOptions().setIdleMs(IDLE_MS).setRefreshMs(refreshMs));
      onPrefetch = c -> {
        answer(c, new JsonObject().put("version", prefetches().size()));
        if (prefetches().size() == 2) {
          ctx.verify(() -> {
            long gap = prefetches().get(1).at() - prefetches().get(0).at();
            assertTrue(gap >= refreshMs, "fetched again once refreshMs old, not before: " + gap);
            assertEquals(new JsonObject().put("version", 2),
                cache.get(ResponseCache.key("read.a", "1")).toReply().body(), "the cache holds the newer answer");
            assertEquals(2, p.stats().prefetchFetches());
            assertEquals(1, p.stats().prefetchEntries());
            ctx.completeNow();
          });
        }
      };
      p.start(List.of(PrefetchOptions.Entry.of("read.a", 1)));
    });
  }

  /** Verifies that a failed prefetch fails the declaration's future, stays in the table and is tried again. */
  @Test
  void aFailedPrefetchIsTriedAgain(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      Prefetcher p = prefetcher(vertx, new PrefetchOptions().setIdleMs(IDLE_MS));
      onPrefetch = c -> {
        if (prefetches().size() == 1) {
          c.promise().fail(new TetherException("no_handler", "not yet", null, true, null));
        } else {
          answer(c, "finally");
        }
      };
      p.start(List.of());
      p.declare("read.a", "1").onComplete(ctx.failing(t -> ctx.verify(() -> {
        assertEquals("no_handler", assertInstanceOf(TetherException.class, t).code());
        assertEquals(1, p.stats().prefetchFailures());
        p.declare("read.a", "1").onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertEquals(2, prefetches().size());
          long gap = prefetches().get(1).at() - prefetches().get(0).at();
          assertTrue(gap >= 1_000, "tried again after max(idleMs, 1 s): " + gap);
          assertEquals(1, p.stats().prefetchFetches());
          ctx.completeNow();
        })));
      })));
    });
  }

  /**
   * Verifies the hit counters: while not ONLINE a read answered from the cache is a hit (a prefetch hit when the
   * table fetched it), a read the cache cannot answer is a miss, a write is neither; reads while ONLINE are neither.
   */
  @Test
  void offlineReadsAreCountedAsHitsAndMisses(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      Prefetcher p = prefetcher(vertx, new PrefetchOptions().setIdleMs(IDLE_MS));
      onPrefetch = c -> answer(c, "prefetched");
      p.start(List.of());
      p.declare("read.a", "{\"x\":1,\"y\":2}").onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        appRequest(p, "read.b", 5, true); // ONLINE: sent, not counted
        answer(calls.get(calls.size() - 1), "asked");
        state.set(ConnectionState.RECONNECTING);
        Reply hit = appRequest(p, "read.a", new JsonObject().put("y", 2).put("x", 1), true).future().result();
        assertTrue(hit.fromCache());
        assertTrue(appRequest(p, "read.b", 5, true).future().result().fromCache(), "cached by the application");
        assertFalse(appRequest(p, "read.c", 1, true).future().isComplete(), "not cached: waits");
        appRequest(p, "write.x", 1, false);
        CacheStats s = p.stats();
        assertEquals(2, s.hits());
        assertEquals(1, s.misses());
        assertEquals(1, s.prefetchHits(), "read.a was prefetched, read.b asked by the application");
        assertEquals(2.0 / 3, s.hitRate(), 1e-9);
        ctx.completeNow();
      })));
    });
  }
}
