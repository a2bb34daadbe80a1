package io.tether.client;

import io.vertx.core.json.JsonObject;

/**
 * A push from the server (docs/PROTOCOL.md §5): on stream 0, the long-lived push stream; on a request's stream,
 * a related resource of that request, labelled {@link #resource()}. A volatile push has {@code seq} 0: it was not
 * buffered and is not replayed after a reconnect.
 *
 * @param seq      the server seq, 0 for a volatile push
 * @param stream   0 for the push stream, else the stream of the client request this resource belongs to
 * @param resource the label of a related resource, or null
 * @param body     the decoded body: {@link JsonObject}, {@link io.vertx.core.json.JsonArray}, String, Number,
 *                 Boolean or null
 */
public record Push(long seq, long stream, String resource, Object body) {

  public boolean isVolatile() {
    return seq == 0;
  }

  /** True for a related resource of a request (a push on a request's stream). */
  public boolean isRelated() {
    return stream != 0;
  }

  /** The body as a JSON object; fails with {@link ClassCastException} if it is another JSON value. */
  public JsonObject bodyAsJsonObject() {
    return (JsonObject) body;
  }

  /** The push as its wire frame. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("type", "push");
    if (seq > 0) {
      json.put("seq", seq);
    }
    json.put("stream", stream);
    if (resource != null) {
      json.put("resource", resource);
    }
    return json.put("body", body);
  }
}
