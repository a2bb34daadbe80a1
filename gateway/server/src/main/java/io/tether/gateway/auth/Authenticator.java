package io.tether.gateway.auth;

import io.vertx.core.Future;

/**
 * Checks a client's credential (the {@code token} of {@code hello}, {@code resume} or {@code auth}) and says what it
 * grants; fails with {@link AuthRefused}. Chosen by the {@code auth} option (docs/SECURITY.md).
 */
public interface Authenticator {

  /**
   * @param clientId the clientId the client claims; null on a resume or an in-session refresh, where the identity
   *     comes from the credential and is then checked against the session's
   * @param token the credential; null if the client sent none
   * @param attrs the client's presence attrs (JSON object) or null
   */
  Future<Grant> authenticate(String clientId, String token, String attrs, Peer peer);

  /** Mode {@code none}: everyone is who they say they are. */
  Authenticator NONE = (clientId, token, attrs, peer) -> clientId == null
      ? Future.failedFuture(new AuthRefused(AuthRefused.WRONG_CLIENT, "no clientId"))
      : Future.succeededFuture(Grant.unauthenticated(clientId));
}
