package io.tether.gateway.store;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Base of the entry processors on {@code tether.sessions}. Each runs on the partition owner and again, from its own
 * fields only, on the backup: every input (including "now") travels in the processor so both replicas reach the same
 * state.
 */
abstract class SessionOp<R> implements EntryProcessor<String, SessionRecord, R>, IdentifiedDataSerializable {

  /** How long an ended session's tombstone is kept, so a late resume hears "expired"/"overflow", not "unknown". */
  static final long TOMBSTONE_TTL_MS = 5 * 60_000;
  /** A detached record outlives its window by this much even if no sweep runs (safety net, not the mechanism). */
  static final long DETACHED_GRACE_MS = 5 * 60_000;

  @Override
  public int getFactoryId() {
    return StoreSerialization.FACTORY_ID;
  }

  static void keepForever(Map.Entry<String, SessionRecord> entry, SessionRecord r) {
    entry.setValue(r);
  }

  static void keepUnchangedExpiry(Map.Entry<String, SessionRecord> entry, SessionRecord r) {
    ((ExtendedMapEntry<String, SessionRecord>) entry).setValueWithoutChangingExpiryTime(r);
  }

  static void keepFor(Map.Entry<String, SessionRecord> entry, SessionRecord r, long ttlMs) {
    ((ExtendedMapEntry<String, SessionRecord>) entry).setValue(r, ttlMs, TimeUnit.MILLISECONDS);
  }

  static boolean ended(SessionRecord r) {
    return r == null || r.isEnded();
  }
}
