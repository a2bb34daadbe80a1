package io.tether.gateway.session;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.store.SessionRecord;
import io.tether.gateway.store.StoredFrame;
import io.tether.protocol.FrameTemplate;
import io.tether.protocol.channel.SendWindow;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Server → client frames of one session (docs/PROTOCOL.md §3): numbering and acks through the shared
 * {@link SendWindow}; frames numbered but not yet in the store, with the promises completed once they are; the
 * highest seq written to the socket; and the idempotency keys of recent backend sends.
 */
final class Outbox {

  private final SendWindow window;
  private long writtenSeq;
  /** Frames numbered since the last store write, with the promise of each batch's last frame (null: none yet). */
  private List<StoredFrame> unstored;
  private List<Promise<Long>> promises;
  /** Idempotency keys of recent sends → their outcome (the seq of the batch's last frame); null until the first. */
  private Map<String, Future<Long>> recentSends;
  /** Keys of sends accepted since the last store write → their last seq; written with their frames. */
  private Map<String, Long> sendIdsUnstored;
  /** The node's budget this window is charged to (null: none, or given back when the session left the node). */
  private NodeBuffer budget;
  /** Bytes charged to {@link #budget}: always the window's unacknowledged bytes while charged. */
  private long charged;

  /** A session whose frames up to {@code outSeq} exist, of which the client has {@code clientAck}. */
  Outbox(long outSeq, long clientAck, Map<String, Long> sendIds) {
    this.window = new SendWindow(outSeq, clientAck);
    this.writtenSeq = outSeq;
    sendIds.forEach((id, seq) -> recentSends().put(id, Future.succeededFuture(seq)));
  }

  /** Charges this window's bytes to the node's budget from now on (before anything is numbered or replayed). */
  Outbox chargedTo(NodeBuffer nodeBuffer) {
    this.budget = nodeBuffer;
    return this;
  }

  /** Gives everything still charged back to the node's budget and stops charging it; again, it does nothing. */
  void releaseBudget() {
    if (budget != null) {
      budget.release(charged);
      charged = 0;
      budget = null;
    }
  }

  long nextSeq() {
    return window.nextSeq();
  }

  long clientAck() {
    return window.acked();
  }

  long writtenSeq() {
    return writtenSeq;
  }

  /** A stored frame sent again after resume. */
  void replayed(StoredFrame f) {
    window.replayed(f.size());
    if (budget != null) {
      // Accepted before (by this node or another): never refused, or the client would have a gap.
      budget.charge(f.size());
      charged += f.size();
    }
  }

  /** The outcome of an earlier send with this key, or null. */
  Future<Long> recent(String sendId) {
    return sendId == null || recentSends == null ? null : recentSends.get(sendId);
  }

  /**
   * Numbers {@code frames} for the next store write, all or none: refused as {@code BUFFER_FULL} if the frames not
   * acknowledged would then exceed {@code maxFrames} or {@code maxBytes}, or if the node's budget cannot take their
   * bytes (answers to accepted requests are charged to it but never refused by it: an accepted request always gets its
   * answer, §12). The future completes with the last one's seq when they are stored, or fails if they never are.
   */
  /** True if {@code frames} more frames of {@code bytes} fit the per-session bound (no allowance) now. */
  boolean fits(int frames, long bytes, io.tether.gateway.config.GatewayOptions o) {
    return window.fits(frames, bytes, o.getBufferMaxFrames(), o.getBufferMaxBytes());
  }

  Future<Long> offer(List<FrameTemplate> frames, String sendId, long maxFrames, long maxBytes) {
    List<String> texts = new ArrayList<>(frames.size());
    long bytes = 0;
    for (int i = 0; i < frames.size(); i++) {
      String text = frames.get(i).fill(window.nextSeq() + i);
      texts.add(text);
      bytes += text.length();
    }
    if (!window.fits(frames.size(), bytes, maxFrames, maxBytes)) {
      return Future.failedFuture(BackendFailure.BUFFER_FULL.refuse("the client's buffer is full ("
          + window.unackedFrames() + " frames, " + window.unackedBytes() + " bytes unacknowledged)"));
    }
    if (budget != null) {
      if (allAnswers(frames)) {
        budget.charge(bytes);
      } else if (!budget.tryCharge(bytes)) {
        return Future.failedFuture(BackendFailure.BUFFER_FULL.refuse("the node is full: its sessions hold "
            + budget.bytes() + " of " + budget.maxBytes() + " bytes unacknowledged (nodeBufferMaxBytes); retry later"));
      }
      charged += bytes;
    }
    return add(texts, sendId);
  }

  private static boolean allAnswers(List<FrameTemplate> frames) {
    for (FrameTemplate f : frames) {
      if (!"response".equals(f.type())) {
        return false;
      }
    }
    return true;
  }

  private Future<Long> add(List<String> texts, String sendId) {
    Promise<Long> promise = Promise.promise();
    if (unstored == null) {
      unstored = new ArrayList<>(texts.size());
      promises = new ArrayList<>(texts.size());
    }
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      long seq = window.number(text.length());
      unstored.add(new StoredFrame(seq, text));
      promises.add(i == texts.size() - 1 ? promise : null);
    }
    Future<Long> outcome = promise.future();
    if (sendId != null) {
      recentSends().put(sendId, outcome);
      if (sendIdsUnstored == null) {
        sendIdsUnstored = new HashMap<>(4);
      }
      sendIdsUnstored.put(sendId, window.lastSeq());
      // A send that did not reach the store may be tried again (on whichever node has the session then).
      outcome.onFailure(e -> recentSends.remove(sendId, outcome));
    }
    return outcome;
  }

  /** The client's cumulative ack: false if it names a frame never written to it (a protocol error). */
  boolean ack(long ack) {
    if (ack > writtenSeq) {
      return false;
    }
    long before = window.unackedBytes();
    window.ack(ack);
    if (budget != null) {
      long freed = before - window.unackedBytes();
      budget.release(freed);
      charged -= freed;
    }
    return true;
  }

  boolean hasUnstored() {
    return unstored != null;
  }

  /** Hands the frames waiting for the store to a store write; the returned batch is completed by that write. */
  Batch takeUnstored() {
    Batch b = unstored == null ? new Batch(List.of(), List.of(), sendIdsUnstored)
        : new Batch(unstored, promises, sendIdsUnstored);
    unstored = null;
    promises = null;
    sendIdsUnstored = null;
    return b;
  }

  /** Frames written to the socket, in order. */
  void written(long seq) {
    writtenSeq = seq;
  }

  /** Fails the sends that will never be stored (the session ended or was taken over). */
  void failUnstored(Throwable cause) {
    if (promises != null) {
      failAll(promises, cause);
    }
    unstored = null;
    promises = null;
  }

  static void failAll(List<Promise<Long>> promises, Throwable cause) {
    for (Promise<Long> p : promises) {
      if (p != null) {
        p.tryFail(cause);
      }
    }
  }

  private Map<String, Future<Long>> recentSends() {
    if (recentSends == null) {
      recentSends = new LinkedHashMap<>(8, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Future<Long>> eldest) {
          return size() > SessionRecord.MAX_SEND_IDS;
        }
      };
    }
    return recentSends;
  }

  /** Frames in one store write, with the promises their write completes. */
  record Batch(List<StoredFrame> frames, List<Promise<Long>> promises, Map<String, Long> sendIds) {

    void stored() {
      for (int i = 0; i < promises.size(); i++) {
        if (promises.get(i) != null) {
          promises.get(i).complete(frames.get(i).seq());
        }
      }
    }
  }
}
