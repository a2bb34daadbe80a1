package io.tether.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client socket behaving like a correct protocol client: it checks that server seqs run 1, 2, 3, …
 * without gaps, drops duplicates, acks cumulatively and answers pings. All methods run on the event loop
 * of the {@link ClientWorker} that opened it, so no field needs synchronisation.
 */
final class BenchConnection {

  /** Enough examples to diagnose a failure without flooding the output when 1000 sockets fail alike. */
  private static final int MAX_PRINTED_PROBLEMS = 10;
  private static final AtomicInteger printedProblems = new AtomicInteger();

  private final WebSocket ws;
  private final String clientId;
  private final Promise<Void> welcomed = Promise.promise();
  private final ServerSeqs seqs;

  private Round round;
  private Tally tally = new Tally();
  private int pushes;
  private boolean responded;

  BenchConnection(WebSocket ws, String clientId) {
    this.ws = ws;
    this.clientId = clientId;
    this.seqs = new ServerSeqs(ws);
    ws.textMessageHandler(this::onText);
    ws.exceptionHandler(err -> problem("socket error: " + err));
    ws.closeHandler(v -> onClosed());
  }

  /** Sends {@code hello}; completes when the {@code welcome} arrives. */
  Future<Void> hello() {
    ws.writeTextMessage(ClientFrames.hello(clientId));
    return welcomed.future();
  }

  void startRound(Round next) {
    round = next;
    tally = new Tally();
    pushes = 0;
    responded = false;
    if (seqs.closed()) {
      tally.errors++;
      finishRound();
      return;
    }
    ws.writeTextMessage(ClientFrames.pushRequest(next.seq, next.stream, next.count));
  }

  Tally tally() {
    return tally;
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
    if (seq != null && !acceptSeq(seq)) {
      return;
    }
    switch (frame.getString("type", "")) {
      case "welcome" -> welcomed.tryComplete();
      case "push" -> onPush(frame, seq);
      case "response" -> onResponse(frame);
      case "ping" -> seqs.pong();
      case "error", "bye", "reconnect" -> {
        if (round != null) {
          tally.errors++;
        }
        problem(text);
      }
      default -> { } // ack, pong: the client keeps no buffer, so the server's acks need no action
    }
  }

  /** @return false for a duplicate, which the protocol says to drop (and ack again) */
  private boolean acceptSeq(long seq) {
    long expected = seqs.lastSeq() + 1;
    switch (seqs.accept(seq)) {
      case DUPLICATE -> {
        tally.dups++;
        return false;
      }
      case GAP -> {
        tally.gaps++;
        problem("gap: expected seq " + expected + ", got " + seq);
      }
      default -> { }
    }
    return true;
  }

  private void onPush(JsonObject frame, Long seq) {
    if (round == null || frame.getInteger("stream", -1) != 0) {
      return;
    }
    if (seq == null) {
      tally.errors++;
      problem("volatile push although qos 1 was requested: " + frame.encode());
      return;
    }
    tally.delivered++;
    pushes++;
    checkRoundDone();
  }

  private void onResponse(JsonObject frame) {
    if (round == null || frame.getInteger("stream", -1) != round.stream || responded) {
      return;
    }
    responded = true;
    if (!frame.getBoolean("ok", false)) {
      tally.errors++;
      problem("request failed: " + frame.encode());
      // Pushes will not all come; waiting for them would only run into the timeout.
      finishRound();
      return;
    }
    checkRoundDone();
  }

  private void checkRoundDone() {
    if (responded && pushes >= round.count) {
      finishRound();
    }
  }

  private void finishRound() {
    Round done = round;
    round = null;
    done.connectionDone();
  }

  private void onClosed() {
    if (!seqs.close()) {
      return;
    }
    welcomed.tryFail("closed before welcome");
    problem("socket closed by server (code " + ws.closeStatusCode() + ")");
    if (round != null) {
      tally.errors++;
      finishRound();
    }
  }

  private void problem(String what) {
    if (printedProblems.incrementAndGet() <= MAX_PRINTED_PROBLEMS) {
      System.out.println("PROBLEM " + clientId + ": " + what);
    }
  }
}
