package io.tether.bench.rr;

import org.HdrHistogram.Histogram;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one round measured on one target: latencies from each request's intended send time to its response
 * (coordinated-omission corrected, in microseconds), how late the client itself sent (its own lag, also
 * microseconds), and counts. One instance per worker and target is written by that worker's event loop only;
 * the driver merges copies taken on those loops, so no field needs synchronisation.
 */
final class RoundStats {

  /** Up to a minute: a request outstanding longer than the timeout is counted as a timeout, never recorded. */
  static final long HIGHEST_US = 60_000_000L;

  final Histogram latency = new Histogram(HIGHEST_US, 3);
  final Histogram lag = new Histogram(HIGHEST_US, 3);
  long sent;
  long ok;
  /** ok:false responses, error frames naming a request, sends on a closed socket; by code in {@link #codes}. */
  long errors;
  long timeouts;
  long gaps;
  long dups;
  final Map<String, Long> codes = new TreeMap<>();
  long lastResponseNanos;
  /** Answered requests per second over the round, set by the driver (not summed by {@link #add}). */
  double achieved;

  void recordLatency(long nanos) {
    latency.recordValue(Math.min(HIGHEST_US, Math.max(0, nanos / 1000)));
  }

  void recordLag(long nanos) {
    lag.recordValue(Math.min(HIGHEST_US, Math.max(0, nanos / 1000)));
  }

  void error(String code) {
    errors++;
    codes.merge(code, 1L, Long::sum);
  }

  RoundStats add(RoundStats other) {
    latency.add(other.latency);
    lag.add(other.lag);
    sent += other.sent;
    ok += other.ok;
    errors += other.errors;
    timeouts += other.timeouts;
    gaps += other.gaps;
    dups += other.dups;
    other.codes.forEach((k, v) -> codes.merge(k, v, Long::sum));
    lastResponseNanos = Math.max(lastResponseNanos, other.lastResponseNanos);
    return this;
  }

  RoundStats copy() {
    return new RoundStats().add(this);
  }

  boolean clean() {
    return errors == 0 && timeouts == 0 && gaps == 0 && dups == 0;
  }

  /** {@code p50=… p99=… p999=… max=…} in milliseconds, "-" without samples. */
  String percentiles() {
    return "p50=" + ms(latency, 50) + " p99=" + ms(latency, 99) + " p999=" + ms(latency, 99.9)
      + " max=" + (latency.getTotalCount() == 0 ? "-" : fmt(latency.getMaxValue() / 1000.0));
  }

  static String ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? "-" : fmt(h.getValueAtPercentile(percentile) / 1000.0);
  }

  static String fmt(double ms) {
    return String.format(Locale.ROOT, "%.3f", ms);
  }

  String codesText() {
    return codes.isEmpty() ? "-" : codes.toString().replace(" ", "");
  }
}
