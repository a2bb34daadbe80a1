package io.tether.gateway.transport;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per remote address limits of the client port, shared by all endpoint verticles of a node (docs/PROTOCOL.md §1):
 * {@code maxConnectionsPerIp} sockets held at once and {@code maxHandshakesPerIpPerSecond} handshakes started (a
 * token bucket of that size, refilled at that rate). 0 turns a limit off.
 *
 * <p>The state is bounded whatever the number of addresses: a connection count exists only while its address holds a
 * socket (so there are at most as many as the node holds sockets), and a bucket only until it is full again (removed
 * by {@link #sweep}, at most a second later). Beyond {@link #maxTrackedAddresses} buckets, handshakes from addresses
 * without one are refused as over the rate: under a flood from that many addresses the node fails closed rather than
 * grow. Behind a proxy every connection has the proxy's address (docs/OPERATIONS.md).
 */
public final class AddressLimits {

  /** Buckets kept at most (about 100 bytes each): more addresses than this starting handshakes within a second. */
  public static final int DEFAULT_MAX_TRACKED_ADDRESSES = 100_000;
  private static final long SWEEP_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** At the bound, a sweep runs early, but at most this often: a flood must not make every handshake a full scan. */
  private static final long EARLY_SWEEP_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final int maxConnections;
  private final int handshakesPerSecond;
  private final int maxTrackedAddresses;
  private final Map<String, Integer> open = new ConcurrentHashMap<>();
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  /** When the last sweep ran ({@link #NEVER}: not yet). */
  private final AtomicLong lastSweep = new AtomicLong(NEVER);
  private static final long NEVER = Long.MIN_VALUE;

  /** A token bucket; touched only inside the map's compute for its key. */
  private static final class Bucket {
    double tokens;
    long at;

    Bucket(double tokens, long at) {
      this.tokens = tokens;
      this.at = at;
    }
  }

  public AddressLimits(int maxConnectionsPerIp, int maxHandshakesPerIpPerSecond) {
    this(maxConnectionsPerIp, maxHandshakesPerIpPerSecond, DEFAULT_MAX_TRACKED_ADDRESSES);
  }

  AddressLimits(int maxConnectionsPerIp, int maxHandshakesPerIpPerSecond, int maxTrackedAddresses) {
    this.maxConnections = maxConnectionsPerIp;
    this.handshakesPerSecond = maxHandshakesPerIpPerSecond;
    this.maxTrackedAddresses = maxTrackedAddresses;
  }

  /** Counts a handshake from {@code address} against its rate; false when it is over the rate. */
  public boolean tryStartHandshake(String address, long nowNanos) {
    return handshakesPerSecond <= 0 || takeToken(address, nowNanos);
  }

  /**
   * Takes a place for a socket of {@code address}; false when it holds {@code maxConnectionsPerIp} already. After
   * true, the caller must {@link #release} the place once the socket is closed or its upgrade failed.
   */
  public boolean tryAcquire(String address) {
    if (maxConnections <= 0) {
      return true;
    }
    boolean[] taken = new boolean[1];
    open.compute(address, (a, n) -> {
      int now = n == null ? 0 : n;
      if (now >= maxConnections) {
        return n;
      }
      taken[0] = true;
      return now + 1;
    });
    return taken[0];
  }

  /** Gives back the place {@link #tryAcquire} took for {@code address}. */
  public void release(String address) {
    if (maxConnections > 0) {
      open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }
  }

  private boolean takeToken(String address, long nowNanos) {
    if (buckets.size() >= maxTrackedAddresses && !buckets.containsKey(address)) {
      sweep(nowNanos, true);
      if (buckets.size() >= maxTrackedAddresses) {
        return false;
      }
    }
    boolean[] taken = new boolean[1];
    buckets.compute(address, (a, b) -> {
      if (b == null) {
        b = new Bucket(handshakesPerSecond, nowNanos);
      } else {
        b.tokens = Math.min(handshakesPerSecond, b.tokens + refill(b.at, nowNanos));
        b.at = nowNanos;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        taken[0] = true;
      }
      return b;
    });
    return taken[0];
  }

  private double refill(long since, long nowNanos) {
    return Math.max(0, nowNanos - since) * (double) handshakesPerSecond / SWEEP_INTERVAL_NANOS;
  }

  /**
   * Forgets the buckets that are full again (an address that has been quiet long enough); does the work at most once
   * a second, whichever endpoint calls it.
   */
  public void sweep(long nowNanos) {
    sweep(nowNanos, false);
  }

  private void sweep(long nowNanos, boolean force) {
    long last = lastSweep.get();
    long interval = force ? EARLY_SWEEP_INTERVAL_NANOS : SWEEP_INTERVAL_NANOS;
    if (last != NEVER && nowNanos - last < interval || !lastSweep.compareAndSet(last, nowNanos)) {
      return;
    }
    for (String address : buckets.keySet()) {
      buckets.computeIfPresent(address,
          (a, b) -> b.tokens + refill(b.at, nowNanos) >= handshakesPerSecond ? null : b);
    }
  }

  /** Addresses that hold a socket now. */
  int addressesWithSockets() {
    return open.size();
  }

  /** Addresses with a rate bucket now. */
  int trackedAddresses() {
    return buckets.size();
  }
}
