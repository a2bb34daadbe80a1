package io.tether.client;

import io.vertx.core.json.JsonObject;

/**
 * A request the server (a backend, through {@code gateway.request}) sends to this client on an even stream
 * (docs/PROTOCOL.md §5). Answer it through {@link TetherClient#requestHandler}.
 *
 * @param seq     the server seq
 * @param stream  the stream id (even)
 * @param address what is asked, e.g. {@code demo.question}
 * @param body    the decoded body (a JSON value, or null)
 */
public record ServerRequest(long seq, long stream, String address, Object body) {

  /** The body as a JSON object; fails with {@link ClassCastException} if it is another JSON value. */
  public JsonObject bodyAsJsonObject() {
    return (JsonObject) body;
  }

  /** The request as its wire frame. */
  public JsonObject toJson() {
    return new JsonObject().put("type", "request").put("seq", seq).put("stream", stream).put("address", address)
        .put("body", body);
  }
}
