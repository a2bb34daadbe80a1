package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.tether.protocol.ResumeFailReason;
import java.io.IOException;
import java.util.Map;

/**
 * Atomically checks a resume request (docs/PROTOCOL.md §2) and takes the session over: rotates the token, bumps the
 * epoch (fencing any previous owner), drops what the client says it has, and returns what it missed.
 */
public final class ResumeOp extends SessionOp<ResumeOutcome> {

  String tokenHash;
  String newTokenHash;
  String node;
  long lastSeq;
  long now;

  public ResumeOp() {
  }

  public ResumeOp(String tokenHash, String newTokenHash, String node, long lastSeq, long now) {
    this.tokenHash = tokenHash;
    this.newTokenHash = newTokenHash;
    this.node = node;
    this.lastSeq = lastSeq;
    this.now = now;
  }

  @Override
  public ResumeOutcome process(Map.Entry<String, SessionRecord> entry) {
    SessionRecord r = entry.getValue();
    if (r == null || r.status == SessionRecord.Status.CLOSED) {
      return ResumeOutcome.failed(ResumeFailReason.UNKNOWN);
    }
    if (!r.tokenHash.equals(tokenHash)) {
      return ResumeOutcome.failed(ResumeFailReason.BAD_TOKEN);
    }
    if (r.status == SessionRecord.Status.EXPIRED) {
      return ResumeOutcome.failed(
          "overflow".equals(r.endReason) ? ResumeFailReason.OVERFLOW : ResumeFailReason.EXPIRED);
    }
    if (r.status == SessionRecord.Status.DETACHED && now - r.detachedAt > r.windowMs) {
      r.end(SessionRecord.Status.EXPIRED, "expired");
      keepFor(entry, r, TOMBSTONE_TTL_MS);
      return ResumeOutcome.failed(ResumeFailReason.EXPIRED);
    }
    String previousOwner = r.status == SessionRecord.Status.ATTACHED ? r.owner : null;
    r.trimTo(Math.min(lastSeq, r.outSeq));
    r.tokenHash = newTokenHash;
    r.epoch++;
    r.owner = node;
    r.status = SessionRecord.Status.ATTACHED;
    r.detachedAt = 0;
    keepForever(entry, r);
    return ResumeOutcome.snapshot(r, lastSeq, previousOwner);
  }

  @Override
  public int getClassId() {
    return StoreSerialization.RESUME_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(tokenHash);
    out.writeString(newTokenHash);
    out.writeString(node);
    out.writeLong(lastSeq);
    out.writeLong(now);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    tokenHash = in.readString();
    newTokenHash = in.readString();
    node = in.readString();
    lastSeq = in.readLong();
    now = in.readLong();
  }
}
