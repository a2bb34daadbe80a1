package io.tether.gateway.session;

import io.tether.protocol.RawJson;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * The bound on a client's presence attrs ({@code maxAttrsBytes}, {@code maxAttrsKeys}; docs/PROTOCOL.md §12): checked
 * on {@code hello} by the connection before any session work, and on {@code ping} by the session.
 */
public final class AttrsLimit {

  private AttrsLimit() {
  }

  /** Why {@code attrs} (a JSON object, as the codec checked) is over the bound, or null when it is within. */
  public static String check(RawJson attrs, int maxBytes, int maxKeys) {
    if (attrs == null) {
      return null;
    }
    String json = attrs.json();
    // A char is at least one UTF-8 byte: only text that might fit is encoded to count its bytes.
    if (json.length() > maxBytes || json.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      return "attrs exceed " + maxBytes + " bytes (maxAttrsBytes)";
    }
    int keys = new JsonObject(json).size();
    if (keys > maxKeys) {
      return "attrs have " + keys + " keys, more than " + maxKeys + " (maxAttrsKeys)";
    }
    return null;
  }
}
