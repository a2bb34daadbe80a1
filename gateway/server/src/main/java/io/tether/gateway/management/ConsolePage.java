package io.tether.gateway.management;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The console's page ({@code GET /console}): plain HTML, CSS and JavaScript from the jar, read once at start (off the
 * event loop) and served from memory. The page holds no data and no secret: it asks the operator for the API key
 * and sends it as a Bearer header on every call it makes (docs/OPERATIONS.md "Console"), so the page itself is served
 * without the key, but only on a node that has one (like /admin: off without a key).
 *
 * <p>Strict headers: a Content-Security-Policy that allows only the page's own script, style and calls (no inline
 * script, no other origin), no framing (clickjacking), no referrer, no caching. The page writes every value it shows
 * as text, never as HTML: presence attrs are whatever clients sent.
 */
final class ConsolePage {

  static final String PATH = "/console";
  private static final String RESOURCES = "/io/tether/gateway/management/console/";
  private static final String JS = "text/javascript; charset=utf-8";
  /**
   * The JavaScript SDK's modules (gateway/client-js/src, copied into the jar by the build, file-store.js left out:
   * Node only) that the test client imports; {@code ConsoleSdkFilesTest} keeps this list equal to that folder.
   */
  static final List<String> SDK_FILES = List.of("backoff.js", "channel.js", "client.js", "connector.js",
      "emitter.js", "errors.js", "index.js", "indexeddb-store.js", "options.js", "requests.js", "socket.js",
      "store.js", "topics.js");
  private static final Map<String, String> FILES = files();
  /**
   * Only the page's own scripts and styles; calls to this port, and WebSockets (the test client's session, on the
   * node's client port, another origin).
   */
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; "
      + "img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

  private final Map<String, Buffer> content = new HashMap<>();

  private static Map<String, String> files() {
    Map<String, String> files = new HashMap<>(Map.of(
        "index.html", "text/html; charset=utf-8",
        "console.js", JS,
        "test-client.js", JS,
        "console.css", "text/css; charset=utf-8"));
    for (String f : SDK_FILES) {
      files.put("sdk/" + f, JS);
    }
    return Map.copyOf(files);
  }

  /** Reads the page's files from the class path on a worker thread. */
  Future<Void> load(Vertx vertx) {
    return vertx.executeBlocking(() -> {
      Map<String, Buffer> read = new HashMap<>();
      for (String name : FILES.keySet()) {
        try (InputStream in = ConsolePage.class.getResourceAsStream(RESOURCES + name)) {
          if (in == null) {
            throw new IllegalStateException("the console page's " + name + " is missing from the jar");
          }
          read.put(name, Buffer.buffer(in.readAllBytes()));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return read;
    }, false).map(read -> {
      content.putAll(read);
      return null;
    });
  }

  /** True if {@code path} is the page or one of its files. */
  static boolean serves(String path) {
    return path.equals(PATH) || path.startsWith(PATH + "/");
  }

  void handle(HttpServerRequest req) {
    String path = req.path();
    String name = path.equals(PATH) || path.equals(PATH + "/") ? "index.html" : path.substring(PATH.length() + 1);
    Buffer body = content.get(name);
    if (body == null) {
      ManagementServer.json(req, 404, new io.vertx.core.json.JsonObject().put("error", "not found")
          .put("path", path));
      return;
    }
    HttpServerResponse resp = req.response();
    resp.putHeader("Content-Type", FILES.get(name))
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cache-Control", "no-store")
        .end(body);
  }
}
