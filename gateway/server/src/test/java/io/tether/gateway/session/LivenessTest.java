package io.tether.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When a heartbeat writes presence (docs/PROTOCOL.md §4 "lastSeen"), on explicit clocks. */
class LivenessTest {

  private static final long REFRESH = 60_000;

  /** Verifies that heartbeats without new attrs write presence once per refresh interval, not once per heartbeat. */
  @Test
  void heartbeatsWithoutNewAttrsWritePresenceOncePerRefreshInterval() {
    Liveness l = new Liveness(0);
    int writes = 0;
    for (long t = 20_000; t <= 240_000; t += 20_000) { // a ping every 20 s for 4 minutes
      if (l.presenceDue(t, false, REFRESH)) {
        writes++;
      }
    }
    assertEquals(4, writes, "at 60 s, 120 s, 180 s and 240 s: one write per 60 s instead of 12");
  }

  /** Verifies that a heartbeat carrying new attrs writes presence at once, and restarts the interval. */
  @Test
  void aHeartbeatWithNewAttrsWritesAtOnceAndRestartsTheInterval() {
    Liveness l = new Liveness(0);
    assertTrue(l.presenceDue(1_000, true, REFRESH));
    assertFalse(l.presenceDue(60_500, false, REFRESH), "60 s count from the attrs write");
    assertTrue(l.presenceDue(61_000, false, REFRESH));
  }

  /** Verifies that a state change's presence write counts as the refresh. */
  @Test
  void aStateChangeWriteCountsAsTheRefresh() {
    Liveness l = new Liveness(0);
    l.presenceWritten(50_000);
    assertFalse(l.presenceDue(100_000, false, REFRESH));
    assertTrue(l.presenceDue(110_000, false, REFRESH));
  }

  /** Verifies that a refresh interval of 0 writes presence on every heartbeat (the behaviour before the option). */
  @Test
  void aZeroRefreshIntervalWritesOnEveryHeartbeat() {
    Liveness l = new Liveness(0);
    assertTrue(l.presenceDue(0, false, 0));
    assertTrue(l.presenceDue(0, false, 0));
  }
}
