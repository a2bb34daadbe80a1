package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * A gateway node left the cluster (crashed, or stopped without draining): every session still attached to it
 * becomes DETACHED as of {@code now}, so presence tells the truth, sends are buffered in the store, and the resume
 * window starts. Returns the clientId of each session it detached, else null.
 */
public final class OrphanOp extends SessionOp<String> {

  String deadNode;
  long now;

  public OrphanOp() {
  }

  public OrphanOp(String deadNode, long now) {
    this.deadNode = deadNode;
    this.now = now;
  }

  @Override
  public String process(Map.Entry<String, SessionRecord> entry) {
    SessionRecord r = entry.getValue();
    if (r == null || !r.orphan(deadNode, now)) {
      return null;
    }
    keepFor(entry, r, r.windowMs + DETACHED_GRACE_MS);
    return r.clientId;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.ORPHAN_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(deadNode);
    out.writeLong(now);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    deadNode = in.readString();
    now = in.readLong();
  }
}
