package io.tether.gateway.transport;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many client sockets this node holds at once, shared by its endpoint verticles. Beyond the limit a WebSocket
 * handshake is answered HTTP 503 (a load balancer tries another node) instead of letting the process run out of file
 * descriptors: at that point accepting fails in a loop and the sessions already held starve (docs/OPERATIONS.md
 * "Sizing").
 */
public final class ConnectionLimit {

  /** Descriptors kept for everything but client sockets: cluster links, the management port, jars, logs. */
  static final int RESERVED_DESCRIPTORS = 1024;

  private final int max;
  private final AtomicInteger open = new AtomicInteger();

  public ConnectionLimit(int max) {
    this.max = max;
  }

  /** The limit for a configured {@code maxConnections}: itself if set (> 0), else derived from the process. */
  public static int effective(int configured) {
    return configured > 0 ? configured : derive(maxFileDescriptors());
  }

  /**
   * The open-file limit less a reserve ({@link #RESERVED_DESCRIPTORS}, or a quarter of a smaller limit), at least 16;
   * unlimited when the limit cannot be read.
   */
  static int derive(long fileDescriptorLimit) {
    if (fileDescriptorLimit <= 0) {
      return Integer.MAX_VALUE;
    }
    long reserve = Math.min(RESERVED_DESCRIPTORS, fileDescriptorLimit / 4);
    return (int) Math.max(16, Math.min(Integer.MAX_VALUE, fileDescriptorLimit - reserve));
  }

  /** This process's open-file limit (the JVM raises its soft limit to the hard one at start), or -1. */
  static long maxFileDescriptors() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os
        ? os.getMaxFileDescriptorCount() : -1;
  }

  /** Takes a place for a new socket; false when the node is full. */
  public boolean tryAcquire() {
    while (true) {
      int now = open.get();
      if (now >= max) {
        return false;
      }
      if (open.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  public void release() {
    open.decrementAndGet();
  }

  public int open() {
    return open.get();
  }

  public int max() {
    return max;
  }
}
