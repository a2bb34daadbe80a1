package io.tether.bench.abuse;

/**
 * What one attack observed: how many attempts it made and how many the node refused as documented. {@code skipped}
 * is set when the run lacks what the attack needs (a limit or key not given to the runner).
 */
record Outcome(int tried, int refused, String skipped, String detail) {

  static Outcome of(int tried, int refused, String detail) {
    return new Outcome(tried, refused, null, detail);
  }

  static Outcome skip(String why) {
    return new Outcome(0, 0, why, null);
  }
}
