package io.tether.client.internal;

import io.tether.client.CacheStats;
import io.tether.client.ClientErrorCode;
import io.tether.client.ConnectionState;
import io.tether.client.PrefetchOptions;
import io.tether.client.Reply;
import io.tether.client.TetherException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Prefetch for offline use (docs/CLIENT.md "Prefetch"), and the cache's hit rate. Keeps the prefetch table (reads
 * declared by the application, and those a declared read's response names in its {@value #LIST_MEMBER} list) and
 * sends them through the {@link RequestTable} like any read, so their answers, with their related resources, land
 * in the {@link ResponseCache} (and the on-disk store) with their {@code receivedAt}.
 *
 * <p>When: only while ONLINE, only when the application has had no request in flight or queued for
 * {@code idleMs} (counted from its last request's start or end, and from each (re)connection), and one prefetch at a
 * time, so a prefetch never waits in front of the application's requests for more than one round trip. Each entry
 * is fetched once, then again when its answer is {@code refreshMs} old; a failed fetch is tried again after a delay
 * that doubles from {@code max(idleMs, 1 s)} up to {@value #RETRY_MAX_MS} ms. An entry whose answer is in the cache
 * already (restored from the store) counts as fetched at its {@code receivedAt}.
 *
 * <p>Counting: every application request passes {@link #submit}; a read made while not ONLINE (nor CLOSED) is a hit
 * when the cache answered it, else a miss. Confined to the client's context; {@link #stats()} from any thread.
 */
public final class Prefetcher {

  /** Places a request: {@link RequestTable#submit}'s shape. */
  public interface Sender {
    void submit(String address, String bodyJson, String canonicalBody, long timeoutMs, Promise<Reply> promise);
  }

  /** The member of a prefetched response body that names further reads: {@code [{"address","body"}…]}. */
  public static final String LIST_MEMBER = "prefetch";
  /** Cap of the delay before a failed prefetch is tried again. */
  static final long RETRY_MAX_MS = 300_000;

  /** One read of the prefetch table. */
  private static final class Entry {
    final String address;
    final String bodyJson;
    final String canonicalBody;
    final String key;
    /** The declared entry whose response named this one; null for a declared entry. */
    Entry parent;
    /** A declared entry's children: keys of the entries its last response named. */
    Set<String> children = new LinkedHashSet<>();
    /** {@code receivedAt} of the answer in the cache; 0: not fetched yet. */
    long fetchedAt;
    long retryAt;
    int failures;
    /** Waits for the next successful fetch ({@link #declare}); null when nobody waits. */
    Promise<Void> waiter;

    Entry(String address, String bodyJson, String canonicalBody, Entry parent) {
      this.address = address;
      this.bodyJson = bodyJson;
      this.canonicalBody = canonicalBody;
      this.key = ResponseCache.key(address, canonicalBody);
      this.parent = parent;
    }
  }

  private final Vertx vertx;
  private final long idleMs;
  private final long refreshMs;
  private final int maxEntries;
  private final long timeoutMs;
  private final Predicate<String> cacheable;
  private final ResponseCache cache;
  private final Supplier<ConnectionState> state;
  private final Sender sender;
  private final LongSupplier clock;

  /** The prefetch table, by cache key, in declaration order. */
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private int appInFlight;
  private long lastActivity;
  private boolean fetching;
  private boolean started;
  private boolean closed;
  private long timer = -1;

  // Written on the context only; read by stats() from any thread.
  private volatile long hits;
  private volatile long misses;
  private volatile long prefetchHits;
  private volatile long fetches;
  private volatile long failures;
  private volatile long dropped;
  private volatile int entryCount;
  private volatile List<String> fetchedKeys = List.of();

  /**
   * @param timeoutMs the timeout of each prefetch request (the client's {@code requestTimeoutMs})
   * @param clock     wall-clock milliseconds, the clock of {@link Reply#receivedAt()}
   */
  public Prefetcher(Vertx vertx, PrefetchOptions options, long timeoutMs, Predicate<String> cacheable,
      ResponseCache cache, Supplier<ConnectionState> state, Sender sender, LongSupplier clock) {
    this.vertx = vertx;
    this.idleMs = options.getIdleMs();
    this.refreshMs = options.getRefreshMs();
    this.maxEntries = options.getMaxEntries();
    this.timeoutMs = timeoutMs;
    this.cacheable = cacheable;
    this.cache = cache;
    this.state = state;
    this.sender = sender;
    this.clock = clock;
  }

  /** Declares the entries of the options and starts scheduling; called once the on-disk store has been read. */
  public void start(List<PrefetchOptions.Entry> declared) {
    started = true;
    lastActivity = clock.getAsLong();
    for (PrefetchOptions.Entry e : declared) {
      declare(e.address(), e.body()); // validated with the options; its future is for later declare() calls
    }
  }

  /**
   * Declares a read to prefetch. Completes once its answer is in the cache (at once if it is); fails with the error
   * of the next attempt if that fails (the entry stays and is tried again), with {@code prefetch_full} when the table
   * holds {@code prefetch.maxEntries} entries, or with IllegalArgumentException for an address that is not cacheable.
   * Declaring an entry that the table holds already returns its future; one the backend had named becomes declared.
   */
  public Future<Void> declare(String address, String bodyJson) {
    if (closed) {
      return Future.failedFuture(new TetherException(TetherException.CLOSED, "the client is closed"));
    }
    if (!cacheable.test(address)) {
      return Future.failedFuture(new IllegalArgumentException("cannot prefetch '" + address
          + "': only reads are prefetched, and its address does not match cacheableAddresses"));
    }
    String canonical = ResponseCache.canonical(bodyJson);
    Entry e = entries.get(ResponseCache.key(address, canonical));
    if (e == null) {
      if (entries.size() >= maxEntries) {
        return Future.failedFuture(new TetherException(ClientErrorCode.PREFETCH_FULL.code(), "cannot prefetch '"
            + address + "': the prefetch table is full (" + entries.size() + " entries; bound: prefetch.maxEntries "
            + maxEntries + ")"));
      }
      e = add(address, bodyJson, canonical, null);
    } else if (e.parent != null) {
      e.parent.children.remove(e.key);
      e.parent = null;
      if (e.fetchedAt > 0) {
        ResponseCache.Entry c = cache.get(e.key);
        follow(e, c == null ? null : Json.decodeValue(c.value()));
      }
    }
    published();
    schedule();
    if (e.fetchedAt > 0) {
      return Future.succeededFuture();
    }
    if (e.waiter == null) {
      e.waiter = Promise.promise();
    }
    return e.waiter.future();
  }

  private Entry add(String address, String bodyJson, String canonical, Entry parent) {
    Entry e = new Entry(address, bodyJson, canonical, parent);
    entries.put(e.key, e);
    entryCount = entries.size();
    ResponseCache.Entry cached = cache.get(e.key);
    if (cached != null) { // restored from the store, or asked by the application already
      e.fetchedAt = cached.receivedAt();
      if (parent == null) {
        follow(e, Json.decodeValue(cached.value()));
      }
    }
    return e;
  }

  /**
   * An application request: counted (idleness, hit rate) and placed.
   *
   * @param canonicalBody as for {@link RequestTable#submit}: null for a write
   */
  public void submit(String address, String bodyJson, String canonicalBody, long timeoutMs, Promise<Reply> promise) {
    ConnectionState now = state.get();
    appInFlight++;
    lastActivity = clock.getAsLong();
    sender.submit(address, bodyJson, canonicalBody, timeoutMs, promise);
    if (canonicalBody != null && now != ConnectionState.ONLINE && now != ConnectionState.CLOSED) {
      Future<Reply> f = promise.future();
      if (f.succeeded() && f.result().fromCache()) { // a hit is answered synchronously, in submit
        hits++;
        Entry e = entries.get(ResponseCache.key(address, canonicalBody));
        if (e != null && e.fetchedAt > 0) {
          prefetchHits++;
        }
      } else {
        misses++;
      }
    }
    promise.future().onComplete(ar -> {
      appInFlight--;
      lastActivity = clock.getAsLong();
      schedule();
    });
  }

  /** The session is ONLINE again (welcome or resumed): idleness counts from now. */
  public void online() {
    lastActivity = clock.getAsLong();
    schedule();
  }

  /** The client closed: waiting declarations fail with {@code error}; nothing more is fetched. */
  public void close(TetherException error) {
    closed = true;
    Support.cancelTimer(vertx, timer);
    timer = -1;
    for (Entry e : entries.values()) {
      if (e.waiter != null) {
        e.waiter.tryFail(error);
        e.waiter = null;
      }
    }
  }

  /** A snapshot of the counters; any thread. */
  public CacheStats stats() {
    int prefetched = 0;
    for (String key : fetchedKeys) {
      if (cache.containsKey(key)) {
        prefetched++;
      }
    }
    return new CacheStats(hits, misses, prefetchHits, entryCount, prefetched, fetches, failures, dropped);
  }

  /** When {@code e} is due: 0 (now) for a first fetch, its retry time after a failure, else its refresh time. */
  private long dueAt(Entry e) {
    if (e.failures > 0) {
      return e.retryAt;
    }
    if (e.fetchedAt == 0) {
      return 0;
    }
    return refreshMs > 0 ? e.fetchedAt + refreshMs : Long.MAX_VALUE;
  }

  /** Arms the one timer for the next prefetch: at the earliest due entry, not before {@code idleMs} of idleness. */
  private void schedule() {
    Support.cancelTimer(vertx, timer);
    timer = -1;
    if (!started || closed || fetching || appInFlight > 0) {
      return; // the end of the fetch, or of the application's last request, schedules again
    }
    long due = Long.MAX_VALUE;
    for (Entry e : entries.values()) {
      due = Math.min(due, dueAt(e));
    }
    if (due == Long.MAX_VALUE) {
      return;
    }
    long at = Math.max(due, lastActivity + idleMs);
    timer = vertx.setTimer(Math.max(1, at - clock.getAsLong()), id -> {
      timer = -1;
      fire();
    });
  }

  private void fire() {
    if (closed || fetching || appInFlight > 0 || state.get() != ConnectionState.ONLINE) {
      return; // online() or the end of a request schedules again
    }
    long now = clock.getAsLong();
    Entry next = null;
    if (now >= lastActivity + idleMs) {
      for (Entry e : entries.values()) {
        if (dueAt(e) <= now && (next == null || dueAt(e) < dueAt(next))) {
          next = e;
        }
      }
    }
    if (next == null) {
      schedule();
      return;
    }
    fetch(next);
  }

  private void fetch(Entry e) {
    fetching = true;
    Promise<Reply> p = Promise.promise();
    p.future().onComplete(ar -> {
      fetching = false;
      if (!closed && entries.get(e.key) == e) {
        if (ar.failed()) {
          failed(e, ar.cause());
        } else if (!cache.containsKey(e.key)) {
          failed(e, new IllegalStateException("the answer to '" + e.address + "' was not cached (larger than"
              + " cacheMaxBytes, or cacheMaxEntries is 0)"));
        } else {
          fetched(e, ar.result());
        }
      }
      schedule();
    });
    sender.submit(e.address, e.bodyJson, e.canonicalBody, timeoutMs, p);
  }

  private void fetched(Entry e, Reply reply) {
    e.fetchedAt = reply.receivedAt();
    e.failures = 0;
    fetches++;
    if (e.parent == null) {
      follow(e, reply.body());
    }
    published();
    if (e.waiter != null) {
      Promise<Void> w = e.waiter;
      e.waiter = null;
      w.tryComplete();
    }
  }

  private void failed(Entry e, Throwable cause) {
    e.failures++;
    failures++;
    long base = Math.max(idleMs, 1_000);
    e.retryAt = clock.getAsLong() + Math.min(RETRY_MAX_MS, base << Math.min(e.failures - 1, 16));
    if (e.waiter != null) {
      Promise<Void> w = e.waiter;
      e.waiter = null;
      w.tryFail(cause);
    }
  }

  /**
   * Reads a declared entry's response for its {@value #LIST_MEMBER} list: {@code [{"address":…,"body":…}…]} (an
   * absent body is JSON null). Named reads join the table as its children while it has room; the children its previous
   * response named and this one does not leave the table. Children's own lists are not followed.
   */
  private void follow(Entry parent, Object body) {
    Set<String> named = new LinkedHashSet<>();
    JsonArray list = body instanceof JsonObject o && o.getValue(LIST_MEMBER) instanceof JsonArray a ? a : null;
    for (Object item : list == null ? List.of() : list) {
      if (!(item instanceof JsonObject i) || !(i.getValue("address") instanceof String address) || address.isEmpty()
          || !cacheable.test(address)) {
        dropped++; // malformed, or a write: the SDK never sends a write on its own
        continue;
      }
      String json = Json.encode(i.getValue("body"));
      String canonical = ResponseCache.canonical(json);
      String key = ResponseCache.key(address, canonical);
      Entry there = entries.get(key);
      if (there != null) {
        if (there.parent == parent) {
          named.add(key);
        }
        continue; // declared, or another entry's child: fetched as such
      }
      if (entries.size() >= maxEntries) {
        dropped++;
        continue;
      }
      add(address, json, canonical, parent);
      named.add(key);
    }
    for (String key : parent.children) {
      Entry child = entries.get(key);
      if (!named.contains(key) && child != null && child.parent == parent) {
        entries.remove(key);
      }
    }
    parent.children = named;
    entryCount = entries.size();
  }

  /** Publishes the keys of the fetched entries for {@link #stats()}. */
  private void published() {
    List<String> keys = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (e.fetchedAt > 0) {
        keys.add(e.key);
      }
    }
    fetchedKeys = List.copyOf(keys);
  }
}
