package io.tether.gateway.store;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.util.Map;

/**
 * Reads which node a session is attached to (null when detached, ended or unknown) without copying the record's
 * buffer out of the partition, as a plain get would.
 */
public final class OwnerOp extends SessionOp<String> implements ReadOnly {

  @Override
  public String process(Map.Entry<String, SessionRecord> entry) {
    SessionRecord r = entry.getValue();
    return r == null ? null : r.attachedOwner();
  }

  @Override
  public com.hazelcast.map.EntryProcessor<String, SessionRecord, String> getBackupProcessor() {
    return null;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.OWNER_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) {
  }

  @Override
  public void readData(ObjectDataInput in) {
  }
}
