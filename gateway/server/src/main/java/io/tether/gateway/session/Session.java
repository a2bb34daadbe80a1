package io.tether.gateway.session;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.auth.Grant;
import io.tether.gateway.store.FlushOp;
import io.tether.gateway.store.ResumeOutcome;
import io.tether.gateway.store.StoredFrame;
import io.tether.protocol.CloseCodes;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameTemplate;
import io.tether.protocol.channel.InboundSequence;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client session while a socket is attached to it on this node: a small state machine (docs/PROTOCOL.md §4,
 * {@link #setState}) over its parts — {@link Outbox} (server frames), {@link Inbox} (client frames),
 * {@link StoreWriter} (the batched store write), {@link Streams} and {@link Subscriptions} — reaching the node only
 * through its {@link SessionPort}. Everything runs on the context of the socket that attached it; other threads go
 * through {@link #run}.
 *
 * <p>Durability (docs/ARCHITECTURE.md "Durable point"): a server frame is written to the socket, and a backend's
 * {@code gateway.send} is answered, only after the frame is in the cluster store; a client frame is acknowledged and
 * acted on only after the position that includes it is in the store.
 */
public final class Session {

  private static final Logger LOG = Logger.getLogger(Session.class.getName());

  /** How long a detach may keep the socket open while its store write is under way (see closeAndDetach). */
  private static final long CLOSE_AT_LATEST_MS = 2_000;
  private final SessionPort port;
  private final Context ctx;
  private final String id;
  private final String clientId;
  private final long epoch;
  private SessionState state = SessionState.ONLINE;
  private Transport transport;
  private final Liveness liveness = new Liveness(System.currentTimeMillis());
  private final Outbox out;
  private final Inbox in;
  private final StoreWriter writer = new StoreWriter();
  /** Allocated with the first request: an idle session holds none. */
  private Streams streams;
  private final Subscriptions subscriptions;
  private boolean readingPaused;
  private final Credential credential;
  /** Set while the session is letting go of its socket: the final store write marks it DETACHED. */
  private Promise<Void> detaching;

  private Session(SessionPort port, Context ctx, String id, Grant grant, long epoch, Transport transport,
      Outbox out, long inSeq, Map<String, Long> subscriptions) {
    this.port = port;
    this.ctx = ctx;
    this.id = id;
    this.clientId = grant.clientId();
    this.credential = new Credential(grant);
    this.epoch = epoch;
    this.transport = transport;
    this.out = out.chargedTo(port.nodeBuffer());
    this.in = new Inbox(inSeq);
    this.subscriptions = new Subscriptions(subscriptions, writer, port.codec());
  }

  /** A new session (after {@code hello}), as {@code grant} allows: nothing sent, nothing received. */
  public static Session create(SessionPort port, Context ctx, String id, Grant grant, Transport transport) {
    return new Session(port, ctx, id, grant, 1, transport, new Outbox(0, 0, Map.of()), 0, Map.of());
  }

  public static Session create(SessionPort port, Context ctx, String id, String clientId, Transport transport) {
    return create(port, ctx, id, Grant.unauthenticated(clientId), transport);
  }

  /**
   * A session taken over by a resume: positions, subscriptions and open requests as the store returned them; the
   * client has every frame up to {@code clientLastSeq}. The frames it missed are sent by {@link #replay}.
   */
  public static Session resumed(SessionPort port, Context ctx, String id, Transport transport, ResumeOutcome o,
      long clientLastSeq) {
    Grant grant = o.grant() == null ? Grant.unauthenticated(o.clientId()) : Grant.fromJson(o.grant());
    Session s = new Session(port, ctx, id, grant, o.epoch(), transport,
        new Outbox(o.outSeq(), Math.min(clientLastSeq, o.outSeq()), o.sendIds()), o.inSeq(), o.subscriptions());
    if (!o.pending().isEmpty()) {
      s.streams().restore(o.pending(), port.instance());
    }
    return s;
  }

  public String id() { return id; }
  public String clientId() { return clientId; }
  /** What the client's credential grants (read on its context). */
  public Grant grant() { return credential.grant(); }
  public long epoch() { return epoch; }
  public SessionState state() { return state; }
  public Context context() { return ctx; }

  /** It left the node (detached, fenced, ended): its unacknowledged bytes go back to the node's budget; idempotent. */
  public void releaseBuffer() { out.releaseBudget(); }

  /** True while the session has its socket here and takes new frames (read on its context). */
  public boolean attached() { return state.attached() && detaching == null; }

  /** The topics the client follows, with the version it has (read on its context). */
  public Map<String, Long> subscriptions() { return subscriptions.versions(); }

  /** The highest client seq in the store: what the server acks. */
  long durableInSeq() { return in.durableSeq(); }

  // The parts, for ClientFrames (package-private).
  SessionPort port() { return port; }
  StoreWriter writer() { return writer; }
  Subscriptions topics() { return subscriptions; }
  Streams streams() { return streams == null ? streams = new Streams(transport) : streams; }
  Credential credential() { return credential; }
  Liveness liveness() { return liveness; }

  private boolean isOpen(long stream) { return streams != null && streams.isOpen(stream); }

  /** Runs {@code action} on this session's context and completes on the caller's. */
  public <T> Future<T> run(Supplier<Future<T>> action) { return OnContext.run(ctx, action); }

  // ---------------------------------------------------------------------------------------------------------
  // The state machine (docs/PROTOCOL.md §4)

  /**
   * The only place a session changes state. {@code announce}: presence and metrics follow now; otherwise whoever
   * caused it announces it (DETACHED once stored, CLOSED by the end in the store or the node that took it over).
   */
  private void setState(SessionState next, boolean announce) {
    if (state == next) {
      return;
    }
    state = next;
    if (announce) {
      liveness.presenceWritten(System.currentTimeMillis());
      port.stateChanged(this, next);
    }
  }

  /** Called by the endpoint's sweep: SUSPECT after 1.5 heartbeats of silence, DETACHED after 2 (§4); the credential. */
  public void checkHeartbeat(long now) {
    if (attached()) {
      credential.check(this, now);
    }
    long silent = liveness.silentFor(now);
    long hb = port.options().getHeartbeatMs();
    if (state == SessionState.ONLINE && silent > hb * 3 / 2) {
      setState(SessionState.SUSPECT, true);
      send(new Frame.Ping(in.durableSeq(), null));
    } else if (state == SessionState.SUSPECT && silent > hb * 2) {
      port.metrics().heartbeatTimeout();
      closeAndDetach(CloseCodes.GOING_AWAY, "heartbeat timeout");
    }
  }

  /** Socket closed under an attached session. */
  public void onTransportClosed(Transport t) {
    if (transport == t) {
      detach();
    }
  }

  /** A fatal protocol error: error frame, socket closed; the session stays resumable. */
  public void fatal(ErrorCode code, String message, short closeCode) {
    port.metrics().error(code.wire());
    send(Frame.Error.of(code, message, true));
    closeAndDetach(closeCode, code.wire());
  }

  /** The node is shutting down and the client did not move in time: close its socket and store the session. */
  public Future<Void> leave() { return closeAndDetach(CloseCodes.GOING_AWAY, "node shutting down"); }

  /** Detaches, then closes the socket: when the client sees the close, store and presence say DETACHED (§4). */
  Future<Void> closeAndDetach(short code, String why) {
    Transport t = transport;
    Future<Void> detached = detach();
    if (t != null) {
      detached.onComplete(ar -> t.close(code, why));
      port.setTimer(CLOSE_AT_LATEST_MS, () -> t.close(code, why));
    }
    return detached;
  }

  /** The client proved its identity again ({@code auth}): the new grant holds from now, here and in the store. */
  void renewCredential(Grant g) {
    credential.renew(g);
    writer.credentialRenewed(g);
    scheduleWrite();
    send(new Frame.AuthOk(g.expiresAt()));
  }

  /** The socket is gone (closed, reset, timed out): keep the session resumable. */
  Future<Void> detach() {
    if (detaching != null) {
      return detaching.future();
    }
    if (!state.attached()) {
      return Future.succeededFuture();
    }
    transport = null;
    detaching = Promise.promise();
    // Presence says DETACHED only once the store does (the write below), so a backend reacting to the event finds the
    // session detached wherever it looks.
    setState(SessionState.DETACHED, false);
    scheduleWrite();
    return detaching.future();
  }

  /** The session was resumed on another connection: stop writing, drop the old socket, touch nothing shared. */
  public void fence() {
    boolean detachedAlready = detaching != null && detaching.future().isComplete();
    if (state != SessionState.CLOSED && !detachedAlready) {
      lose(FlushOp.FENCED, null, List.of());
    }
  }

  /** Ends the session for good: by the client ({@code bye}) or by the server ({@code replaced}, {@code kicked}). */
  public Future<Void> end(String reason, boolean byClient) {
    if (state == SessionState.CLOSED) {
      return Future.succeededFuture();
    }
    if (!byClient) {
      send(new Frame.Bye(reason));
    }
    setState(SessionState.CLOSED, false);
    Transport t = transport;
    transport = null;
    out.failUnstored(BackendFailure.NO_SESSION.refuse("session ended"));
    return port.ended(this, reason).onComplete(ar -> {
      if (t != null) {
        t.close(CloseCodes.NORMAL, reason);
      }
    });
  }

  /** The store refused or failed the write: another owner took over, the session ended, or the cluster failed. */
  private void lose(Integer result, Throwable cause, List<Promise<Long>> inFlight) {
    Loss loss = Loss.of(result);
    if (loss == Loss.STORE_FAILED) {
      LOG.log(Level.WARNING, "session store write failed for session " + Tokens.redact(id), cause);
    }
    BackendFailure.Refusal refused = loss.failure.refuse(loss.why);
    Outbox.failAll(inFlight, refused);
    out.failUnstored(refused);
    setState(SessionState.CLOSED, false);
    Transport t = transport;
    transport = null;
    port.released(this);
    if (detaching != null) {
      // A detach still being written ends here; one already written has completed it.
      detaching.tryComplete();
    }
    if (t != null) {
      t.close(loss.closeCode, loss.why);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Client frames

  /** Handles one decoded frame from the attached socket. */
  public void onFrame(Frame frame) {
    if (!state.attached()) {
      return;
    }
    liveness.heard(System.currentTimeMillis());
    if (state == SessionState.SUSPECT) {
      setState(SessionState.ONLINE, true);
    }
    if (frame instanceof Frame.Reliable r && !(frame instanceof Frame.Push p && p.isVolatile())) {
      onReliable(r);
    } else {
      ClientFrames.onControl(this, frame);
    }
  }

  private void onReliable(Frame.Reliable f) {
    InboundSequence.Verdict verdict = in.offer(f.seq());
    if (verdict == InboundSequence.Verdict.DUPLICATE) {
      // A replay of something already accepted (§3): drop it, and ack again once it is durable.
      if (f.seq() <= in.durableSeq()) {
        send(new Frame.Ack(in.durableSeq()));
      }
      return;
    }
    if (verdict == InboundSequence.Verdict.GAP) {
      fatal(ErrorCode.BAD_FRAME, "seq gap: expected " + (in.received() + 1) + ", got " + f.seq()
          + "; resume to resend from the server's position", CloseCodes.POLICY);
      return;
    }
    if (in.hold(new Inbox.Accepted(f, ClientFrames.accept(this, f))) && !readingPaused) {
      readingPaused = true;
      transport.pauseReading(true);
    }
    scheduleWrite();
  }

  void onAck(long ack) {
    long before = out.clientAck();
    if (!out.ack(ack)) {
      sendError(Frame.Error.of(ErrorCode.BAD_FRAME, "ack " + ack + " is beyond the last frame sent ("
          + out.writtenSeq() + ")", false));
      return;
    }
    if (out.clientAck() > before) { // idle heartbeats repeat their ack: no store write for those (BENCHMARKS.md)
      writer.trimDue();
      writer.armTrimTimer(port, this::write);
    }
    if (subscriptions.holdsAny()) {
      subscriptions.releaseHeld(frame -> enqueue(frame, 0));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Server frames

  /** The seq the next reliable frame will get (a server request's stream id is derived from it). */
  public long nextSeq() {
    return out.nextSeq();
  }

  /** Accepts one reliable frame for sending (see {@link #enqueue(List, long, long, String)}). */
  public Future<Long> enqueue(FrameTemplate frame, long completesStream) {
    return enqueue(List.of(frame), completesStream, 0, null);
  }

  /**
   * Accepts reliable frames for sending, all or none, in order; completes with the last one's seq once all are in
   * the store (then written to the socket). Refused when not attached here or over the buffer bound (§3).
   * {@code completesStream}: the client request stream they answer, or 0; {@code requireOpenStream}: if not 0, refuse
   * unless that stream is still open (§5); {@code sendId}: idempotency key or null (a recent key: the first outcome).
   */
  public Future<Long> enqueue(List<FrameTemplate> frames, long completesStream, long requireOpenStream,
      String sendId) {
    if (!attached()) {
      return Future.failedFuture(BackendFailure.UNAVAILABLE.refuse("the session is not attached here"));
    }
    Future<Long> earlier = out.recent(sendId);
    if (earlier != null) {
      return earlier;
    }
    if (requireOpenStream != 0 && !isOpen(requireOpenStream)) {
      return Future.failedFuture(BackendFailure.STREAM_CLOSED.refuse("stream " + requireOpenStream
          + " is not an open request stream: related resources must be pushed before the request is answered"));
    }
    // Answers to accepted requests may go past the bound by the number of requests a session may have open, so an
    // accepted request is never left without its response (§3).
    boolean answer = completesStream > 0 && isOpen(completesStream);
    int allowance = answer ? port.options().getMaxPendingRequests() : 0;
    Future<Long> stored = out.offer(frames, sendId, port.options().getBufferMaxFrames() + allowance,
        port.options().getBufferMaxBytes() + (long) allowance * port.options().getMaxFrameBytes());
    if (stored.failed()) {
      return stored;
    }
    for (FrameTemplate f : frames) {
      port.metrics().frameOut(f.type());
    }
    if (answer) {
      streams.close(completesStream);
      writer.requestAnswered(completesStream);
    }
    scheduleWrite();
    return stored;
  }

  /** Sends the frames the client missed after a resume, as stored, and accounts them as unacknowledged. */
  public void replay(List<StoredFrame> missed) {
    for (int i = 0; i < missed.size(); i++) {
      out.replayed(missed.get(i));
      transport.write(missed.get(i).text(), i < missed.size() - 1);
    }
    port.metrics().replayed(missed.size());
  }

  /** Sends a non-sequenced frame (ack, pong, ping, error, reconnect, welcome) right away. */
  public void send(Frame frame) {
    if (transport != null) {
      transport.write(port.codec().encode(frame));
      port.metrics().frameOut(frame.type());
    }
  }

  void sendError(Frame.Error e) {
    port.metrics().error(e.code());
    send(e);
  }

  /** A volatile push: written only if the socket can take it now; never buffered (docs/PROTOCOL.md §3). */
  public boolean sendVolatile(Frame.Push push) {
    if (transport == null || transport.writeQueueFull()) {
      port.metrics().volatileDropped();
      return false;
    }
    send(push);
    return true;
  }

  /** Answers a client request on its stream (closing it); if this object let go of the socket, wherever it is now. */
  public void respond(long stream, Frame.Response response) {
    enqueue(port.codec().template(response), stream).onFailure(e -> port.respondElsewhere(id, response));
  }

  /** True if {@code frames} more frames of {@code bytes} fit the client's buffer bound now. */
  boolean roomFor(int frames, long bytes) { return out.fits(frames, bytes, port.options()); }
  /** A topic changed: send the client the new value if it follows the topic and does not have it yet. */
  public void onTopicChange(String topic, long version, String body) {
    if (state.attached()) {
      subscriptions.changed(topic, version, body, frame -> enqueue(frame, 0));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Server-initiated requests and re-dispatch

  /** Server-initiated requests sent to this client and not answered yet. */
  public int openServerRequests() { return streams == null ? 0 : streams.serverRequests(); }

  /** Counts one more server-initiated request as open, unless {@code max} are open already (then false). */
  public boolean openServerRequest(int max) { return streams().openServerRequest(max); }

  public void serverRequestClosed() { streams.serverRequestClosed(); }

  /** Requests dispatched by a node that is not {@code alive} any more are dispatched again from here (same id). */
  public void redispatchUnless(Predicate<String> alive) {
    if (state.attached() && ClientFrames.redispatch(this, alive)) {
      scheduleWrite();
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // The store write

  private boolean dirty() {
    return out.hasUnstored() || in.hasUndispatched() || writer.hasChanges() || detaching != null;
  }

  private void scheduleWrite() {
    if (writer.schedule()) {
      // Coalesce everything this event-loop turn produces into one write.
      ctx.runOnContext(v -> write());
    }
  }

  private void write() {
    writer.unschedule();
    if (writer.inFlight() || !(dirty() || writer.isTrimDue()) || state == SessionState.CLOSED) {
      return;
    }
    Outbox.Batch batch = out.takeUnstored();
    List<Inbox.Accepted> inbound = in.takeUndispatched();
    long inSeq = in.received();
    boolean detach = detaching != null;
    FlushOp op = writer.begin(epoch, batch, out.clientAck(), inSeq, detach, System.currentTimeMillis());
    long started = System.nanoTime();
    port.write(id, op).onComplete(ar -> {
      writer.done();
      port.metrics().flushed(System.nanoTime() - started, batch.frames().size());
      if (ar.failed() || ar.result() != FlushOp.OK) {
        lose(ar.failed() ? null : ar.result(), ar.cause(), batch.promises());
        port.writeUnsure(this, ar.failed() ? Inbox.requests(inbound) : List.of()); // it may be stored after all
        return;
      }
      in.durable(inSeq);
      if (transport != null) {
        List<StoredFrame> frames = batch.frames();
        for (int i = 0; i < frames.size(); i++) { // one flush for the batch
          transport.write(frames.get(i).text(), i < frames.size() - 1);
          out.written(frames.get(i).seq());
        }
      }
      batch.stored();
      if (!inbound.isEmpty()) {
        ClientFrames.durable(this, inbound, in.durableSeq());
        if (readingPaused && transport != null) {
          readingPaused = false;
          transport.pauseReading(false);
        }
      }
      if (detach) {
        // Forget it here first: whoever reacts to the DETACHED event finds the node already let go.
        port.released(this);
        port.stateChanged(this, SessionState.DETACHED).onComplete(done -> detaching.tryComplete());
      } else if (dirty()) {
        write();
      } else if (writer.isTrimDue()) {
        writer.armTrimTimer(port, this::write);
      }
    });
  }
}
