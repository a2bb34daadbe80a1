package io.tether.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Reads the session store's Hazelcast operation counters ({@code tether_store_operations_total{op}}) from the
 * {@code /metrics} of every node of a target, summed: all operations and the flushes (session writes) alone.
 */
final class StoreOps {

  private static final String METRIC = "tether_store_operations_total{";
  /** Session writes (one per session batch), counted by main's gateway too: there each one is its own operation. */
  private static final String WRITES = "tether_store_flush_duration_seconds_count";
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<String> urls;

  /** {@code spec}: metrics URLs separated by '|', or "-" / empty for none. */
  StoreOps(String spec) {
    this.urls = spec == null || spec.isBlank() || spec.equals("-") ? List.of() : List.of(spec.split("\\|"));
  }

  boolean enabled() {
    return !urls.isEmpty();
  }

  /** {all operations, flush operations, session writes} summed over the nodes; -1s if a node did not answer. */
  long[] read() {
    long total = 0;
    long flush = 0;
    long writes = 0;
    for (String url : urls) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
          .build(), HttpResponse.BodyHandlers.ofString());
        for (String line : r.body().split("\n")) {
          if (line.startsWith(METRIC)) {
            long v = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            total += v;
            if (line.contains("op=\"flush\"")) {
              flush += v;
            }
          } else if (line.startsWith(WRITES)) {
            writes += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          }
        }
      } catch (Exception e) {
        return new long[] {-1, -1, -1};
      }
    }
    return new long[] {total, flush, writes};
  }
}
