package io.tether.client.internal;

import io.tether.client.Reply;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client's response cache: responses of cacheable requests, with the related resources pushed on their streams,
 * keyed by address and the canonical JSON of the request body. A bounded LRU: at most {@code maxEntries} entries and
 * {@code maxBytes} bytes (UTF-8 size of key, value and resources); the least recently used entry goes first. An entry
 * larger than {@code maxBytes} on its own is not kept. Values are kept as JSON text, so what the application gets is
 * always a fresh copy. Thread-safe (the observation methods of the client read it from any thread).
 */
public final class ResponseCache {

  /** One cached response. */
  public record Entry(String address, String canonicalBody, String value, Map<String, String> resources, long receivedAt,
      int bytes) {

    public Reply toReply() {
      Map<String, Object> decoded = new LinkedHashMap<>();
      resources.forEach((label, json) -> decoded.put(label, Json.decodeValue(json)));
      return new Reply(Json.decodeValue(value), true, receivedAt, decoded);
    }
  }

  private final int maxEntries;
  private final long maxBytes;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  public ResponseCache(int maxEntries, long maxBytes) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** The cache key of a request: its address and the canonical form of its JSON body. */
  public static String key(String address, String canonicalBody) {
    return address + '\u0000' + canonicalBody;
  }

  /**
   * The canonical text of a JSON value: object members sorted by name (recursively), no whitespace. Two bodies that
   * differ only in member order or spacing have the same canonical text.
   */
  public static String canonical(String json) {
    return Json.encode(canonicalValue(Json.decodeValue(json)));
  }

  private static Object canonicalValue(Object v) {
    if (v instanceof JsonObject o) {
      TreeMap<String, Object> sorted = new TreeMap<>();
      o.forEach(e -> sorted.put(e.getKey(), canonicalValue(e.getValue())));
      return new JsonObject(new LinkedHashMap<>(sorted));
    }
    if (v instanceof JsonArray a) {
      List<Object> list = new ArrayList<>(a.size());
      a.forEach(x -> list.add(canonicalValue(x)));
      return new JsonArray(list);
    }
    return v;
  }

  public synchronized Entry get(String key) {
    return entries.get(key);
  }

  /** Whether an entry is kept under {@code key}; unlike {@link #get}, it does not count as a use (LRU order). */
  public synchronized boolean containsKey(String key) {
    return entries.containsKey(key);
  }

  /** Stores (or replaces) an entry; returns false if it is too large to be kept at all. */
  public synchronized boolean put(String address, String canonicalBody, String value, Map<String, String> resources,
      long receivedAt) {
    if (maxEntries == 0) {
      return false;
    }
    String key = key(address, canonicalBody);
    int size = utf8(key) + utf8(value);
    Map<String, String> res = resources == null || resources.isEmpty() ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(resources));
    for (Map.Entry<String, String> r : res.entrySet()) {
      size += utf8(r.getKey()) + utf8(r.getValue());
    }
    Entry old = entries.remove(key);
    if (old != null) {
      bytes -= old.bytes();
    }
    if (size > maxBytes) {
      return false;
    }
    entries.put(key, new Entry(address, canonicalBody, value, res, receivedAt, size));
    bytes += size;
    Iterator<Entry> eldest = entries.values().iterator();
    while ((entries.size() > maxEntries || bytes > maxBytes) && eldest.hasNext()) {
      Entry e = eldest.next();
      eldest.remove();
      bytes -= e.bytes();
    }
    return true;
  }

  public synchronized void clear() {
    entries.clear();
    bytes = 0;
  }

  public synchronized int size() {
    return entries.size();
  }

  public synchronized long bytes() {
    return bytes;
  }

  /** Every entry, least recently used first (the order in which {@link #put} must replay them). */
  public synchronized List<Entry> snapshot() {
    return new ArrayList<>(entries.values());
  }

  static int utf8(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return s.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return s.length();
  }
}
