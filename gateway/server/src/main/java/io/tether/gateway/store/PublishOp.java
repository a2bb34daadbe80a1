package io.tether.gateway.store;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import com.hazelcast.map.ExtendedMapEntry;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Stores a topic's new value under the next version. Running on the key's partition makes versions strictly
 * increasing and unique cluster-wide, whichever node publishes. Returns {@link #REFUSED} when the topic does not
 * exist yet and the node may not create topics (the cluster holds its maximum).
 *
 * <p>With a TTL, a topic that expired and is published again must not restart at version 1 (a subscriber that
 * cached a higher version would ignore it), so a topic's first version is then taken from the clock (milliseconds ×
 * 1000), which stays above any version reached before the expiry unless that topic averaged over 1000 publishes per
 * millisecond.
 */
public final class PublishOp implements EntryProcessor<String, TopicRecord, Long>, IdentifiedDataSerializable {

  public static final long REFUSED = -1;

  String body;
  boolean mayCreate;
  long ttlMs;
  long now;

  public PublishOp() {
  }

  public PublishOp(String body, boolean mayCreate, long ttlMs, long now) {
    this.body = body;
    this.mayCreate = mayCreate;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  @Override
  public Long process(Map.Entry<String, TopicRecord> entry) {
    TopicRecord r = entry.getValue();
    if (r == null && !mayCreate) {
      return REFUSED;
    }
    long version = r != null ? r.version + 1 : ttlMs > 0 ? Math.max(1, now * 1000) : 1;
    TopicRecord next = new TopicRecord(version, body);
    if (ttlMs > 0) {
      ((ExtendedMapEntry<String, TopicRecord>) entry).setValue(next, ttlMs, TimeUnit.MILLISECONDS);
    } else {
      entry.setValue(next);
    }
    return version;
  }

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.PUBLISH_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(body);
    out.writeBoolean(mayCreate);
    out.writeLong(ttlMs);
    out.writeLong(now);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    body = in.readString();
    mayCreate = in.readBoolean();
    ttlMs = in.readLong();
    now = in.readLong();
  }
}
