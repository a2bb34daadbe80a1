package io.tether.protocol;

/** Why a {@code resume} was refused (docs/PROTOCOL.md §2). Every one of them means: start a new session. */
public enum ResumeFailReason {
  /** No such session, or it ended (bye, replaced, kicked). */
  UNKNOWN("unknown"),
  /** The session stayed detached longer than the resume window. */
  EXPIRED("expired"),
  /** The session exists but the token is not its current resume token. */
  BAD_TOKEN("bad_token"),
  /** The session's buffer overflowed while it was detached; frames would have been lost. */
  OVERFLOW("overflow"),
  /**
   * The cluster lost part of the session's state (more members failed at once than it keeps backups for): the client
   * has frames the store no longer knows of, so resuming could leave a silent gap. An extension of the contract's
   * four reasons; like them it means "start a new session and re-sync".
   */
  LOST("lost");

  private final String wire;

  ResumeFailReason(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }
}
