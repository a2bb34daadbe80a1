package io.tether.gateway.management;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.logging.Logger;

/**
 * One console event stream: a {@code text/event-stream} response that stays open (docs/OPERATIONS.md "Console").
 * Events go straight to the socket while it is writable; while it is not (the console reads slower than events come),
 * they wait in a queue of at most {@code maxQueued}. One more and the console is dropped: it gets a last
 * {@code closing} event with reason {@code slow_consumer}, the response ends, and the connection is closed
 * {@link #CLOSE_GRACE_MS} later if the console still has not read that far. So a slow console costs at most its queue
 * plus the response's write buffer, and never slows the node or the other consoles.
 *
 * <p>Runs on the management server's event loop only (its requests, the presence consumer and its timers).
 */
final class ConsoleStream {

  private static final Logger LOG = Logger.getLogger(ConsoleStream.class.getName());
  /** Bytes the response may hold in its write buffer before it counts as not writable. */
  static final int WRITE_BUFFER_BYTES = 64 * 1024;
  /** How long a dropped console has to read its last event before its connection is closed under it. */
  static final long CLOSE_GRACE_MS = 2_000;

  private final Vertx vertx;
  private final HttpServerRequest req;
  private final HttpServerResponse resp;
  private final int maxQueued;
  private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
  private final Runnable onSlowConsumer;
  private boolean closed;

  /**
   * Starts the response; {@code onEnd} runs once when the stream ends for any reason, {@code onSlowConsumer} when it
   * is dropped for reading too slowly.
   */
  ConsoleStream(Vertx vertx, HttpServerRequest req, int maxQueued, Runnable onEnd, Runnable onSlowConsumer) {
    this.vertx = vertx;
    this.req = req;
    this.resp = req.response();
    this.maxQueued = maxQueued;
    this.onSlowConsumer = onSlowConsumer;
    resp.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .putHeader("X-Accel-Buffering", "no")
        .putHeader("X-Content-Type-Options", "nosniff");
    resp.setWriteQueueMaxSize(WRITE_BUFFER_BYTES);
    resp.drainHandler(v -> drain());
    boolean[] ended = {false};
    Runnable end = () -> {
      if (!ended[0]) {
        ended[0] = true;
        closed = true;
        queue.clear();
        onEnd.run();
      }
    };
    resp.closeHandler(v -> end.run());
    resp.endHandler(v -> end.run());
    resp.exceptionHandler(e -> end.run());
  }

  /** An event in the text/event-stream format: {@code event: <name>}, one {@code data:} line (JSON has no newline). */
  static Buffer event(String name, JsonObject data) {
    return Buffer.buffer("event: " + name + "\ndata: " + data.encode() + "\n\n");
  }

  boolean closed() {
    return closed;
  }

  int queued() {
    return queue.size();
  }

  /** Sends {@code event} now, or queues it while the socket is not writable; drops the console if the queue is full. */
  void send(Buffer event) {
    if (closed) {
      return;
    }
    if (queue.isEmpty() && !resp.writeQueueFull()) {
      resp.write(event);
      return;
    }
    if (queue.size() >= maxQueued) {
      drop();
      return;
    }
    queue.add(event);
  }

  private void drain() {
    while (!closed && !queue.isEmpty() && !resp.writeQueueFull()) {
      resp.write(queue.poll());
    }
  }

  /**
   * The console reads too slowly: the events it has not got are discarded, it gets a last event saying why, and the
   * stream ends. That last event is written past the write buffer's bound (one short event); a console that never
   * reads it loses its connection after the grace period.
   */
  private void drop() {
    int waiting = queue.size();
    closed = true;
    queue.clear();
    onSlowConsumer.run();
    LOG.info(() -> "console stream from " + req.remoteAddress() + " dropped: it read too slowly (" + waiting
        + " events waiting, console-queue-events " + maxQueued + ")");
    resp.end(event("closing", new JsonObject().put("reason", "slow_consumer")
        .put("message", "this console read events too slowly (" + waiting + " waiting); reload to resume")));
    vertx.setTimer(CLOSE_GRACE_MS, t -> req.connection().close());
  }

  /** Ends the stream with a last event (the node stops). */
  void close(String reason) {
    if (!closed) {
      closed = true;
      queue.clear();
      resp.end(event("closing", new JsonObject().put("reason", reason)));
    }
  }
}
