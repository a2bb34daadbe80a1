package io.tether.protocol.channel;

/**
 * The receiving side of one direction of a session (docs/PROTOCOL.md §3): reliable frames are numbered 1, 2, 3, …
 * with no gaps; a frame whose seq was seen already is a replay, dropped and acknowledged again; a frame beyond the
 * next expected seq means frames were lost on the way, which the peer repairs by resuming.
 */
public final class InboundSequence {

  /** What to do with a received reliable frame. */
  public enum Verdict {
    /** The next frame in order: act on it ({@link #received()} now includes it). */
    ACCEPT,
    /** Seen already (a replay after resume): do not act on it again; ack again, the peer may have missed the ack. */
    DUPLICATE,
    /** Frames before it are missing: the stream is broken and must be resumed from {@link #received()}. */
    GAP
  }

  private long received;

  /** Starts after {@code received}, the highest seq already accepted (0 for a new session). */
  public InboundSequence(long received) {
    this.received = received;
  }

  public Verdict offer(long seq) {
    if (seq <= received) {
      return Verdict.DUPLICATE;
    }
    if (seq != received + 1) {
      return Verdict.GAP;
    }
    received = seq;
    return Verdict.ACCEPT;
  }

  /** The highest seq accepted: the cumulative ack to send, and {@code lastSeq} in resume/resumed (§2). */
  public long received() {
    return received;
  }

  /** The seq the next new frame must carry. */
  public long expected() {
    return received + 1;
  }

  /** Starts over, for a new session after a failed resume. */
  public void reset(long received) {
    this.received = received;
  }
}
