package io.tether.client;

import io.tether.protocol.ErrorCode;

/**
 * A failure reported by the Tether client: either an error the server sent (a response with {@code ok:false}, an
 * {@code error} frame) — {@link #isRemote()} is true and {@link #code()} is the wire code, e.g. {@code not_allowed}
 * — or a condition detected by the client itself: a {@link ClientErrorCode}, or for a few conditions the protocol's
 * code of the same meaning (the constants below; docs/CLIENT.md "Error codes").
 */
public class TetherException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** {@link ClientErrorCode#CLIENT_CLOSED}. */
  public static final String CLOSED = ClientErrorCode.CLIENT_CLOSED.code();
  /** {@link ClientErrorCode#NOT_CONNECTED}. */
  public static final String NOT_CONNECTED = ClientErrorCode.NOT_CONNECTED.code();
  /** {@link ClientErrorCode#CONNECT_FAILED}. */
  public static final String CONNECT_FAILED = ClientErrorCode.CONNECT_FAILED.code();
  /** {@link ClientErrorCode#SESSION_LOST}. */
  public static final String SESSION_LOST = ClientErrorCode.SESSION_LOST.code();
  /** {@link ClientErrorCode#SESSION_ENDED}. */
  public static final String SESSION_ENDED = ClientErrorCode.SESSION_ENDED.code();
  /** {@link ClientErrorCode#QUEUE_FULL}: nothing queued was dropped; try again once the client is back ONLINE. */
  public static final String QUEUE_FULL = ClientErrorCode.QUEUE_FULL.code();
  /** {@link ClientErrorCode#STORE_FAILED}: reported to the exception handler. */
  public static final String STORE_FAILED = ClientErrorCode.STORE_FAILED.code();
  /** The outbound buffer is full (too many unacknowledged frames): wait for acks or raise the bound. */
  public static final String BUFFER_FULL = ErrorCode.OVERFLOW.wire();
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
    super(message == null ? orUnknown(code) : orUnknown(code) + ": " + message, cause);
    this.code = orUnknown(code);
    this.detail = message;
    this.reason = reason;
    this.remote = remote;
  }

  private static String orUnknown(String code) {
    return code == null ? ClientErrorCode.UNKNOWN.code() : code;
  }

  static TetherException remote(String code, String message) {
    return new TetherException(code, message, null, true, null);
  }

  /** The error code: a wire code ({@link ErrorCode}) or a client code ({@link ClientErrorCode}). Never null. */
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

  /** The code as a {@link ClientErrorCode}, or null if it is a protocol code ({@link #errorCode()}). */
  public ClientErrorCode clientErrorCode() {
    return ClientErrorCode.fromCode(code);
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
