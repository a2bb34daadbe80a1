package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Appends reliable frames, all or none, to a DETACHED session, numbering them in the cluster: each frame's text is
 * {@code prefix + seq + suffix}. An attached session is not touched (its owner numbers its frames); the caller is
 * told the owner instead. If the buffer bound is crossed the session expires with reason {@code overflow}
 * (docs/PROTOCOL.md §3): nothing is dropped silently. With an idempotency key already recorded, nothing is appended
 * and the recorded seq is returned.
 */
public final class AppendOp extends SessionOp<AppendOutcome> {

  /** Each frame's text before and after its seq. */
  List<String> prefixes;
  List<String> suffixes;
  /** A client stream the (single) frame answers (its pending request is then done), or 0. */
  long completesStream;
  /** The sender's idempotency key, or null. */
  String sendId;

  public AppendOp() {
  }

  public AppendOp(List<String> prefixes, List<String> suffixes, long completesStream, String sendId) {
    this.prefixes = prefixes;
    this.suffixes = suffixes;
    this.completesStream = completesStream;
    this.sendId = sendId;
  }

  @Override
  public AppendOutcome process(Map.Entry<String, SessionRecord> entry) {
    SessionRecord r = entry.getValue();
    if (r == null || r.isClosed()) {
      return AppendOutcome.failed("unknown");
    }
    if (r.isExpired()) {
      return AppendOutcome.failed(r.endReason());
    }
    if (r.isAttached()) {
      return AppendOutcome.ownedBy(r.owner());
    }
    Long already = r.sentWithId(sendId);
    if (already != null) {
      return AppendOutcome.appended(already);
    }
    if (completesStream > 0 && !r.isPending(completesStream)) {
      // The request was answered already (a second dispatch's late reply, e.g. from a node cut off by a split whose
      // requests were re-dispatched): one response per request, so this one is dropped.
      return AppendOutcome.appended(r.outSeq);
    }
    long seq = r.outSeq;
    for (int i = 0; i < prefixes.size(); i++) {
      seq++;
      r.append(new StoredFrame(seq, prefixes.get(i) + seq + suffixes.get(i)));
    }
    if (sendId != null) {
      r.rememberSends(Map.of(sendId, seq));
    }
    if (completesStream > 0) {
      r.removePending(completesStream);
    }
    // An answer to an accepted request is bounded by the open-request limit, not the buffer bound.
    if (completesStream == 0 && r.overBounds()) {
      r.expire("overflow");
      keepFor(entry, r, TOMBSTONE_TTL_MS);
      return AppendOutcome.failed("overflow");
    }
    keepUnchangedExpiry(entry, r);
    return AppendOutcome.appended(seq);
  }

  @Override
  public int getClassId() {
    return StoreSerialization.APPEND_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    Wire.writeStrings(out, prefixes);
    Wire.writeStrings(out, suffixes);
    out.writeLong(completesStream);
    out.writeString(sendId);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    prefixes = Wire.readStrings(in);
    suffixes = Wire.readStrings(in);
    completesStream = in.readLong();
    sendId = in.readString();
  }
}
