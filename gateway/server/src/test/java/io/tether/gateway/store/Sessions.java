package io.tether.gateway.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds session records in a given state for the entry-processor tests, only through the ops themselves (a record
 * is detached by a detaching flush, ended by an {@link EndOp}, ...), so a test's setup is itself the contract.
 */
final class Sessions {

  static final String SESSION = "s-1";
  static final String CLIENT = "client-1";
  static final String TOKEN = "token-hash-1";
  static final String NODE_A = "node-a#1";
  static final String NODE_B = "node-b#1";
  static final long WINDOW_MS = 120_000;
  static final int MAX_FRAMES = 5;
  static final long MAX_BYTES = 200;
  static final long T0 = 1_000_000;

  private Sessions() {
  }

  /** A new session attached to {@code node}, epoch 1, nothing sent yet (as after hello). */
  static FakeEntry<String, SessionRecord> attachedTo(String node) {
    return FakeEntry.of(SESSION,
        SessionRecord.create(CLIENT, TOKEN, node, WINDOW_MS, MAX_FRAMES, MAX_BYTES, "{\"app\":\"1\"}"));
  }

  /** A session attached to node A whose owner stored frames 1..{@code frames}. */
  static FakeEntry<String, SessionRecord> attachedWithFrames(int frames) {
    FakeEntry<String, SessionRecord> e = attachedTo(NODE_A);
    Flush.epoch(1).frames(1, frames).op().process(e);
    return e.resetWrites();
  }

  /** A session that was attached to node A, stored frames 1..{@code frames}, and detached at {@code at}. */
  static FakeEntry<String, SessionRecord> detachedAt(long at, int frames) {
    FakeEntry<String, SessionRecord> e = attachedTo(NODE_A);
    Flush.epoch(1).frames(1, frames).detach(at).op().process(e);
    return e.resetWrites();
  }

  /** A session ended by {@code reason} (bye, replaced, kicked). */
  static FakeEntry<String, SessionRecord> closed(String reason) {
    FakeEntry<String, SessionRecord> e = attachedWithFrames(2);
    new EndOp(reason, false, T0).process(e);
    return e.resetWrites();
  }

  /** A session detached at T0 and ended by the expiry sweep after its window. */
  static FakeEntry<String, SessionRecord> expiredBySweep() {
    FakeEntry<String, SessionRecord> e = detachedAt(T0, 2);
    new EndOp(null, true, T0 + WINDOW_MS + 1).process(e);
    return e.resetWrites();
  }

  /** A detached session whose buffer overflowed ({@link #MAX_FRAMES} + 1 frames appended while detached). */
  static FakeEntry<String, SessionRecord> overflowed() {
    FakeEntry<String, SessionRecord> e = detachedAt(T0, 0);
    for (int i = 0; i <= MAX_FRAMES; i++) {
      append("x").process(e);
    }
    return e.resetWrites();
  }

  /** A resume by {@code node} with the current token, rotating it to {@code newToken}. */
  static ResumeOp resume(String node, String newToken, long lastSeq, long now, String... liveNodes) {
    return new ResumeOp(TOKEN, newToken, node, lastSeq, now, Set.of(liveNodes));
  }

  /** An append of one frame {@code {"body":..,"seq":N}} without idempotency key. */
  static AppendOp append(String body) {
    return new AppendOp(List.of("{\"body\":\"" + body + "\",\"seq\":"), List.of("}"), 0, null);
  }

  static String text(long seq) {
    return "{\"type\":\"push\",\"seq\":" + seq + "}";
  }

  static List<StoredFrame> frames(long from, long to) {
    List<StoredFrame> list = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      list.add(new StoredFrame(s, text(s)));
    }
    return list;
  }

  static List<Long> seqs(List<StoredFrame> frames) {
    return frames.stream().map(StoredFrame::seq).toList();
  }

  static List<Long> storedSeqs(SessionRecord r) {
    return r.frames.stream().map(StoredFrame::seq).toList();
  }

  /** A FlushOp built field by field, defaults being "nothing changed". */
  static final class Flush {
    private final long epoch;
    private List<StoredFrame> frames = List.of();
    private long acked;
    private long inSeq;
    private Map<String, Long> subsPut;
    private List<String> subsRemove;
    private List<PendingRequest> pendingPut;
    private List<Long> pendingRemove;
    private String attrs;
    private boolean detach;
    private long now = T0;
    private Map<String, Long> sendIds;

    private Flush(long epoch) {
      this.epoch = epoch;
    }

    static Flush epoch(long epoch) {
      return new Flush(epoch);
    }

    Flush frames(long from, long to) {
      frames = Sessions.frames(from, to);
      return this;
    }

    Flush ack(long ack) {
      acked = ack;
      return this;
    }

    Flush inSeq(long seq) {
      inSeq = seq;
      return this;
    }

    Flush subscribe(Map<String, Long> versions) {
      subsPut = versions;
      return this;
    }

    Flush unsubscribe(String... topics) {
      subsRemove = List.of(topics);
      return this;
    }

    Flush pending(PendingRequest... requests) {
      pendingPut = List.of(requests);
      return this;
    }

    Flush answered(Long... streams) {
      pendingRemove = List.of(streams);
      return this;
    }

    Flush attrs(String json) {
      attrs = json;
      return this;
    }

    Flush sendIds(Map<String, Long> ids) {
      sendIds = ids;
      return this;
    }

    Flush detach(long at) {
      detach = true;
      now = at;
      return this;
    }

    FlushOp op() {
      return new FlushOp(epoch, frames, acked, inSeq, subsPut, subsRemove, pendingPut, pendingRemove, attrs, detach,
          now, sendIds);
    }
  }
}
