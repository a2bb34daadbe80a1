package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Appends one reliable frame to a DETACHED session, numbering it in the cluster: the frame text is
 * {@code prefix + seq + suffix}. An attached session is not touched (its owner numbers its frames); the caller is
 * told the owner instead. If the buffer bound is crossed the session expires with reason {@code overflow}
 * (docs/PROTOCOL.md §3): nothing is dropped silently.
 */
public final class AppendOp extends SessionOp<AppendOutcome> {

  String prefix;
  String suffix;
  /** A client stream this frame answers (its pending request is then done), or 0. */
  long completesStream;

  public AppendOp() {
  }

  public AppendOp(String prefix, String suffix, long completesStream) {
    this.prefix = prefix;
    this.suffix = suffix;
    this.completesStream = completesStream;
  }

  @Override
  public AppendOutcome process(Map.Entry<String, SessionRecord> entry) {
    SessionRecord r = entry.getValue();
    if (r == null || r.status == SessionRecord.Status.CLOSED) {
      return AppendOutcome.failed("unknown");
    }
    if (r.status == SessionRecord.Status.EXPIRED) {
      return AppendOutcome.failed(r.endReason);
    }
    if (r.status == SessionRecord.Status.ATTACHED) {
      return AppendOutcome.ownedBy(r.owner);
    }
    long seq = r.outSeq + 1;
    r.append(new StoredFrame(seq, prefix + seq + suffix));
    if (completesStream > 0) {
      r.removePending(completesStream);
    }
    // An answer to an accepted request is bounded by the open-request limit, not the buffer bound.
    if (completesStream == 0 && r.overBounds()) {
      r.end(SessionRecord.Status.EXPIRED, "overflow");
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
    out.writeString(prefix);
    out.writeString(suffix);
    out.writeLong(completesStream);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    prefix = in.readString();
    suffix = in.readString();
    completesStream = in.readLong();
  }
}
