package io.tether.gateway.store;

/**
 * A client request that the gateway acknowledged (so it is durable) but whose response is not yet in the session's
 * buffer. Kept in the session record so that it can be dispatched again after a node crash, with the same
 * request id.
 */
public record PendingRequest(long seq, long stream, String address, String body) {
}
