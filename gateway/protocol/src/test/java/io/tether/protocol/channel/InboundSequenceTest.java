package io.tether.protocol.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tether.protocol.channel.InboundSequence.Verdict;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md §3: seqs 1, 2, 3, … with no gaps; replays dropped. */
class InboundSequenceTest {

  @Test
  void framesInOrderAreAcceptedAndAdvanceTheAck() {
    InboundSequence in = new InboundSequence(0);
    assertEquals(Verdict.ACCEPT, in.offer(1));
    assertEquals(Verdict.ACCEPT, in.offer(2));
    assertEquals(2, in.received());
    assertEquals(3, in.expected());
  }

  @Test
  void aSeqSeenAlreadyIsADuplicateAndChangesNothing() {
    InboundSequence in = new InboundSequence(5);
    assertEquals(Verdict.DUPLICATE, in.offer(5));
    assertEquals(Verdict.DUPLICATE, in.offer(1));
    assertEquals(5, in.received());
  }

  @Test
  void aSeqBeyondTheNextIsAGapAndIsNotAccepted() {
    InboundSequence in = new InboundSequence(2);
    assertEquals(Verdict.GAP, in.offer(4));
    assertEquals(2, in.received());
    assertEquals(Verdict.ACCEPT, in.offer(3));
  }

  @Test
  void resetStartsANewSession() {
    InboundSequence in = new InboundSequence(9);
    in.reset(0);
    assertEquals(Verdict.ACCEPT, in.offer(1));
  }
}
