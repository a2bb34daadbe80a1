package io.tether.client;

/**
 * How well the response cache served the application while it was not ONLINE, and what prefetch did
 * (docs/CLIENT.md "Prefetch"). Counted since the client was created; a snapshot ({@link TetherClient#cacheStats()}).
 *
 * @param hits             reads (requests to cacheable addresses) made while not ONLINE and answered from the cache
 * @param misses           reads made while not ONLINE that the cache could not answer (queued, or failed at once)
 * @param prefetchHits     those of the {@code hits} answered by an entry of the prefetch table that had been fetched
 * @param prefetchEntries  entries in the prefetch table now: declared ones and those named by the backend
 * @param prefetched       of those, entries fetched at least once whose answer is still in the cache
 * @param prefetchFetches  prefetch requests answered successfully (first fetches and refreshes)
 * @param prefetchFailures prefetch requests that failed (they are tried again later)
 * @param prefetchDropped  entries named in the backend's {@code prefetch} lists and not taken: over
 *                         {@code prefetch.maxEntries}, malformed, or not a cacheable address
 */
public record CacheStats(long hits, long misses, long prefetchHits, int prefetchEntries, int prefetched,
    long prefetchFetches, long prefetchFailures, long prefetchDropped) {

  /** {@code hits / (hits + misses)}: the share of offline reads the cache answered; 0 when there was none. */
  public double hitRate() {
    long reads = hits + misses;
    return reads == 0 ? 0 : (double) hits / reads;
  }

  /** One line for logs and the CLI. */
  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "hits=%d misses=%d hitRate=%.3f prefetchHits=%d prefetchEntries=%d"
        + " prefetched=%d prefetchFetches=%d prefetchFailures=%d prefetchDropped=%d", hits, misses, hitRate(),
        prefetchHits, prefetchEntries, prefetched, prefetchFetches, prefetchFailures, prefetchDropped);
  }
}
