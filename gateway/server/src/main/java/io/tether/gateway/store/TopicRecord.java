package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;

/** The latest value of a topic and its version (map {@code tether.topics}, key = topic; docs/PROTOCOL.md §6). */
public final class TopicRecord implements IdentifiedDataSerializable {

  long version;
  String body;

  public TopicRecord() {
  }

  TopicRecord(long version, String body) {
    this.version = version;
    this.body = body;
  }

  public long version() { return version; }
  public String body() { return body; }

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.TOPIC_RECORD;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(version);
    out.writeString(body);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    version = in.readLong();
    body = in.readString();
  }
}
