package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster copy of one session (map {@code tether.sessions}, key = session id): identity, resume-token hash,
 * ownership epoch, both positions, the unacked server frames, subscriptions and accepted-but-unanswered requests.
 * It is stored in OBJECT format and changed only by entry processors on its partition, so a change costs the size
 * of the delta, not of the record (docs/ARCHITECTURE.md "Session store").
 */
public final class SessionRecord implements IdentifiedDataSerializable {

  public enum Status { ATTACHED, DETACHED, EXPIRED, CLOSED }

  String clientId;
  // The lifecycle: status and the fields that change with it, changed only by the transitions below (detach,
  // takeOver, orphan, expire, close) so they stay consistent: an owner only while ATTACHED, the detach time set
  // by every detach, a new epoch and token on every takeover.
  private String tokenHash;
  /**
   * The token the last resume was made with, while the client has not shown that it got the new one (null then):
   * the {@code resumed} answer carrying it may never have arrived (the client gave up waiting on a stalled store and
   * retried), and a retry with the token the client does hold must not fail with bad_token.
   */
  private String unconfirmedPreviousHash;
  private long epoch;
  private String owner;
  private Status status = Status.ATTACHED;
  /** Why an EXPIRED or CLOSED session ended (expired, overflow, lost, bye, replaced, kicked). */
  private String endReason;
  long outSeq;
  long inSeq;
  long acked;
  ArrayDeque<StoredFrame> frames = new ArrayDeque<>(2);
  long bytes;
  private long detachedAt;
  long windowMs;
  int maxFrames;
  long maxBytes;
  /** Topic → last delivered version; null until the first subscription (most sessions have none). */
  Map<String, Long> subscriptions;
  /** Client stream → accepted request without a response yet; null while there is none. */
  Map<Long, PendingRequest> pending;
  String attrs;
  /** What the client's credential grants (auth/Grant JSON, opaque here); null with auth none. */
  String grant;
  /** When the client's credential expires (epoch ms); 0 = never. A resume after it needs a fresh credential. */
  long credentialExpiresAt;
  /**
   * Idempotency keys of recent {@code gateway.send}s → the seq of the batch's last frame (null until the first). A
   * send retried with the same key is answered with that seq instead of being appended again.
   */
  Map<String, Long> sendIds;

  /** Send ids remembered per session, oldest forgotten first. */
  public static final int MAX_SEND_IDS = 64;
  /**
   * The latest refusals of client frames sent as error frames (their encoded text), repeated after every resume: a
   * refusal the client lost in a break is not taken for an acceptance (docs/PROTOCOL.md §7). Oldest dropped first.
   */
  public static final int MAX_REFUSALS = 16;
  List<String> refusals;

  public SessionRecord() {
  }

  public static SessionRecord create(String clientId, String tokenHash, String owner, long windowMs, int maxFrames,
      long maxBytes, String attrs) {
    return create(clientId, tokenHash, owner, windowMs, maxFrames, maxBytes, attrs, null, 0);
  }

  public static SessionRecord create(String clientId, String tokenHash, String owner, long windowMs, int maxFrames,
      long maxBytes, String attrs, String grant, long credentialExpiresAt) {
    SessionRecord r = new SessionRecord();
    r.grant = grant;
    r.credentialExpiresAt = credentialExpiresAt;
    r.clientId = clientId;
    r.tokenHash = tokenHash;
    r.owner = owner;
    r.epoch = 1;
    r.windowMs = windowMs;
    r.maxFrames = maxFrames;
    r.maxBytes = maxBytes;
    r.attrs = attrs;
    return r;
  }

  public String clientId() {
    return clientId;
  }

  public Status status() {
    return status;
  }

  public String owner() {
    return owner;
  }

  public long epoch() {
    return epoch;
  }

  public long outSeq() {
    return outSeq;
  }

  public long inSeq() {
    return inSeq;
  }

  public Map<String, Long> subscriptions() {
    return subscriptions == null ? Map.of() : subscriptions;
  }

  // -- lifecycle: reads --------------------------------------------------------------------------------------

  boolean isAttached() {
    return status == Status.ATTACHED;
  }

  /** Attached, and in ownership epoch {@code epoch}: only then may its owner write (else it was fenced). */
  boolean isAttachedIn(long epoch) {
    return this.epoch == epoch && status == Status.ATTACHED;
  }

  /** Ended for good (EXPIRED or CLOSED): only a tombstone is left. */
  boolean isEnded() {
    return status == Status.EXPIRED || status == Status.CLOSED;
  }

