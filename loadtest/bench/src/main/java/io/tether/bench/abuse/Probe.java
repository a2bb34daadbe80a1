package io.tether.bench.abuse;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One attacker socket: what the node answered to the upgrade (101 or an HTTP status), then every frame it sent and
 * the close code. Callbacks run on the socket's event loop; {@link #closed()} and {@link #next(String)} complete there.
 */
final class Probe {

  /** The upgrade's HTTP status when it was refused (403, 429, 503, …); 101 when a WebSocket opened; -1 on I/O error. */
  final int status;
  final WebSocket ws;
  private final List<JsonObject> frames = new CopyOnWriteArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final Promise<Integer> closed = Promise.promise();

  private record Waiter(List<String> types, Promise<JsonObject> promise) {
  }

  private Probe(int status, WebSocket ws) {
    this.status = status;
    this.ws = ws;
    if (ws != null) {
      ws.textMessageHandler(this::onText);
      ws.closeHandler(v -> onClose());
      ws.exceptionHandler(e -> { });
    } else {
      closed.tryComplete(-1);
    }
  }

  private synchronized void onClose() {
    Short code = ws.closeStatusCode();
    closed.tryComplete(code == null ? 1006 : (int) code);
    List<Waiter> pending = new ArrayList<>(waiters);
    waiters.clear();
    for (Waiter w : pending) {
      w.promise.tryFail("closed before " + w.types);
    }
  }

  /** Opens a socket; never fails: a refused upgrade is a Probe with that status. */
  static Future<Probe> open(Target target, String localAddress, String origin) {
    return target.connect(localAddress, origin).map(ws -> new Probe(101, ws))
        .recover(e -> Future.succeededFuture(new Probe(e instanceof UpgradeRejectedException r ? r.getStatus() : -1,
            null)));
  }

  boolean open() {
    return ws != null;
  }

  Probe send(JsonObject frame) {
    return sendText(frame.encode());
  }

  Probe sendText(String text) {
    if (ws != null && !ws.isClosed()) {
      ws.writeTextMessage(text);
    }
    return this;
  }

  Probe sendBinary(Buffer b) {
    if (ws != null && !ws.isClosed()) {
      ws.writeBinaryMessage(b);
    }
    return this;
  }

  /**
   * The next frame of one of {@code types} (or one already received and not taken yet); fails if the socket closes
   * first.
   */
  synchronized Future<JsonObject> next(String... types) {
    List<String> wanted = List.of(types);
    for (JsonObject f : frames) {
      if (wanted.contains(f.getString("type"))) {
        frames.remove(f);
        return Future.succeededFuture(f);
      }
    }
    if (closed.future().isComplete()) {
      return Future.failedFuture("closed before " + wanted);
    }
    Promise<JsonObject> p = Promise.promise();
    waiters.add(new Waiter(wanted, p));
    return p.future();
  }

  /** The first frame of one of {@code types}, or null when the socket closes first. */
  Future<JsonObject> nextOrClose(String... types) {
    return next(types).recover(e -> Future.succeededFuture(null));
  }

  /** An error frame's code, or null for any other frame or none. */
  static String errorCode(JsonObject f) {
    return f != null && "error".equals(f.getString("type")) ? f.getString("code") : null;
  }

  /** The close code: 1008, 1009, …; 1006 when the socket dropped without one; -1 when it never opened. */
  Future<Integer> closed() {
    return closed.future();
  }

  /** Received and not yet taken by {@link #next(String)}. */
  List<JsonObject> frames() {
    return frames;
  }

  Future<Void> close() {
    return ws == null || ws.isClosed() ? Future.succeededFuture() : ws.close((short) 1000);
  }

  private synchronized void onText(String text) {
    JsonObject f;
    try {
      f = new JsonObject(text);
    } catch (RuntimeException e) {
      f = new JsonObject().put("type", "unparsable").put("text", text);
    }
    for (Waiter w : waiters) {
      if (w.types.contains(f.getString("type"))) {
        waiters.remove(w);
        w.promise.complete(f);
        return;
      }
    }
    frames.add(f);
    if ("ping".equals(f.getString("type"))) {
      sendText("{\"type\":\"pong\",\"ack\":0}");
    }
  }

  static JsonObject hello(String clientId, String token) {
    JsonObject h = new JsonObject().put("type", "hello").put("clientId", clientId);
    return token == null ? h : h.put("token", token);
  }
}
