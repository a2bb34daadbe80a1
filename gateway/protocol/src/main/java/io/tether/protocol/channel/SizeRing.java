package io.tether.protocol.channel;

/**
 * Sizes of the unacknowledged frames, oldest first, so that a cumulative ack can give their bytes back to the
 * session's byte budget. Four bytes per frame instead of a second copy of the frames.
 */
public final class SizeRing {

  private static final int[] NONE = new int[0];

  /** Allocated on first use: an idle session holds none. */
  private int[] sizes = NONE;
  private int head;
  private int count;

  public void add(int size) {
    if (count == sizes.length) {
      int[] grown = new int[Math.max(8, sizes.length * 2)];
      for (int i = 0; i < count; i++) {
        grown[i] = sizes[(head + i) % sizes.length];
      }
      sizes = grown;
      head = 0;
    }
    sizes[(head + count) % sizes.length] = size;
    count++;
  }

  /** Removes the {@code n} oldest sizes and returns their sum. */
  public long pop(long n) {
    long sum = 0;
    for (long i = 0; i < n && count > 0; i++) {
      sum += sizes[head];
      head = (head + 1) % sizes.length;
      count--;
    }
    if (count == 0 && sizes.length > 64) {
      sizes = NONE;
      head = 0;
    }
    return sum;
  }

  public int count() {
    return count;
  }
}
