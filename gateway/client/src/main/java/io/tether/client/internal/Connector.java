package io.tether.client.internal;

import io.tether.client.ConnectionState;
import io.tether.client.SessionEvent;
import io.tether.client.TetherClientOptions;
import io.tether.client.TetherException;
import io.tether.client.internal.Connection.Mode;
import io.tether.client.internal.Connection.Phase;
import io.tether.protocol.DecodeResult;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.RawJson;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The client's connections (docs/PROTOCOL.md §2, §4): socket attempts with backoff, the {@code hello}/{@code resume}
 * handshake, heartbeats in both directions, and the connection state ({@link ConnectionState}). A <em>connection</em>
 * is one socket attempt; the <em>session</em> ({@code sessionId}, resume token) spans connections until it ends or
 * cannot be resumed, when a new one starts (re-sync).
 *
 * <p>Frames that are not the connection's own business (reliable frames, acks, non-fatal errors, volatile pushes) go
 * to the {@link ConnectorListener}, which also hears when a link is attached or gone.
 */
public final class Connector {

  private static final Logger LOG = Logger.getLogger(Connector.class.getName());
  /** Fatal server errors in a row without progress before the client stops reconnecting (avoids a resend loop). */
  private static final int MAX_FATAL_STREAK = 3;
  /** How long {@link #close()} waits for the server to close the socket after {@code bye}. */
  private static final long BYE_CLOSE_WAIT_MS = 2_000;

  private final Vertx vertx;
  private final TetherClientOptions options;
  private final FrameCodec codec;
  private final Endpoint endpoint;
  private final WebSocketClient wsClient;
  private final Backoff backoff;
  private final LongSupplier received;
  private final LongSupplier carryAck;
  private final ClientEvents events;
  private final ConnectorListener listener;

  // Observable from any thread, written on the context only.
  private volatile ConnectionState state = ConnectionState.OFFLINE;
  private final SessionTicket session = new SessionTicket();
  private final Credentials credentials;

  private Connection conn;
  private int connIds;
  private JsonObject attrs;
  private boolean attrsDirty;
  private int fatalStreak;
  private Promise<Void> connectPromise;

  /**
   * @param received the highest server seq received (for {@code resume})
   * @param carryAck the ack to carry in a {@code ping}/{@code pong} (everything received counts as acked after it)
   */
  public Connector(Vertx vertx, TetherClientOptions options, FrameCodec codec, LongSupplier received,
      LongSupplier carryAck, ClientEvents events, ConnectorListener listener) {
    this.vertx = vertx;
    this.options = options;
    this.codec = codec;
    this.endpoint = new Endpoint(options);
    this.wsClient = vertx.createWebSocketClient(Endpoint.clientOptions(options));
    this.backoff = new Backoff(vertx, options.getReconnectInitialDelayMs(), options.getReconnectMaxDelayMs(),
        options.getMaxReconnectAttempts());
    this.received = received;
    this.carryAck = carryAck;
    this.events = events;
    this.listener = listener;
    this.attrs = options.getAttrs();
    this.credentials = new Credentials(options);
  }

  // -- commands (on the context) ------------------------------------------------------------------------------

  /** See {@code TetherClient.connect()}: completes when ONLINE. */
  public Future<Void> connect() {
    switch (state) {
      case CLOSED:
        return Future.failedFuture(new TetherException(TetherException.CLOSED, "the client is closed"));
      case ONLINE:
        return Future.succeededFuture();
      case CONNECTING:
      case RECONNECTING:
        return connectPromise().future();
      default: // OFFLINE
        Future<Void> result = connectPromise().future();
        backoff.reset();
        setState(hasSession() ? ConnectionState.RECONNECTING : ConnectionState.CONNECTING);
        if (state != ConnectionState.CLOSED) { // a state handler may have closed the client
          openSocket();
        }
        return result;
    }
  }

  /** New attrs: sent in a {@code ping} at once if ONLINE, else with the next {@code hello} or resume. */
  public void updateAttrs(JsonObject newAttrs) {
    attrs = newAttrs;
    attrsDirty = true;
    if (conn != null && conn.phase == Phase.ONLINE) {
      sendPing(conn);
    }
  }

  /** The session made progress (a frame accepted, an ack): fatal errors are counted from zero again. */
  public void progress() {
    fatalStreak = 0;
  }

  /** {@code link} is unusable (e.g. the server's seqs skipped ahead): reconnect and resume. */
  public void broken(Link link) {
    if (link == conn) {
      connectionLost(conn);
    }
  }

