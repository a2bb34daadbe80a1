package io.tether.gateway.store;

import static io.tether.gateway.store.Sessions.CLIENT;
import static io.tether.gateway.store.Sessions.NODE_A;
import static io.tether.gateway.store.Sessions.NODE_B;
import static io.tether.gateway.store.Sessions.T0;
import static io.tether.gateway.store.Sessions.WINDOW_MS;
import static io.tether.gateway.store.Sessions.resume;
import static io.tether.gateway.store.Sessions.storedSeqs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tether.gateway.store.Sessions.Flush;
import io.tether.protocol.ResumeFailReason;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link EndOp}: ending a session for good (bye, replaced, kicked) and the expiry sweep (docs/ARCHITECTURE.md
 * "Detached sessions"; PROTOCOL §2 tombstones).
 */
class EndOpTest {

  private static EndOp end(String reason) {
    return new EndOp(reason, false, T0);
  }

  private static EndOp sweepAt(long now) {
    return new EndOp(null, true, now);
  }

  // -- ending -------------------------------------------------------------------------------------------------

  @Test
  void endingClosesTheSessionAndReturnsItsClient() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(2);

    assertEquals(CLIENT, end("kicked").process(e));
    assertEquals(SessionRecord.Status.CLOSED, e.getValue().status());
    assertNull(e.getValue().owner());
  }

  @Test
  void endingReleasesBuffersSubscriptionsPendingRequestsAndSendIds() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).frames(1, 3).inSeq(1).subscribe(Map.of("t", 1L))
        .pending(new PendingRequest(1, 1, "demo.echo", "{}", NODE_A)).sendIds(Map.of("send-1", 3L)).op().process(e);

    end("bye").process(e);

    SessionRecord r = e.getValue();
    assertEquals(List.of(), storedSeqs(r));
    assertEquals(0, r.bytes);
    assertEquals(Map.of(), r.subscriptions());
    assertEquals(List.of(), List.copyOf(r.pendingRequests()));
    assertEquals(Map.of(), r.sendIds());
  }

  @Test
  void anEndedSessionLeavesATombstoneForFiveMinutes() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 1);

    end("bye").process(e);

    assertEquals(FakeEntry.Write.TTL, e.write());
    assertEquals(5 * 60_000, e.ttlMs());
  }

  @Test
  void endingAnEndedSessionDoesNothing() {
    FakeEntry<String, SessionRecord> e = Sessions.closed("bye");

    assertNull(end("kicked").process(e));
    assertEquals(FakeEntry.Write.NONE, e.write());
    assertEquals(ResumeFailReason.UNKNOWN, resume(NODE_B, "t2", 0, T0, NODE_B).process(e).failure());
  }

  @Test
  void endingAnExpiredSessionKeepsItsExpiry() {
    FakeEntry<String, SessionRecord> e = Sessions.overflowed();

    assertNull(end("kicked").process(e));
    assertEquals(ResumeFailReason.OVERFLOW, resume(NODE_B, "t2", 0, T0, NODE_B).process(e).failure());
  }

  @Test
  void endingAMissingSessionReturnsNull() {
    FakeEntry<String, SessionRecord> e = FakeEntry.absent("s-x");

    assertNull(end("bye").process(e));
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  // -- the expiry sweep ---------------------------------------------------------------------------------------

  @Test
  void theSweepEndsADetachedSessionPastItsWindowAsExpired() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);

    assertEquals(CLIENT, sweepAt(T0 + WINDOW_MS + 1).process(e));
    assertEquals(SessionRecord.Status.EXPIRED, e.getValue().status());
    assertEquals(SessionOp.TOMBSTONE_TTL_MS, e.ttlMs());
    assertEquals(ResumeFailReason.EXPIRED, resume(NODE_B, "t2", 0, T0, NODE_B).process(e).failure());
  }

  @Test
  void theSweepLeavesADetachedSessionWithinItsWindow() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);

    assertNull(sweepAt(T0 + WINDOW_MS).process(e));
    assertEquals(SessionRecord.Status.DETACHED, e.getValue().status());
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  @Test
  void theSweepLeavesAnAttachedSessionHoweverOld() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(1);

    assertNull(sweepAt(T0 + 100 * WINDOW_MS).process(e));
    assertEquals(SessionRecord.Status.ATTACHED, e.getValue().status());
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  @Test
  void theSweepLeavesEndedSessionsAlone() {
    FakeEntry<String, SessionRecord> closed = Sessions.closed("bye");
    FakeEntry<String, SessionRecord> overflowed = Sessions.overflowed();

    assertNull(sweepAt(T0 + 100 * WINDOW_MS).process(closed));
    assertNull(sweepAt(T0 + 100 * WINDOW_MS).process(overflowed));
    assertEquals(FakeEntry.Write.NONE, closed.write());
    assertEquals(ResumeFailReason.OVERFLOW, resume(NODE_B, "t2", 0, T0, NODE_B).process(overflowed).failure());
  }

  @Test
  void theSweepSkipsMissingRecords() {
    assertNull(sweepAt(T0).process(FakeEntry.absent("s-x")));
  }
}
