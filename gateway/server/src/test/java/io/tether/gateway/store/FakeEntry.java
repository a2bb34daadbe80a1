package io.tether.gateway.store;

import com.hazelcast.map.ExtendedMapEntry;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory map entry for running entry processors as plain functions. It records how the processor wrote the
 * value back, so tests can check the expiry an op gives a record (tombstone, detached safety net, none).
 */
final class FakeEntry<K, V> implements ExtendedMapEntry<K, V> {

  /** How the processor last wrote the entry. */
  enum Write {
    /** Not written at all. */
    NONE,
    /** {@code setValue(v)}: the map's default expiry (none for the gateway's maps). */
    NO_TTL,
    /** {@code setValue(v, ttl, unit)}: see {@link #ttlMs()}. */
    TTL,
    /** {@code setValueWithoutChangingExpiryTime(v)}. */
    EXPIRY_UNCHANGED
  }

  private final K key;
  private V value;
  private Write write = Write.NONE;
  private long ttlMs = -1;
  private int writes;

  private FakeEntry(K key, V value) {
    this.key = key;
    this.value = value;
  }

  static <K, V> FakeEntry<K, V> of(K key, V value) {
    return new FakeEntry<>(key, value);
  }

  /** An entry for a key that has no value (a missing or evicted record). */
  static <K, V> FakeEntry<K, V> absent(K key) {
    return new FakeEntry<>(key, null);
  }

  @Override
  public K getKey() {
    return key;
  }

  @Override
  public V getValue() {
    return value;
  }

  @Override
  public V setValue(V v) {
    return record(v, Write.NO_TTL, -1);
  }

  @Override
  public V setValue(V v, long ttl, TimeUnit unit) {
    return record(v, Write.TTL, unit.toMillis(ttl));
  }

  @Override
  public V setValueWithoutChangingExpiryTime(V v) {
    return record(v, Write.EXPIRY_UNCHANGED, ttlMs);
  }

  private V record(V v, Write how, long ttl) {
    V old = value;
    value = v;
    write = how;
    ttlMs = ttl;
    writes++;
    return old;
  }

  /** How the last write set the expiry ({@link Write#NONE} if the processor never wrote). */
  Write write() {
    return write;
  }

  /** The TTL of the last {@link Write#TTL} write (kept by an expiry-preserving write), else -1. */
  long ttlMs() {
    return ttlMs;
  }

  int writes() {
    return writes;
  }

  /** Forgets how the entry was written so far (for tests that look only at the next op). */
  FakeEntry<K, V> resetWrites() {
    write = Write.NONE;
    ttlMs = -1;
    writes = 0;
    return this;
  }
}