  /** Ended by bye, replaced or kicked: a resume hears {@code unknown}. */
  boolean isClosed() {
    return status == Status.CLOSED;
  }

  /** Ended because it could not be resumed any more: see {@link #endReason()}. */
  boolean isExpired() {
    return status == Status.EXPIRED;
  }

  /** Why an ended session ended, else null. */
  String endReason() {
    return endReason;
  }

  /** Detached for longer than its resume window at {@code now} (never true of an attached or ended session). */
  boolean windowPassed(long now) {
    return status == Status.DETACHED && now - detachedAt > windowMs;
  }

  /** Whether {@code hash} is the hash of the session's current resume token. */
  boolean hasToken(String hash) {
    return tokenHash.equals(hash) || (unconfirmedPreviousHash != null && unconfirmedPreviousHash.equals(hash));
  }

  /** The client used the session it resumed (acked a new frame or sent one): it has the new token. */
  void tokenConfirmed() {
    unconfirmedPreviousHash = null;
  }

  /** The node the session is attached to, or null when it is detached or ended. */
  String attachedOwner() {
    return status == Status.ATTACHED ? owner : null;
  }

  // -- lifecycle: transitions --------------------------------------------------------------------------------

  /** Its socket went away: nobody owns it, and its resume window starts {@code now}. */
  void detach(long now) {
    status = Status.DETACHED;
    owner = null;
    detachedAt = now;
  }

  /**
   * A resume on {@code node}: the session is attached there under a new epoch (fencing any previous owner) and a new
   * token. Returns the node it was taken from, or null if it was detached.
   */
  String takeOver(String node, String presentedHash, String newTokenHash) {
    String previous = attachedOwner();
    unconfirmedPreviousHash = presentedHash;
    tokenHash = newTokenHash;
    epoch++;
    owner = node;
    status = Status.ATTACHED;
    detachedAt = 0;
    return previous;
  }

  /**
   * Its node left the cluster: if it is still attached to {@code deadNode} it is detached as of {@code now} and this
   * returns true; any other session is left alone.
   */
  boolean orphan(String deadNode, long now) {
    if (status != Status.ATTACHED || !deadNode.equals(owner)) {
      return false;
    }
    detach(now);
    return true;
  }

  /** It can no longer be resumed ({@code expired}, {@code overflow}, {@code lost}): only a tombstone remains. */
  void expire(String reason) {
    end(Status.EXPIRED, reason);
  }

  /** It was ended on purpose ({@code bye}, {@code replaced}, {@code kicked}): only a tombstone remains. */
  void close(String reason) {
    end(Status.CLOSED, reason);
  }

  private void end(Status terminal, String reason) {
    status = terminal;
    endReason = reason;
    owner = null;
    frames.clear();
    bytes = 0;
    pending = null;
    subscriptions = null;
    sendIds = null;
    refusals = null;
  }

  // -- buffers, subscriptions, requests ----------------------------------------------------------------------

  void subscribe(Map<String, Long> versions) {
    if (subscriptions == null) {
      subscriptions = new HashMap<>(versions);
    } else {
      subscriptions.putAll(versions);
    }
  }

  void unsubscribe(String topic) {
    if (subscriptions != null && subscriptions.remove(topic) != null && subscriptions.isEmpty()) {
      subscriptions = null;
    }
  }

  Collection<PendingRequest> pendingRequests() {
    return pending == null ? List.of() : pending.values();
  }

  void addPending(PendingRequest request) {
    if (pending == null) {
      pending = new LinkedHashMap<>();
    }
    pending.put(request.stream(), request);
  }

  boolean isPending(long stream) {
    return pending != null && pending.containsKey(stream);
  }

  void removePending(long stream) {
    if (pending != null && pending.remove(stream) != null && pending.isEmpty()) {
      pending = null;
    }
  }

  /**
   * Hands every pending request whose dispatching node is not in {@code liveNodes} to {@code newNode}; returns them
   * (as now recorded) so that the new node dispatches them again.
   */
  List<PendingRequest> reassignPending(Collection<String> liveNodes, String newNode) {
    if (pending == null) {
      return List.of();
    }
    List<PendingRequest> moved = new ArrayList<>(2);
    for (Map.Entry<Long, PendingRequest> e : pending.entrySet()) {
      PendingRequest p = e.getValue();
      if (p.node() == null || !liveNodes.contains(p.node())) {
        PendingRequest now = p.dispatchedBy(newNode);
        e.setValue(now);
        moved.add(now);
      }
    }
    return moved;
  }

