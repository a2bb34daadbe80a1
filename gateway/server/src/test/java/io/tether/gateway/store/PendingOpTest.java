package io.tether.gateway.store;

import static io.tether.gateway.store.Sessions.NODE_A;
import static io.tether.gateway.store.Sessions.NODE_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** {@link PendingOp}: which pending requests the store records as a node's to dispatch. */
class PendingOpTest {

  @Test
  void returnsTheSeqsOfTheRequestsTheNodeDispatches() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    e.getValue().addPending(new PendingRequest(4, 1, "demo.echo", "{}", NODE_A));
    e.getValue().addPending(new PendingRequest(5, 3, "demo.echo", "{}", NODE_B));

    assertArrayEquals(new long[] {4}, new PendingOp(NODE_A).process(e));
    assertArrayEquals(new long[] {5}, new PendingOp(NODE_B).process(e));
    assertArrayEquals(new long[0], new PendingOp("node-c#1").process(e));
  }

  @Test
  void nothingForAnUnknownOrEndedSession() {
    assertArrayEquals(new long[0], new PendingOp(NODE_A).process(FakeEntry.absent("nope")));
    assertArrayEquals(new long[0], new PendingOp(NODE_A).process(Sessions.closed("bye")));
  }
}