  /**
   * Closes for good: CLOSED, and {@code bye} on the socket if ONLINE. Completes once the server closed the socket
   * (or after {@value #BYE_CLOSE_WAIT_MS} ms); at once when not ONLINE.
   */
  public Future<Void> close() {
    backoff.cancel();
    Connection c = conn;
    conn = null;
    boolean online = c != null && c.phase == Phase.ONLINE;
    if (online) {
      listener.detached();
    }
    setState(ConnectionState.CLOSED);
    if (!online) {
      if (c != null) {
        kill(c);
      }
      return Future.succeededFuture();
    }
    // Ending the session: the server closes the socket once the session is gone from the store.
    return c.bye(codec.encode(new Frame.Bye(null)), BYE_CLOSE_WAIT_MS);
  }

  /** Fails a pending {@link #connect()} (the client is closing). */
  public void failConnect(TetherException error) {
    takeConnectPromise().tryFail(error);
  }

  /** Releases the WebSocket client (after {@link #close()}). */
  public Future<Void> shutdown() {
    return wsClient.close();
  }

  // -- observation (any thread) -------------------------------------------------------------------------------

  public ConnectionState state() {
    return state;
  }

  public String sessionId() {
    return session.sessionId();
  }

  public String node() {
    return session.node();
  }

  public long heartbeatMs() {
    return session.heartbeatMs();
  }

  /** Takes back a session stored by an earlier process: the next {@link #connect()} resumes it. */
  public void restore(SessionFile.Stored s) {
    session.restore(s.sessionId(), s.resumeToken(), s.node(), s.heartbeatMs(), options.getHeartbeatMs());
  }

  /** What the store keeps of the session: a copy with empty positions and frames, or null if there is none now. */
  public SessionFile.Stored storedTicket() {
    String id = session.sessionId();
    return id == null ? null : new SessionFile.Stored(id, session.resumeToken(), session.node(), session.heartbeatMs(),
        0, 0, 0, java.util.Map.of(), java.util.List.of());
  }

  /** A session was lost and its replacement has not started yet. */
  public boolean replacingSession() {
    return session.replacing();
  }

  /** A session exists, or was lost and is being replaced: what was numbered belongs to it. */
  public boolean hasSession() {
    return session.exists();
  }

  // -- connections --------------------------------------------------------------------------------------------

  private Promise<Void> connectPromise() {
    if (connectPromise == null) {
      connectPromise = Promise.promise();
    }
    return connectPromise;
  }

  /**
   * The pending connect's promise (a new one if none), taken before a state change: a state handler may call
   * connect() again, and that is a new attempt, not this outcome's.
   */
  private Promise<Void> takeConnectPromise() {
    Promise<Void> p = connectPromise();
    connectPromise = null;
    return p;
  }

  /** Opens a socket and sends {@code resume} if there is a session to resume, else {@code hello}. */
  private void openSocket() {
    Connection c = new Connection(vertx, ++connIds, session.resumable() ? Mode.RESUME : Mode.HELLO);
    conn = c;
    long timeout = options.getConnectTimeoutMs();
    c.deadline(timeout, () -> {
      if (c == conn && c.phase != Phase.ONLINE) {
        attemptFailed(c, new TetherException(TetherException.CONNECT_FAILED, "no "
            + (c.mode == Mode.HELLO ? "welcome" : "resumed") + " from " + endpoint.url() + " within " + timeout
            + " ms"));
      }
    });
    c.open(wsClient, c.mode == Mode.RESUME ? endpoint.resume(session.sessionId(), session.nodeHint())
        : endpoint.hello(), socketEvents).onComplete(ar -> {
          if (c != conn || c.phase == Phase.DEAD) {
            if (ar.succeeded()) {
              c.closeQuietly();
            }
            return;
          }
          if (ar.failed()) {
            attemptFailed(c, new TetherException(TetherException.CONNECT_FAILED, "cannot connect to "
                + endpoint.url() + ": " + ar.cause().getMessage(), null, false, ar.cause()));
            return;
          }
          c.phase = Phase.HANDSHAKE;
          c.heard();
          boolean hello = c.mode == Mode.HELLO;
          (hello ? credentials.forHello() : credentials.forResume()).onComplete(token -> {
            if (token.failed()) {
              attemptFailed(c, new TetherException(TetherException.CONNECT_FAILED, "the token supplier failed: "
                  + token.cause().getMessage(), null, false, token.cause()));
            } else if (c == conn && c.phase == Phase.HANDSHAKE) {
              RawJson a = attrs == null ? null : RawJson.of(attrs.encode());
              attrsDirty = attrsDirty && !hello;
              c.write(codec.encode(hello ? new Frame.Hello(options.getClientId(), token.result(), a)
                  : new Frame.Resume(session.sessionId(), session.resumeToken(), received.getAsLong(), token.result())));
            }
          });
        });
  }

