package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/**
 * A client's live presence (map {@code tether.clients}, key = clientId): its current session, state, node, when it
 * was last heard and its latest signature attributes (docs/PROTOCOL.md §4). The map doubles as the index
 * clientId → session that enforces one live session per client.
 */
public final class PresenceRecord implements IdentifiedDataSerializable {

  String clientId;
  String sessionId;
  String state;
  String node;
  long lastSeen;
  String attrs;

  public PresenceRecord() {
  }

  PresenceRecord(String clientId, String sessionId, String state, String node, long lastSeen, String attrs) {
    this.clientId = clientId;
    this.sessionId = sessionId;
    this.state = state;
    this.node = node;
    this.lastSeen = lastSeen;
    this.attrs = attrs;
  }

  PresenceRecord copy() {
    return new PresenceRecord(clientId, sessionId, state, node, lastSeen, attrs);
  }

  public String clientId() { return clientId; }
  public String sessionId() { return sessionId; }
  public String state() { return state; }
  public String node() { return node; }
  public long lastSeen() { return lastSeen; }
  public String attrs() { return attrs; }

  /** The reply of {@code gateway.presence} and {@code GET /admin/clients/{id}}. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("clientId", clientId)
        .put("sessionId", sessionId)
        .put("state", state)
        .put("node", node)
        .put("lastSeen", lastSeen)
        .put("attrs", attrs == null ? new JsonObject() : new JsonObject(attrs));
  }

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.PRESENCE_RECORD;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(clientId);
    out.writeString(sessionId);
    out.writeString(state);
    out.writeString(node);
    out.writeLong(lastSeen);
    out.writeString(attrs);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    clientId = in.readString();
    sessionId = in.readString();
    state = Wire.canonical(in.readString());
    node = Wire.canonical(in.readString());
    lastSeen = in.readLong();
    attrs = in.readString();
  }
}
