package io.tether.gateway.session;

import io.tether.gateway.api.BackendFailure;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.FrameTemplate;
import io.tether.protocol.RawJson;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The topics a session follows, with the version of the last value its client was sent (or said it had), and the
 * newest value of each topic that a full buffer kept back (docs/PROTOCOL.md §6).
 */
final class Subscriptions {

  /** A topic's newest value that a full buffer kept from being sent yet. */
  private record Held(long version, String body) {
  }

  /** Null until the first subscription (most sessions follow no topic). */
  private Map<String, Long> versions;
  private final StoreWriter writer;
  private final FrameCodec codec;
  /** Null while nothing is held back (bounded by the topics followed: one value per topic). */
  private Map<String, Held> held;

  Subscriptions(Map<String, Long> versions, StoreWriter writer, FrameCodec codec) {
    this.versions = versions.isEmpty() ? null : new HashMap<>(versions);
    this.writer = writer;
    this.codec = codec;
  }

  Map<String, Long> versions() {
    return versions == null ? Map.of() : versions;
  }

  void put(String topic, long version) {
    if (versions == null) {
      versions = new HashMap<>(4);
    }
    versions.put(topic, version);
  }

  void remove(String topic) {
    if (versions != null) {
      versions.remove(topic);
    }
  }

  /**
   * A topic changed: if the client follows it and lacks this version, the notify goes out through {@code send};
   * the version it now has is recorded in the same store write. Refused by a full buffer, the value is held (the
   * newest per topic; older ones coalesce) and sent when the client's acks make room, so a subscriber never stays
   * behind the last change.
   */
  void changed(String topic, long version, String body, Function<FrameTemplate, Future<Long>> send) {
    Long known = versions == null ? null : versions.get(topic);
    if (known == null || version <= known) {
      return;
    }
    Future<Long> sent = send.apply(codec.template(new Frame.Notify(0, topic, version, RawJson.of(body))));
    if (!sent.failed()) {
      versions.put(topic, version);
      writer.subscribed(topic, version);
      if (held != null) {
        held.remove(topic);
      }
    } else if (sent.cause() instanceof BackendFailure.Refusal r && r.failure() == BackendFailure.BUFFER_FULL) {
      if (held == null) {
        held = new HashMap<>(4);
      }
      held.merge(topic, new Held(version, body), (a, b) -> a.version() >= b.version() ? a : b);
    }
  }

  boolean holdsAny() {
    return held != null;
  }

  /** Acks made room: the held values go out (or are held again). */
  void releaseHeld(Function<FrameTemplate, Future<Long>> send) {
    if (held == null) {
      return;
    }
    Map<String, Held> all = held;
    held = null;
    all.forEach((topic, h) -> changed(topic, h.version(), h.body(), send));
  }
}
