package io.tether.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;

/** The publisher socket: pipelined demo.publish requests; all methods run on loop 0. */
final class NotifyPublisher {
  private final String topic;
  private WebSocket ws;
  private String clientId;
  private final Promise<Void> welcomed = Promise.promise();
  private boolean closed;
  private long nextClientSeq = 1;
  private long lastSeq;
  private long ackedSeq;
  private NotifyRound round;
  private int sent;
  private int answered;
  private long maxVersion;
  private Runnable onAllAnswered;

  NotifyPublisher(String topic) {
    this.topic = topic;
  }

  Future<Void> open(WebSocket socket, String id) {
    ws = socket;
    clientId = id;
    ws.textMessageHandler(this::onText);
    ws.exceptionHandler(err -> NotifyLoadClient.problem(clientId, "socket error: " + err));
    ws.closeHandler(v -> {
      if (!closed) {
        closed = true;
        NotifyLoadClient.problem(clientId, "publisher closed by the server (code " + ws.closeStatusCode() + ")");
        welcomed.tryFail("closed");
      }
    });
    ws.writeTextMessage(ClientFrames.hello(clientId));
    return welcomed.future();
  }

  void startRound(NotifyRound next, int window, Runnable allAnswered) {
    round = next;
    sent = 0;
    answered = 0;
    maxVersion = 0;
    onAllAnswered = allAnswered;
    while (sent < next.publishes && sent < window) {
      sendOne();
    }
  }

  void ping() {
    if (!closed && ws != null) {
      ws.writeTextMessage(ClientFrames.ping(lastSeq));
      ackedSeq = lastSeq;
    }
  }

  Future<Void> bye() {
    if (closed || ws == null) {
      return Future.succeededFuture();
    }
    closed = true;
    ws.writeTextMessage(ClientFrames.bye());
    return ws.close((short) 1000);
  }

  private void sendOne() {
    long seq = nextClientSeq++;
    sent++;
    ws.writeTextMessage("{\"type\":\"request\",\"seq\":" + seq + ",\"stream\":" + (2 * seq - 1)
      + ",\"address\":\"demo.publish\",\"body\":{\"topic\":\"" + topic + "\",\"body\":{\"r\":" + round.number
      + ",\"i\":" + sent + "}}}");
  }

  private void onText(String text) {
    JsonObject frame = new JsonObject(text);
    Long seq = frame.getLong("seq");
    if (seq != null && seq > lastSeq) {
      lastSeq = seq;
      if (lastSeq - ackedSeq >= 32) {
        ws.writeTextMessage(ClientFrames.ack(lastSeq));
        ackedSeq = lastSeq;
      }
    }
    switch (frame.getString("type", "")) {
      case "welcome" -> welcomed.tryComplete();
      case "response" -> onResponse(frame);
      case "ping" -> {
        ws.writeTextMessage(ClientFrames.pong(lastSeq));
        ackedSeq = lastSeq;
      }
      case "error", "bye", "reconnect" -> NotifyLoadClient.problem(clientId, text);
      default -> { }
    }
  }

  private void onResponse(JsonObject frame) {
    if (round == null) {
      return;
    }
    answered++;
    if (!frame.getBoolean("ok", false)) {
      round.publishErrors.incrementAndGet();
      NotifyLoadClient.problem(clientId, "publish failed: " + text(frame));
    } else {
      JsonObject body = frame.getJsonObject("body");
      maxVersion = Math.max(maxVersion, body == null ? 0 : body.getLong("version", 0L));
    }
    if (sent < round.publishes) {
      sendOne();
    }
    if (answered == round.publishes) {
      ws.writeTextMessage(ClientFrames.ack(lastSeq));
      ackedSeq = lastSeq;
      round.publishDone = System.nanoTime();
      round.finalVersion = maxVersion;
      onAllAnswered.run();
    }
  }

  private static String text(JsonObject frame) {
    return frame.encode();
  }
}
