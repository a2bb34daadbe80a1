package io.tether.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;

/** A subscriber socket; all methods run on its event loop. */
final class NotifySubscriber {
  private final WebSocket ws;
  private final String clientId;
  private final Promise<Void> subscribed = Promise.promise();
  private boolean welcomed;
  private final ServerSeqs seqs;
  /** Highest version received, across rounds. */
  private long lastVersion;
  private NotifyRound round;
  long received;
  long violations;
  long skipped;
  boolean done;

  NotifySubscriber(WebSocket ws, String clientId) {
    this.ws = ws;
    this.clientId = clientId;
    this.seqs = new ServerSeqs(ws);
    ws.textMessageHandler(this::onText);
    ws.exceptionHandler(err -> NotifyLoadClient.problem(clientId, "socket error: " + err));
    ws.closeHandler(v -> {
      if (seqs.close()) {
        violations++;
        NotifyLoadClient.problem(clientId, "closed by the server (code " + ws.closeStatusCode() + ")");
        subscribed.tryFail("closed");
        finish();
      }
    });
  }

  /** hello, then subscribe (client seq 1); completes when the server acks the subscribe. */
  Future<Void> subscribe(String topic) {
    ws.writeTextMessage(ClientFrames.hello(clientId));
    ws.writeTextMessage("{\"type\":\"subscribe\",\"seq\":1,\"topic\":\"" + topic + "\",\"version\":0}");
    return subscribed.future();
  }

  void startRound(NotifyRound next) {
    round = next;
    received = 0;
    violations = 0;
    skipped = 0;
    done = seqs.closed();
    if (seqs.closed()) {
      violations++;
      next.subscriberDone();
    }
  }

  void checkDone() {
    if (round != null && !done && lastVersion >= round.finalVersion) {
      finish();
    }
  }

  private void finish() {
    if (round != null && !done) {
      done = true;
      round.subscriberDone();
    }
  }

  void flushAck() {
    seqs.flushAck();
  }

  void ping() {
    seqs.ping();
  }

  Future<Void> bye() {
    return seqs.bye();
  }

  private void onText(String text) {
    JsonObject frame = new JsonObject(text);
    Long seq = frame.getLong("seq");
    if (seq != null && seq > 0) {
      long expected = seqs.lastSeq() + 1;
      switch (seqs.accept(seq)) {
        case DUPLICATE -> {
          violations++;
          return;
        }
        case GAP -> {
          violations++;
          NotifyLoadClient.problem(clientId, "gap: expected seq " + expected + ", got " + seq);
        }
        default -> { }
      }
    }
    switch (frame.getString("type", "")) {
      case "welcome" -> welcomed = true;
      case "ack" -> {
        if (welcomed && frame.getLong("ack", 0L) >= 1) {
          subscribed.tryComplete();
        }
      }
      case "notify" -> onNotify(frame.getLong("version", 0L));
      case "ping" -> seqs.pong();
      case "error", "bye", "reconnect" -> {
        violations++;
        NotifyLoadClient.problem(clientId, text);
        subscribed.tryFail(text);
      }
      default -> { }
    }
  }

  private void onNotify(long version) {
    if (version <= lastVersion) {
      violations++;
      NotifyLoadClient.problem(clientId, "version " + version + " after " + lastVersion);
      return;
    }
    if (round != null && !done && version > lastVersion + 1) {
      skipped += version - lastVersion - 1;
    }
    lastVersion = version;
    if (round != null && !done) {
      received++;
      checkDone();
    }
  }

}
