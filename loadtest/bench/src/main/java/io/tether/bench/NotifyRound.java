package io.tether.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/** One round of one target; shared by the event loops. */
final class NotifyRound {
  final int number;
  final int publishes;
  final CountDownLatch subsDone;
  final AtomicLong lastDone = new AtomicLong();
  final AtomicLong publishErrors = new AtomicLong();
  volatile long start;
  volatile long publishDone;
  /** Highest version in this round's publish responses; Long.MAX_VALUE until all responses are in. */
  volatile long finalVersion = Long.MAX_VALUE;

  NotifyRound(int number, int publishes, int subscribers) {
    this.number = number;
    this.publishes = publishes;
    this.subsDone = new CountDownLatch(subscribers);
  }

  void subscriberDone() {
    lastDone.accumulateAndGet(System.nanoTime(), Math::max);
    subsDone.countDown();
  }
}
