package io.tether.gateway.store;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;

/**
 * Stores a topic's new value under the next version. Running on the key's partition makes versions strictly
 * increasing and unique cluster-wide, whichever node publishes.
 */
public final class PublishOp implements EntryProcessor<String, TopicRecord, Long>, IdentifiedDataSerializable {

  String body;

  public PublishOp() {
  }

  public PublishOp(String body) {
    this.body = body;
  }

  @Override
  public Long process(Map.Entry<String, TopicRecord> entry) {
    TopicRecord r = entry.getValue();
    long version = (r == null ? 0 : r.version) + 1;
    entry.setValue(new TopicRecord(version, body));
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
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    body = in.readString();
  }
}
