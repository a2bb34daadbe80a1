package io.tether.gateway.store;

import io.tether.protocol.Frame;
import io.tether.protocol.RawJson;

/**
 * A client request that the gateway acknowledged (so it is durable) but whose response is not yet in the session's
 * buffer. Kept in the session record so that it can be dispatched again, with the same request id, when the node
 * that dispatched it leaves the cluster before the answer came back (docs/ARCHITECTURE.md "Crash recovery").
 *
 * @param node the gateway node that forwarded it to its backend and waits for the reply
 */
public record PendingRequest(long seq, long stream, String address, String body, String node) {

  /** The request frame as the client sent it (to dispatch it again). */
  public Frame.Request frame() {
    return new Frame.Request(seq, stream, address, body == null ? null : RawJson.of(body));
  }

  /** The same request, now dispatched by {@code newNode}. */
  public PendingRequest dispatchedBy(String newNode) {
    return new PendingRequest(seq, stream, address, body, newNode);
  }
}
