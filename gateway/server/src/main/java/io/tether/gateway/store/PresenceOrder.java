package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.util.Comparator;
import java.util.Map;

/**
 * The order of the console's listing: by clientId (the key), so pages are stable while states change. The comparator
 * travels with the paging predicate to every member, hence serializable.
 */
public final class PresenceOrder implements Comparator<Map.Entry<String, PresenceRecord>>, IdentifiedDataSerializable {

  @Override
  public int compare(Map.Entry<String, PresenceRecord> a, Map.Entry<String, PresenceRecord> b) {
    return a.getKey().compareTo(b.getKey());
  }

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StoreSerialization.PRESENCE_ORDER;
  }

  @Override
  public void writeData(ObjectDataOutput out) {
  }

  @Override
  public void readData(ObjectDataInput in) {
  }
}
