package io.tether.bench.abuse;

/**
 * What one attack observed: how many attempts it made and how many the node refused as documented. {@code skipped}
 * is set when the node showed none of the behaviour the attack looks for and the feature is not in this build (or
 * the run lacks what the attack needs); the counts are still what was observed.
 */
record Outcome(int tried, int refused, String skipped, String detail) {

  static Outcome of(int tried, int refused, String detail) {
    return new Outcome(tried, refused, null, detail);
  }

  /**
   * For a limit of a feature that may not be merged yet: none refused means the node does not have it; some but not
   * all refused is a failure like any other.
   */
  static Outcome pending(int tried, int refused, String detail) {
    return refused == 0 && tried > 0 ? new Outcome(tried, 0, "feature not in this build", detail)
        : new Outcome(tried, refused, null, detail);
  }

  static Outcome skip(String why) {
    return new Outcome(0, 0, why, null);
  }
}
