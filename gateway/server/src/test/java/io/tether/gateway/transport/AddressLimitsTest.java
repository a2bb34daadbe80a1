package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link AddressLimits} on its own, with the clock given: the rules the endpoint relies on, and that its state stays
 * bounded however many addresses come.
 */
class AddressLimitsTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  /** Verifies that a place is held per address up to the limit, and given back on release. */
  @Test
  void socketsPerAddressAreCountedAndReleased() {
    AddressLimits limits = new AddressLimits(2, 0);
    assertTrue(limits.tryAcquire("10.0.0.1"));
    assertTrue(limits.tryAcquire("10.0.0.1"));
    assertFalse(limits.tryAcquire("10.0.0.1"), "a third socket of 10.0.0.1");
    assertTrue(limits.tryAcquire("10.0.0.2"), "another address has its own budget");
    limits.release("10.0.0.1");
    assertTrue(limits.tryAcquire("10.0.0.1"), "the released place is free again");
  }

  /** Verifies that an address that holds no socket any more leaves no state behind. */
  @Test
  void anAddressWithoutSocketsIsForgotten() {
    AddressLimits limits = new AddressLimits(3, 0);
    for (int i = 0; i < 1000; i++) {
      String a = "10.1." + (i / 256) + "." + (i % 256);
      assertTrue(limits.tryAcquire(a));
      limits.release(a);
    }
    assertEquals(0, limits.addressesWithSockets());
  }

  /** Verifies the token bucket: a burst of the rate, then one handshake per 1/rate seconds. */
  @Test
  void handshakesAreLimitedToTheRatePerAddress() {
    AddressLimits limits = new AddressLimits(0, 2);
    long t = 1_000 * SECOND;
    assertTrue(limits.tryStartHandshake("10.0.0.1", t));
    assertTrue(limits.tryStartHandshake("10.0.0.1", t));
    assertFalse(limits.tryStartHandshake("10.0.0.1", t), "the burst is the rate");
    assertTrue(limits.tryStartHandshake("10.0.0.2", t), "another address has its own bucket");
    assertFalse(limits.tryStartHandshake("10.0.0.1", t + SECOND / 4), "a quarter second refills half a token");
    assertTrue(limits.tryStartHandshake("10.0.0.1", t + SECOND / 2), "half a second refills one");
  }

  /** Verifies that the buckets of addresses that went quiet are removed by the sweep once they are full again. */
  @Test
  void quietAddressesAreSweptAway() {
    AddressLimits limits = new AddressLimits(0, 5);
    long t = System.nanoTime();
    for (int i = 0; i < 10_000; i++) {
      limits.tryStartHandshake("10.2." + (i / 256) + "." + (i % 256), t);
    }
    assertEquals(10_000, limits.trackedAddresses());
    limits.sweep(t + 2 * SECOND);
    assertEquals(0, limits.trackedAddresses());
  }

  /**
   * Verifies the bound: with as many busy buckets as it keeps, a new address is refused (fail closed) instead of
   * growing the state; once they are quiet again, it is admitted.
   */
  @Test
  void theNumberOfTrackedAddressesIsBounded() {
    AddressLimits limits = new AddressLimits(0, 1, 100);
    long t = 1_000 * SECOND;
    for (int i = 0; i < 100; i++) {
      assertTrue(limits.tryStartHandshake("10.3.0." + i, t));
    }
    assertFalse(limits.tryStartHandshake("10.4.0.1", t + SECOND / 10), "the 101st address within the second");
    assertEquals(100, limits.trackedAddresses());
    assertTrue(limits.tryStartHandshake("10.4.0.1", t + 2 * SECOND), "the others are full again: swept");
    assertEquals(1, limits.trackedAddresses());
  }
}
