package io.tether.client;

/**
 * A change of the client's session, reported to {@link TetherClient#sessionHandler}. The one an application must
 * act on is {@link Kind#RESYNCED}: the server could not resume the session, a new one was started, and whatever the
 * application derived from server frames may be stale.
 *
 * @param kind              what happened
 * @param sessionId         the current session id (null for {@link Kind#ENDED})
 * @param previousSessionId the session that was lost ({@link Kind#RESYNCED}) or ended ({@link Kind#ENDED}), else
 *                          null
 * @param node              the node serving the session (null for {@link Kind#ENDED})
 * @param reason            {@link Kind#RESYNCED}: the {@code resume_failed} reason ({@code unknown}, {@code expired},
 *                          {@code bad_token}, {@code overflow}); {@link Kind#ENDED}: the server's {@code bye} reason
 *                          ({@code replaced}, {@code kicked}, {@code expired}) or {@code closed} when the application
 *                          closed the client
 * @param lostRequests      {@link Kind#RESYNCED}: how many requests failed with
 *                          {@link TetherException#SESSION_LOST} because they had been sent on the lost session
 */
public record SessionEvent(Kind kind, String sessionId, String previousSessionId, String node, String reason,
    int lostRequests) {

  public enum Kind {
    /** The first session of this client started ({@code welcome}). */
    STARTED,
    /** The session was resumed after a break: nothing was lost, every frame arrives once, in order. */
    RESUMED,
    /**
     * Resume failed, so a new session was started: seqs restarted at 1, server frames of the old session that the
     * client had not received are lost, requests sent on it failed ({@link TetherException#SESSION_LOST}). Requests
     * not yet sent were sent on the new session and topics were subscribed again with their last known versions.
     * The application should re-sync its state.
     */
    RESYNCED,
    /** The session ended: closed by the application, or ended by the server ({@code bye}). */
    ENDED
  }
}
