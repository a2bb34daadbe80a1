package io.tether.gateway.store;

import static io.tether.gateway.store.Sessions.NODE_A;
import static io.tether.gateway.store.Sessions.NODE_B;
import static io.tether.gateway.store.Sessions.T0;
import static io.tether.gateway.store.Sessions.resume;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** {@link OwnerOp}: which node a session is attached to, read in the partition (docs/ARCHITECTURE.md "Routing"). */
class OwnerOpTest {

  @Test
  void anAttachedSessionsOwnerIsItsNode() {
    assertEquals(NODE_A, new OwnerOp().process(Sessions.attachedTo(NODE_A)));
  }

  @Test
  void afterATakeoverTheOwnerIsTheNewNode() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    resume(NODE_B, "t2", 0, T0, NODE_A, NODE_B).process(e);

    assertEquals(NODE_B, new OwnerOp().process(e));
  }

  @Test
  void aDetachedSessionHasNoOwner() {
    assertNull(new OwnerOp().process(Sessions.detachedAt(T0, 1)));
  }

  @Test
  void endedAndMissingSessionsHaveNoOwner() {
    assertNull(new OwnerOp().process(Sessions.closed("bye")));
    assertNull(new OwnerOp().process(Sessions.expiredBySweep()));
    assertNull(new OwnerOp().process(FakeEntry.absent("s-x")));
  }

  @Test
  void readingTheOwnerWritesNothingAndHasNoBackupProcessor() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);

    new OwnerOp().process(e);

    assertEquals(FakeEntry.Write.NONE, e.write());
    assertNull(new OwnerOp().getBackupProcessor());
  }
}
