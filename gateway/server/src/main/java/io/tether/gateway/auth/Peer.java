package io.tether.gateway.auth;

/** Where a handshake comes from, as the authenticator is told: the remote address and the browser Origin (or null). */
public record Peer(String remoteAddress, String origin) {

  public static final Peer UNKNOWN = new Peer(null, null);
}