  /** Seqs of the pending requests {@code node} is recorded as dispatching. */
  long[] pendingSeqsOf(String node) {
    return pending == null ? new long[0] : pending.values().stream().filter(p -> node.equals(p.node()))
        .mapToLong(PendingRequest::seq).toArray();
  }

  /** The seq a send with this idempotency key was given, or null. */
  Long sentWithId(String id) {
    return sendIds == null || id == null ? null : sendIds.get(id);
  }

  void rememberSends(Map<String, Long> ids) {
    if (sendIds == null) {
      sendIds = new LinkedHashMap<>();
    }
    for (Map.Entry<String, Long> e : ids.entrySet()) {
      sendIds.remove(e.getKey());
      sendIds.put(e.getKey(), e.getValue());
    }
    var it = sendIds.entrySet().iterator();
    while (sendIds.size() > MAX_SEND_IDS && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  void rememberRefusals(List<String> texts) {
    if (refusals == null) {
      refusals = new ArrayList<>(texts.size());
    }
    refusals.addAll(texts);
    if (refusals.size() > MAX_REFUSALS) {
      refusals = new ArrayList<>(refusals.subList(refusals.size() - MAX_REFUSALS, refusals.size()));
    }
  }

  /** The refusals to repeat after a resume, oldest first (encoded error frames). */
  public List<String> refusals() {
    return refusals == null ? List.of() : refusals;
  }

  Map<String, Long> sendIds() {
    return sendIds == null ? Map.of() : sendIds;
  }

  /** Drops frames the client has acknowledged. */
  void trimTo(long ack) {
    if (ack > acked) {
      acked = ack;
    }
    StoredFrame head;
    while ((head = frames.peekFirst()) != null && head.seq() <= acked) {
      frames.pollFirst();
      bytes -= head.size();
    }
  }

  void append(StoredFrame f) {
    frames.addLast(f);
    bytes += f.size();
    outSeq = f.seq();
  }

  boolean credentialExpired(long now) {
    return credentialExpiresAt > 0 && now >= credentialExpiresAt;
  }

  void renewCredential(String newGrant, long expiresAt) {
    grant = newGrant;
    credentialExpiresAt = expiresAt;
  }

  boolean overBounds() {
    return frames.size() > maxFrames || bytes > maxBytes;
  }

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.SESSION_RECORD;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(clientId);
    out.writeString(tokenHash);
    out.writeLong(epoch);
    out.writeString(owner);
    out.writeByte(status.ordinal());
    out.writeString(endReason);
    out.writeLong(outSeq);
    out.writeLong(inSeq);
    out.writeLong(acked);
    Wire.writeFrames(out, frames);
    out.writeLong(detachedAt);
    out.writeLong(windowMs);
    out.writeInt(maxFrames);
    out.writeLong(maxBytes);
    Wire.writeVersions(out, subscriptions);
    Wire.writeRequests(out, pending == null ? null : pending.values());
    out.writeString(attrs);
    Wire.writeVersions(out, sendIds);
    out.writeString(grant);
    out.writeLong(credentialExpiresAt);
    Wire.writeStrings(out, refusals);
    // Last, so that a node of the previous version reads the record (and ignores this), and this one reads theirs.
    out.writeString(unconfirmedPreviousHash);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    clientId = in.readString();
    tokenHash = in.readString();
    epoch = in.readLong();
    owner = Wire.canonical(in.readString());
    status = Status.values()[in.readByte()];
    endReason = in.readString();
    outSeq = in.readLong();
    inSeq = in.readLong();
    acked = in.readLong();
    frames = Wire.readFrames(in);
    bytes = 0;
    for (StoredFrame f : frames) {
      bytes += f.size();
    }
    detachedAt = in.readLong();
    windowMs = in.readLong();
    maxFrames = in.readInt();
    maxBytes = in.readLong();
    subscriptions = Wire.readVersions(in);
    pending = null;
    List<PendingRequest> reqs = Wire.readRequests(in);
    if (reqs != null) {
      reqs.forEach(this::addPending);
    }
    attrs = in.readString();
    sendIds = Wire.readVersions(in);
    grant = in.readString();
    credentialExpiresAt = in.readLong();
    refusals = Wire.readStrings(in);
    try {
      unconfirmedPreviousHash = in.readString();
    } catch (java.io.EOFException olderNode) {
      unconfirmedPreviousHash = null;
    }
  }
}
