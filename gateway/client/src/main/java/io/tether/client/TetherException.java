package io.tether.client;

import io.tether.protocol.ErrorCode;

/**
 * A failure reported by the Tether client: either an error the server sent (a response with {@code ok:false}, an
 * {@code error} frame) — {@link #isRemote()} is true and {@link #code()} is the wire code, e.g. {@code not_allowed}
 * — or a condition detected by the client itself, with one of the {@code CLIENT_*}/wire codes listed here.
 */
public class TetherException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The client was closed ({@link TetherClient#close()} or a server {@code bye}); nothing more can be sent. */
  public static final String CLOSED = "client_closed";
  /** The client is {@link ConnectionState#OFFLINE}: call {@link TetherClient#connect()} first. */
  public static final String NOT_CONNECTED = "not_connected";
  /** Connecting failed (network, handshake timeout, handshake refused, or reconnect attempts exhausted). */
  public static final String CONNECT_FAILED = "connect_failed";
  /**
   * The session was lost (it could not be resumed and a new one was started) after this request had been sent:
   * whether the server acted on it is unknown.
   */
  public static final String SESSION_LOST = "session_lost";
  /** The server ended the session ({@code bye} with a reason such as {@code replaced}). */
  public static final String SESSION_ENDED = "session_ended";
  /** The outbound buffer is full (too many unacknowledged frames): wait for acks or raise the bound. */
  public static final String BUFFER_FULL = ErrorCode.OVERFLOW.wire();
  /**
   * The request queue is full ({@link TetherClientOptions#setMaxQueuedRequests}, {@code maxQueuedBytes}): too many
   * requests wait for the connection. Nothing queued was dropped; try again once the client is back ONLINE.
   */
  public static final String QUEUE_FULL = "queue_full";
  /** No response within the request timeout ({@link TetherClientOptions#setRequestTimeoutMs}). */
  public static final String TIMEOUT = ErrorCode.TIMEOUT.wire();
  /** The encoded frame exceeds {@link TetherClientOptions#setMaxFrameBytes}. */
  public static final String TOO_LARGE = ErrorCode.TOO_LARGE.wire();

  private final String code;
  private final String detail;
  private final String reason;
  private final boolean remote;

  public TetherException(String code, String message) {
    this(code, message, null, false, null);
  }

  public TetherException(String code, String message, String reason, boolean remote, Throwable cause) {
    super(message == null ? code : code + ": " + message, cause);
    this.code = code == null ? "error" : code;
    this.detail = message;
    this.reason = reason;
    this.remote = remote;
  }

  static TetherException remote(String code, String message) {
    return new TetherException(code == null ? "error" : code, message, null, true, null);
  }

  /** The error code: a wire code ({@link ErrorCode}) or one of the client codes of this class. Never null. */
  public String code() {
    return code;
  }

  /** The message alone, without the code (as sent by the server, for remote errors); may be null. */
  public String detail() {
    return detail;
  }

  /** The code as an {@link ErrorCode}, or null if it is a client-side code or one this version does not know. */
  public ErrorCode errorCode() {
    return ErrorCode.fromWire(code);
  }

  /** A qualifier of the code, e.g. the {@code reason} of {@code resume_failed} ({@code expired}); may be null. */
  public String reason() {
    return reason;
  }

  /** True if the server reported this error, false if the client detected it. */
  public boolean isRemote() {
    return remote;
  }
}
