package io.tether.gateway.routing;

import io.tether.protocol.FrameTemplate;
import java.util.List;

/**
 * An operation one gateway node asks of the node a session is attached to (docs/ARCHITECTURE.md "Routing"), sent to
 * {@link NodeEndpoint#address} of that node and encoded by {@link NodeOpCodec}. {@code hops} counts how often the
 * operation followed a moving session.
 */
public sealed interface NodeOp {

  String sessionId();

  int hops();

  /**
   * Reliable frames for the session, all or none, numbered by the owner. Reply: {@code {"seq": last seq}}.
   *
   * @param completesStream the client request stream the frames answer, or 0
   * @param requireOpenStream refuse unless this client request stream is still open, or 0
   * @param sendId the backend's idempotency key, or null
   */
  record Deliver(String sessionId, List<FrameTemplate> frames, long completesStream, long requireOpenStream,
      String sendId, int hops) implements NodeOp {
    public Deliver {
      frames = List.copyOf(frames);
    }

    Deliver next() {
      return new Deliver(sessionId, frames, completesStream, requireOpenStream, sendId, hops + 1);
    }
  }

  /** A volatile push (its frame text); never buffered. Reply: true if it was written to the socket. */
  record SendVolatile(String sessionId, String frame, int hops) implements NodeOp {
  }

  /** A server-initiated request to the client ({@code body} as JSON text). Reply: the client's answer body. */
  record Ask(String sessionId, String address, String body, long timeoutMs, int hops) implements NodeOp {
  }

  /** End the session ({@code replaced}, {@code kicked}): bye on its socket, closed in the store. */
  record End(String sessionId, String reason, int hops) implements NodeOp {
  }

  /** The session was taken over at {@code epoch}: an older holder drops its socket now. */
  record Fence(String sessionId, long epoch, int hops) implements NodeOp {
  }
}
