package io.tether.bench.rr;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client socket speaking the protocol correctly (PROTOCOL.md §2–§5): {@code hello}, then {@code request}
 * frames with client seqs 1, 2, 3, … on the odd streams 2·seq−1; server seqs checked for gaps and duplicates and
 * acked cumulatively (every {@link #ACK_EVERY} frames, and by the worker's timer); {@code pong} to {@code ping}.
 * Each request remembers its <em>intended</em> send time, so the latency recorded at its response includes any
 * time the request waited behind a slow client or server (coordinated-omission correction). All methods run on the
 * event loop of the {@link RrWorker} that opened it.
 */
final class RrConnection {

  private static final int ACK_EVERY = 100;
  /** Requests outstanding per socket that can be matched; far above the server's max-pending-requests (100). */
  private static final int RING = 1024;
  private static final int MAX_PRINTED_PROBLEMS = 10;
  private static final AtomicInteger printedProblems = new AtomicInteger();

  private final WebSocket ws;
  private final String clientId;
  private final String address;
  private final RrWorker.Group group;
  private final Promise<Void> welcomed = Promise.promise();
  private boolean closed;

  private long nextSeq = 1;
  /** Lowest client seq that may still be outstanding (everything below is answered or timed out). */
  private long oldestSeq = 1;
  private final long[] slotSeq = new long[RING];
  private final long[] slotIntended = new long[RING];
  private int outstanding;

  private long lastServerSeq;
  private long ackedSeq;

  RrConnection(WebSocket ws, String clientId, String address, RrWorker.Group group) {
    this.ws = ws;
    this.clientId = clientId;
    this.address = address;
    this.group = group;
    ws.textMessageHandler(this::onText);
    ws.exceptionHandler(err -> problem("socket error: " + err));
    ws.closeHandler(v -> onClosed());
  }

  Future<Void> hello() {
    ws.writeTextMessage("{\"type\":\"hello\",\"clientId\":\"" + clientId + "\"}");
    return welcomed.future();
  }

  int outstanding() {
    return outstanding;
  }

  /** Sends the next request, due at {@code intendedNanos} (now or earlier). */
  void send(long intendedNanos) {
    RoundStats stats = group.stats;
    if (closed) {
      stats.error("closed");
      return;
    }
    long seq = nextSeq++;
    int slot = (int) (seq % RING);
    if (slotSeq[slot] != 0) { // RING requests later and still no answer: a timeout by any measure
      expire(slot);
    }
    slotSeq[slot] = seq;
    slotIntended[slot] = intendedNanos;
    outstanding++;
    stats.sent++;
    // The body is a number and a fixed word: nothing to escape.
    ws.writeTextMessage("{\"type\":\"request\",\"seq\":" + seq + ",\"stream\":" + (2 * seq - 1) + ",\"address\":\""
      + address + "\",\"body\":{\"n\":" + seq + ",\"from\":\"rr\"}}");
  }

  /** Counts requests sent before {@code cutoffNanos} and still unanswered as timeouts; forgets them. */
  void expireOlderThan(long cutoffNanos) {
    while (oldestSeq < nextSeq) {
      int slot = (int) (oldestSeq % RING);
      if (slotSeq[slot] == oldestSeq) {
        if (slotIntended[slot] - cutoffNanos >= 0) {
          return;
        }
        expire(slot);
      }
      oldestSeq++;
    }
  }

  /** Counts every request still unanswered as a timeout; forgets them. */
  void expireAll() {
    for (int slot = 0; slot < RING; slot++) {
      if (slotSeq[slot] != 0) {
        expire(slot);
      }
    }
    oldestSeq = nextSeq;
  }

  void flushAck() {
    if (!closed && lastServerSeq > ackedSeq) {
      sendAck();
    }
  }

  /** Heartbeat, well within heartbeatMs (25 s), for the time this target sits idle while others are driven. */
  void ping() {
    if (!closed) {
      ws.writeTextMessage("{\"type\":\"ping\",\"ack\":" + lastServerSeq + "}");
      ackedSeq = lastServerSeq;
    }
  }

  Future<Void> bye() {
    if (closed) {
      return Future.succeededFuture();
    }
    closed = true;
    ws.writeTextMessage("{\"type\":\"bye\"}");
    return ws.close((short) 1000);
  }

  private void expire(int slot) {
    slotSeq[slot] = 0;
    outstanding--;
    group.stats.timeouts++;
  }

  private void onText(String text) {
    long now = System.nanoTime();
    group.lastFrameNanos = now;
    JsonObject frame = new JsonObject(text);
    Long seq = frame.getLong("seq");
    if (seq != null && seq > 0 && !acceptServerSeq(seq)) {
      return;
    }
    switch (frame.getString("type", "")) {
      case "welcome" -> welcomed.tryComplete();
      case "response" -> onResponse(frame, now);
      case "ping" -> {
        ws.writeTextMessage("{\"type\":\"pong\",\"ack\":" + lastServerSeq + "}");
        ackedSeq = lastServerSeq;
      }
      case "error" -> {
        Long refSeq = frame.getLong("refSeq");
        if (refSeq == null || take(refSeq)) { // an error naming no frame is a client fault: counted too
          group.stats.error(frame.getString("code", "error"));
        }
        problem(text);
      }
      case "bye", "reconnect" -> {
        group.stats.error(frame.getString("type"));
        problem(text);
      }
      default -> { } // ack, pong: the client keeps no buffer of its own frames beyond the pending requests
    }
  }

  private void onResponse(JsonObject frame, long now) {
    long stream = frame.getLong("stream", -1L);
    if (stream <= 0 || stream % 2 == 0) {
      return;
    }
    long requestSeq = (stream + 1) / 2;
    int slot = (int) (requestSeq % RING);
    if (slotSeq[slot] != requestSeq) {
      return; // already counted as a timeout (or never sent): a late answer does not count twice
    }
    long intended = slotIntended[slot];
    take(requestSeq);
    RoundStats stats = group.stats;
    if (frame.getBoolean("ok", false)) {
      stats.ok++;
      stats.recordLatency(now - intended);
      stats.lastResponseNanos = Math.max(stats.lastResponseNanos, now);
    } else {
      JsonObject error = frame.getJsonObject("error");
      stats.error(error == null ? "ok_false" : error.getString("code", "ok_false"));
      problem("request failed: " + frame.encode());
    }
  }

  /** @return true if {@code requestSeq} was outstanding (it no longer is) */
  private boolean take(long requestSeq) {
    int slot = (int) (requestSeq % RING);
    if (slotSeq[slot] != requestSeq) {
      return false;
    }
    slotSeq[slot] = 0;
    outstanding--;
    return true;
  }

  /** @return false for a duplicate, which the protocol says to drop (and ack again) */
  private boolean acceptServerSeq(long seq) {
    if (seq <= lastServerSeq) {
      group.stats.dups++;
      sendAck();
      return false;
    }
    if (seq != lastServerSeq + 1) {
      group.stats.gaps++;
      problem("gap: expected seq " + (lastServerSeq + 1) + ", got " + seq);
    }
    lastServerSeq = seq;
    if (lastServerSeq - ackedSeq >= ACK_EVERY) {
      sendAck();
    }
    return true;
  }

  private void onClosed() {
    if (closed) {
      return;
    }
    closed = true;
    welcomed.tryFail("closed before welcome");
    problem("socket closed by server (code " + ws.closeStatusCode() + ")");
    group.stats.error("closed");
  }

  private void sendAck() {
    ws.writeTextMessage("{\"type\":\"ack\",\"ack\":" + lastServerSeq + "}");
    ackedSeq = lastServerSeq;
  }

  private void problem(String what) {
    if (printedProblems.incrementAndGet() <= MAX_PRINTED_PROBLEMS) {
      System.out.println("PROBLEM " + clientId + ": " + what);
    }
  }
}
