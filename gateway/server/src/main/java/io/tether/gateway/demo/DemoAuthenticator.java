package io.tether.gateway.demo;

import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An example authenticator for {@code --auth backend} (docs/SECURITY.md), answering on {@code gateway.auth}. It
 * knows one kind of token, {@code demo:<clientId>} or {@code demo:<clientId>:<seconds>} (a credential that expires
 * after that many seconds), grants that clientId the {@code demo.*} addresses, and refuses everything else. A real
 * authenticator checks a password, a session cookie or an API key against its own store instead.
 */
final class DemoAuthenticator {

  private DemoAuthenticator() {
  }

  static void authenticate(Message<JsonObject> m) {
    JsonObject ask = m.body() == null ? new JsonObject() : m.body();
    String token = ask.getValue("token") instanceof String t ? t : null;
    String[] parts = token == null ? new String[0] : token.split(":", -1);
    if (parts.length < 2 || parts.length > 3 || !parts[0].equals("demo") || parts[1].isEmpty()) {
      m.reply(new JsonObject().put("ok", false).put("reason", "not a demo token (demo:<clientId>[:<seconds>])"));
      return;
    }
    String claimed = ask.getString("clientId");
    if (claimed != null && !claimed.equals(parts[1])) {
      m.reply(new JsonObject().put("ok", false).put("reason", "the token is for another client"));
      return;
    }
    JsonObject grant = new JsonObject().put("ok", true).put("clientId", parts[1])
        .put("addresses", new JsonArray().add("demo.*")).put("attrs", new JsonObject().put("authenticatedBy", "demo"));
    if (parts.length == 3) {
      try {
        grant.put("expiresAt", System.currentTimeMillis() + Long.parseLong(parts[2]) * 1000);
      } catch (NumberFormatException e) {
        m.reply(new JsonObject().put("ok", false).put("reason", "the lifetime of a demo token is in whole seconds"));
        return;
      }
    }
    m.reply(grant);
  }
}
