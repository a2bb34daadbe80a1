package io.tether.gateway.auth;

import io.tether.gateway.config.GatewayOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * Mode {@code backend}: the gateway asks a verticle on the event bus (default {@code gateway.auth}) with
 * {@code {"clientId","token","attrs","remoteAddress","origin"}}. Its reply {@code {"ok":true,…}} grants, optionally
 * with {@code clientId}, {@code expiresAt} (epoch ms), {@code addresses}, {@code topics} and {@code attrs};
 * {@code {"ok":false,"reason":…}} or a failed reply refuses. No answer within the timeout, or no handler, refuses
 * with reason {@code unavailable} (docs/SECURITY.md).
 */
public final class BackendAuthenticator implements Authenticator {

  private final Vertx vertx;
  private final String address;
  private final long timeoutMs;

  public BackendAuthenticator(Vertx vertx, GatewayOptions o) {
    this.vertx = vertx;
    this.address = o.getAuthAddress();
    this.timeoutMs = o.getAuthTimeoutMs();
  }

  @Override
  public Future<Grant> authenticate(String clientId, String token, String attrs, Peer peer) {
    JsonObject ask = new JsonObject().put("clientId", clientId).put("token", token)
        .put("remoteAddress", peer.remoteAddress()).put("origin", peer.origin());
    if (attrs != null) {
      ask.put("attrs", new JsonObject(attrs));
    }
    return vertx.eventBus().<Object>request(address, ask, new DeliveryOptions().setSendTimeout(timeoutMs))
        .recover(e -> Future.failedFuture(unanswered(e)))
        .compose(reply -> grant(clientId, reply.body()));
  }

  private Future<Grant> grant(String clientId, Object body) {
    if (!(body instanceof JsonObject r)) {
      return Future.failedFuture(new AuthRefused(AuthRefused.UNAVAILABLE,
          "the authenticator at " + address + " answered something other than a JSON object"));
    }
    if (!Boolean.TRUE.equals(r.getValue("ok"))) {
      String why = r.getValue("reason") instanceof String s ? s : "the authenticator refused the credential";
      return Future.failedFuture(new AuthRefused(AuthRefused.REFUSED, why));
    }
    try {
      String granted = r.getString("clientId", clientId);
      if (granted == null) {
        return Future.failedFuture(new AuthRefused(AuthRefused.UNAVAILABLE,
            "the authenticator must name the clientId when the client gives none (resume, refresh)"));
      }
      JsonObject attrs = r.getJsonObject("attrs");
      return Future.succeededFuture(new Grant(granted, r.getLong("expiresAt", 0L),
          Grant.strings(r.getJsonArray("addresses")), Grant.strings(r.getJsonArray("topics")),
          attrs == null ? null : attrs.encode(), "backend"));
    } catch (ClassCastException e) {
      return Future.failedFuture(new AuthRefused(AuthRefused.UNAVAILABLE,
          "the authenticator's reply has a field of the wrong type: " + e.getMessage()));
    }
  }

  private AuthRefused unanswered(Throwable e) {
    if (e instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      return new AuthRefused(AuthRefused.REFUSED, re.getMessage() == null ? "refused by the authenticator"
          : re.getMessage());
    }
    if (e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
      return new AuthRefused(AuthRefused.UNAVAILABLE, "no authenticator is registered at " + address);
    }
    return new AuthRefused(AuthRefused.UNAVAILABLE, "the authenticator at " + address + " did not answer within "
        + timeoutMs + " ms");
  }
}
