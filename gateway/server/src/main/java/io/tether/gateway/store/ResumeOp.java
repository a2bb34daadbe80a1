package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.tether.protocol.ResumeFailReason;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Atomically checks a resume request (docs/PROTOCOL.md §2) and takes the session over: rotates the token, bumps the
 * epoch (fencing any previous owner), drops what the client says it has, and returns what it missed. Pending client
 * requests whose dispatching node is no longer a cluster member pass to the new owner, which dispatches them again;
 * a client that has seen frames the store does not know of is refused with {@code lost}, never resumed with a gap.
 */
public final class ResumeOp extends SessionOp<ResumeOutcome> {

  String tokenHash;
  String newTokenHash;
  String node;
  long lastSeq;
  long now;
  /** Node ids of the current cluster members, as seen by the resuming node. */
  Set<String> liveNodes;
  /** A fresh credential presented with the resume: the identity it proves (null if none), its grant and expiry. */
  String freshClientId;
  String freshGrant;
  long freshExpiresAt;

  public ResumeOp() {
  }

  public ResumeOp(String tokenHash, String newTokenHash, String node, long lastSeq, long now, Set<String> liveNodes) {
    this.tokenHash = tokenHash;
    this.newTokenHash = newTokenHash;
    this.node = node;
    this.lastSeq = lastSeq;
    this.now = now;
    this.liveNodes = liveNodes;
  }

  /** The resume carried a credential, verified as {@code clientId}: it must be the session's, and renews it. */
  public ResumeOp withCredential(String clientId, String grant, long expiresAt) {
    this.freshClientId = clientId;
    this.freshGrant = grant;
    this.freshExpiresAt = expiresAt;
    return this;
  }

  @Override
  public ResumeOutcome process(Map.Entry<String, SessionRecord> entry) {
    SessionRecord r = entry.getValue();
    if (r == null || r.isClosed()) {
      return ResumeOutcome.failed(ResumeFailReason.UNKNOWN);
    }
    if (!r.hasToken(tokenHash)) {
      return ResumeOutcome.failed(ResumeFailReason.BAD_TOKEN);
    }
    if (r.isExpired()) {
      return ResumeOutcome.failed(
          "overflow".equals(r.endReason()) ? ResumeFailReason.OVERFLOW
              : "lost".equals(r.endReason()) ? ResumeFailReason.LOST : ResumeFailReason.EXPIRED);
    }
    if (r.windowPassed(now)) {
      r.expire("expired");
      keepFor(entry, r, TOMBSTONE_TTL_MS);
      return ResumeOutcome.failed(ResumeFailReason.EXPIRED);
    }
    if (freshClientId != null && !freshClientId.equals(r.clientId)) {
      return ResumeOutcome.unauthorized("wrong_client");
    }
    if (freshClientId == null && r.credentialExpired(now)) {
      // Not taken over: the session stays resumable within its window by a resume with a fresh credential.
      return ResumeOutcome.unauthorized("credential_expired");
    }
    if (freshClientId != null) {
      r.renewCredential(freshGrant, freshExpiresAt);
    }
    if (lastSeq > r.outSeq) {
      // Every frame is stored before it is written to a socket, so the client cannot be ahead of an intact record:
      // this one was restored from a replica that missed writes.
      r.expire("lost");
      keepFor(entry, r, TOMBSTONE_TTL_MS);
      return ResumeOutcome.failed(ResumeFailReason.LOST);
    }
    List<PendingRequest> orphaned = r.reassignPending(liveNodes, node);
    r.trimTo(Math.min(lastSeq, r.outSeq));
    String previousOwner = r.takeOver(node, tokenHash, newTokenHash);
    keepForever(entry, r);
    return ResumeOutcome.snapshot(r, lastSeq, previousOwner, orphaned);
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
    Wire.writeStrings(out, liveNodes);
    out.writeString(freshClientId);
    out.writeString(freshGrant);
    out.writeLong(freshExpiresAt);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    tokenHash = in.readString();
    newTokenHash = in.readString();
    node = in.readString();
    lastSeq = in.readLong();
    now = in.readLong();
    List<String> live = Wire.readStrings(in);
    liveNodes = live == null ? Set.of() : new HashSet<>(live);
    freshClientId = in.readString();
    freshGrant = in.readString();
    freshExpiresAt = in.readLong();
  }
}
