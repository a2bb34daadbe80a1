package io.tether.gateway.api;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Every way a backend's call to the gateway's API can fail (docs/PROTOCOL.md §8 "Failures"): the event-bus failure
 * code the backend sees, and whether the same call may succeed if tried again. The message of the failure starts with
 * the {@link #reason} word, so a backend can tell two failures with one code apart without parsing prose.
 */
public enum BackendFailure {
  /** The message is malformed; the text names the field. */
  BAD_MESSAGE(400, "bad_message", false),
  /** No such session, or it ended (closed, expired, overflowed); the text says which. */
  NO_SESSION(404, "no_session", false),
  /** The client's buffer is full (it has not acknowledged enough frames): try again once it catches up. */
  BUFFER_FULL(409, "overflow", true),
  /** A related resource was pushed on a stream whose request is already answered (or was never open). */
  STREAM_CLOSED(400, "stream_closed", false),
  /** Too many server-initiated requests open for this client, or the cluster's topic limit is reached. */
  RATE_LIMITED(429, "rate_limited", true),
  /** The client answered the server-initiated request with an error. */
  CLIENT_ERROR(500, "client_error", false),
  /** The session is moving between connections or nodes, or its node just left: the same call may work now. */
  UNAVAILABLE(503, "unavailable", true),
  /** The client did not answer the server-initiated request in time. */
  CLIENT_TIMEOUT(504, "timeout", true),
  /** Anything else (the session store failed). */
  INTERNAL(500, "internal", true);

  private final int code;
  private final String reason;
  private final boolean retryable;

  BackendFailure(int code, String reason, boolean retryable) {
    this.code = code;
    this.reason = reason;
    this.retryable = retryable;
  }

  /** The event-bus failure code ({@link ReplyException#failureCode()}). */
  public int code() {
    return code;
  }

  /** The word the failure's message starts with. */
  public String reason() {
    return reason;
  }

  /** True if the same call, tried again (with the same idempotency key), may succeed. */
  public boolean retryable() {
    return retryable;
  }

  /** The exception carrying this failure, with a message that explains it. */
  public Refusal refuse(String message) {
    return new Refusal(this, message);
  }

  /** This failure as the backend receives it. */
  public ReplyException toReply(String message) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, reason + ": " + message);
  }

  /**
   * The failure a backend received, read back from its code and message ({@code null} when it did not come from the
   * gateway's API).
   */
  public static BackendFailure of(Throwable failure) {
    if (!(failure instanceof ReplyException re) || re.failureType() != ReplyFailure.RECIPIENT_FAILURE) {
      return null;
    }
    String message = String.valueOf(re.getMessage());
    for (BackendFailure f : values()) {
      if (f.code == re.failureCode() && message.startsWith(f.reason + ":")) {
        return f;
      }
    }
    return null;
  }

  /** A call to the gateway refused for a {@link BackendFailure}: raised inside the gateway, sent as {@link #toReply}. */
  public static final class Refusal extends RuntimeException {
    private final BackendFailure failure;

    Refusal(BackendFailure failure, String message) {
      super(message, null, false, false);
      this.failure = failure;
    }

    public BackendFailure failure() {
      return failure;
    }

    public boolean retryable() {
      return failure.retryable;
    }

    public ReplyException toReply() {
      return failure.toReply(getMessage());
    }
  }
}