  /** What the current connection's socket delivers (a connection given up is ignored). */
  private final Connection.Events socketEvents = new Connection.Events(this::onText, this::onBinary,
      this::onSocketClosed);

  private void onText(Connection c, String text) {
    if (c != conn || c.phase == Phase.DEAD) {
      return;
    }
    c.heard();
    events.inbound(text);
    DecodeResult decoded = codec.decode(text);
    if (decoded instanceof DecodeResult.Failure f) {
      events.problem(new TetherException(f.code().wire(), "undecodable frame from the server ignored: "
          + f.message()));
      return;
    }
    Frame frame = ((DecodeResult.Ok) decoded).frame();
    if (c.phase == Phase.HANDSHAKE) {
      onHandshakeFrame(c, frame);
    } else if (c.phase == Phase.ONLINE) {
      onFrame(c, frame);
    }
  }

  private void onBinary(Connection c) {
    if (c == conn) {
      events.problem(new TetherException(ErrorCode.BAD_FRAME.wire(), "the server sent a binary frame; ignored"));
    }
  }

  private void onHandshakeFrame(Connection c, Frame frame) {
    if (frame instanceof Frame.Welcome w && c.mode == Mode.HELLO) {
      onWelcome(c, w);
    } else if (frame instanceof Frame.Resumed r && c.mode == Mode.RESUME) {
      onResumed(c, r);
    } else if (frame instanceof Frame.Error e) {
      if (ErrorCode.RESUME_FAILED.wire().equals(e.code()) && c.mode == Mode.RESUME) {
        onResumeFailed(c, e.reason() == null ? "unknown" : e.reason());
      } else {
        attemptFailed(c, new TetherException(e.code(), (c.mode == Mode.HELLO ? "hello" : "resume")
            + " refused: " + e.message(), e.reason(), true, null));
      }
    } else {
      LOG.fine(() -> "ignored '" + frame.type() + "' before the handshake completed");
    }
  }

  private void onWelcome(Connection c, Frame.Welcome w) {
    c.handshakeDone();
    c.phase = Phase.ONLINE;
    SessionTicket.Lost lost = session.started(w, options.getHeartbeatMs());
    fatalStreak = 0;
    backoff.reset();
    startHeartbeat(c);
    int lostRequests = listener.welcomed(c, lost != null);
    setState(ConnectionState.ONLINE);
    events.session(lost == null
        ? new SessionEvent(SessionEvent.Kind.STARTED, session.sessionId(), null, session.node(), null, 0)
        : new SessionEvent(SessionEvent.Kind.RESYNCED, session.sessionId(), lost.sessionId(), session.node(),
            lost.reason(), lostRequests));
    takeConnectPromise().tryComplete();
  }

  private void onResumed(Connection c, Frame.Resumed r) {
    c.handshakeDone();
    if (!listener.resumable(r.lastSeq())) {
      // The server lost frames it had acked, or claims frames never sent: the session cannot continue consistently.
      onResumeFailed(c, "inconsistent");
      return;
    }
    c.phase = Phase.ONLINE;
    session.resumed(r);
    backoff.reset();
    startHeartbeat(c);
    // Every own frame the server has not stored goes again, in order, with its original seq; then what was queued.
    listener.resumed(c, r.lastSeq());
    if (attrsDirty) {
      sendPing(c);
    }
    setState(ConnectionState.ONLINE);
    events.session(new SessionEvent(SessionEvent.Kind.RESUMED, session.sessionId(), null, session.node(),
        null, 0));
    takeConnectPromise().tryComplete();
  }

  /** The session is gone on the server: start a new one at once (the new welcome reports the re-sync). */
  private void onResumeFailed(Connection c, String reason) {
    kill(c);
    conn = null;
    session.lost(reason);
    openSocket();
  }

  /** A connection attempt failed (before the session was attached to it). */
  private void attemptFailed(Connection c, TetherException error) {
    if (!release(c)) {
      return;
    }
    if (state == ConnectionState.CONNECTING) {
      // The very first connect: no session to keep; the caller hears why. Queued requests stay queued: they are
      // sent by a later connect() (that is how a client that starts offline works).
      Promise<Void> p = takeConnectPromise();
      listener.firstConnectFailed(error);
      setState(ConnectionState.OFFLINE);
      p.tryFail(error);
      return;
    }
    LOG.fine(() -> "reconnect attempt failed: " + error.getMessage());
    scheduleReconnect(error);
  }

