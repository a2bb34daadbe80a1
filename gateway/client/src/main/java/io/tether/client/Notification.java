package io.tether.client;

import io.vertx.core.json.JsonObject;

/**
 * A data-change notification for a subscribed topic (docs/PROTOCOL.md §6): the topic's latest value and version.
 * After a reconnect, changes made meanwhile arrive coalesced: one notification with the newest version.
 *
 * @param seq     the server seq
 * @param topic   the topic
 * @param version the topic's version (1, 2, 3, … per topic)
 * @param body    the decoded latest value (a JSON value, or null)
 */
public record Notification(long seq, String topic, long version, Object body) {

  /** The body as a JSON object; fails with {@link ClassCastException} if it is another JSON value. */
  public JsonObject bodyAsJsonObject() {
    return (JsonObject) body;
  }

  /** The notification as its wire frame. */
  public JsonObject toJson() {
    return new JsonObject().put("type", "notify").put("seq", seq).put("topic", topic).put("version", version)
        .put("body", body);
  }
}
