package io.tether.gateway.session;

import io.tether.protocol.Frame;
import io.tether.protocol.channel.InboundSequence;
import java.util.ArrayList;
import java.util.List;

/**
 * Client → server frames of one session (docs/PROTOCOL.md §3): the shared {@link InboundSequence} accepts them in
 * order; accepted frames wait here until the position that includes them is in the store, and only then are they
 * acknowledged and acted on ({@link #durable}).
 */
final class Inbox {

  /** Accepted client frames waiting for the store before reading pauses. */
  static final int MAX_UNDISPATCHED = 256;

  /** A client frame accepted in sequence, with the decision taken when it was accepted (null: go ahead). */
  record Accepted(Frame.Reliable frame, Frame.ErrorInfo refusal) {
  }

  private final InboundSequence sequence;
  private long durableSeq;
  /** Null while there is none (an idle session holds no list). */
  private List<Accepted> undispatched;

  Inbox(long inSeq) {
    this.sequence = new InboundSequence(inSeq);
    this.durableSeq = inSeq;
  }

  InboundSequence.Verdict offer(long seq) {
    return sequence.offer(seq);
  }

  /** The highest client seq accepted (stored or not). */
  long received() {
    return sequence.received();
  }

  /** The highest client seq in the store: what the server acks. */
  long durableSeq() {
    return durableSeq;
  }

  /** Keeps an accepted frame until its position is stored; true when reading should pause. */
  boolean hold(Accepted frame) {
    if (undispatched == null) {
      undispatched = new ArrayList<>();
    }
    undispatched.add(frame);
    return undispatched.size() >= MAX_UNDISPATCHED;
  }

  boolean hasUndispatched() {
    return undispatched != null;
  }

  /** The frames a store write now under way makes durable. */
  /** The accepted requests among {@code accepted} (those not refused). */
  static List<Frame.Request> requests(List<Accepted> accepted) {
    List<Frame.Request> list = new java.util.ArrayList<>(accepted.size());
    for (Accepted a : accepted) {
      if (a.refusal() == null && a.frame() instanceof Frame.Request r) {
        list.add(r);
      }
    }
    return list;
  }

  List<Accepted> takeUndispatched() {
    List<Accepted> taken = undispatched == null ? List.of() : undispatched;
    undispatched = null;
    return taken;
  }

  /** The store has every client frame up to {@code seq}. */
  void durable(long seq) {
    durableSeq = seq;
  }
}
