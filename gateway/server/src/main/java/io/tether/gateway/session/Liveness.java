package io.tether.gateway.session;

/**
 * When the session last heard its client, and when its presence record was last written from here (docs/PROTOCOL.md
 * §4). A heartbeat that brings no new attrs refreshes {@code lastSeen} only once {@code presenceRefreshMs} has passed
 * since the last write: presence writes (each a cluster operation with its backup) were most of an idle node's work,
 * one per session per heartbeat (docs/BENCHMARKS.md "Sessions at scale"). State changes write presence anyway.
 */
final class Liveness {

  private long lastHeard;
  private long presenceAt;

  Liveness(long now) {
    lastHeard = presenceAt = now;
  }

  void heard(long now) {
    lastHeard = now;
  }

  long silentFor(long now) {
    return now - lastHeard;
  }

  /** Presence was written now (a state change, a handshake). */
  void presenceWritten(long now) {
    presenceAt = now;
  }

  /**
   * A heartbeat at {@code now}: true if it should write presence (new attrs, or {@code refreshMs} passed since the
   * last write; 0: every heartbeat), and then counts the write as done.
   */
  boolean presenceDue(long now, boolean newAttrs, long refreshMs) {
    if (!newAttrs && now - presenceAt < refreshMs) {
      return false;
    }
    presenceAt = now;
    return true;
  }
}
