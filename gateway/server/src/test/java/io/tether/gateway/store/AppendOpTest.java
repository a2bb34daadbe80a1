package io.tether.gateway.store;

import static io.tether.gateway.store.Sessions.MAX_BYTES;
import static io.tether.gateway.store.Sessions.MAX_FRAMES;
import static io.tether.gateway.store.Sessions.NODE_A;
import static io.tether.gateway.store.Sessions.NODE_B;
import static io.tether.gateway.store.Sessions.T0;
import static io.tether.gateway.store.Sessions.append;
import static io.tether.gateway.store.Sessions.resume;
import static io.tether.gateway.store.Sessions.storedSeqs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tether.gateway.store.Sessions.Flush;
import io.tether.protocol.ResumeFailReason;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link AppendOp}: sends to a detached session go into the store, numbered there (docs/ARCHITECTURE.md "Detached
 * sessions"; PROTOCOL §3 buffer bounds and overflow, §8 idempotent sends).
 */
class AppendOpTest {

  private static AppendOp appendWithId(String id, String... bodies) {
    List<String> prefixes = java.util.Arrays.stream(bodies).map(b -> "{\"body\":\"" + b + "\",\"seq\":").toList();
    List<String> suffixes = java.util.Arrays.stream(bodies).map(b -> "}").toList();
    return new AppendOp(prefixes, suffixes, 0, id);
  }

  // -- where the frame goes -----------------------------------------------------------------------------------

  @Test
  void anAttachedSessionIsNotTouchedAndTheCallerIsToldItsOwner() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(1);

    AppendOutcome o = append("x").process(e);

    assertEquals(NODE_A, o.owner());
    assertNull(o.failure());
    assertEquals(1, e.getValue().outSeq());
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  @Test
  void aMissingSessionIsUnknown() {
    assertEquals("unknown", append("x").process(FakeEntry.absent("s-x")).failure());
  }

  @Test
  void aClosedSessionIsUnknown() {
    assertEquals("unknown", append("x").process(Sessions.closed("bye")).failure());
  }

  @Test
  void anExpiredSessionFailsWithWhyItEnded() {
    assertEquals("expired", append("x").process(Sessions.expiredBySweep()).failure());
    assertEquals("overflow", append("x").process(Sessions.overflowed()).failure());
  }

  // -- numbering ----------------------------------------------------------------------------------------------

  @Test
  void framesAreNumberedAfterTheLastStoredSeqAndTheirTextCarriesIt() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);

    AppendOutcome o = appendWithId(null, "a", "b").process(e);

    assertEquals(4, o.seq(), "the seq of the batch's last frame");
    assertEquals(List.of(1L, 2L, 3L, 4L), storedSeqs(e.getValue()));
    assertEquals("{\"body\":\"a\",\"seq\":3}", e.getValue().frames.toArray(new StoredFrame[0])[2].text());
    assertEquals(4, e.getValue().outSeq());
  }

  @Test
  void appendedFramesAreReplayedOnResume() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 2);
    append("a").process(e);

    ResumeOutcome o = resume(NODE_B, "t2", 2, T0 + 1, NODE_B).process(e);

    assertEquals(List.of(new StoredFrame(3, "{\"body\":\"a\",\"seq\":3}")), o.missed());
  }

  @Test
  void anAppendLeavesTheDetachedRecordsExpiryAsItWas() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 0);

    append("a").process(e);

    assertEquals(FakeEntry.Write.EXPIRY_UNCHANGED, e.write());
  }

  // -- idempotency --------------------------------------------------------------------------------------------

  @Test
  void aRetriedSendWithTheSameIdIsAnsweredWithTheFirstSeqAndNotAppendedAgain() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 0);
    assertEquals(2, appendWithId("send-1", "a", "b").process(e).seq());

    AppendOutcome retry = appendWithId("send-1", "a", "b").process(e);

    assertEquals(2, retry.seq());
    assertEquals(List.of(1L, 2L), storedSeqs(e.getValue()));
  }

  @Test
  void aSendIdRecordedByTheOwnerBeforeTheDetachIsRecognised() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).frames(1, 1).sendIds(java.util.Map.of("send-1", 1L)).detach(T0).op().process(e);

    assertEquals(1, appendWithId("send-1", "a").process(e).seq());
    assertEquals(1, e.getValue().outSeq());
  }

  @Test
  void differentSendIdsAreAppendedEach() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 0);
    appendWithId("send-1", "a").process(e);

    assertEquals(2, appendWithId("send-2", "a").process(e).seq());
  }

  // -- bounds (PROTOCOL §3) -----------------------------------------------------------------------------------

  @Test
  void aSendUpToTheFrameBoundIsAppended() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, MAX_FRAMES - 1);

    AppendOutcome o = append("x").process(e);

    assertNull(o.failure());
    assertEquals(SessionRecord.Status.DETACHED, e.getValue().status());
  }

  @Test
  void crossingTheFrameBoundExpiresTheSessionWithOverflow() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, MAX_FRAMES);

    AppendOutcome o = append("x").process(e);

    assertEquals("overflow", o.failure());
    assertEquals(SessionRecord.Status.EXPIRED, e.getValue().status());
    assertEquals(List.of(), storedSeqs(e.getValue()), "the buffer is released");
    assertEquals(FakeEntry.Write.TTL, e.write());
    assertEquals(SessionOp.TOMBSTONE_TTL_MS, e.ttlMs());
  }

  @Test
  void crossingTheByteBoundExpiresTheSessionWithOverflow() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 0);

    AppendOutcome o = append("y".repeat((int) MAX_BYTES)).process(e);

    assertEquals("overflow", o.failure());
    assertEquals(ResumeFailReason.OVERFLOW, resume(NODE_B, "t2", 0, T0 + 1, NODE_B).process(e).failure());
  }

  @Test
  void theAnswerToAnAcceptedRequestMayExceedTheBoundAndCompletesThePendingRequest() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).frames(1, MAX_FRAMES).inSeq(1).pending(new PendingRequest(1, 7, "demo.echo", "{}", NODE_A))
        .detach(T0).op().process(e);

    AppendOutcome o = new AppendOp(List.of("{\"type\":\"response\",\"stream\":7,\"seq\":"), List.of("}"), 7, null)
        .process(e);

    assertNull(o.failure());
    assertEquals(MAX_FRAMES + 1, o.seq());
    assertEquals(SessionRecord.Status.DETACHED, e.getValue().status());
    assertEquals(List.of(), List.copyOf(e.getValue().pendingRequests()));
  }

  /**
   * Found by PartitionFaultTest: a request dispatched twice (its first dispatcher was cut off by a split and the
   * request re-dispatched by the majority) got two responses. An answer to a request no longer pending is dropped.
   */
  @Test
  void anAnswerToARequestNoLongerPendingIsDropped() {
    FakeEntry<String, SessionRecord> e = Sessions.detachedAt(T0, 0);
    e.getValue().addPending(new PendingRequest(1, 1, "demo.echo", "{}", NODE_A));
    AppendOp answer = new AppendOp(List.of("{\"type\":\"response\",\"stream\":1,\"seq\":"), List.of("}"), 1, null);

    answer.process(e);
    assertEquals(List.of(1L), storedSeqs(e.getValue()), "the first answer is stored");
    answer.process(e);
    assertEquals(List.of(1L), storedSeqs(e.getValue()), "the second is dropped");
  }
}
