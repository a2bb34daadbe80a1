package io.tether.bench;

import io.vertx.core.Future;
import io.vertx.core.http.WebSocket;

/**
 * The client half of the reliable channel that the bench's load clients share: server seqs taken in order,
 * cumulative acks (at least every {@link #ACK_EVERY} frames, and on the client's timer for a burst's tail), pings and
 * pongs carrying the ack, and a clean {@code bye}. Runs on the socket's event loop only.
 */
final class ServerSeqs {

  /** Ack at least this often: the server keeps at most 1000 unacked frames per session (PROTOCOL.md §3). */
  static final int ACK_EVERY = 100;

  /** What {@link #accept} made of a server seq. */
  enum Verdict { NEXT, GAP, DUPLICATE }

  private final WebSocket ws;
  private boolean closed;
  /** Highest server seq received; everything up to it is in hand (gaps are counted, not waited for). */
  private long lastSeq;
  private long ackedSeq;

  ServerSeqs(WebSocket ws) {
    this.ws = ws;
  }

  long lastSeq() {
    return lastSeq;
  }

  boolean closed() {
    return closed;
  }

  /** Marks the socket closed; false if it already was. */
  boolean close() {
    boolean was = closed;
    closed = true;
    return !was;
  }

  /**
   * Takes server seq {@code seq}: a duplicate (the protocol says drop it and ack again) is acked and not taken; a gap
   * is taken (and reported to the caller); an ack goes out every {@link #ACK_EVERY} frames.
   */
  Verdict accept(long seq) {
    if (seq <= lastSeq) {
      sendAck();
      return Verdict.DUPLICATE;
    }
    Verdict verdict = seq == lastSeq + 1 ? Verdict.NEXT : Verdict.GAP;
    lastSeq = seq;
    if (lastSeq - ackedSeq >= ACK_EVERY) {
      sendAck();
    }
    return verdict;
  }

  /** Timer-driven ack, so the tail of a burst (fewer than {@link #ACK_EVERY} frames) is acked too. */
  void flushAck() {
    if (!closed && lastSeq > ackedSeq) {
      sendAck();
    }
  }

  /** Heartbeat: the protocol wants a ping after heartbeatMs of silence; the client's timer calls this well before. */
  void ping() {
    if (!closed) {
      ws.writeTextMessage(ClientFrames.ping(lastSeq));
      ackedSeq = lastSeq;
    }
  }

  /** Answers the server's ping. */
  void pong() {
    ws.writeTextMessage(ClientFrames.pong(lastSeq));
    ackedSeq = lastSeq;
  }

  /** Ends the session cleanly so a gateway frees it at once instead of keeping it resumable. */
  Future<Void> bye() {
    if (!close()) {
      return Future.succeededFuture();
    }
    ws.writeTextMessage(ClientFrames.bye());
    return ws.close((short) 1000);
  }

  private void sendAck() {
    ws.writeTextMessage(ClientFrames.ack(lastSeq));
    ackedSeq = lastSeq;
  }
}
