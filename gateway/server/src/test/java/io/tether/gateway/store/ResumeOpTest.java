package io.tether.gateway.store;

import static io.tether.gateway.store.Sessions.CLIENT;
import static io.tether.gateway.store.Sessions.NODE_A;
import static io.tether.gateway.store.Sessions.NODE_B;
import static io.tether.gateway.store.Sessions.T0;
import static io.tether.gateway.store.Sessions.WINDOW_MS;
import static io.tether.gateway.store.Sessions.resume;
import static io.tether.gateway.store.Sessions.seqs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.store.Sessions.Flush;
import io.tether.protocol.ResumeFailReason;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ResumeOp} as a function of the stored record (docs/PROTOCOL.md §2 "Resume", ARCHITECTURE "Fencing"). */
class ResumeOpTest {

  // -- failures (PROTOCOL §2 table) ---------------------------------------------------------------------------

  @Test
  void unknownWhenThereIsNoRecord() {
    FakeEntry<String, SessionRecord> e = FakeEntry.absent("nope");

    assertEquals(ResumeFailReason.UNKNOWN, resume(NODE_B, "t2", 0, T0).process(e).failure());
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  @Test
  void unknownWhenTheSessionEndedByByeReplacedOrKicked() {
    for (String reason : List.of("bye", "replaced", "kicked")) {
      FakeEntry<String, SessionRecord> e = Sessions.closed(reason);

      assertEquals(ResumeFailReason.UNKNOWN, resume(NODE_B, "t2", 0, T0).process(e).failure(), reason);
      assertEquals(FakeEntry.Write.NONE, e.write(), reason);
    }
  }

  @Test
  void badTokenWhenTheTokenIsNotTheCurrentOne() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);

    ResumeOutcome o = new ResumeOp("someone-elses", "t2", NODE_B, 0, T0 + 1, Set.of(NODE_B)).process(e);

