package io.tether.gateway.session;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide budget of unacknowledged server-frame bytes (docs/PROTOCOL.md §12, option {@code nodeBufferMaxBytes}):
 * one counter shared by every session of the node, on every event loop. Each session's {@link Outbox} charges what it
 * numbers or replays and gives back what its client acknowledges, and everything it still holds when it leaves the
 * node ({@link Session#releaseBuffer}), so the counter is the sum of the per-session windows of the sessions here.
 */
public final class NodeBuffer {

  private final AtomicLong bytes = new AtomicLong();
  private final long maxBytes;
  private final Runnable onRefused;

  /** A budget of {@code maxBytes}; {@code onRefused} runs (on the refusing thread) for every send it refuses. */
  public NodeBuffer(long maxBytes, Runnable onRefused) {
    this.maxBytes = maxBytes;
    this.onRefused = onRefused;
  }

  /** The budget for option value {@code configured}: itself, or a quarter of the maximum heap when it is 0. */
  public static long budget(long configured) {
    return configured > 0 ? configured : Runtime.getRuntime().maxMemory() / 4;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Unacknowledged bytes the node's sessions hold now. */
  public long bytes() {
    return bytes.get();
  }

  /** Charges {@code n} bytes if the total stays within the budget (atomically: it is never passed); else false. */
  boolean tryCharge(long n) {
    long current;
    do {
      current = bytes.get();
      if (current + n > maxBytes) {
        onRefused.run();
        return false;
      }
    } while (!bytes.compareAndSet(current, current + n));
    return true;
  }

  /** Charges bytes that must not be refused: frames already accepted (replayed after a resume, answers). */
  void charge(long n) {
    bytes.addAndGet(n);
  }

  void release(long n) {
    bytes.addAndGet(-n);
  }
}
