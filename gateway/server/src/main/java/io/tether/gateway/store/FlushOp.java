package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The owner node's batched write of one session: new server frames, the client's cumulative ack, the highest client
 * seq accepted, subscription and pending-request changes, and optionally the detach. It is refused (FENCED) when
 * the session's epoch moved on: another socket or node took the session over, and this owner must stop writing.
 */
public final class FlushOp extends SessionOp<Integer> {

  public static final int OK = 0;
  public static final int FENCED = 1;
  public static final int GONE = 2;

  long epoch;
  List<StoredFrame> frames = List.of();
  long acked;
  long inSeq;
  Map<String, Long> subsPut;
  List<String> subsRemove;
  List<PendingRequest> pendingPut;
  List<Long> pendingRemove;
  String attrs;
  boolean detach;
  long now;
  /** Idempotency keys of the sends whose frames are in this write → the seq of each one's last frame. */
  Map<String, Long> sendIds;
  /** A credential renewed in the session ({@code auth} frame): the new grant and expiry; null = unchanged. */
  String grant;
  long credentialExpiresAt;
  /** Refusals of client frames decided with this write's position (encoded error frames); null = none. */
  List<String> refusals;

  public FlushOp() {
  }

  public FlushOp(long epoch, List<StoredFrame> frames, long acked, long inSeq, Map<String, Long> subsPut,
      List<String> subsRemove, List<PendingRequest> pendingPut, List<Long> pendingRemove, String attrs,
      boolean detach, long now, Map<String, Long> sendIds) {
    this.epoch = epoch;
    this.frames = frames;
    this.acked = acked;
    this.inSeq = inSeq;
    this.subsPut = subsPut;
    this.subsRemove = subsRemove;
    this.pendingPut = pendingPut;
    this.pendingRemove = pendingRemove;
    this.attrs = attrs;
    this.detach = detach;
    this.now = now;
    this.sendIds = sendIds;
  }

  /** Also records the session's renewed credential. */
  public FlushOp withCredential(String grant, long expiresAt) {
    this.grant = grant;
    this.credentialExpiresAt = expiresAt;
    return this;
  }

  /** Also records refusals of client frames, to be repeated after a resume (docs/PROTOCOL.md §7). */
  public FlushOp withRefusals(List<String> texts) {
    this.refusals = texts;
    return this;
  }

  /** The new server frames this write stores. */
  public List<StoredFrame> frames() {
    return frames;
  }

  /** The highest client seq this write makes durable. */
  public long inSeq() {
    return inSeq;
  }

  /** Client request streams answered by this write's frames. */
  public List<Long> pendingRemove() {
    return pendingRemove == null ? List.of() : pendingRemove;
  }

  /** True if this write detaches the session. */
  public boolean detach() {
    return detach;
  }

  @Override
  public Integer process(Map.Entry<String, SessionRecord> entry) {
    SessionRecord r = entry.getValue();
    if (ended(r)) {
      return GONE;
    }
    if (!r.isAttachedIn(epoch)) {
      return FENCED;
    }
    for (StoredFrame f : frames) {
      if (f.seq() > r.outSeq) {
        r.append(f);
      }
    }
    if (acked > r.acked || inSeq > r.inSeq) {
      // Only the client's own acks and frames prove it holds the token its last resume was given.
      r.tokenConfirmed();
    }
    r.trimTo(acked);
    if (inSeq > r.inSeq) {
      r.inSeq = inSeq;
    }
    if (subsPut != null) {
      r.subscribe(subsPut);
    }
    if (subsRemove != null) {
      subsRemove.forEach(r::unsubscribe);
    }
    if (pendingPut != null) {
      pendingPut.forEach(r::addPending);
    }
    if (pendingRemove != null) {
      pendingRemove.forEach(r::removePending);
    }
    if (attrs != null) {
      r.attrs = attrs;
    }
    if (sendIds != null) {
      r.rememberSends(sendIds);
    }
    if (grant != null) {
      r.renewCredential(grant, credentialExpiresAt);
    }
    if (refusals != null) {
      r.rememberRefusals(refusals);
    }
    if (detach) {
      r.detach(now);
      keepFor(entry, r, r.windowMs + DETACHED_GRACE_MS);
    } else {
      keepUnchangedExpiry(entry, r);
    }
    return OK;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.FLUSH_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(epoch);
    Wire.writeFrames(out, frames);
    out.writeLong(acked);
    out.writeLong(inSeq);
    Wire.writeVersions(out, subsPut);
    Wire.writeStrings(out, subsRemove);
    Wire.writeRequests(out, pendingPut);
    Wire.writeLongs(out, pendingRemove);
    out.writeString(attrs);
    out.writeBoolean(detach);
    out.writeLong(now);
    Wire.writeVersions(out, sendIds);
    out.writeString(grant);
    out.writeLong(credentialExpiresAt);
    Wire.writeStrings(out, refusals);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = in.readLong();
    frames = new ArrayList<>(Wire.readFrames(in));
    acked = in.readLong();
    inSeq = in.readLong();
    subsPut = Wire.readVersions(in);
    subsRemove = Wire.readStrings(in);
    pendingPut = Wire.readRequests(in);
    pendingRemove = Wire.readLongs(in);
    attrs = in.readString();
    detach = in.readBoolean();
    now = in.readLong();
    sendIds = Wire.readVersions(in);
    grant = in.readString();
    credentialExpiresAt = in.readLong();
    refusals = Wire.readStrings(in);
  }
}
