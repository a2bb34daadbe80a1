package io.tether.client.internal;

import io.vertx.core.Vertx;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reconnect attempts in a row: exponential delays with full jitter, and the limit on attempts. The n-th attempt in a
 * row (from 0) waits a uniformly random time in [1, min(initial × 2^n, max)] ms, so that many clients cut off
 * together do not come back together.
 */
public final class Backoff {

  private final Vertx vertx;
  private final long initialMs;
  private final long maxMs;
  private final int maxAttempts;
  private int attempts;
  private boolean immediately;
  private long timer = -1;

  /** {@code maxAttempts} -1: no limit. */
  public Backoff(Vertx vertx, long initialMs, long maxMs, int maxAttempts) {
    this.vertx = vertx;
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.maxAttempts = maxAttempts;
  }

  /** Attempts counted since the last {@link #reset}. */
  public int attempts() {
    return attempts;
  }

  /** As many attempts failed in a row as allowed. */
  public boolean exhausted() {
    return maxAttempts >= 0 && attempts >= maxAttempts;
  }

  /** A connection succeeded, or a new series of attempts starts. */
  public void reset() {
    attempts = 0;
  }

  /** The next attempt goes at once (1 ms): the server asked the client to move. */
  public void immediately() {
    immediately = true;
  }

  /** Runs {@code attempt} after the next delay, which counts as an attempt. */
  public void schedule(Runnable attempt) {
    cancel();
    timer = vertx.setTimer(nextDelay(), id -> {
      timer = -1;
      attempt.run();
    });
  }

  public void cancel() {
    Support.cancelTimer(vertx, timer);
    timer = -1;
  }

  /** The delay before the next attempt, which it counts. */
  long nextDelay() {
    long delay;
    if (immediately) {
      immediately = false;
      delay = 1;
    } else {
      long bound = initialMs << Math.min(attempts, 30);
      bound = bound <= 0 ? maxMs : Math.min(bound, maxMs);
      delay = Math.max(1, ThreadLocalRandom.current().nextLong(bound + 1));
    }
    attempts++;
    return delay;
  }
}
