package io.tether.client.internal;

import io.tether.client.ConnectionState;
import io.tether.client.TetherClientOptions;
import io.tether.client.TetherException;
import io.tether.protocol.DecodeResult;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.channel.InboundSequence;
import io.tether.protocol.channel.SendWindow;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * The client's end of the reliable channel (docs/PROTOCOL.md §3), across the connections of a session:
 * <ul>
 *   <li>numbers own reliable frames ({@link SendWindow}, within {@code maxOutboundFrames}/{@code maxOutboundBytes})
 *       and keeps their texts until the server acks them, so that the ones the server has not stored can be written
 *       again, byte for byte, on the next link after a resume ({@link #attach});</li>
 *   <li>accepts the server's reliable frames in order ({@link InboundSequence}): replays are dropped and acked again,
 *       a gap is reported to the caller; acks go out cumulatively within {@code ackDelayMs} or every
 *       {@code ackBatchFrames} frames;</li>
 *   <li>after a failed resume, {@link #newSession} starts both directions over at seq 1 and hands back the frames the
 *       lost session never acked, so that their owners renumber ({@link #renumber}) or drop them;</li>
 *   <li>with an on-disk store ({@link Journal}, docs/CLIENT.md "Sessions across a restart"): an own frame is written
 *       to a socket only once a snapshot holding it is on disk ({@link #snapshot}, {@link #durable}), and only a
 *       server position that is on disk is acknowledged; after {@code resumed}, nothing leaves until the rotated
 *       token is on disk. {@link #restore} takes a stored session back in a new process.</li>
 * </ul>
 * What a frame means is its owner's business; this class knows seqs, texts and sizes.
 */
public final class ReliableChannel {

  /** What the channel tells the rest of the client. */
  public interface Listener {
    /** The server acknowledged own frames up to {@code ack}: they are released, so there is room for more. */
    void acked(long ack);

    void problem(Throwable t);
  }

  /** One own reliable frame, kept until the server acks it. */
  public static final class OutFrame {
    private final Frame.Reliable frame;
    private final String text;
    private boolean written;
    private int writtenOn = -1;

    private OutFrame(Frame.Reliable frame, String text) {
      this.frame = frame;
      this.text = text;
    }

    public long seq() {
      return frame.seq();
    }

    public Frame.Reliable frame() {
      return frame;
    }

    /** Written to some socket at least once, so the server may have acted on it. */
    public boolean written() {
      return written;
    }
  }

  private final Vertx vertx;
  private final FrameCodec codec;
  private final Supplier<ConnectionState> state;
  private final Listener listener;
  private final int maxFrameBytes;
  private final int maxOutboundFrames;
  private final long maxOutboundBytes;
  private final long ackDelayMs;
  private final int ackBatchFrames;

  /** Own frames not acked yet, in seq order: as many as {@link #window} counts unacknowledged. */
  private final ArrayDeque<OutFrame> outbound = new ArrayDeque<>();
  private SendWindow window = new SendWindow(0);
  private final InboundSequence inbound = new InboundSequence(0);
  private long lastAckSent;
  /** A replay arrived: ack again even if the position did not move (our earlier ack may have been lost). */
  private boolean ackForced;
  private long ackTimer = -1;
  /** Where frames are written now; null between connections. */
  private Link link;
  private Journal journal = Journal.NONE;
  /** Counts numberings (a new session, a failed first connect): a snapshot of an earlier one releases nothing. */
  private int epoch;
  /** Own frames up to this seq are on disk and may be written (with an active journal). */
  private long durableSeq;
  /** Server frames up to this seq are on disk as received and may be acknowledged (with an active journal). */
  private long durableReceived;
  /** From {@code resumed} until the rotated token is on disk: nothing is written, not even an ack. */
  private boolean held;
  /** An ack waited for the store: sent when the next snapshot is on disk. */
  private boolean ackWanted;

  // Observable from any thread, written on the context only.
  private volatile long receivedSeq;
  private volatile long lastSentSeq;
  private volatile int unackedFrames;

  public ReliableChannel(Vertx vertx, TetherClientOptions options, FrameCodec codec, Supplier<ConnectionState> state,
      Listener listener) {
    this.vertx = vertx;
    this.codec = codec;
    this.state = state;
    this.listener = listener;
    this.maxFrameBytes = options.getMaxFrameBytes();
    this.maxOutboundFrames = options.getMaxOutboundFrames();
    this.maxOutboundBytes = options.getMaxOutboundBytes();
    this.ackDelayMs = options.getAckDelayMs();
    this.ackBatchFrames = options.getAckBatchFrames();
  }

  /** Uses {@code j} as the on-disk store (set once, before the first frame). */
  public void journal(Journal j) {
    this.journal = j;
  }

  // -- own frames ---------------------------------------------------------------------------------------------

  /**
   * Numbers a reliable frame, keeps it until acked and writes it if a link is attached (else it goes out when one
   * is).
   *
   * @param build       the frame, given its seq
   * @param beyondBound answers to server requests may exceed the buffer bound (the server bounds them)
   * @throws TetherException if the client cannot take it (closed, offline, buffer full, too large)
   */
  public OutFrame send(LongFunction<Frame.Reliable> build, boolean beyondBound) {
    switch (state.get()) {
      case CLOSED -> throw new TetherException(TetherException.CLOSED, "the client is closed");
      case OFFLINE -> throw new TetherException(TetherException.NOT_CONNECTED,
          "the client is offline: call connect() first");
      default -> { }
    }
    if (!beyondBound && window.unackedFrames() >= maxOutboundFrames) {
      throw new TetherException(TetherException.BUFFER_FULL, "the outbound buffer is full (" + outbound.size()
          + " frames not acknowledged by the server; maxOutboundFrames " + maxOutboundFrames + ")");
    }
    Frame.Reliable frame = build.apply(window.nextSeq());
    String text = codec.encode(frame);
    int bytes = Support.utf8Length(text);
    if (bytes > maxFrameBytes) {
      throw new TetherException(TetherException.TOO_LARGE, "the '" + frame.type() + "' frame is " + bytes
          + " bytes, above maxFrameBytes (" + maxFrameBytes + ")");
    }
    if (!beyondBound && !outbound.isEmpty() && window.unackedBytes() + bytes > maxOutboundBytes) {
      throw new TetherException(TetherException.BUFFER_FULL, "the outbound buffer is full (" + window.unackedBytes()
          + " bytes not acknowledged by the server; maxOutboundBytes " + maxOutboundBytes + ")");
    }
    OutFrame f = keep(frame, text, bytes);
    if (link != null && !journal.active()) {
      write(link, f); // with a store, it goes out once a snapshot holding it is on disk (durable)
    }
    return f;
  }

  /** True if a frame of about {@code bytes} fits the outbound bounds now (an empty buffer always takes one). */
  public boolean hasRoom(long bytes) {
    return window.unackedFrames() == 0 || window.fits(1, bytes, maxOutboundFrames, maxOutboundBytes);
  }

  /** Writes a stream's credit, after the ack of what was received (a credit must not run ahead of acks), if linked. */
  public void sendControl(Frame frame) {
    if (link != null) {
      sendAck();
      link.write(codec.encode(frame));
    }
  }

  /** A link is attached and every kept frame has been written on it: new frames go out in seq order. */
  public boolean isOpen() {
    return link != null;
  }

  /** Starts writing on {@code l}: first every kept frame not written on it yet, in seq order. */
  public void attach(Link l) {
    link = l;
    flushWrites();
  }

  /**
   * Writes, in seq order, every kept frame not written on the current link yet that may leave: all of them without a
   * store, else those on disk, and none while the rotated token is not.
   */
  private void flushWrites() {
    Link l = link;
    boolean gated = journal.active();
    if (l == null || gated && held) {
      return;
    }
    for (OutFrame f : outbound) {
      if (gated && f.seq() > durableSeq) {
        return; // the next snapshot on disk lets it out
      }
      if (f.writtenOn != l.id()) {
        write(l, f);
      }
    }
  }

  /** The link is gone: nothing is written until the next {@link #attach}. */
  public void detach() {
    link = null;
    cancelAckTimer();
  }

  private void write(Link l, OutFrame f) {
    l.write(f.text);
    f.written = true;
    f.writtenOn = l.id();
  }

  private OutFrame keep(Frame.Reliable frame, String text, int bytes) {
    window.number(bytes);
    OutFrame f = new OutFrame(frame, text);
    outbound.addLast(f);
    changed();
    journal.changed();
    return f;
  }

  /** The server's cumulative ack (an {@code ack} frame, or carried by {@code ping}/{@code pong}). */
  public void onAck(long ack) {
    switch (window.ack(ack)) {
      case BEYOND -> listener.problem(new TetherException(ErrorCode.BAD_FRAME.wire(), "the server acked seq " + ack
          + " beyond the last sent (" + window.lastSeq() + "); ignored"));
      case STALE -> { }
      case ADVANCED -> {
        while (!outbound.isEmpty() && outbound.peekFirst().seq() <= ack) {
          outbound.pollFirst();
        }
        changed();
        journal.changed(); // acked frames leave the file
        listener.acked(ack);
      }
    }
  }

  /**
   * True if {@code resumed.lastSeq} is possible: not below what the server acked already (it would have lost frames
   * it acknowledged), not above the last frame sent.
   */
  public boolean canResumeFrom(long serverLastSeq) {
    return serverLastSeq >= window.acked() && serverLastSeq <= window.lastSeq();
  }

  /**
   * The session continues after {@code resumed}: {@code resume.lastSeq} acknowledged everything received, and
   * {@code serverLastSeq} acknowledges own frames; the rest is written again by the next {@link #attach}.
   */
  public void resumed(long serverLastSeq) {
    if (journal.active()) {
      held = true; // the token rotated: it goes to disk before anything else leaves
      journal.changed();
    }
    onAck(serverLastSeq);
    if (inbound.received() > lastAckSent) {
      scheduleAck(); // received before the break, not acknowledged by the resume (it was not on disk yet)
    }
  }

  /**
   * A new session replaces a lost one: seqs restart at 1 in both directions. Returns the frames the lost session
   * never acked, in seq order; they are dropped here, and their owners {@link #renumber} the ones to keep.
   */
  public List<OutFrame> newSession() {
    List<OutFrame> old = new ArrayList<>(outbound);
    outbound.clear();
    window.reset();
    inbound.reset(0);
    receivedSeq = 0;
    lastAckSent = 0;
    ackForced = false;
    newEpoch();
    changed();
    journal.changed();
    return old;
  }

  private void newEpoch() {
    epoch++;
    durableSeq = 0;
    durableReceived = 0;
    held = false;
    ackWanted = false;
  }

  /** Keeps {@code frame} again with the next seq of the new session; it is written when a link is attached. */
  public OutFrame renumber(Frame.Reliable frame) {
    Frame.Reliable again = frame.withSeq(window.nextSeq());
    String text = codec.encode(again);
    return keep(again, text, Support.utf8Length(text));
  }

  /**
   * Drops every own frame not acked (the client closed, or a first connect failed: their owners fail them).
   * Numbering goes on from the last seq if the client has a session, else it starts over.
   */
  public void dropAll(boolean keepNumbering) {
    outbound.clear();
    window = new SendWindow(keepNumbering ? window.lastSeq() : 0);
    if (!keepNumbering) {
      long received = durableReceived;
      newEpoch();
      durableReceived = received; // inbound is not reset here
    }
    changed();
    journal.changed();
  }

  // -- the on-disk store ----------------------------------------------------------------------------------------

  /** What to save now (context only). */
  public Journal.Snapshot snapshot() {
    List<String> texts = new ArrayList<>(outbound.size());
    for (OutFrame f : outbound) {
      texts.add(f.text);
    }
    return new Journal.Snapshot(epoch, window.acked(), window.lastSeq(), inbound.received(), held, texts);
  }

  /**
   * {@code s} is on disk (or could not be written: then the client goes on without the guarantee, as without a
   * store): its frames may leave, its received position may be acknowledged, and if it was taken after
   * {@code resumed}, the hold ends.
   */
  public void durable(Journal.Snapshot s) {
    if (s.epoch() != epoch) {
      return; // of an earlier numbering
    }
    durableSeq = Math.max(durableSeq, s.lastSeq());
    durableReceived = Math.max(durableReceived, s.received());
    if (s.releasesHold()) {
      held = false;
    }
    flushWrites();
    if (ackWanted && !held) {
      ackWanted = false;
      sendAck();
    }
  }

  /**
   * Takes back a session stored by an earlier process: own frames {@code acked + 1 …} as written then (each maybe
   * written to a socket already), and the server position {@code received}. Returns the frames, in seq order.
   *
   * @throws IllegalArgumentException if a text is not a reliable frame or the seqs are not consecutive
   */
  public List<OutFrame> restore(long acked, long received, List<String> texts) {
    List<OutFrame> frames = new ArrayList<>(texts.size());
    long expected = acked + 1;
    for (String text : texts) {
      if (!(codec.decode(text) instanceof DecodeResult.Ok ok)
          || !(ok.frame() instanceof Frame.Reliable r) || r.seq() != expected) {
        throw new IllegalArgumentException("stored frame " + expected + " is not the reliable frame of that seq");
      }
      OutFrame f = new OutFrame(r, text);
      f.written = true; // the earlier process may have written it: the server may have acted on it
      frames.add(f);
      expected++;
    }
    window = new SendWindow(acked + frames.size(), acked);
    outbound.clear();
    for (OutFrame f : frames) {
      window.replayed(Support.utf8Length(f.text));
      outbound.addLast(f);
    }
    inbound.reset(received);
    receivedSeq = received;
    lastAckSent = received;
    durableSeq = window.lastSeq();
    durableReceived = received;
    changed();
    return frames;
  }

  private void changed() {
    lastSentSeq = window.lastSeq();
    unackedFrames = outbound.size();
  }

  // -- the server's frames ------------------------------------------------------------------------------------

  /**
   * A reliable frame from the server: {@code ACCEPT} (act on it; it will be acked), {@code DUPLICATE} (a replay:
   * dropped and acked again) or {@code GAP} (frames are missing: the caller reconnects to resume).
   */
  public InboundSequence.Verdict receive(long seq) {
    InboundSequence.Verdict verdict = inbound.offer(seq);
    switch (verdict) {
      case ACCEPT -> {
        receivedSeq = seq;
        scheduleAck();
      }
      case DUPLICATE -> {
        ackForced = true;
        scheduleAck();
      }
      case GAP -> { }
    }
    return verdict;
  }

  /**
   * The position to carry in a {@code ping} or {@code pong}: once sent, everything received is acknowledged (with a
   * store: everything received and on disk; the rest is acked once it is).
   */
  public long carryAck() {
    lastAckSent = Math.max(lastAckSent, ackable());
    return lastAckSent;
  }

  /**
   * The position for {@code resume.lastSeq}: what the server may drop. With a store, the position on disk, so that a
   * restarted client never resumes from below what the server dropped (the replay of the rest is dropped here as
   * duplicates).
   */
  public long resumeAck() {
    lastAckSent = ackable();
    return lastAckSent;
  }

  /** The highest received seq that may be acknowledged: with a store, the one on disk; asks for a save if behind. */
  private long ackable() {
    long received = inbound.received();
    if (!journal.active() || received <= durableReceived) {
      return received;
    }
    ackWanted = true;
    journal.changed();
    return durableReceived;
  }

  private void scheduleAck() {
    if (inbound.received() - lastAckSent >= ackBatchFrames) {
      sendAck();
    } else if (ackTimer < 0) {
      ackTimer = vertx.setTimer(ackDelayMs, id -> {
        ackTimer = -1;
        sendAck();
      });
    }
  }

  private void sendAck() {
    cancelAckTimer();
    Link l = link;
    long received = ackable();
    if (l == null || (received <= lastAckSent && !ackForced)) {
      return;
    }
    if (held && journal.active()) {
      ackWanted = true;
      return;
    }
    l.write(codec.encode(new Frame.Ack(received)));
    lastAckSent = received;
    ackForced = false;
  }

  private void cancelAckTimer() {
    Support.cancelTimer(vertx, ackTimer);
    ackTimer = -1;
  }

  // -- observation (any thread) -------------------------------------------------------------------------------

  /** Highest server seq received in the current session. */
  public long received() {
    return receivedSeq;
  }

  /** Highest seq given to an own frame in the current session. */
  public long lastSent() {
    return lastSentSeq;
  }

  /** Own frames not acked yet. */
  public int unacked() {
    return unackedFrames;
  }

  /** The server's ack position (context only). */
  public long acked() {
    return window.acked();
  }
}
