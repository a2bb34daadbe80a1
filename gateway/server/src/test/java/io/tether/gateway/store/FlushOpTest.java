package io.tether.gateway.store;

import static io.tether.gateway.store.Sessions.NODE_A;
import static io.tether.gateway.store.Sessions.NODE_B;
import static io.tether.gateway.store.Sessions.T0;
import static io.tether.gateway.store.Sessions.WINDOW_MS;
import static io.tether.gateway.store.Sessions.resume;
import static io.tether.gateway.store.Sessions.storedSeqs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tether.gateway.store.Sessions.Flush;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link FlushOp}, the owner's batched write (docs/ARCHITECTURE.md "The write path", "Fencing", "Detached
 * sessions"; PROTOCOL §3 trimming on ack, §8 idempotent sends).
 */
class FlushOpTest {

  // -- who may write ------------------------------------------------------------------------------------------

  @Test
  void theCurrentEpochsWriteIsAccepted() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);

    assertEquals(FlushOp.OK, Flush.epoch(1).frames(1, 2).op().process(e));
    assertEquals(List.of(1L, 2L), storedSeqs(e.getValue()));
    assertEquals(2, e.getValue().outSeq());
  }

  @Test
  void aWriteFromAnOlderEpochIsFencedAndChangesNothing() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(1);
    resume(NODE_B, "t2", 1, T0, NODE_A, NODE_B).process(e);
    e.resetWrites();

    assertEquals(FlushOp.FENCED, Flush.epoch(1).frames(2, 3).ack(1).op().process(e));
    assertEquals(1, e.getValue().outSeq());
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  @Test
  void aWriteToADetachedSessionIsFencedEvenWithItsEpoch() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 1);

    assertEquals(FlushOp.FENCED, Flush.epoch(1).frames(2, 2).op().process(e));
    assertEquals(1, e.getValue().outSeq());
  }

  @Test
  void aWriteToAnEndedSessionIsGone() {
    assertEquals(FlushOp.GONE, Flush.epoch(1).frames(3, 3).op().process(Sessions.closed("bye")));
    assertEquals(FlushOp.GONE, Flush.epoch(1).frames(3, 3).op().process(Sessions.expiredBySweep()));
    assertEquals(FlushOp.GONE, Flush.epoch(1).frames(3, 3).op().process(Sessions.overflowed()));
  }

  @Test
  void aWriteToAMissingRecordIsGone() {
    assertEquals(FlushOp.GONE, Flush.epoch(1).frames(1, 1).op().process(FakeEntry.absent("s-x")));
  }

  // -- what it writes -----------------------------------------------------------------------------------------

  @Test
  void framesAlreadyStoredAreNotStoredTwice() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(3);

    Flush.epoch(1).frames(2, 5).op().process(e);

    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), storedSeqs(e.getValue()));
  }

  @Test
  void theClientsAckTrimsTheStoredFrames() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(5);

    Flush.epoch(1).ack(3).op().process(e);

    assertEquals(List.of(4L, 5L), storedSeqs(e.getValue()));
    assertEquals(Sessions.text(4).length() + Sessions.text(5).length(), e.getValue().bytes);
  }

  @Test
  void anOlderAckDoesNotBringFramesBackOrMoveTheAckBack() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(5);
    Flush.epoch(1).ack(3).op().process(e);

    Flush.epoch(1).ack(1).frames(6, 6).op().process(e);

    assertEquals(List.of(4L, 5L, 6L), storedSeqs(e.getValue()));
    assertEquals(3, e.getValue().acked);
  }

  @Test
  void newFramesThatAreAlreadyAckedInTheSameWriteAreDropped() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);

    Flush.epoch(1).frames(1, 3).ack(3).op().process(e);

    assertEquals(List.of(), storedSeqs(e.getValue()));
    assertEquals(3, e.getValue().outSeq());
  }

  @Test
  void theClientPositionOnlyMovesForward() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).inSeq(5).op().process(e);

    Flush.epoch(1).inSeq(3).op().process(e);

    assertEquals(5, e.getValue().inSeq());
  }

  @Test
  void subscriptionsArePutAndRemoved() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).subscribe(Map.of("a", 1L, "b", 2L)).op().process(e);

    Flush.epoch(1).subscribe(Map.of("a", 5L)).unsubscribe("b").op().process(e);

    assertEquals(Map.of("a", 5L), e.getValue().subscriptions());
  }

  @Test
  void removingTheLastSubscriptionLeavesNone() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).subscribe(Map.of("a", 1L)).op().process(e);

    Flush.epoch(1).unsubscribe("a", "never-subscribed").op().process(e);

    assertEquals(Map.of(), e.getValue().subscriptions());
    assertNull(e.getValue().subscriptions, "no map kept for a session without subscriptions");
  }

  @Test
  void pendingRequestsAreRecordedAndRemovedWhenAnswered() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    PendingRequest one = new PendingRequest(1, 1, "demo.echo", "{}", NODE_A);
    PendingRequest two = new PendingRequest(2, 3, "demo.echo", "{}", NODE_A);
    Flush.epoch(1).inSeq(2).pending(one, two).op().process(e);

    Flush.epoch(1).answered(1L).op().process(e);

    assertEquals(List.of(two), List.copyOf(e.getValue().pendingRequests()));
  }

  @Test
  void attrsAreReplacedOnlyWhenGiven() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).attrs("{\"app\":\"2\"}").op().process(e);

    Flush.epoch(1).frames(1, 1).op().process(e);

    assertEquals("{\"app\":\"2\"}", e.getValue().attrs);
  }

  @Test
  void sendIdsAreRememberedWithTheSeqOfTheirLastFrame() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);

    Flush.epoch(1).frames(1, 3).sendIds(Map.of("send-1", 3L)).op().process(e);

    assertEquals(3L, e.getValue().sentWithId("send-1"));
  }

  @Test
  void onlyTheNewestSendIdsAreRemembered() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Map<String, Long> ids = new LinkedHashMap<>();
    for (long i = 1; i <= SessionRecord.MAX_SEND_IDS + 2; i++) {
      ids.put("send-" + i, i);
    }

    Flush.epoch(1).sendIds(ids).op().process(e);

    SessionRecord r = e.getValue();
    assertEquals(SessionRecord.MAX_SEND_IDS, r.sendIds().size());
    assertNull(r.sentWithId("send-1"));
    assertNull(r.sentWithId("send-2"));
    assertEquals(SessionRecord.MAX_SEND_IDS + 2L, r.sentWithId("send-" + (SessionRecord.MAX_SEND_IDS + 2)));
  }

  // -- expiry -------------------------------------------------------------------------------------------------

  @Test
  void anOrdinaryWriteLeavesTheRecordsExpiryAsItWas() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);

    Flush.epoch(1).frames(1, 1).op().process(e);

    assertEquals(FakeEntry.Write.EXPIRY_UNCHANGED, e.write());
  }

  @Test
  void theDetachingWriteDetachesAndKeepsTheRecordForTheWindowPlusGrace() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(2);

    assertEquals(FlushOp.OK, Flush.epoch(1).frames(3, 3).detach(T0).op().process(e));

    SessionRecord r = e.getValue();
    assertEquals(SessionRecord.Status.DETACHED, r.status());
    assertNull(r.owner());
    assertEquals(List.of(1L, 2L, 3L), storedSeqs(r), "the frames of the detaching write are kept");
    assertEquals(FakeEntry.Write.TTL, e.write());
    assertEquals(WINDOW_MS + SessionOp.DETACHED_GRACE_MS, e.ttlMs());
  }

  @Test
  void theWindowOfADetachedSessionStartsAtTheDetachingWrite() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).detach(T0).op().process(e);

    assertNull(new EndOp(null, true, T0 + WINDOW_MS).process(e));
    assertEquals(Sessions.CLIENT, new EndOp(null, true, T0 + WINDOW_MS + 1).process(e));
  }
}
