package io.tether.gateway.store;

import com.hazelcast.aggregation.Aggregator;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts the presence records by state across the cluster in one pass: each member counts its partitions and the
 * caller adds the members' counts up. Only the few state names travel, never the records.
 */
public final class PresenceCounts
    implements Aggregator<Map.Entry<String, PresenceRecord>, Map<String, Long>>, IdentifiedDataSerializable {

  private static final long serialVersionUID = 1L;

  private final TreeMap<String, Long> counts = new TreeMap<>();

  @Override
  public void accumulate(Map.Entry<String, PresenceRecord> entry) {
    PresenceRecord r = entry.getValue();
    if (r != null && r.state != null) {
      counts.merge(r.state, 1L, Long::sum);
    }
  }

  @Override
  public void combine(Aggregator aggregator) {
    ((PresenceCounts) aggregator).counts.forEach((state, n) -> counts.merge(state, n, Long::sum));
  }

  @Override
  public Map<String, Long> aggregate() {
    return new TreeMap<>(counts);
  }

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.PRESENCE_COUNTS;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(counts.size());
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      out.writeString(e.getKey());
      out.writeLong(e.getValue());
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    counts.clear();
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      counts.put(Wire.canonical(in.readString()), in.readLong());
    }
  }
}
