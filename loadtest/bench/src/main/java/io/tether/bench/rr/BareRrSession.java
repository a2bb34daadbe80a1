package io.tether.bench.rr;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection of {@link BareRrServer}; all methods run on the connection's event loop. A request goes to its
 * address on the event bus with the same headers the gateway adds (client, session, request id, stream) and the
 * same 30 s timeout and the same bound of open requests per connection; the reply body, or the failure, becomes
 * the stream's {@code response}, encoded through {@code JsonObject} as a real server would.
 */
final class BareRrSession {

  private static final AtomicLong SESSION_IDS = new AtomicLong();
  private static final long REQUEST_TIMEOUT_MS = 30_000;
  /**
   * As the gateway's default --max-pending-requests: beyond this many requests open on a connection, a request is
   * answered {@code rate_limited} at once. Without it an overloaded bare server queues without bound, and its
   * backlog makes every later round time out (seen on a loaded machine), which no real server would allow either.
   */
  private static final int MAX_PENDING = 100;

  private final EventBus bus;
  private final ServerWebSocket ws;
  private final String sessionId = "bare-" + SESSION_IDS.incrementAndGet();
  private String clientId = "";
  private long nextSeq = 1;
  private long lastClientSeq;
  private int pending;

  BareRrSession(EventBus bus, ServerWebSocket ws) {
    this.bus = bus;
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
      case "hello" -> {
        clientId = frame.getString("clientId", "");
        ws.writeTextMessage(welcome());
      }
      case "request" -> onRequest(frame);
      case "ping" -> ws.writeTextMessage(new JsonObject().put("type", "pong").put("ack", lastClientSeq).encode());
      default -> { } // ack, pong, bye: nothing is buffered here, so nothing to do
    }
  }

  private String welcome() {
    return new JsonObject()
      .put("type", "welcome").put("sessionId", sessionId).put("resumeToken", "bare")
      .put("heartbeatMs", 25_000).put("resumeWindowMs", 120_000).put("node", "bare")
      .encode();
  }

  private void onRequest(JsonObject request) {
    long seq = request.getLong("seq", 0L);
    lastClientSeq = Math.max(lastClientSeq, seq);
    long stream = request.getLong("stream", 1L);
    if (pending >= MAX_PENDING) {
      ws.writeTextMessage(new JsonObject().put("type", "response").put("seq", nextSeq++).put("stream", stream)
        .put("ok", false).put("error", new JsonObject().put("code", "rate_limited")
          .put("message", "too many requests open (max " + MAX_PENDING + ")"))
        .put("fin", true).encode());
      return;
    }
    pending++;
    DeliveryOptions delivery = new DeliveryOptions()
      .setSendTimeout(REQUEST_TIMEOUT_MS)
      .addHeader("gateway.clientId", clientId)
      .addHeader("gateway.sessionId", sessionId)
      .addHeader("gateway.requestId", sessionId + ":" + seq)
      .addHeader("gateway.stream", Long.toString(stream));
    bus.request(request.getString("address", ""), request.getValue("body"), delivery).onComplete(ar -> {
      pending--;
      JsonObject response = new JsonObject().put("type", "response").put("seq", nextSeq++).put("stream", stream);
      if (ar.succeeded()) {
        response.put("ok", true).put("body", ar.result().body());
      } else {
        response.put("ok", false).put("error", new JsonObject().put("code", code(ar.cause()))
          .put("message", String.valueOf(ar.cause().getMessage())));
      }
      ws.writeTextMessage(response.put("fin", true).encode());
    });
  }

  private static String code(Throwable cause) {
    if (cause instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return "no_handler";
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return "timeout";
      }
    }
    return "backend_error";
  }
}
