package io.tether.client;

import io.tether.protocol.NamePatterns;
import io.vertx.core.json.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * Prefetch for offline use (docs/CLIENT.md "Prefetch"): reads the client makes on its own while the session is ONLINE
 * and idle, so that their answers are in the response cache when the network goes away. Part of
 * {@link TetherClientOptions#setPrefetch}; entries can also be declared at run time ({@link TetherClient#prefetch}).
 *
 * <p>Every entry must be a read: its address must match {@link TetherClientOptions#setCacheableAddresses
 * cacheableAddresses}. Prefetch sends the request without the application asking, and the SDK never sends a write
 * on its own.
 */
public class PrefetchOptions {

  /** No request of the application may have been in flight for this long before a prefetch is sent. */
  public static final long DEFAULT_IDLE_MS = 1_000;
  /** A prefetched answer is fetched again (when idle) once it is this old; 0 = never. */
  public static final long DEFAULT_REFRESH_MS = 300_000;
  /** Entries the client keeps: declared ones and those named by the backend's {@code prefetch} lists together. */
  public static final int DEFAULT_MAX_ENTRIES = 100;
  /** The highest {@code maxEntries} accepted: each entry is a request and a cache entry. */
  public static final int MAX_ENTRIES_LIMIT = 10_000;

  /**
   * One read to prefetch: a request to {@code address} with {@code body} (JSON text, as {@link Json#encode} makes it).
   */
  public record Entry(String address, String body) {

    /** An entry with a body given as any value {@link Json#encode} accepts. */
    public static Entry of(String address, Object body) {
      return new Entry(address, Json.encode(body));
    }
  }

  private final List<Entry> entries = new ArrayList<>();
  private long idleMs = DEFAULT_IDLE_MS;
  private long refreshMs = DEFAULT_REFRESH_MS;
  private int maxEntries = DEFAULT_MAX_ENTRIES;

  public PrefetchOptions() {
  }

  public PrefetchOptions(PrefetchOptions other) {
    this.entries.addAll(other.entries);
    this.idleMs = other.idleMs;
    this.refreshMs = other.refreshMs;
    this.maxEntries = other.maxEntries;
  }

  /**
   * Checks these options against the client's cacheable addresses; throws {@link IllegalArgumentException} naming the
   * first bad option.
   */
  void validate(List<String> cacheableAddresses) {
    require(idleMs >= 10, "prefetch.idleMs must be at least 10");
    require(refreshMs == 0 || refreshMs >= 1_000, "prefetch.refreshMs must be 0 (never) or at least 1000");
    require(maxEntries >= 0 && maxEntries <= MAX_ENTRIES_LIMIT,
        "prefetch.maxEntries must be between 0 and " + MAX_ENTRIES_LIMIT);
    require(entries.size() <= maxEntries, "prefetch declares " + entries.size()
        + " entries, above prefetch.maxEntries (" + maxEntries + ")");
    NamePatterns cacheable = new NamePatterns(cacheableAddresses);
    for (Entry e : entries) {
      require(e != null && e.address() != null && !e.address().isEmpty(),
          "prefetch entries need a non-empty address");
      require(cacheable.matches(e.address()), "prefetch entry '" + e.address()
          + "' is not a read: its address must match cacheableAddresses " + cacheableAddresses);
      try {
        Json.decodeValue(e.body());
      } catch (RuntimeException x) {
        throw new IllegalArgumentException("prefetch entry '" + e.address() + "' has a body that is not JSON: "
            + x.getMessage(), x);
      }
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  public List<Entry> getEntries() {
    return List.copyOf(entries);
  }

  /** The reads to prefetch from the start (replacing any declared before); at most {@link #setMaxEntries}. */
  public PrefetchOptions setEntries(List<Entry> entries) {
    this.entries.clear();
    if (entries != null) {
      this.entries.addAll(entries);
    }
    return this;
  }

  /** Adds a read to prefetch: a request to {@code address} with {@code body} (any value {@link Json#encode} takes). */
  public PrefetchOptions addEntry(String address, Object body) {
    entries.add(Entry.of(address, body));
    return this;
  }

  public long getIdleMs() {
    return idleMs;
  }

  /**
   * How long the application must have had no request in flight (nor queued) before the client sends a prefetch; the
   * time also counts from each (re)connection. At least 10.
   */
  public PrefetchOptions setIdleMs(long idleMs) {
    this.idleMs = idleMs;
    return this;
  }

  public long getRefreshMs() {
    return refreshMs;
  }

  /** Age at which a prefetched answer is fetched again, when idle; 0 = fetch each entry once only. */
  public PrefetchOptions setRefreshMs(long refreshMs) {
    this.refreshMs = refreshMs;
    return this;
  }

  public int getMaxEntries() {
    return maxEntries;
  }

  /**
   * Bound of the prefetch table: declared entries and those the backend named in {@code prefetch} lists, together.
   * Declaring more fails ({@link TetherClient#create}: IllegalArgumentException; {@link TetherClient#prefetch}:
   * {@code prefetch_full}); named entries that do not fit are not fetched ({@link CacheStats#prefetchDropped()}).
   */
  public PrefetchOptions setMaxEntries(int maxEntries) {
    this.maxEntries = maxEntries;
    return this;
  }

  @Override
  public String toString() {
    return "PrefetchOptions[entries=" + entries.size() + ", idleMs=" + idleMs + ", refreshMs=" + refreshMs
        + ", maxEntries=" + maxEntries + "]";
  }
}
