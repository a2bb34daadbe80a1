package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;

/**
 * Result of appending a frame to a session through the cluster: the seq it got, or the node that owns the session
 * (the frame must go through that node), or why the session cannot take it ({@code unknown}, {@code expired},
 * {@code overflow}, or the reason it ended).
 */
public final class AppendOutcome implements IdentifiedDataSerializable {

  long seq;
  String owner;
  String failure;

  public AppendOutcome() {
  }

  static AppendOutcome appended(long seq) {
    AppendOutcome o = new AppendOutcome();
    o.seq = seq;
    return o;
  }

  static AppendOutcome ownedBy(String owner) {
    AppendOutcome o = new AppendOutcome();
    o.owner = owner;
    return o;
  }

  static AppendOutcome failed(String failure) {
    AppendOutcome o = new AppendOutcome();
    o.failure = failure;
    return o;
  }

  public long seq() { return seq; }
  public String owner() { return owner; }
  public String failure() { return failure; }

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.APPEND_OUTCOME;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(seq);
    out.writeString(owner);
    out.writeString(failure);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    seq = in.readLong();
    owner = in.readString();
    failure = in.readString();
  }
}
