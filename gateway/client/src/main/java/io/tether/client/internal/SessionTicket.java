package io.tether.client.internal;

import io.tether.protocol.Frame;

/**
 * What the client holds of its session between connections (docs/PROTOCOL.md §2): the id and token that resume it,
 * the node it was on (a hint for a load balancer), and, from a failed resume until the next {@code welcome}, which
 * session was lost and why (the new session reports it as a re-sync).
 */
final class SessionTicket {

  /** A session that could not be resumed, and the {@code resume_failed} reason (or {@code inconsistent}). */
  record Lost(String sessionId, String reason) {
  }

  // Observable from any thread, written on the context only.
  private volatile String sessionId;
  private volatile String node;
  private volatile long heartbeatMs;
  private String resumeToken;
  /** The node that asked the client to reconnect (it is draining): a resume does not ask to go back to it. */
  private String leavingNode;
  private Lost lost;

  String sessionId() {
    return sessionId;
  }

  String node() {
    return node;
  }

  /** The heartbeat interval in use: the client's own if set, else the server's (0 before the first welcome). */
  long heartbeatMs() {
    return heartbeatMs;
  }

  String resumeToken() {
    return resumeToken;
  }

  /** There is a session to resume. */
  boolean resumable() {
    return sessionId != null;
  }

  /** A session exists, or was lost and is being replaced. */
  boolean exists() {
    return sessionId != null || lost != null;
  }

  /** The node to ask a load balancer for in a resume: the last one, unless it asked the client to leave. */
  String nodeHint() {
    return node == null || node.equals(leavingNode) ? null : node;
  }

  /** The node asked the client to reconnect elsewhere ({@code reconnect}). */
  void leaving() {
    leavingNode = node;
  }

  /**
   * A {@code welcome}: a session started, with the client's heartbeat {@code ownHeartbeatMs} if positive, else the
   * server's. Returns the lost session it replaces, or null (the first one).
   */
  Lost started(Frame.Welcome w, long ownHeartbeatMs) {
    heartbeatMs = ownHeartbeatMs > 0 ? ownHeartbeatMs : (w.heartbeatMs() > 0 ? w.heartbeatMs() : 25_000);
    Lost replaced = lost;
    lost = null;
    sessionId = w.sessionId();
    resumeToken = w.resumeToken();
    node = w.node();
    leavingNode = null;
    return replaced;
  }

  /** A session stored by an earlier process on this store (docs/CLIENT.md "Sessions across a restart"). */
  void restore(String storedSessionId, String storedToken, String storedNode, long storedHeartbeatMs,
      long ownHeartbeatMs) {
    heartbeatMs = ownHeartbeatMs > 0 ? ownHeartbeatMs : (storedHeartbeatMs > 0 ? storedHeartbeatMs : 25_000);
    sessionId = storedSessionId;
    resumeToken = storedToken;
    node = storedNode;
    lost = null;
    leavingNode = null;
  }

  /** A session is being replaced: from a failed resume until the next {@code welcome}. */
  boolean replacing() {
    return lost != null;
  }

  /** A {@code resumed}: the token rotated, and the session may be on another node now. */
  void resumed(Frame.Resumed r) {
    resumeToken = r.resumeToken();
    if (r.node() != null) {
      node = r.node();
    }
    leavingNode = null;
  }

  /**
   * The session cannot be resumed: the next connection says {@code hello}. If several resumes fail before a welcome,
   * the first session is the one reported lost, with the last reason.
   */
  void lost(String reason) {
    lost = new Lost(lost == null ? sessionId : lost.sessionId(), reason);
    sessionId = null;
    resumeToken = null;
  }
}
