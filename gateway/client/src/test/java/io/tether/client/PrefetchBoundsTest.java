package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The prefetch table's bounds and rules, against no server (prefetch's behaviour against a real node is in
 * gateway/client-it: PrefetchTest): the declared entries are bounded by {@code prefetch.maxEntries}, with an error
 * naming it, and only reads (cacheable addresses) can be declared.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class PrefetchBoundsTest {

  private final List<TetherClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    Future.join(clients.stream().map(c -> (Future<?>) c.close().otherwiseEmpty()).toList())
        .onComplete(ar -> ctx.completeNow());
  }

  private static TetherClientOptions options(PrefetchOptions prefetch) {
    return new TetherClientOptions().setUrl("ws://127.0.0.1:1/ws").setClientId("pf-bounds")
        .setCacheableAddresses(List.of("catalog.*")).setPrefetch(prefetch);
  }

  /** Verifies that options declaring more entries than prefetch.maxEntries are refused, naming the option. */
  @Test
  void optionsDeclaringMoreThanMaxEntriesAreRefused(Vertx vertx) {
    PrefetchOptions three = new PrefetchOptions().setMaxEntries(2)
        .addEntry("catalog.item", 1).addEntry("catalog.item", 2).addEntry("catalog.item", 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TetherClient.create(vertx, options(three)));
    assertEquals("prefetch declares 3 entries, above prefetch.maxEntries (2)", e.getMessage());
  }

  /** Verifies that an entry whose address is not cacheable (a write) is refused, naming cacheableAddresses. */
  @Test
  void aWriteCannotBeDeclaredForPrefetch(Vertx vertx, VertxTestContext ctx) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TetherClient.create(vertx, options(new PrefetchOptions().addEntry("orders.create", 1))));
    assertTrue(e.getMessage().contains("cacheableAddresses"), e.getMessage());
    TetherClient c = TetherClient.create(vertx, options(new PrefetchOptions()));
    clients.add(c);
    c.prefetch("orders.create", new JsonObject()).onComplete(ctx.failing(t -> ctx.verify(() -> {
      assertInstanceOf(IllegalArgumentException.class, t);
      assertTrue(t.getMessage().contains("cacheableAddresses"), t.getMessage());
      assertEquals(0, c.cacheStats().prefetchEntries());
      ctx.completeNow();
    })));
  }

  /**
   * Verifies that at run time a declaration beyond prefetch.maxEntries fails at once with prefetch_full, naming the
   * bound, while declaring an entry that is there already (body compared as canonical JSON) does not count again.
   */
  @Test
  void aDeclarationBeyondMaxEntriesFailsWithPrefetchFull(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = TetherClient.create(vertx, options(new PrefetchOptions().setMaxEntries(2)
        .addEntry("catalog.item", new JsonObject().put("id", 1).put("lang", "en"))));
    clients.add(c);
    Future<Void> again = c.prefetch("catalog.item", new JsonObject().put("lang", "en").put("id", 1));
    Future<Void> second = c.prefetch("catalog.item", new JsonObject().put("id", 2));
    c.prefetch("catalog.item", new JsonObject().put("id", 3)).onComplete(ctx.failing(t -> ctx.verify(() -> {
      TetherException e = assertInstanceOf(TetherException.class, t);
      assertEquals(ClientErrorCode.PREFETCH_FULL.code(), e.code());
      assertEquals(ClientErrorCode.PREFETCH_FULL, e.clientErrorCode());
      assertFalse(e.isRemote());
      assertTrue(e.getMessage().contains("prefetch.maxEntries 2"), e.getMessage());
      assertEquals(2, c.cacheStats().prefetchEntries());
      assertFalse(again.isComplete() || second.isComplete(), "OFFLINE: nothing fetched, nothing failed");
      ctx.completeNow();
    })));
  }
}
