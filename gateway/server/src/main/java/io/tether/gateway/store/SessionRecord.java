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
  String tokenHash;
  long epoch;
  String owner;
  Status status = Status.ATTACHED;
  /** Why an EXPIRED or CLOSED session ended (expired, overflow, bye, replaced, kicked). */
  String endReason;
  long outSeq;
  long inSeq;
  long acked;
  ArrayDeque<StoredFrame> frames = new ArrayDeque<>(2);
  long bytes;
  long detachedAt;
  long windowMs;
  int maxFrames;
  long maxBytes;
  /** Topic → last delivered version; null until the first subscription (most sessions have none). */
  Map<String, Long> subscriptions;
  /** Client stream → accepted request without a response yet; null while there is none. */
  Map<Long, PendingRequest> pending;
  String attrs;
  /**
   * Idempotency keys of recent {@code gateway.send}s → the seq of the batch's last frame (null until the first). A
   * send retried with the same key is answered with that seq instead of being appended again.
   */
  Map<String, Long> sendIds;

  /** Send ids remembered per session, oldest forgotten first. */
  public static final int MAX_SEND_IDS = 64;

  public SessionRecord() {
  }

  public static SessionRecord create(String clientId, String tokenHash, String owner, long windowMs, int maxFrames,
      long maxBytes, String attrs) {
    SessionRecord r = new SessionRecord();
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

  /** The session lost its node (it left the cluster): detached from now on, resumable for its window. */
  boolean orphan(String deadNode, long now) {
    if (status != Status.ATTACHED || !deadNode.equals(owner)) {
      return false;
    }
    status = Status.DETACHED;
    owner = null;
    detachedAt = now;
    return true;
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

  boolean overBounds() {
    return frames.size() > maxFrames || bytes > maxBytes;
  }

  /** Ends the session for good: buffers are released, only a tombstone remains. */
  void end(Status terminal, String reason) {
    status = terminal;
    endReason = reason;
    owner = null;
    frames.clear();
    bytes = 0;
    pending = null;
    subscriptions = null;
    sendIds = null;
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
  }
}
