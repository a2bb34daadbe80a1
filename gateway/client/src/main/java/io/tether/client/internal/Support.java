package io.tether.client.internal;

import io.tether.protocol.RawJson;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import java.nio.charset.StandardCharsets;

/** Small helpers the parts share. */
public final class Support {

  private Support() {
  }

  /** Runs {@code action} now if on {@code ctx}, else on it. */
  public static void onContext(Context ctx, Runnable action) {
    if (Vertx.currentContext() == ctx) {
      action.run();
    } else {
      ctx.runOnContext(v -> action.run());
    }
  }

  /** Cancels a timer id unless it is -1 (none). */
  public static void cancelTimer(Vertx vertx, long id) {
    if (id >= 0) {
      vertx.cancelTimer(id);
    }
  }

  /** A monotonic clock in milliseconds. */
  public static long now() {
    return System.nanoTime() / 1_000_000;
  }

  /** A JSON value from a frame (null when absent). */
  public static Object decode(RawJson raw) {
    return raw == null ? null : Json.decodeValue(raw.json());
  }

  public static int utf8Length(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return s.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return s.length();
  }

  /** The first characters of an opaque id, for messages (ids are never shown in full). */
  public static String shortId(String id) {
    return id == null ? "none" : id.substring(0, Math.min(6, id.length())) + "…";
  }
}
