package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.tether.protocol.ResumeFailReason;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a resume found: either the reason it failed, or a snapshot of the session as taken over (new epoch, both
 * positions, the frames the client missed, subscriptions, pending requests) and the owner it was taken from.
 */
public final class ResumeOutcome implements IdentifiedDataSerializable {

  ResumeFailReason failure;
  /** The credential is why the resume was refused (an {@code unauthorized} reason); the session was not taken over. */
  String unauthorized;
  String grant;
  long credentialExpiresAt;
  String clientId;
  long epoch;
  long outSeq;
  long inSeq;
  List<StoredFrame> missed = List.of();
  Map<String, Long> subscriptions = Map.of();
  List<PendingRequest> pending = List.of();
  String attrs;
  String previousOwner;
  List<PendingRequest> redispatch = List.of();
  Map<String, Long> sendIds = Map.of();
  List<String> refusals = List.of();

  public ResumeOutcome() {
  }

  static ResumeOutcome failed(ResumeFailReason reason) {
    ResumeOutcome o = new ResumeOutcome();
    o.failure = reason;
    return o;
  }

  static ResumeOutcome unauthorized(String reason) {
    ResumeOutcome o = new ResumeOutcome();
    o.unauthorized = reason;
    return o;
  }

  public ResumeFailReason failure() { return failure; }
  public String unauthorized() { return unauthorized; }
  /** The session's grant (auth/Grant JSON) or null, and when its credential expires (0 = never). */
  public String grant() { return grant; }
  public long credentialExpiresAt() { return credentialExpiresAt; }
  public String clientId() { return clientId; }
  public long epoch() { return epoch; }
  public long outSeq() { return outSeq; }
  public long inSeq() { return inSeq; }
  public List<StoredFrame> missed() { return missed; }
  /** The session's latest refusals of client frames (encoded error frames), to repeat after {@code resumed}. */
  public List<String> refusals() { return refusals; }
  public Map<String, Long> subscriptions() { return subscriptions; }
  public List<PendingRequest> pending() { return pending; }
  public String attrs() { return attrs; }
  /** The node that had the session attached when it was taken over, or null if it was detached. */
  public String previousOwner() { return previousOwner; }
  /** Pending requests whose dispatching node is gone: the new owner must dispatch them again (same request id). */
  public List<PendingRequest> redispatch() { return redispatch; }
  /** Idempotency keys of recent sends → their seq: the new owner keeps refusing their retries. */
  public Map<String, Long> sendIds() { return sendIds; }

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.RESUME_OUTCOME;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeByte(failure != null ? failure.ordinal() : unauthorized != null ? -2 : -1);
    if (failure != null) {
      return;
    }
    if (unauthorized != null) {
      out.writeString(unauthorized);
      return;
    }
    out.writeString(clientId);
    out.writeLong(epoch);
    out.writeLong(outSeq);
    out.writeLong(inSeq);
    Wire.writeFrames(out, missed);
    Wire.writeVersions(out, subscriptions);
    Wire.writeRequests(out, pending);
    out.writeString(attrs);
    out.writeString(previousOwner);
    Wire.writeRequests(out, redispatch);
    Wire.writeVersions(out, sendIds);
    out.writeString(grant);
    out.writeLong(credentialExpiresAt);
    Wire.writeStrings(out, refusals);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    byte f = in.readByte();
    if (f >= 0) {
      failure = ResumeFailReason.values()[f];
      return;
    }
    if (f == -2) {
      unauthorized = in.readString();
      return;
    }
    clientId = in.readString();
    epoch = in.readLong();
    outSeq = in.readLong();
    inSeq = in.readLong();
    missed = new ArrayList<>(Wire.readFrames(in));
    Map<String, Long> subs = Wire.readVersions(in);
    subscriptions = subs == null ? Map.of() : subs;
    List<PendingRequest> reqs = Wire.readRequests(in);
    pending = reqs == null ? List.of() : reqs;
    attrs = in.readString();
    previousOwner = in.readString();
    List<PendingRequest> again = Wire.readRequests(in);
    redispatch = again == null ? List.of() : again;
    Map<String, Long> ids = Wire.readVersions(in);
    sendIds = ids == null ? Map.of() : ids;
    grant = in.readString();
    credentialExpiresAt = in.readLong();
    List<String> refused = Wire.readStrings(in);
    refusals = refused == null ? List.of() : refused;
  }

  static ResumeOutcome snapshot(SessionRecord r, long lastSeq, String previousOwner, List<PendingRequest> redispatch) {
    ResumeOutcome o = new ResumeOutcome();
    o.clientId = r.clientId;
    o.epoch = r.epoch();
    o.outSeq = r.outSeq;
    o.inSeq = r.inSeq;
    List<StoredFrame> missed = new ArrayList<>(r.frames.size());
    for (StoredFrame f : r.frames) {
      if (f.seq() > lastSeq) {
        missed.add(f);
      }
    }
    o.missed = missed;
    o.subscriptions = new HashMap<>(r.subscriptions());
    o.pending = new ArrayList<>(r.pendingRequests());
    o.attrs = r.attrs;
    o.previousOwner = previousOwner;
    o.redispatch = redispatch;
    o.sendIds = new java.util.LinkedHashMap<>(r.sendIds());
    o.grant = r.grant;
    o.credentialExpiresAt = r.credentialExpiresAt;
    o.refusals = new ArrayList<>(r.refusals());
    return o;
  }
}