  private void onSocketClosed(Connection c, Short status, String reason) {
    if (c != conn || c.phase == Phase.DEAD) {
      return;
    }
    if (c.phase != Phase.ONLINE) {
      attemptFailed(c, new TetherException(TetherException.CONNECT_FAILED, "the socket closed during the handshake"
          + (status == null ? "" : " (" + status + (reason == null ? "" : " " + reason) + ")")));
      return;
    }
    LOG.fine(() -> "socket closed (" + status + "), reconnecting");
    connectionLost(c);
  }

  /** The attached socket is gone or unusable: reconnect and resume. */
  private void connectionLost(Connection c) {
    if (release(c)) {
      scheduleReconnect(null);
    }
  }

  /** Lets go of {@code c} if it is the current connection; true if the client should then try again. */
  private boolean release(Connection c) {
    if (c != conn) {
      return false;
    }
    kill(c);
    conn = null;
    return state != ConnectionState.CLOSED;
  }

  private void scheduleReconnect(TetherException cause) {
    setState(ConnectionState.RECONNECTING);
    if (state != ConnectionState.RECONNECTING) {
      return; // the state handler closed the client
    }
    if (backoff.exhausted()) {
      giveUp(new TetherException(TetherException.CONNECT_FAILED, "gave up after " + backoff.attempts()
          + " reconnect attempts" + (cause == null ? "" : ": " + cause.getMessage()), null, false, cause));
      return;
    }
    backoff.schedule(() -> {
      if (state == ConnectionState.RECONNECTING && conn == null) {
        openSocket();
      }
    });
  }

  /** Stops reconnecting: OFFLINE. The session (if any) is kept, so a later connect() resumes it. */
  private void giveUp(TetherException error) {
    backoff.cancel();
    backoff.reset();
    Connection c = conn;
    conn = null;
    if (c != null) {
      kill(c);
    }
    Promise<Void> p = takeConnectPromise();
    setState(ConnectionState.OFFLINE);
    events.problem(error);
    p.tryFail(error);
  }

  /** Gives a connection up; if it was attached, the listener hears that the link is gone. */
  private void kill(Connection c) {
    if (c.kill()) {
      listener.detached();
    }
  }

  // -- frames on the attached connection ----------------------------------------------------------------------

  private void onFrame(Connection c, Frame frame) {
    if (frame instanceof Frame.Ping p) {
      if (p.ack() >= 0) {
        listener.frame(c, new Frame.Ack(p.ack()));
      }
      c.write(codec.encode(new Frame.Pong(carryAck.getAsLong())));
    } else if (frame instanceof Frame.Pong p) {
      if (p.ack() >= 0) {
        listener.frame(c, new Frame.Ack(p.ack()));
      }
    } else if (frame instanceof Frame.Error e && e.fatal()) {
      // Fatal: the server closes the socket; the session stays resumable.
      events.problem(new TetherException(e.code(), e.message(), e.reason(), true, null));
      if (++fatalStreak > MAX_FATAL_STREAK) {
        giveUp(new TetherException(e.code(), "the server refused this client " + fatalStreak + " times in a row: "
            + e.message(), e.reason(), true, null));
        return;
      }
      connectionLost(c);
    } else if (frame instanceof Frame.Refresh) {
      credentials.refresh(t -> c.write(codec.encode(new Frame.Auth(t))), () -> c == conn, events::problem);
    } else if (frame instanceof Frame.Bye b) {
      kill(c);
      conn = null;
      backoff.cancel();
      listener.ended(session.sessionId(), b.reason() == null ? "ended" : b.reason());
    } else if (frame instanceof Frame.Reconnect r) {
      LOG.fine(() -> "the server asked to reconnect (" + r.reason() + ")");
      backoff.immediately();
      session.leaving();
      connectionLost(c);
    } else {
      listener.frame(c, frame);
    }
  }

  /** A heartbeat, carrying the ack and the attrs if they changed. */
  private void sendPing(Connection c) {
    RawJson a = attrsDirty && attrs != null ? RawJson.of(attrs.encode()) : null;
    c.write(codec.encode(new Frame.Ping(carryAck.getAsLong(), a)));
    attrsDirty = false;
  }

  private void startHeartbeat(Connection c) {
    c.startHeartbeat(session.heartbeatMs(), () -> sendPing(c), () -> connectionLost(c));
  }

  private void setState(ConnectionState next) {
    if (state == next) {
      return;
    }
    state = next;
    events.state(next);
  }
}
