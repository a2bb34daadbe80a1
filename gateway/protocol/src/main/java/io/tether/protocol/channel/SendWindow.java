package io.tether.protocol.channel;

/**
 * The sending side of one direction of a session (docs/PROTOCOL.md §3): numbers own reliable frames, keeps account
 * of those not yet acknowledged (count and bytes, within the session's bounds), and applies the peer's cumulative
 * acks. Where the frames themselves are kept (the cluster store on the server, a resend queue in the SDK) is the
 * owner's business; this holds only positions and sizes (four bytes per frame).
 */
public final class SendWindow {

  /** What an ack from the peer means. */
  public enum AckVerdict {
    /** It acknowledges frames not acknowledged before; they are released. */
    ADVANCED,
    /** Nothing new (an ack repeated, or overtaken by a later one). */
    STALE,
    /** It names a seq never sent: a protocol error of the peer; nothing changes. */
    BEYOND
  }

  private final SizeRing sizes = new SizeRing();
  private long lastSeq;
  private long acked;
  private long bytes;

  /** Starts with {@code lastSeq} frames numbered so far, all acknowledged (a new or resumed session). */
  public SendWindow(long lastSeq) {
    this.lastSeq = lastSeq;
    this.acked = lastSeq;
  }

  /**
   * Starts with frames {@code acked + 1 … lastSeq} unacknowledged, for a resumed session before the missed frames
   * are replayed (each then goes through {@link #replayed}).
   */
  public SendWindow(long lastSeq, long acked) {
    this.lastSeq = lastSeq;
    this.acked = Math.min(acked, lastSeq);
  }

  /** The seq the next own frame will carry. */
  public long nextSeq() {
    return lastSeq + 1;
  }

  /** The highest seq numbered. */
  public long lastSeq() {
    return lastSeq;
  }

  /** The peer's cumulative ack: every frame up to this seq is received. */
  public long acked() {
    return acked;
  }

  public long unackedFrames() {
    return lastSeq - acked;
  }

  public long unackedBytes() {
    return bytes;
  }

  /**
   * True if {@code frames} more frames of {@code moreBytes} in all would keep the unacknowledged frames within
   * {@code maxFrames} and {@code maxBytes}. The bound counts what the peer has not acknowledged, so only acks make
   * room (§3: nothing is dropped to make room).
   */
  public boolean fits(int frames, long moreBytes, long maxFrames, long maxBytes) {
    return lastSeq + frames - acked <= maxFrames && bytes + moreBytes <= maxBytes;
  }

  /** Numbers one own frame of {@code size} bytes and keeps it unacknowledged; returns its seq. */
  public long number(int size) {
    sizes.add(size);
    bytes += size;
    return ++lastSeq;
  }

  /**
   * Accounts a frame numbered earlier (by a previous holder of the session) that is being sent again after a resume;
   * frames must be replayed in seq order, starting right after {@link #acked()} plus those replayed already.
   */
  public void replayed(int size) {
    sizes.add(size);
    bytes += size;
  }

  /** Applies a cumulative ack from the peer. */
  public AckVerdict ack(long ack) {
    if (ack > lastSeq) {
      return AckVerdict.BEYOND;
    }
    if (ack <= acked) {
      return AckVerdict.STALE;
    }
    bytes -= sizes.pop(ack - acked);
    acked = ack;
    return AckVerdict.ADVANCED;
  }

  /** Starts over, for a new session after a failed resume: frames still held get new seqs from 1 on. */
  public void reset() {
    sizes.pop(sizes.count());
    lastSeq = 0;
    acked = 0;
    bytes = 0;
  }
}
