package io.tether.gateway.testing;

import com.hazelcast.map.IMap;
import io.tether.gateway.GatewayNode;
import io.tether.gateway.store.ClusterStore;
import io.tether.gateway.store.PresenceRecord;
import io.tether.gateway.store.SessionRecord;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a node's session store holds, counted for fault tests that compare it with a baseline: sessions by status
 * (ATTACHED and DETACHED are live; EXPIRED and CLOSED are tombstones, kept {@code 5 min} so a late resume hears why),
 * presence records by state, and the heap cost of both maps' entries on this member.
 */
public final class StoreCensus {

  public final Map<String, Integer> sessions = new TreeMap<>();
  public final Map<String, Integer> presence = new TreeMap<>();
  public final int sessionEntries;
  public final int presenceEntries;
  public final long sessionBytes;
  public final long presenceBytes;

  private StoreCensus(GatewayNode node) {
    IMap<String, SessionRecord> s = node.hazelcast().getMap(ClusterStore.SESSIONS);
    IMap<String, PresenceRecord> p = node.hazelcast().getMap(ClusterStore.CLIENTS);
    s.values().forEach(r -> sessions.merge(r.status().name(), 1, Integer::sum));
    p.values().forEach(r -> presence.merge(r.state(), 1, Integer::sum));
    sessionEntries = s.size();
    presenceEntries = p.size();
    sessionBytes = s.getLocalMapStats().getOwnedEntryMemoryCost();
    presenceBytes = p.getLocalMapStats().getOwnedEntryMemoryCost();
  }

  /** Counts the store as {@code node}'s member sees it now (reads every entry: for tests only). */
  public static StoreCensus of(GatewayNode node) {
    return new StoreCensus(node);
  }

  /** Sessions that are not tombstones: ATTACHED or DETACHED. */
  public int liveSessions() {
    return sessions.getOrDefault("ATTACHED", 0) + sessions.getOrDefault("DETACHED", 0);
  }

  /** Ended sessions still kept as tombstones (EXPIRED, CLOSED). */
  public int tombstones() {
    return sessions.getOrDefault("EXPIRED", 0) + sessions.getOrDefault("CLOSED", 0);
  }

  /** Presence records of clients that are ONLINE, SUSPECT or DETACHED. */
  public int livePresence() {
    return presence.getOrDefault("ONLINE", 0) + presence.getOrDefault("SUSPECT", 0)
        + presence.getOrDefault("DETACHED", 0);
  }

  @Override
  public String toString() {
    return "sessions " + sessions + " (" + sessionEntries + " entries, " + sessionBytes / 1024 + " KB), presence "
        + presence + " (" + presenceEntries + " entries, " + presenceBytes / 1024 + " KB)";
  }
}
