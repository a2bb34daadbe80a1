package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The store writes of several sessions whose keys share one partition, sent as one operation (see
 * {@link PartitionFlushes}). Each entry gets its own session's {@link FlushOp} and its own result (OK, FENCED,
 * GONE); the backup runs this same processor, so it applies the same op to each entry. One op that throws does not
 * stop the others: its entry answers {@link #FAILED}, on the owner and on the backup alike.
 */
public final class FlushBatchOp extends SessionOp<Integer> {

  /** The op of this entry threw: its session hears a failure, as from a failed write. */
  public static final int FAILED = -1;

  private Map<String, FlushOp> ops;

  public FlushBatchOp() {
  }

  /** Session id → its write; copied the way {@link #readData} rebuilds it, so a copy writes the same bytes. */
  FlushBatchOp(Map<String, FlushOp> ops) {
    this.ops = new HashMap<>(ops.size() * 2);
    this.ops.putAll(ops);
  }

  @Override
  public Integer process(Map.Entry<String, SessionRecord> entry) {
    FlushOp op = ops.get(entry.getKey());
    if (op == null) {
      return FAILED;
    }
    try {
      return op.process(entry);
    } catch (RuntimeException e) {
      return FAILED;
    }
  }

  @Override
  public int getClassId() {
    return StoreSerialization.FLUSH_BATCH_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(ops.size());
    for (Map.Entry<String, FlushOp> e : ops.entrySet()) {
      out.writeString(e.getKey());
      e.getValue().writeData(out);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    ops = new HashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      String key = in.readString();
      FlushOp op = new FlushOp();
      op.readData(in);
      ops.put(key, op);
    }
  }
}
