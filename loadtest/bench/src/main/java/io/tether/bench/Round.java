package io.tether.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Completion of one push round across all connections of a target; shared by the event-loop threads. */
final class Round {

  final long seq;
  final int stream;
  final int count;
  private final CountDownLatch pending;
  private final AtomicLong lastDoneNanos = new AtomicLong();

  /**
   * @param number 1-based round number: the client's request seq is the round number (requests are its
   *               only reliable frames) and client-initiated streams are the odd ids 1, 3, 5, …
   */
  Round(int number, int count, int connections) {
    this.seq = number;
    this.stream = 2 * number - 1;
    this.count = count;
    this.pending = new CountDownLatch(connections);
  }

  /** Called once per connection when it has every push and the response, or has failed. */
  void connectionDone() {
    lastDoneNanos.accumulateAndGet(System.nanoTime(), Math::max);
    pending.countDown();
  }

  boolean await(long timeoutMs) throws InterruptedException {
    return pending.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  long lastDoneNanos() {
    return lastDoneNanos.get();
  }
}
