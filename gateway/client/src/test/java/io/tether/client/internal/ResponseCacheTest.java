package io.tether.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.client.Notification;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The response cache on its own: canonical keys, LRU order, both bounds, and the store's format round trip. */
class ResponseCacheTest {

  /** Verifies that bodies differing only in member order and spacing have the same canonical text. */
  @Test
  void canonicalJsonIgnoresMemberOrderAndSpacing() {
    assertEquals(ResponseCache.canonical("{\"b\":1,\"a\":{\"y\":[1,{\"q\":2,\"p\":1}],\"x\":null}}"),
        ResponseCache.canonical(" { \"a\" : { \"x\":null, \"y\":[1, {\"p\":1,\"q\":2}] }, \"b\" : 1 } "));
    assertEquals("[3,1,2]", ResponseCache.canonical("[3, 1, 2]"), "array order is kept");
    assertEquals("\"s\"", ResponseCache.canonical("\"s\""));
  }

  /** Verifies that the least recently used entry is evicted first when the entry bound is reached. */
  @Test
  void leastRecentlyUsedEntryIsEvictedAtTheEntryBound() {
    ResponseCache cache = new ResponseCache(2, 1_000_000);
    cache.put("a", "1", "\"one\"", Map.of(), 1);
    cache.put("a", "2", "\"two\"", Map.of(), 2);
    assertNotNull(cache.get(ResponseCache.key("a", "1"))); // 1 is now the most recently used
    cache.put("a", "3", "\"three\"", Map.of(), 3);
    assertNotNull(cache.get(ResponseCache.key("a", "1")));
    assertNull(cache.get(ResponseCache.key("a", "2")), "2 was the least recently used");
    assertNotNull(cache.get(ResponseCache.key("a", "3")));
    assertEquals(2, cache.size());
  }

  /** Verifies that the byte bound evicts old entries and that an entry larger than the bound is not kept. */
  @Test
  void byteBoundEvictsOldEntriesAndRefusesAnOversizedOne() {
    ResponseCache cache = new ResponseCache(100, 40);
    assertTrue(cache.put("a", "1", "\"" + "x".repeat(15) + "\"", Map.of(), 1)); // 1 + 1 + 1 + 17 = 20 bytes
    assertTrue(cache.put("a", "2", "\"" + "y".repeat(15) + "\"", Map.of(), 2));
    assertEquals(40, cache.bytes());
    assertTrue(cache.put("a", "3", "\"z\"", Map.of(), 3));
    assertNull(cache.get(ResponseCache.key("a", "1")), "evicted to stay within 40 bytes");
    assertTrue(cache.bytes() <= 40);
    assertFalse(cache.put("a", "4", "\"" + "w".repeat(60) + "\"", Map.of(), 4), "larger than the whole cache");
    assertNull(cache.get(ResponseCache.key("a", "4")));
  }

  /** Verifies that the store's cache format gives back entries (LRU order, resources) and topic values. */
  @Test
  void cacheFormatRoundTripsEntriesResourcesAndTopics() {
    ResponseCache cache = new ResponseCache(10, 10_000);
    cache.put("demo.related", ResponseCache.canonical("{\"id\":7}"), "{\"id\":7}",
        Map.of("a", "{\"resource\":\"a\"}"), 1234);
    cache.put("demo.echo", ResponseCache.canonical("\"x\""), "\"x\"", Map.of(), 99);
    String text = ClientStore.encodeCache("c1", cache.snapshot(),
        List.of(new Notification(5, "prices/eu", 3, new JsonObject().put("eur", 1))));
    ClientStore.StoredCache back = ClientStore.decodeCache("c1", text);
    assertEquals(List.of("demo.related", "demo.echo"), back.entries().stream().map(ClientStore.StoredEntry::address)
        .toList());
    ClientStore.StoredEntry related = back.entries().get(0);
    assertEquals("{\"id\":7}", related.value());
    assertEquals(Map.of("a", "{\"resource\":\"a\"}"), related.resources());
    assertEquals(1234, related.receivedAt());
    assertEquals(3, back.topics().get(0).version());
    assertEquals(new JsonObject().put("eur", 1), back.topics().get(0).body());
  }

  /** Verifies that a store file written for another client id is refused rather than used. */
  @Test
  void storeOfAnotherClientIsRefused() {
    String text = ClientStore.encodeWrites("alice", List.of(new ClientStore.StoredWrite("x", "1", 1)));
    assertEquals(1, ClientStore.decodeWrites("alice", text).size());
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> ClientStore.decodeWrites("bob", text));
    assertTrue(e.getMessage().contains("alice"), e.getMessage());
  }
}
