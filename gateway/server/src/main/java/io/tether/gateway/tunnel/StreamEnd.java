package io.tether.gateway.tunnel;

/**
 * Why a byte stream ended: the {@code reason} of the server's final {@code data} frame (docs/PROTOCOL.md §13) and the
 * tag of {@code tether_streams_ended}.
 */
final class StreamEnd {

  /** The upstream closed its connection. */
  static final String EOF = "eof";
  /** The client named an upstream this node does not have. */
  static final String UNKNOWN_UPSTREAM = "unknown_upstream";
  /** The upstream could not be reached. */
  static final String CONNECT_FAILED = "connect_failed";
  /** The stream is not open on this node: its upstream connection was on another node, or is gone. */
  static final String UPSTREAM_LOST = "upstream_lost";
  /** The session stayed detached longer than {@code streamReleaseMs}: the upstream connection was closed. */
  static final String RELEASED = "released";
  /** The client sent more than the node granted. */
  static final String WINDOW_EXCEEDED = "window_exceeded";
  /** The session has {@code maxStreams} streams open already. */
  static final String TOO_MANY_STREAMS = "too_many_streams";
  /** An even stream id, or one already in use. */
  static final String BAD_STREAM = "bad_stream";
  /** The client closed the stream (its fin); nothing is sent back. */
  static final String CLOSED_BY_CLIENT = "closed_by_client";

  private StreamEnd() {
  }
}