    assertEquals(ResumeFailReason.BAD_TOKEN, o.failure());
    assertEquals(SessionRecord.Status.DETACHED, e.getValue().status(), "a bad token changes nothing");
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  @Test
  void theOldTokenFailsWithBadTokenOnceTheClientUsedTheResumedSession() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);
    resume(NODE_B, "t2", 2, T0 + 1, NODE_B).process(e);
    // The client acks a new frame on the resumed session: it got the resumed frame, and the new token with it.
    Flush.epoch(2).frames(3, 3).op().process(e);
    Flush.epoch(2).ack(3).op().process(e);

    assertEquals(ResumeFailReason.BAD_TOKEN, resume(NODE_B, "t3", 3, T0 + 2, NODE_B).process(e).failure());
    assertEquals(2, e.getValue().epoch(), "the refused resume did not take the session over");
  }

  @Test
  void theOldTokenFailsWithBadTokenAfterAResumeWithTheNewOne() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);
    resume(NODE_B, "t2", 2, T0 + 1, NODE_B).process(e);
    new ResumeOp("t2", "t3", NODE_A, 2, T0 + 2, Set.of(NODE_A, NODE_B)).process(e);

    assertEquals(ResumeFailReason.BAD_TOKEN, resume(NODE_B, "t4", 2, T0 + 3, NODE_B).process(e).failure());
    assertEquals(3, e.getValue().epoch());
  }

  /**
   * Found by PartitionFaultTest: a resume stalled on a partition whose owner had just been cut off (10 s until
   * Hazelcast removed it), the client gave up waiting for {@code resumed} (connect timeout 10 s) and retried; the
   * stalled resume then completed and rotated the token the client never received, so the retry failed with
   * bad_token and a healthy session was lost. The token the client holds stays valid until it uses the new one.
   */
  @Test
  void aRetryWithTheSameTokenSucceedsWhenTheFirstResumedAnswerNeverArrived() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);
    assertNull(resume(NODE_B, "t2", 2, T0 + 1, NODE_A, NODE_B).process(e).failure());
    // Its socket was gone: the node detaches it (a detach flush carries no ack or frame from the client).
    Flush.epoch(2).ack(2).detach(T0 + 1).op().process(e);

    ResumeOutcome retry = resume(NODE_A, "t3", 2, T0 + 2, NODE_A, NODE_B).process(e);

    assertNull(retry.failure(), "the retry with the token the client holds resumes the session");
    assertEquals(3, retry.epoch());
    assertNull(new ResumeOp("t3", "t4", NODE_B, 2, T0 + 3, Set.of(NODE_A, NODE_B)).process(e).failure(),
        "and the token of the answer that did arrive works as usual");
  }

  @Test
  void aNewTokenFromTheLastResumeIsAccepted() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);
    resume(NODE_B, "t2", 2, T0 + 1, NODE_B).process(e);

    ResumeOutcome o = new ResumeOp("t2", "t3", NODE_A, 2, T0 + 2, Set.of(NODE_A, NODE_B)).process(e);

    assertNull(o.failure());
    assertEquals(3, o.epoch());
  }

  @Test
  void expiredWhenDetachedLongerThanTheWindowEvenBeforeTheSweepRan() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);

    ResumeOutcome o = resume(NODE_B, "t2", 0, T0 + WINDOW_MS + 1, NODE_B).process(e);

    assertEquals(ResumeFailReason.EXPIRED, o.failure());
    assertEquals(SessionRecord.Status.EXPIRED, e.getValue().status());
  }

  @Test
  void aResumeThatFindsTheWindowPassedLeavesATombstoneThatKeepsSayingExpired() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);
    resume(NODE_B, "t2", 0, T0 + WINDOW_MS + 1, NODE_B).process(e);

    assertEquals(FakeEntry.Write.TTL, e.write());
    assertEquals(SessionOp.TOMBSTONE_TTL_MS, e.ttlMs());
    assertTrue(e.getValue().frames.isEmpty(), "the buffer is released");
    assertEquals(ResumeFailReason.EXPIRED, resume(NODE_B, "t3", 0, T0 + WINDOW_MS + 2, NODE_B).process(e).failure());
  }

  @Test
  void resumesWhenDetachedExactlyForTheWindow() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);

    assertNull(resume(NODE_B, "t2", 0, T0 + WINDOW_MS, NODE_B).process(e).failure());
  }

  @Test
  void expiredAfterTheSweepEndedTheSession() {
    FakeEntry<String, SessionRecord> e = Sessions.expiredBySweep();

    assertEquals(ResumeFailReason.EXPIRED, resume(NODE_B, "t2", 0, T0, NODE_B).process(e).failure());
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  @Test
  void overflowWhenTheBufferOverflowedWhileDetached() {
    FakeEntry<String, SessionRecord> e = Sessions.overflowed();

    assertEquals(ResumeFailReason.OVERFLOW, resume(NODE_B, "t2", 0, T0 + 1, NODE_B).process(e).failure());
  }

  @Test
  void aWrongTokenForAnEndedSessionHearsBadTokenNotWhyItEnded() {
    FakeEntry<String, SessionRecord> e = Sessions.overflowed();

    ResumeOutcome o = new ResumeOp("wrong", "t2", NODE_B, 0, T0 + 1, Set.of(NODE_B)).process(e);

    assertEquals(ResumeFailReason.BAD_TOKEN, o.failure());
  }

  @Test
  void lostWhenTheClientHasSeenFramesTheStoreDoesNotHave() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 3);

    ResumeOutcome o = resume(NODE_B, "t2", 5, T0 + 1, NODE_B).process(e);

    assertEquals(ResumeFailReason.LOST, o.failure());
    assertEquals(SessionRecord.Status.EXPIRED, e.getValue().status(), "the session is ended, never resumed with a gap");
    assertEquals(SessionOp.TOMBSTONE_TTL_MS, e.ttlMs());
  }

  @Test
  void aSessionEndedAsLostKeepsSayingLost() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 3);
    resume(NODE_B, "t2", 5, T0 + 1, NODE_B).process(e);

    assertEquals(ResumeFailReason.LOST, resume(NODE_B, "t3", 0, T0 + 2, NODE_B).process(e).failure());
  }

  // -- takeover -----------------------------------------------------------------------------------------------

  @Test
  void takesTheSessionOverForTheResumingNodeWithTheNextEpoch() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);

    ResumeOutcome o = resume(NODE_B, "t2", 2, T0 + 1, NODE_B).process(e);

    SessionRecord r = e.getValue();
    assertNull(o.failure());
    assertEquals(2, o.epoch());
    assertEquals(2, r.epoch());
    assertEquals(NODE_B, r.owner());
    assertEquals(SessionRecord.Status.ATTACHED, r.status());
    assertEquals(CLIENT, o.clientId());
  }

  @Test
  void anAttachedSessionIsResumedAwayFromItsOwnerWhoIsNamedAsPreviousOwner() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(2);

    ResumeOutcome o = resume(NODE_B, "t2", 2, T0, NODE_A, NODE_B).process(e);

    assertEquals(NODE_A, o.previousOwner());
    assertEquals(NODE_B, e.getValue().owner());
  }

  @Test
  void aDetachedSessionHasNoPreviousOwner() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);

    assertNull(resume(NODE_B, "t2", 2, T0 + 1, NODE_B).process(e).previousOwner());
  }

  @Test
  void theTakenOverRecordHasNoExpiry() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);

    resume(NODE_B, "t2", 2, T0 + 1, NODE_B).process(e);

    assertEquals(FakeEntry.Write.NO_TTL, e.write(), "the detached safety-net TTL is lifted");
  }

  @Test
  void theOldOwnersFlushIsFencedAfterTheTakeover() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(2);
    resume(NODE_B, "t2", 2, T0, NODE_A, NODE_B).process(e);

    assertEquals(FlushOp.FENCED, Flush.epoch(1).frames(3, 3).op().process(e));
    assertEquals(FlushOp.OK, Flush.epoch(2).frames(3, 3).op().process(e));
  }

  @Test
  void aResumedSessionCanBeDetachedAgainAndStartsANewWindow() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);
    resume(NODE_B, "t2", 2, T0 + WINDOW_MS, NODE_B).process(e);
    Flush.epoch(2).detach(T0 + WINDOW_MS + 10).op().process(e);

    ResumeOutcome o = new ResumeOp("t2", "t3", NODE_A, 2, T0 + 2 * WINDOW_MS, Set.of(NODE_A)).process(e);

    assertNull(o.failure(), "the window counts from the last detach");
  }

  // -- what the new owner gets back ---------------------------------------------------------------------------

  @Test
  void returnsExactlyTheFramesAfterTheClientsLastSeqInOrder() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 5);

    ResumeOutcome o = resume(NODE_B, "t2", 2, T0 + 1, NODE_B).process(e);

    assertEquals(List.of(3L, 4L, 5L), seqs(o.missed()));
    assertEquals(Sessions.text(3), o.missed().get(0).text(), "replayed byte for byte");
    assertEquals(5, o.outSeq());
  }

  @Test
  void theClientsLastSeqAcknowledgesAndDropsTheFramesUpToIt() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 5);

    resume(NODE_B, "t2", 3, T0 + 1, NODE_B).process(e);

    assertEquals(List.of(4L, 5L), Sessions.storedSeqs(e.getValue()));
  }

  @Test
  void returnsTheStoredClientPositionSubscriptionsAttrsAndSendIds() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).frames(1, 1).inSeq(7).subscribe(Map.of("prices", 4L)).attrs("{\"app\":\"2\"}")
        .sendIds(Map.of("send-1", 1L)).detach(T0).op().process(e);

    ResumeOutcome o = resume(NODE_B, "t2", 1, T0 + 1, NODE_B).process(e);

    assertEquals(7, o.inSeq());
    assertEquals(Map.of("prices", 4L), o.subscriptions());
    assertEquals("{\"app\":\"2\"}", o.attrs());
    assertEquals(Map.of("send-1", 1L), o.sendIds());
  }

  @Test
  void pendingRequestsOfADeadDispatcherPassToTheNewOwnerAndAreReturnedForRedispatch() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    PendingRequest onA = new PendingRequest(1, 1, "demo.echo", "{}", NODE_A);
    Flush.epoch(1).inSeq(1).pending(onA).op().process(e);

    ResumeOutcome o = resume(NODE_B, "t2", 0, T0, NODE_B).process(e);

    assertEquals(List.of(onA.dispatchedBy(NODE_B)), o.redispatch());
    assertEquals(List.of(onA.dispatchedBy(NODE_B)), o.pending(), "recorded as dispatched by the new owner");
  }

  @Test
  void pendingRequestsOfALiveDispatcherStayWithIt() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    PendingRequest onA = new PendingRequest(1, 1, "demo.echo", "{}", NODE_A);
    Flush.epoch(1).inSeq(1).pending(onA).op().process(e);

    ResumeOutcome o = resume(NODE_B, "t2", 0, T0, NODE_A, NODE_B).process(e);

    assertEquals(List.of(), o.redispatch());
    assertEquals(List.of(onA), o.pending());
  }

  @Test
  void aPendingRequestIsRedispatchedOncePerCrash() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).inSeq(1).pending(new PendingRequest(1, 1, "demo.echo", "{}", NODE_A)).op().process(e);
    resume(NODE_B, "t2", 0, T0, NODE_B).process(e);

    ResumeOutcome again = new ResumeOp("t2", "t3", NODE_B, 0, T0 + 1, Set.of(NODE_B)).process(e);

    assertEquals(List.of(), again.redispatch(), "NODE_B already has it");
  }
}
