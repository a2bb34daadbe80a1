package io.tether.gateway.store;

import static io.tether.gateway.store.Sessions.CLIENT;
import static io.tether.gateway.store.Sessions.NODE_A;
import static io.tether.gateway.store.Sessions.NODE_B;
import static io.tether.gateway.store.Sessions.T0;
import static io.tether.gateway.store.Sessions.WINDOW_MS;
import static io.tether.gateway.store.Sessions.resume;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tether.gateway.store.Sessions.Flush;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link OrphanOp}: a node left the cluster (docs/ARCHITECTURE.md "Crash recovery", "The node leaves"). */
class OrphanOpTest {

  @Test
  void aSessionAttachedToTheDeadNodeBecomesDetachedAsOfNow() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(2);

    assertEquals(CLIENT, new OrphanOp(NODE_A, T0).process(e));

    SessionRecord r = e.getValue();
    assertEquals(SessionRecord.Status.DETACHED, r.status());
    assertNull(r.owner());
    assertEquals(2, r.outSeq(), "its frames stay for the resume");
  }

  @Test
  void anOrphanedSessionGetsTheDetachedSafetyNetTtl() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(2);

    new OrphanOp(NODE_A, T0).process(e);

    assertEquals(FakeEntry.Write.TTL, e.write());
    assertEquals(WINDOW_MS + SessionOp.DETACHED_GRACE_MS, e.ttlMs());
  }

  @Test
  void theResumeWindowOfAnOrphanedSessionStartsWhenTheNodeLeft() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(2);
    new OrphanOp(NODE_A, T0).process(e);

    assertNull(new EndOp(null, true, T0 + WINDOW_MS).process(e));
    assertEquals(CLIENT, new EndOp(null, true, T0 + WINDOW_MS + 1).process(e));
  }

  @Test
  void anOrphanedSessionResumesOnASurvivor() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(2);
    new OrphanOp(NODE_A, T0).process(e);

    ResumeOutcome o = resume(NODE_B, "t2", 1, T0 + 1, NODE_B).process(e);

    assertNull(o.failure());
    assertNull(o.previousOwner());
    assertEquals(List.of(new StoredFrame(2, Sessions.text(2))), o.missed());
  }

  @Test
  void aSessionAttachedToAnotherNodeIsLeftAlone() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(2);

    assertNull(new OrphanOp(NODE_B, T0).process(e));
    assertEquals(SessionRecord.Status.ATTACHED, e.getValue().status());
    assertEquals(NODE_A, e.getValue().owner());
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  @Test
  void aSessionTakenOverFromTheDeadNodeIsLeftAlone() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedWithFrames(2);
    resume(NODE_B, "t2", 2, T0, NODE_A, NODE_B).process(e);

    assertNull(new OrphanOp(NODE_A, T0 + 1).process(e));
    assertEquals(NODE_B, e.getValue().owner());
  }

  @Test
  void anAlreadyDetachedSessionKeepsTheWindowItHad() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).detach(T0).op().process(e);
    e.resetWrites();

    assertNull(new OrphanOp(NODE_A, T0 + WINDOW_MS).process(e));
    assertEquals(FakeEntry.Write.NONE, e.write());
    assertEquals(CLIENT, new EndOp(null, true, T0 + WINDOW_MS + 1).process(e), "the window was not restarted");
  }

  @Test
  void endedAndMissingSessionsAreLeftAlone() {
    assertNull(new OrphanOp(NODE_A, T0).process(Sessions.closed("bye")));
    assertNull(new OrphanOp(NODE_A, T0).process(Sessions.expiredBySweep()));
    assertNull(new OrphanOp(NODE_A, T0).process(FakeEntry.absent("s-x")));
  }
}
