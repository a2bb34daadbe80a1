package io.tether.gateway.store;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Changes a presence record. A {@code claim} makes {@code sessionId} the client's session (hello) and returns the
 * record it replaced, so the caller can end the older session. Any other update applies only while the record still
 * names {@code sessionId}, so a replaced session can never overwrite its successor's presence; it returns the
 * updated record, or null when it did not apply. A null {@code state}/{@code attrs} leaves that field unchanged.
 */
public final class PresenceOp
    implements EntryProcessor<String, PresenceRecord, PresenceRecord>, IdentifiedDataSerializable {

  /** How long a CLOSED presence record stays queryable. */
  static final long CLOSED_TTL_MS = 10 * 60_000;

  boolean claim;
  String sessionId;
  String state;
  String node;
  String attrs;
  long now;
  /** Apply only while the record names this node (null: any); an orphaning must not undo a later resume's ONLINE. */
  String ifNode;
  /** Create the record if it is missing (lost with its partition when two members died at once). */
  boolean restore;
  /** With {@link #restore}: only create a missing record, never change an existing one. */
  boolean onlyIfMissing;

  public PresenceOp() {
  }

  public static PresenceOp claim(String sessionId, String node, String attrs, long now) {
    PresenceOp op = new PresenceOp();
    op.claim = true;
    op.sessionId = sessionId;
    op.state = "ONLINE";
    op.node = node;
    op.attrs = attrs;
    op.now = now;
    return op;
  }

  public static PresenceOp update(String sessionId, String state, String node, String attrs, long now) {
    PresenceOp op = new PresenceOp();
    op.sessionId = sessionId;
    op.state = state;
    op.node = node;
    op.attrs = attrs;
    op.now = now;
    return op;
  }

  /**
   * The session's node {@code deadNode} (a node id) left: DETACHED, but only while presence still names that node.
   * The orphaning runs over all sessions before presence hears of it, so a client may have resumed elsewhere (and set
   * ONLINE there) in between: without the guard its presence went back to DETACHED for good (DoubleCrashFaultTest).
   */
  public static PresenceOp orphaned(String sessionId, String deadNode, long now) {
    PresenceOp op = update(sessionId, "DETACHED", null, null, now);
    op.ifNode = deadNode;
    return op;
  }

  /**
   * The session resumed on {@code node}: ONLINE there; a missing record is restored, since the session lives on
   * although its presence was lost (both copies on members that died at once): without it, backends addressing the
   * client by clientId got no_session for a session that was alive (DoubleCrashFaultTest).
   */
  public static PresenceOp resumed(String sessionId, String node, long now) {
    PresenceOp op = update(sessionId, "ONLINE", node, null, now);
    op.restore = true;
    return op;
  }

  /**
   * A live session's presence, written only if the record is missing: after members died, each node restores the
   * records of its sessions that were lost with their partitions (else backends get no_session for them).
   */
  public static PresenceOp ifMissing(String sessionId, String state, String node, long now) {
    PresenceOp op = update(sessionId, state, node, null, now);
    op.restore = true;
    op.onlyIfMissing = true;
    return op;
  }

  @Override
  public PresenceRecord process(Map.Entry<String, PresenceRecord> entry) {
    PresenceRecord r = entry.getValue();
    if (claim) {
      PresenceRecord previous = r == null ? null : r.copy();
      entry.setValue(new PresenceRecord(entry.getKey(), sessionId, state, node, now, attrs));
      return previous;
    }
    if (r == null && restore) {
      PresenceRecord restored = new PresenceRecord(entry.getKey(), sessionId, state, node, now, null);
      entry.setValue(restored);
      return restored.copy();
    }
    if (onlyIfMissing) {
      return null;
    }
    if (r == null || !sessionId.equals(r.sessionId) || (ifNode != null && !ifNode.equals(r.node))) {
      return null;
    }
    if (state != null) {
      r.state = state;
    }
    if (node != null) {
      r.node = node;
    }
    if (attrs != null) {
      r.attrs = attrs;
    }
    r.lastSeen = now;
    if ("CLOSED".equals(r.state)) {
      ((ExtendedMapEntry<String, PresenceRecord>) entry).setValue(r, CLOSED_TTL_MS, TimeUnit.MILLISECONDS);
    } else {
      entry.setValue(r);
    }
    return r.copy();
  }

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.PRESENCE_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeBoolean(claim);
    out.writeString(sessionId);
    out.writeString(state);
    out.writeString(node);
    out.writeString(attrs);
    out.writeLong(now);
    out.writeString(ifNode);
    out.writeBoolean(restore);
    out.writeBoolean(onlyIfMissing);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    claim = in.readBoolean();
    sessionId = in.readString();
    state = in.readString();
    node = in.readString();
    attrs = in.readString();
    now = in.readLong();
    try {
      ifNode = in.readString();
      restore = in.readBoolean();
      onlyIfMissing = in.readBoolean();
    } catch (java.io.EOFException olderNode) {
      ifNode = null;
      restore = false;
    }
  }
}
