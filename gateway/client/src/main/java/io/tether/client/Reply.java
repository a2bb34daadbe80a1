package io.tether.client;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The outcome of {@link TetherClient#requestEx}: the response body, and whether it came from the server just now or
 * from the client's local cache (docs/CLIENT.md "Offline").
 *
 * @param body       the decoded response body: {@link JsonObject}, {@link io.vertx.core.json.JsonArray}, String,
 *                   Number, Boolean or null. A fresh copy: changing it changes nothing in the cache.
 * @param fromCache  true when the client was not ONLINE and answered from its cache, without the server
 * @param receivedAt when the server's response was received (epoch milliseconds): now for a fresh response, the
 *                   time it was cached for one from the cache
 * @param resources  related resources the server pushed on the request's stream before the response, by their
 *                   {@code resource} label, in arrival order (decoded copies; empty if none)
 */
public record Reply(Object body, boolean fromCache, long receivedAt, Map<String, Object> resources) {

  public Reply {
    resources = resources == null ? Map.of() : java.util.Collections.unmodifiableMap(resources);
  }

  /** The body as a JSON object; fails with {@link ClassCastException} if it is another JSON value. */
  public JsonObject bodyAsJsonObject() {
    return (JsonObject) body;
  }

  /** How old the response is, in milliseconds: 0 for a fresh one, the time since it was cached otherwise. */
  public long ageMs() {
    return fromCache ? Math.max(0, System.currentTimeMillis() - receivedAt) : 0;
  }
}
