package io.tether.gateway.store;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Reads the seqs of the session's pending client requests that {@code node} is recorded as dispatching. A node whose
 * store write failed as indeterminate (the write may have been applied after all) asks this before giving the
 * write's requests up: those the store has as its own, nobody else will dispatch while it lives, so it must.
 */
public final class PendingOp extends SessionOp<long[]> implements ReadOnly {

  String node;

  public PendingOp() {
  }

  public PendingOp(String node) {
    this.node = node;
  }

  @Override
  public long[] process(Map.Entry<String, SessionRecord> entry) {
    SessionRecord r = entry.getValue();
    return r == null || r.isClosed() ? new long[0] : r.pendingSeqsOf(node);
  }

  @Override
  public com.hazelcast.map.EntryProcessor<String, SessionRecord, long[]> getBackupProcessor() {
    return null;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.PENDING_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(node);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    node = in.readString();
  }
}
