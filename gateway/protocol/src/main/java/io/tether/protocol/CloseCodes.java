package io.tether.protocol;

/** WebSocket close codes the gateway uses (RFC 6455 §7.4.1), as listed in docs/PROTOCOL.md §7. */
public final class CloseCodes {
  /** {@code bye} from either side. */
  public static final short NORMAL = 1000;
  /** The node is shutting down; the session stays resumable. */
  public static final short GOING_AWAY = 1001;
  /** Handshake timeout, handshake violation, fatal protocol error, or a session ended by the server. */
  public static final short POLICY = 1008;
  /** Frame or message larger than the configured maximum. */
  public static final short TOO_LARGE = 1009;
  /** The server failed unexpectedly (e.g. the cluster store was unreachable). */
  public static final short INTERNAL = 1011;

  private CloseCodes() {
  }
}
