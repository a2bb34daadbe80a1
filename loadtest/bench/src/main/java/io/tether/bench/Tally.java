package io.tether.bench;

/** Counters of one connection (or a sum of connections) for one push round. Not thread-safe. */
final class Tally {
  /** Reliable pushes on stream 0 accepted (not duplicates). */
  long delivered;
  /** ok:false responses, error/bye frames, unexpected closes, volatile pushes where reliable ones were asked for. */
  long errors;
  /** Reliable frames whose seq skipped ahead of the last one + 1. */
  long gaps;
  /** Reliable frames whose seq was not above the last one (dropped, as the protocol requires). */
  long dups;

  Tally add(Tally other) {
    delivered += other.delivered;
    errors += other.errors;
    gaps += other.gaps;
    dups += other.dups;
    return this;
  }

  boolean clean() {
    return errors == 0 && gaps == 0 && dups == 0;
  }
}
