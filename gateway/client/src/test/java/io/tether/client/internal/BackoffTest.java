package io.tether.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Reconnect delays: exponential bounds with full jitter, capped; the attempt limit; an immediate retry. */
@ExtendWith(VertxExtension.class)
class BackoffTest {

  /** Verifies that the n-th delay in a row lies in [1, min(initial × 2^n, max)] and that the bound is reached. */
  @Test
  void delaysStayWithinTheExponentialBoundAndTheCap(Vertx vertx) {
    for (int run = 0; run < 200; run++) {
      Backoff b = new Backoff(vertx, 100, 1000, -1);
      long[] bounds = {100, 200, 400, 800, 1000, 1000, 1000};
      for (long bound : bounds) {
        long d = b.nextDelay();
        assertTrue(d >= 1 && d <= bound, "delay " + d + " outside [1, " + bound + "]");
      }
      assertEquals(bounds.length, b.attempts());
    }
    long max = 0;
    Backoff b = new Backoff(vertx, 100, 1000, -1);
    for (int i = 0; i < 10; i++) {
      b.nextDelay();
    }
    for (int i = 0; i < 500; i++) {
      max = Math.max(max, b.nextDelay());
    }
    assertTrue(max > 500, "jitter spreads over the whole range, max seen " + max);
  }

  /** Verifies the attempt limit, that reset starts over, and that an immediate retry waits 1 ms once. */
  @Test
  void attemptsAreLimitedAndAnImmediateRetryIsOneMillisecond(Vertx vertx) {
    Backoff b = new Backoff(vertx, 1000, 1000, 2);
    b.immediately();
    assertEquals(1, b.nextDelay());
    assertFalse(b.exhausted());
    assertTrue(b.nextDelay() >= 1);
    assertTrue(b.exhausted());
    b.reset();
    assertFalse(b.exhausted());
    assertFalse(new Backoff(vertx, 1, 1, -1).exhausted(), "-1: no limit");
  }
}
