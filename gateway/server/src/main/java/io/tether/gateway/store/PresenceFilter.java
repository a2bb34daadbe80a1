package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.query.Predicate;
import java.io.IOException;
import java.util.Map;

/**
 * Selects the presence records in one state (the console's listing filter). A predicate of its own rather than
 * {@code Predicates.equal("state", …)}: that one finds the field by reflection on every member and every entry, and
 * the records' accessors are not bean getters.
 */
public final class PresenceFilter implements Predicate<String, PresenceRecord>, IdentifiedDataSerializable {

  private String state;

  public PresenceFilter() {
  }

  public PresenceFilter(String state) {
    this.state = state;
  }

  @Override
  public boolean apply(Map.Entry<String, PresenceRecord> entry) {
    PresenceRecord r = entry.getValue();
    return r != null && state.equals(r.state);
  }

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.PRESENCE_FILTER;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(state);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    state = in.readString();
  }
}
