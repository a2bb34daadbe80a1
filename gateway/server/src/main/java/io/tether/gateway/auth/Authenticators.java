package io.tether.gateway.auth;

import io.tether.gateway.config.GatewayOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** The authenticator the {@code auth} option chooses. */
public final class Authenticators {

  private Authenticators() {
  }

  public static Future<Authenticator> create(Vertx vertx, GatewayOptions o) {
    return switch (o.getAuth()) {
      case NONE -> Future.succeededFuture(Authenticator.NONE);
      case JWT -> JwtAuthenticator.create(vertx, o);
      case BACKEND -> Future.succeededFuture(new BackendAuthenticator(vertx, o));
    };
  }
}
