package io.tether.gateway.management;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The API key that guards {@code /admin/*} and {@code /api/*} on the management port (docs/PROTOCOL.md §10). A call
 * carries it as {@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}. Without a configured key both are
 * off (404 saying how to turn them on); a missing or wrong key is 401 with {@code WWW-Authenticate}.
 *
 * <p>The key is compared in constant time on SHA-256 digests of both sides, so neither the content nor the length
 * of the configured key shows in the time a guess takes. The key itself is kept only as that digest and is never
 * written to a log, a response or a metric.
 */
final class ManagementAuth {

  static final String OFF = "the management API (/admin/*, /api/*) is off: start the node with --api-key <key> "
      + "(or TETHER_API_KEY), at least 16 characters";
  static final String REFUSED = "missing or wrong API key: send Authorization: Bearer <key> (or X-API-Key: <key>)";

  /** SHA-256 of the configured key, or null: no key, /admin and /api are off. */
  private final byte[] keyDigest;

  ManagementAuth(String apiKey) {
    this.keyDigest = apiKey == null ? null : sha256(apiKey);
  }

  boolean enabled() {
    return keyDigest != null;
  }

  /**
   * True if {@code req} carries the configured key; otherwise answers it (404 when off, 401 when refused) and
   * returns false.
   */
  boolean admit(HttpServerRequest req) {
    if (keyDigest == null) {
      ManagementServer.json(req, 404, new JsonObject().put("error", OFF));
      return false;
    }
    String given = presented(req);
    // Digests of both sides: equal lengths whatever was sent, and MessageDigest.isEqual does not stop early.
    if (given != null && MessageDigest.isEqual(keyDigest, sha256(given))) {
      return true;
    }
    req.response().putHeader("WWW-Authenticate", "Bearer realm=\"tether-management\"");
    ManagementServer.json(req, 401, new JsonObject().put("error", REFUSED));
    return false;
  }

  /** The key the request presents: X-API-Key, else the Bearer credential of Authorization, else null. */
  private static String presented(HttpServerRequest req) {
    String given = req.getHeader("X-API-Key");
    String auth = req.getHeader("Authorization");
    if (given == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      given = auth.substring(7).trim();
    }
    return given;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }
}
