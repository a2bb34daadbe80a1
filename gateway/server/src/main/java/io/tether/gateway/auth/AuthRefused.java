package io.tether.gateway.auth;

import io.tether.protocol.ErrorCode;

/**
 * A handshake or credential refused: sent to the client as {@code {"type":"error","code":…,"reason":…}} and, during a
 * handshake, followed by close 1008 (docs/PROTOCOL.md §2 "Authentication"). The message never contains the token.
 */
public final class AuthRefused extends RuntimeException {

  /** The reasons of {@code unauthorized} (docs/PROTOCOL.md §2). */
  public static final String MISSING_TOKEN = "missing_token";
  public static final String INVALID_TOKEN = "invalid_token";
  public static final String TOKEN_EXPIRED = "token_expired";
  public static final String INVALID_CLAIMS = "invalid_claims";
  public static final String WRONG_CLIENT = "wrong_client";
  public static final String REFUSED = "refused";
  public static final String UNAVAILABLE = "unavailable";
  public static final String CREDENTIAL_EXPIRED = "credential_expired";
  /** Code {@code not_allowed}: policy {@code refuse} and the clientId has a live session. */
  public static final String DUPLICATE_CLIENT = "duplicate_client";

  private final ErrorCode code;
  private final String reason;

  public AuthRefused(String reason, String message) {
    this(ErrorCode.UNAUTHORIZED, reason, message);
  }

  public AuthRefused(ErrorCode code, String reason, String message) {
    super(message, null, false, false);
    this.code = code;
    this.reason = reason;
  }

  public ErrorCode code() {
    return code;
  }

  public String reason() {
    return reason;
  }
}
