package io.tether.gateway.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What an authenticated credential grants (docs/SECURITY.md): the client's identity, when the credential expires,
 * and optionally narrower permissions than the node's allowlists and attrs the client cannot forge.
 *
 * @param clientId the authenticated identity: the session's clientId
 * @param expiresAt epoch ms after which the credential is no longer valid; 0 = never
 * @param addresses event-bus address patterns this client may call on top of the node's allowlist; null = all of it
 * @param topics topic patterns this client may follow on top of the node's allowlist; null = all of it
 * @param attrs presence attrs (JSON object) recorded for the client and not overridable by it; null = none
 * @param method how the identity was established: {@code none}, {@code jwt} or {@code backend}
 */
public record Grant(String clientId, long expiresAt, List<String> addresses, List<String> topics, String attrs,
    String method) {

  /** Auth mode {@code none}: the client is whoever it says it is, with the node's permissions. */
  public static Grant unauthenticated(String clientId) {
    return new Grant(clientId, 0, null, null, null, "none");
  }

  public boolean authenticated() {
    return !"none".equals(method);
  }

  public boolean expired(long now) {
    return expiresAt > 0 && now >= expiresAt;
  }

  /** The form kept in the session store (opaque there), so a resume on another node keeps the same grant. */
  public String toJson() {
    JsonObject o = new JsonObject().put("clientId", clientId).put("method", method);
    if (expiresAt > 0) {
      o.put("expiresAt", expiresAt);
    }
    if (addresses != null) {
      o.put("addresses", new JsonArray(addresses));
    }
    if (topics != null) {
      o.put("topics", new JsonArray(topics));
    }
    if (attrs != null) {
      o.put("attrs", new JsonObject(attrs));
    }
    return o.encode();
  }

  public static Grant fromJson(String json) {
    JsonObject o = new JsonObject(json);
    JsonObject attrs = o.getJsonObject("attrs");
    return new Grant(o.getString("clientId"), o.getLong("expiresAt", 0L), strings(o.getJsonArray("addresses")),
        strings(o.getJsonArray("topics")), attrs == null ? null : attrs.encode(), o.getString("method", "none"));
  }

  static List<String> strings(JsonArray a) {
    return a == null ? null : a.stream().map(String::valueOf).toList();
  }
}
