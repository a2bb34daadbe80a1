package io.tether.protocol;

/**
 * The catalogue of error codes (docs/PROTOCOL.md §7), shared by the server, the client SDK and the docs.
 * {@link #BACKEND_ERROR} appears only inside a {@code response}'s {@code error} object.
 */
public enum ErrorCode {
  BAD_FRAME("bad_frame"),
  UNKNOWN_TYPE("unknown_type"),
  HANDSHAKE_REQUIRED("handshake_required"),
  NOT_ALLOWED("not_allowed"),
  NO_HANDLER("no_handler"),
  TIMEOUT("timeout"),
  TOO_LARGE("too_large"),
  RATE_LIMITED("rate_limited"),
  UNAUTHORIZED("unauthorized"),
  RESUME_FAILED("resume_failed"),
  OVERFLOW("overflow"),
  BACKEND_ERROR("backend_error");

  private final String wire;

  ErrorCode(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static ErrorCode fromWire(String wire) {
    for (ErrorCode c : values()) {
      if (c.wire.equals(wire)) {
        return c;
      }
    }
    return null;
  }
}
