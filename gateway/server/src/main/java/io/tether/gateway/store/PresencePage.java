package io.tether.gateway.store;

import java.util.List;
import java.util.Map;

/**
 * One page of the presence listing, ordered by clientId, and the cluster's presence records counted by state (so
 * the caller knows how many pages the filter has).
 *
 * @param records the page's records, at most the page size
 * @param counts records by state, over the whole map (not only the filter)
 */
public record PresencePage(List<PresenceRecord> records, Map<String, Long> counts) {
}
