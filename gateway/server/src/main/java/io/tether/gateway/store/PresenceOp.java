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

  @Override
  public PresenceRecord process(Map.Entry<String, PresenceRecord> entry) {
    PresenceRecord r = entry.getValue();
    if (claim) {
      PresenceRecord previous = r == null ? null : r.copy();
      entry.setValue(new PresenceRecord(entry.getKey(), sessionId, state, node, now, attrs));
      return previous;
    }
    if (r == null || !sessionId.equals(r.sessionId)) {
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
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    claim = in.readBoolean();
    sessionId = in.readString();
    state = in.readString();
    node = in.readString();
    attrs = in.readString();
    now = in.readLong();
  }
}
