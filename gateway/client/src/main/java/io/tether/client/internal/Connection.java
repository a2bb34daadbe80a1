package io.tether.client.internal;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One socket attempt of the {@link Connector}: the WebSocket, how far it got ({@link Phase}), its handshake deadline
 * and its heartbeat. Once {@link #kill killed} nothing it delivers is looked at again.
 */
final class Connection implements Link {

  private static final Logger LOG = Logger.getLogger(Connection.class.getName());
  /** Heartbeat checks run this often at most (and at least every heartbeat/4). */
  private static final long MAX_TICK_MS = 1_000;

  /** Whether the attempt starts a session or resumes one. */
  enum Mode { HELLO, RESUME }

  enum Phase { CONNECTING, HANDSHAKE, ONLINE, DEAD }

  /** What the socket delivers, for the connector to act on. */
  record Events(BiConsumer<Connection, String> text, Consumer<Connection> binary, Closed closed) {
  }

  /** The socket closed, with the close frame's status and reason if there was one. */
  interface Closed {
    void closed(Connection c, Short status, String reason);
  }

  private final Vertx vertx;
  final int id;
  final Mode mode;
  Phase phase = Phase.CONNECTING;
  private ClientWebSocket ws;
  private long deadlineTimer = -1;
  private long heartbeatTimer = -1;
  private long lastSent;
  private long lastHeard;
  private final Promise<Void> closed = Promise.promise();

  Connection(Vertx vertx, int id, Mode mode) {
    this.vertx = vertx;
    this.id = id;
    this.mode = mode;
  }

  /** Connects; the socket's frames and its closing go to {@code events}. */
  Future<WebSocket> open(WebSocketClient client, WebSocketConnectOptions to, Events events) {
    ws = client.webSocket();
    ws.textMessageHandler(text -> events.text().accept(this, text));
    ws.binaryMessageHandler(b -> events.binary().accept(this));
    ws.exceptionHandler(t -> LOG.log(Level.FINE, "socket error", t));
    ws.closeHandler(v -> {
      closed.tryComplete();
      events.closed().closed(this, ws.closeStatusCode(), ws.closeReason());
    });
    return ws.connect(to);
  }

  /** Runs {@code expired} unless the handshake is done within {@code ms} ({@link #handshakeDone}). */
  void deadline(long ms, Runnable expired) {
    deadlineTimer = vertx.setTimer(ms, id -> {
      deadlineTimer = -1;
      expired.run();
    });
  }

  void handshakeDone() {
    Support.cancelTimer(vertx, deadlineTimer);
    deadlineTimer = -1;
  }

  /** A frame arrived: the server is alive. */
  void heard() {
    lastHeard = Support.now();
  }

  @Override
  public int id() {
    return id;
  }

  @Override
  public void write(String text) {
    lastSent = Support.now();
    ws.writeTextMessage(text).onFailure(e -> LOG.log(Level.FINE, "write failed", e));
  }

  /**
   * Heartbeats on the attached socket (docs/PROTOCOL.md §4): {@code ping} runs when nothing was written for
   * {@code heartbeatMs}, {@code dead} when nothing was heard for twice that.
   */
  void startHeartbeat(long heartbeatMs, Runnable ping, Runnable dead) {
    long tick = Math.max(10, Math.min(heartbeatMs / 4, MAX_TICK_MS));
    lastHeard = Support.now();
    heartbeatTimer = vertx.setPeriodic(tick, id -> {
      if (phase != Phase.ONLINE) {
        vertx.cancelTimer(id);
        return;
      }
      long t = Support.now();
      if (t - lastHeard >= 2 * heartbeatMs) {
        LOG.fine(() -> "nothing heard for " + (t - lastHeard) + " ms: the socket is dead");
        dead.run();
      } else if (t - lastSent >= heartbeatMs) {
        ping.run();
      }
    });
  }

  /**
   * Writes {@code bye} and gives the connection up; completes once the server closed the socket, or after
   * {@code waitMs} (then it is closed from here).
   */
  Future<Void> bye(String byeText, long waitMs) {
    write(byeText);
    stopTimers();
    phase = Phase.DEAD;
    Promise<Void> done = Promise.promise();
    long guard = vertx.setTimer(waitMs, id -> {
      closeQuietly();
      done.tryComplete();
    });
    closed.future().onComplete(ar -> {
      vertx.cancelTimer(guard);
      done.tryComplete();
    });
    return done.future();
  }

  /** Marks it dead, stops its timers and closes the socket; returns whether it was attached (ONLINE). */
  boolean kill() {
    boolean attached = phase == Phase.ONLINE;
    phase = Phase.DEAD;
    stopTimers();
    closeQuietly();
    return attached;
  }

  void stopTimers() {
    Support.cancelTimer(vertx, deadlineTimer);
    Support.cancelTimer(vertx, heartbeatTimer);
    deadlineTimer = -1;
    heartbeatTimer = -1;
  }

  void closeQuietly() {
    try {
      if (ws != null && !ws.isClosed()) {
        ws.close();
      }
    } catch (RuntimeException e) {
      // not connected yet, or closing already
    }
  }
}
