package io.tether.client.internal;

import io.tether.client.TetherException;
import io.tether.protocol.Frame;

/** What the {@link Connector} tells the rest of the client (state changes and session events go to the application). */
public interface ConnectorListener {
  /**
   * A session starts on {@code link} ({@code welcome}); {@code resync}: it replaces a lost one. Returns how many
   * requests were lost with the old session.
   */
  int welcomed(Link link, boolean resync);

  /** Whether {@code resumed.lastSeq} is consistent with what was sent and acked (if not, a new session starts). */
  boolean resumable(long serverLastSeq);

  /** The session continues on {@code link} ({@code resumed}). */
  void resumed(Link link, long serverLastSeq);

  /** A frame on the attached link that is not the connection's own (reliable, ack, non-fatal error, volatile push). */
  void frame(Link link, Frame frame);

  /** The attached link is gone. */
  void detached();

  /** The first connect failed: nothing sent so far belongs to a session. */
  void firstConnectFailed(TetherException error);

  /** The server ended the session ({@code bye}); the connection is given up already. */
  void ended(String sessionId, String reason);
}
