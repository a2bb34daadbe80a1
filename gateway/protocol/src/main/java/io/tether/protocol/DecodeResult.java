package io.tether.protocol;

/**
 * The outcome of decoding one frame. The codec never throws on bad input: a malformed frame becomes a
 * {@link Failure} that the connection turns into an {@code error} frame (docs/PROTOCOL.md §7).
 */
public sealed interface DecodeResult {

  record Ok(Frame frame) implements DecodeResult {
  }

  record Failure(ErrorCode code, String message) implements DecodeResult {
  }

  static DecodeResult ok(Frame frame) {
    return new Ok(frame);
  }

  static DecodeResult fail(ErrorCode code, String message) {
    return new Failure(code, message);
  }
}
