package io.tether.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Latency samples in milliseconds; percentiles by nearest rank (p99 of 100 samples is the 99th smallest). */
final class Latencies {

  private final List<Double> samples = new ArrayList<>();

  void addNanos(long nanos) {
    samples.add(nanos / 1e6);
  }

  void addAll(Latencies other) {
    samples.addAll(other.samples);
  }

  int count() {
    return samples.size();
  }

  /** @param p 0 < p <= 100; NaN when there are no samples */
  double percentile(double p) {
    if (samples.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(samples);
    Collections.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  double max() {
    return percentile(100);
  }

  /** {@code <prefix>p50_ms=… <prefix>p99_ms=… <prefix>max_ms=…}, "-" where there is no sample. */
  String format(String prefix) {
    return prefix + "p50_ms=" + ms(percentile(50)) + " " + prefix + "p99_ms=" + ms(percentile(99)) + " " + prefix
      + "max_ms=" + ms(max());
  }

  static String ms(double value) {
    return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.1f", value);
  }
}
