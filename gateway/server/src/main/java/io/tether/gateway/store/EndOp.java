package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Ends a session for good ({@code bye}, {@code replaced}, {@code kicked}, or {@code expired} when its window ran
 * out): buffers are released and a tombstone remains for a while. With {@code onlyIfExpired} it ends the session only
 * if it is detached past its window (the expiry sweep). Returns the clientId of a session it ended, else null.
 */
public final class EndOp extends SessionOp<String> {

  String reason;
  boolean onlyIfExpired;
  long now;

  public EndOp() {
  }

  public EndOp(String reason, boolean onlyIfExpired, long now) {
    this.reason = reason;
    this.onlyIfExpired = onlyIfExpired;
    this.now = now;
  }

  @Override
  public String process(Map.Entry<String, SessionRecord> entry) {
    SessionRecord r = entry.getValue();
    if (ended(r)) {
      return null;
    }
    if (onlyIfExpired) {
      if (!r.windowPassed(now)) {
        return null;
      }
      r.expire("expired");
    } else {
      r.close(reason);
    }
    keepFor(entry, r, TOMBSTONE_TTL_MS);
    return r.clientId;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.END_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(reason);
    out.writeBoolean(onlyIfExpired);
    out.writeLong(now);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    reason = in.readString();
    onlyIfExpired = in.readBoolean();
    now = in.readLong();
  }
}
