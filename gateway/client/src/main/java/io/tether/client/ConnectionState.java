package io.tether.client;

/**
 * The connection state of a {@link TetherClient}, observable with {@link TetherClient#stateHandler}.
 *
 * <pre>
 *   OFFLINE --connect()--> CONNECTING --welcome--> ONLINE --socket lost--> RECONNECTING --resumed/welcome--> ONLINE
 *      ^                        |                                              |
 *      +---- first attempt fails +                                             +-- attempts exhausted --> OFFLINE
 *   any state --close() or bye from the server--> CLOSED (terminal)
 * </pre>
 */
public enum ConnectionState {
  /** The first {@code hello} is under way ({@link TetherClient#connect()}). */
  CONNECTING,
  /** A session is attached to the socket: frames flow. */
  ONLINE,
  /**
   * The socket was lost without being asked to: the client reconnects with backoff and resumes the session (or,
   * if the server cannot resume it, starts a new one). Requests and subscriptions made meanwhile are queued.
   */
  RECONNECTING,
  /** Not connected and not trying: never connected, the first connect failed, or reconnect attempts ran out. */
  OFFLINE,
  /** Closed for good: by {@link TetherClient#close()} or because the server ended the session. */
  CLOSED
}
