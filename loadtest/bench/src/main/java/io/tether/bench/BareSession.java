package io.tether.bench;

import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection of {@link BareWsServer}. All methods run on the connection's event loop.
 * Pushes honour {@code writeQueueFull()} and resume on {@code drainHandler}, so a slow client never
 * makes the server queue without bound; that is the minimum any real server must do too.
 */
final class BareSession {

  private static final AtomicLong SESSION_IDS = new AtomicLong();

  private final ServerWebSocket ws;
  /** Server→client reliable seq: pushes and responses share one sequence, starting at 1. */
  private long nextSeq = 1;
  private long lastClientSeq;

  BareSession(ServerWebSocket ws) {
    this.ws = ws;
  }

  void attach() {
    ws.textMessageHandler(this::onText);
    ws.exceptionHandler(err -> ws.close());
  }

  private void onText(String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (RuntimeException malformed) {
      ws.writeTextMessage(new JsonObject().put("type", "error").put("code", "bad_frame").put("fatal", false).encode());
      return;
    }
    switch (frame.getString("type", "")) {
      case "hello" -> ws.writeTextMessage(welcome());
      // No session to resume: the same answer for any id, so a reconnect storm costs only the sockets and handshakes.
      case "resume" -> ws.writeTextMessage(new JsonObject().put("type", "resumed")
        .put("sessionId", frame.getString("sessionId", "bare")).put("resumeToken", "bare").put("lastSeq", 0)
        .put("node", "bare").encode());
      case "request" -> onRequest(frame);
      case "ping" -> ws.writeTextMessage(new JsonObject().put("type", "pong").put("ack", lastClientSeq).encode());
      default -> { } // ack, pong and anything else: nothing is buffered here, so nothing to do
    }
  }

  private static String welcome() {
    return new JsonObject()
      .put("type", "welcome")
      .put("sessionId", "bare-" + SESSION_IDS.incrementAndGet())
      .put("resumeToken", "bare")
      .put("heartbeatMs", 25_000)
      .put("resumeWindowMs", 120_000)
      .put("node", "bare")
      .encode();
  }

  private void onRequest(JsonObject request) {
    lastClientSeq = Math.max(lastClientSeq, request.getLong("seq", 0L));
    int stream = request.getInteger("stream", 1);
    JsonObject body = request.getJsonObject("body", new JsonObject());
    if (!"demo.push".equals(request.getString("address"))) {
      ws.writeTextMessage(new JsonObject()
        .put("type", "response").put("seq", nextSeq++).put("stream", stream).put("ok", false)
        .put("error", new JsonObject().put("code", "no_handler").put("message", "bare server only knows demo.push"))
        .put("fin", true)
        .encode());
      return;
    }
    int count = body.getInteger("count", 0);
    pushThenRespond(count, count, stream);
  }

  /** Writes pushes until the write queue is full, then continues from the drain handler. */
  private void pushThenRespond(int remaining, int count, int stream) {
    while (remaining > 0 && !ws.writeQueueFull()) {
      long seq = nextSeq++;
      // Encoded through JsonObject like a real server would, so the baseline includes JSON encoding.
      ws.writeTextMessage(new JsonObject()
        .put("type", "push").put("seq", seq).put("stream", 0).put("body", new JsonObject().put("n", seq))
        .encode());
      remaining--;
    }
    if (remaining > 0) {
      int left = remaining;
      ws.drainHandler(v -> pushThenRespond(left, count, stream));
      return;
    }
    ws.drainHandler(null);
    ws.writeTextMessage(new JsonObject()
      .put("type", "response").put("seq", nextSeq++).put("stream", stream).put("ok", true)
      .put("body", new JsonObject().put("sent", count)).put("fin", true)
      .encode());
  }
}
