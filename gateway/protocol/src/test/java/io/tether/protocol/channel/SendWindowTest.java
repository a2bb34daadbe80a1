package io.tether.protocol.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.protocol.channel.SendWindow.AckVerdict;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md §3: own frames numbered, kept until a cumulative ack, bounded. */
class SendWindowTest {

  @Test
  void framesAreNumberedFromOneAndCountedUntilAcked() {
    SendWindow w = new SendWindow(0);
    assertEquals(1, w.number(10));
    assertEquals(2, w.number(20));
    assertEquals(3, w.number(30));
    assertEquals(3, w.unackedFrames());
    assertEquals(60, w.unackedBytes());
  }

  @Test
  void aCumulativeAckReleasesEveryFrameUpToIt() {
    SendWindow w = new SendWindow(0);
    w.number(10);
    w.number(20);
    w.number(30);
    assertEquals(AckVerdict.ADVANCED, w.ack(2));
    assertEquals(1, w.unackedFrames());
    assertEquals(30, w.unackedBytes());
    assertEquals(2, w.acked());
  }

  @Test
  void anAckRepeatedOrOvertakenIsStale() {
    SendWindow w = new SendWindow(0);
    w.number(10);
    w.number(10);
    w.ack(2);
    assertEquals(AckVerdict.STALE, w.ack(2));
    assertEquals(AckVerdict.STALE, w.ack(1));
    assertEquals(0, w.unackedBytes());
  }

  @Test
  void anAckBeyondTheLastSentChangesNothing() {
    SendWindow w = new SendWindow(0);
    w.number(10);
    assertEquals(AckVerdict.BEYOND, w.ack(2));
    assertEquals(1, w.unackedFrames());
    assertEquals(10, w.unackedBytes());
  }

  @Test
  void boundsCountFramesAndBytesNotAcknowledged() {
    SendWindow w = new SendWindow(0);
    w.number(100);
    w.number(100);
    assertTrue(w.fits(1, 100, 3, 300));
    assertFalse(w.fits(2, 1, 3, 10_000));
    assertFalse(w.fits(1, 101, 3, 300));
    w.ack(2);
    assertTrue(w.fits(3, 300, 3, 300));
  }

  @Test
  void aResumedWindowAccountsReplayedFramesAfterTheAck() {
    SendWindow w = new SendWindow(10, 7);
    assertEquals(3, w.unackedFrames());
    w.replayed(5);
    w.replayed(5);
    w.replayed(5);
    assertEquals(15, w.unackedBytes());
    assertEquals(11, w.number(5));
    assertEquals(AckVerdict.ADVANCED, w.ack(9));
    assertEquals(10, w.unackedBytes());
  }

  @Test
  void resetNumbersFromOneAgain() {
    SendWindow w = new SendWindow(0);
    w.number(10);
    w.reset();
    assertEquals(0, w.unackedBytes());
    assertEquals(1, w.number(1));
  }
}
