package io.tether.gateway.session;

import io.tether.gateway.auth.AuthRefused;
import io.tether.gateway.auth.Grant;
import io.tether.protocol.CloseCodes;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.NamePatterns;

/**
 * The session's credential (docs/PROTOCOL.md §2 "Credential lifetime"): who the client is, what it may use on top of
 * the node's allowlists, and when the credential expires. The endpoint's sweep checks it with the heartbeat: the
 * client is told to refresh ({@code refresh}) {@code refreshLeadMs} before expiry, and its socket is closed at
 * expiry + {@code credentialGraceMs} unless an {@code auth} frame renewed it; the session then stays resumable by a
 * resume that carries a fresh token.
 */
final class Credential {

  private Grant grant;
  private NamePatterns addresses;
  private NamePatterns topics;
  private boolean refreshSent;

  Credential(Grant grant) {
    renew(grant);
  }

  Grant grant() {
    return grant;
  }

  void renew(Grant g) {
    grant = g;
    addresses = g.addresses() == null ? null : new NamePatterns(g.addresses());
    topics = g.topics() == null ? null : new NamePatterns(g.topics());
    refreshSent = false;
  }

  boolean allowsAddress(String address) {
    return addresses == null || addresses.matches(address);
  }

  boolean allowsTopic(String topic) {
    return topics == null || topics.matches(topic);
  }

  /** Called by the sweep: the refresh notice once, then the close when the grace is over. */
  void check(Session s, long now) {
    long expiresAt = grant.expiresAt();
    if (expiresAt == 0) {
      return;
    }
    var o = s.port().options();
    if (!refreshSent && now >= expiresAt - o.getRefreshLeadMs()) {
      refreshSent = true;
      s.send(new Frame.Refresh(expiresAt));
    }
    if (now >= expiresAt + o.getCredentialGraceMs()) {
      s.port().metrics().error(ErrorCode.UNAUTHORIZED.wire());
      s.send(new Frame.Error(ErrorCode.UNAUTHORIZED.wire(), "the credential expired and was not renewed: resume "
          + "with a fresh token", AuthRefused.CREDENTIAL_EXPIRED, true, 0, null));
      s.closeAndDetach(CloseCodes.POLICY, AuthRefused.CREDENTIAL_EXPIRED);
    }
  }
}
