package io.tether.gateway.session;

import java.util.HashMap;
import java.util.Map;

/**
 * The topics a session follows, with the version of the last value its client was sent (or said it had), and the
 * newest value of each topic that a full buffer kept back (docs/PROTOCOL.md §6).
 */
final class Subscriptions {

  /** A topic's newest value that a full buffer kept from being sent yet. */
  private record Held(long version, String body) {
  }

  private final Map<String, Long> versions;
  /** Null while nothing is held back (bounded by the topics followed: one value per topic). */
  private Map<String, Held> held;

  Subscriptions(Map<String, Long> versions) {
    this.versions = new HashMap<>(versions);
  }

  Map<String, Long> versions() {
    return versions;
  }

  void put(String topic, long version) {
    versions.put(topic, version);
  }

  void remove(String topic) {
    versions.remove(topic);
  }

  /** True if the client follows {@code topic} and does not have {@code version} yet. */
  boolean wants(String topic, long version) {
    Long known = versions.get(topic);
    return known != null && version > known;
  }

  /** The value was sent: it is what the client has now, and nothing older is held. */
  void sent(String topic, long version) {
    versions.put(topic, version);
    if (held != null) {
      held.remove(topic);
    }
  }

  /** The buffer is full: keep the newest value of the topic (older ones coalesce) until acks make room. */
  void hold(String topic, long version, String body) {
    if (held == null) {
      held = new HashMap<>(4);
    }
    held.merge(topic, new Held(version, body), (a, b) -> a.version() >= b.version() ? a : b);
  }

  /** Hands every held value to {@code send} (which may hold it again) and forgets them. */
  void releaseHeld(TopicValueSink send) {
    if (held == null) {
      return;
    }
    Map<String, Held> all = held;
    held = null;
    all.forEach((topic, h) -> send.accept(topic, h.version(), h.body()));
  }

  /** Receives a topic's value: topic, version, body (JSON). */
  @FunctionalInterface
  interface TopicValueSink {
    void accept(String topic, long version, String body);
  }
}
