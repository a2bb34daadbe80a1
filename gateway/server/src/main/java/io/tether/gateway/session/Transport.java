package io.tether.gateway.session;

/** What a session needs from its socket; separates the session (which survives sockets) from the connection. */
public interface Transport {

  /** Writes one frame's text. */
  void write(String text);

  /**
   * Writes one frame's text; {@code more}: other frames follow at once (the last of them is written with false), so
   * the socket may hold its flush until then: a batch of frames costs one system call instead of one per frame.
   */
  default void write(String text, boolean more) {
    write(text);
  }

  /** True when the socket's write queue is full; volatile pushes are dropped then, never queued. */
  boolean writeQueueFull();

  /** Stops / restarts reading client frames (backpressure while accepted frames wait for the store). */
  void pauseReading(boolean paused);

  /** Closes the socket with a WebSocket close code. */
  void close(short code, String reason);

  /**
   * Counts one client request against the socket's request rate ({@code maxRequestsPerSecond}, docs/PROTOCOL.md §12):
   * false when the client is over it, and the request is refused. A socket without a rate takes every request.
   */
  default boolean takeRequest() {
    return true;
  }
}
