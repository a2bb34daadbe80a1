package io.tether.gateway.session;

import io.tether.gateway.store.FlushOp;
import io.tether.gateway.store.PendingRequest;
import io.tether.gateway.store.StoredFrame;
import io.tether.protocol.channel.SizeRing;
import io.tether.protocol.CloseCodes;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.RawJson;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client session while a socket is attached to it on this node. Everything runs on the context of the socket
 * that attached it; other threads reach it through {@link #run}.
 *
 * <p>Durability (docs/ARCHITECTURE.md "Durable point"): a server frame is written to the socket, and a backend's
 * {@code gateway.send} is answered, only after the frame is in the cluster store; a client frame is acknowledged and
 * acted on only after the position that includes it is in the store. Store writes are batched: at most one is in
 * flight per session and it carries everything that accumulated meanwhile (frames, ack, positions, subscriptions).
 */
public final class Session {

  private static final Logger LOG = Logger.getLogger(Session.class.getName());
  /** Accepted client frames waiting for the store before reading pauses. */
  private static final int MAX_UNDISPATCHED = 256;
  /**
   * A store write that would only trim acknowledged frames waits this long for other changes to ride with. Under
   * load the trim goes out with the next frames; an idle session trims once, a moment later.
   */
  private static final long TRIM_DELAY_MS = 100;

  /** Raised when a frame cannot be accepted for sending; {@code code} maps to the event-bus failure. */
  public static final class SendRefused extends RuntimeException {
    public final ErrorCode code;
    /** The session is between nodes (moving, or its node just left): the same send may succeed in a moment. */
    public final boolean retryable;

    SendRefused(ErrorCode code, String message) {
      this(code, message, false);
    }

    SendRefused(ErrorCode code, String message, boolean retryable) {
      super(message, null, false, false);
      this.code = code;
      this.retryable = retryable;
    }
  }

  /** A topic's newest value that a full buffer kept from being sent yet. */
  private record HeldNotify(long version, String body) {
  }

  /** A client frame accepted in sequence, with the decision taken when it was accepted. */
  private record Inbound(Frame.Reliable frame, Frame.ErrorInfo rejection) {
  }

  final SessionManager mgr;
  final Context ctx;
  final String id;
  final String clientId;
  private final long epoch;
  private SessionState state = SessionState.ONLINE;
  private Transport transport;
  long lastHeard;

  // Server → client positions.
  private long outSeq;
  private long clientAck;
  private long writtenSeq;
  private final SizeRing unacked = new SizeRing();
  private long unackedBytes;
  private List<StoredFrame> toFlush = new ArrayList<>();
  private List<Promise<Long>> toFlushPromises = new ArrayList<>();

  // Client → server positions.
  private long inSeq;
  private long durableInSeq;
  private List<Inbound> undispatched = new ArrayList<>();

  // Changes waiting for the next store write.
  private Map<String, Long> subsPut;
  private List<String> subsRemove;
  private List<PendingRequest> pendingPut;
  private List<Long> pendingRemove;
  private boolean trimDirty;
  private boolean trimTimerSet;
  private boolean flushing;
  private boolean flushScheduled;
  private boolean readingPaused;
  private Promise<Void> detachPromise;

  /** Client request streams accepted and not yet answered → the request's seq. */
  private Map<Long, Long> openStreams;
  /**
   * Unanswered requests that another node (or an earlier start of this one) dispatched, by stream: if that node
   * leaves the cluster before the reply comes, this session dispatches them again. Null while there is none.
   */
  private Map<Long, PendingRequest> dispatchedElsewhere;
  /** Idempotency keys of recent sends → their outcome (the seq of the batch's last frame); null until the first. */
  private Map<String, Future<Long>> recentSends;
  /** Keys of sends accepted since the last store write → their last seq; written with their frames. */
  private Map<String, Long> sendIdsPut;
  /** Topic → newest value not sent because the buffer was full; null while there is none (bounded by topics). */
  private Map<String, HeldNotify> heldNotifies;
  /** Server-initiated requests sent to this client and not answered yet (bounded by maxPendingRequests). */
  int openServerRequests;
  /** Topic → version of the last value this client was sent (or said it had). */
  private final Map<String, Long> subscriptions;

  Session(SessionManager mgr, Context ctx, String id, String clientId, long epoch, Transport transport,
      long outSeq, long clientAck, long inSeq, Map<String, Long> subscriptions, List<PendingRequest> pending,
      Map<String, Long> sendIds) {
    this.mgr = mgr;
    this.ctx = ctx;
    this.id = id;
    this.clientId = clientId;
    this.epoch = epoch;
    this.transport = transport;
    this.outSeq = outSeq;
    this.clientAck = clientAck;
    this.writtenSeq = outSeq;
    this.inSeq = inSeq;
    this.durableInSeq = inSeq;
    this.subscriptions = new HashMap<>(subscriptions);
    for (PendingRequest p : pending) {
      openStreams().put(p.stream(), p.seq());
      if (!mgr.instance.equals(p.node())) {
        if (dispatchedElsewhere == null) {
          dispatchedElsewhere = new HashMap<>(4);
        }
        dispatchedElsewhere.put(p.stream(), p);
      }
    }
    sendIds.forEach((sendId, seq) -> recentSends().put(sendId, Future.succeededFuture(seq)));
    this.lastHeard = System.currentTimeMillis();
  }

  public String id() {
    return id;
  }

  public String clientId() {
    return clientId;
  }

  long epoch() {
    return epoch;
  }

  public SessionState state() {
    return state;
  }

  long unackedBytes() {
    return unackedBytes;
  }

  /** Runs {@code action} on this session's context and completes on the caller's. */
  <T> Future<T> run(java.util.function.Supplier<Future<T>> action) {
    if (Context.isOnEventLoopThread() && io.vertx.core.Vertx.currentContext() == ctx) {
      return action.get();
    }
    Promise<T> p = mgr.promise();
    ctx.runOnContext(v -> action.get().onComplete(p));
    return p.future();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Replay after resume

  /** Sends the frames the client missed, as stored, and accounts them as unacknowledged. */
  void replay(List<StoredFrame> missed) {
    for (StoredFrame f : missed) {
      unacked.add(f.size());
      unackedBytes += f.size();
      transport.write(f.text());
    }
    mgr.metrics.replayed(missed.size());
  }

  // ---------------------------------------------------------------------------------------------------------
  // Inbound frames

  /** Handles one decoded frame from the attached socket. */
  public void onFrame(Frame frame) {
    if (!state.attached()) {
      return;
    }
    lastHeard = System.currentTimeMillis();
    if (state == SessionState.SUSPECT) {
      setState(SessionState.ONLINE);
    }
    if (frame instanceof Frame.Reliable r && !(frame instanceof Frame.Push p && p.isVolatile())) {
      onReliable(r);
    } else if (frame instanceof Frame.Ack a) {
      onAck(a.ack());
    } else if (frame instanceof Frame.Ping p) {
      if (p.ack() >= 0) {
        onAck(p.ack());
      }
      mgr.heartbeat(this, p.attrs() == null ? null : p.attrs().json());
      send(new Frame.Pong(durableInSeq));
    } else if (frame instanceof Frame.Pong p) {
      if (p.ack() >= 0) {
        onAck(p.ack());
      }
    } else if (frame instanceof Frame.Bye) {
      end("bye", true);
    } else if (frame instanceof Frame.Hello || frame instanceof Frame.Resume) {
      sendError(ErrorCode.BAD_FRAME, "the session is already established on this socket");
    } else if (frame instanceof Frame.Error e) {
      LOG.fine(() -> "client " + clientId + " reported error " + e.code() + ": " + e.message());
    } else {
      sendError(ErrorCode.NOT_ALLOWED, "clients may not send '" + frame.type() + "' frames");
    }
  }

  private void onReliable(Frame.Reliable f) {
    long seq = f.seq();
    if (seq <= inSeq) {
      // A replay of something already accepted (§3): drop it, and ack again once it is durable.
      if (seq <= durableInSeq) {
        send(new Frame.Ack(durableInSeq));
      }
      return;
    }
    if (seq != inSeq + 1) {
      fatal(ErrorCode.BAD_FRAME, "seq gap: expected " + (inSeq + 1) + ", got " + seq
          + "; resume to resend from the server's position", CloseCodes.POLICY);
      return;
    }
    inSeq = seq;
    undispatched.add(new Inbound(f, accept(f)));
    if (undispatched.size() >= MAX_UNDISPATCHED && !readingPaused) {
      readingPaused = true;
      transport.pauseReading(true);
    }
    scheduleFlush();
  }

  /**
   * Decides, when a client frame is accepted, what it will do; the decision is recorded in the same store write as
   * the position that includes the frame, so a crash cannot separate them. Returns the error to answer with, if any.
   */
  private Frame.ErrorInfo accept(Frame.Reliable f) {
    if (f instanceof Frame.Request r) {
      Frame.ErrorInfo problem = mgr.checkRequest(r, openStreams == null ? Map.of() : openStreams);
      if (problem == null) {
        openStreams().put(r.stream(), r.seq());
        pending().add(new PendingRequest(r.seq(), r.stream(), r.address(), r.body() == null ? null : r.body().json(),
            mgr.instance));
      }
      return problem;
    }
    if (f instanceof Frame.Subscribe s) {
      if (!mgr.topicAllowed(s.topic())) {
        return new Frame.ErrorInfo(ErrorCode.NOT_ALLOWED.wire(), "topic '" + s.topic() + "' is not allowed");
      }
      subscriptions.put(s.topic(), s.version());
      subsPut().put(s.topic(), s.version());
      return null;
    }
    if (f instanceof Frame.Unsubscribe u) {
      subscriptions.remove(u.topic());
      if (subsPut != null) {
        subsPut.remove(u.topic());
      }
      subsRemove().add(u.topic());
      return null;
    }
    if (f instanceof Frame.Response) {
      return null;
    }
    return new Frame.ErrorInfo(ErrorCode.NOT_ALLOWED.wire(), "clients may not send '" + f.type() + "' frames");
  }

  /** Acts on client frames now that their position is durable, in seq order. */
  private void dispatch(List<Inbound> frames) {
    for (Inbound in : frames) {
      Frame.Reliable f = in.frame();
      if (f instanceof Frame.Request r) {
        if (in.rejection() != null) {
          respond(r.stream(), new Frame.Response(0, r.stream(), false, null, in.rejection(), true));
        } else {
          mgr.forward(this, r);
        }
      } else if (in.rejection() != null) {
        sendError(ErrorCode.fromWire(in.rejection().code()), in.rejection().message());
      } else if (f instanceof Frame.Response r) {
        mgr.completeServerRequest(id, r);
      } else if (f instanceof Frame.Subscribe s) {
        mgr.follow(this, s.topic());
      } else if (f instanceof Frame.Unsubscribe u) {
        mgr.unsubscribe(u.topic(), this);
      }
    }
  }

  private void onAck(long ack) {
    if (ack > writtenSeq) {
      sendError(ErrorCode.BAD_FRAME, "ack " + ack + " is beyond the last frame sent (" + writtenSeq + ")");
      return;
    }
    if (ack <= clientAck) {
      return;
    }
    unackedBytes -= unacked.pop(ack - clientAck);
    clientAck = ack;
    trimDirty = true;
    armTrimTimer();
    releaseHeldNotifies();
  }

  private void armTrimTimer() {
    if (!trimTimerSet) {
      trimTimerSet = true;
      mgr.vertx.setTimer(TRIM_DELAY_MS, id -> {
        trimTimerSet = false;
        if (trimDirty) {
          flush();
        }
      });
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Outbound frames

  /** The seq the next reliable frame will get (used to derive a server request's stream id). */
  long nextSeq() {
    return outSeq + 1;
  }

  /**
   * Accepts a reliable frame for sending; {@code build} gives the frame for its assigned seq. Completes with the seq
   * once the frame is durable (it is written to the socket at that moment). Refused when the session is not
   * attached here or its buffer bound would be crossed (docs/PROTOCOL.md §3).
   *
   * @param completesStream the client request stream this frame answers, or 0
   */
  Future<Long> enqueue(LongFunction<? extends Frame.Reliable> build, long completesStream) {
    return enqueueAll(List.of(build), completesStream, 0, null);
  }

  /**
   * Accepts several frames, all or none, in order; completes with the last one's seq once all are durable.
   *
   * @param requireOpenStream if not 0, refuse unless this client request stream is still open (related resources
   *     must come before the final response, docs/PROTOCOL.md §5)
   * @param sendId the sender's idempotency key, or null: a send with a key seen recently gets the first one's outcome
   */
  Future<Long> enqueueAll(List<? extends LongFunction<? extends Frame.Reliable>> builds, long completesStream,
      long requireOpenStream, String sendId) {
    if (!state.attached() || detachPromise != null) {
      return Future.failedFuture(new SendRefused(ErrorCode.NO_HANDLER, "session is not attached here"));
    }
    if (sendId != null && recentSends != null && recentSends.containsKey(sendId)) {
      return recentSends.get(sendId);
    }
    if (requireOpenStream != 0 && !isOpen(requireOpenStream)) {
      return Future.failedFuture(new SendRefused(ErrorCode.BAD_FRAME, "stream " + requireOpenStream
          + " is not an open request stream: related resources must be pushed before the request is answered"));
    }
    List<Frame.Reliable> frames = new ArrayList<>(builds.size());
    List<String> texts = new ArrayList<>(builds.size());
    long bytes = 0;
    for (int i = 0; i < builds.size(); i++) {
      Frame.Reliable frame = builds.get(i).apply(outSeq + 1 + i);
      String text = mgr.codec.encode(frame);
      frames.add(frame);
      texts.add(text);
      bytes += text.length();
    }
    long last = outSeq + builds.size();
    // Answers to accepted requests may go past the bound by the number of requests a session may have open, so
    // that an accepted request is never left without its response (docs/PROTOCOL.md §3).
    boolean answer = completesStream > 0 && isOpen(completesStream);
    long maxFrames = mgr.options.getBufferMaxFrames() + (answer ? mgr.options.getMaxPendingRequests() : 0);
    long maxBytes = mgr.options.getBufferMaxBytes()
        + (answer ? (long) mgr.options.getMaxPendingRequests() * mgr.options.getMaxFrameBytes() : 0);
    if (last - clientAck > maxFrames || unackedBytes + bytes > maxBytes) {
      return Future.failedFuture(new SendRefused(ErrorCode.OVERFLOW, "the client's buffer is full ("
          + (outSeq - clientAck) + " frames, " + unackedBytes + " bytes unacknowledged)"));
    }
    Promise<Long> promise = Promise.promise();
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      outSeq++;
      unacked.add(text.length());
      unackedBytes += text.length();
      toFlush.add(new StoredFrame(outSeq, text));
      toFlushPromises.add(i == texts.size() - 1 ? promise : null);
      mgr.metrics.frameOut(frames.get(i).type());
    }
    if (sendId != null) {
      Future<Long> outcome = promise.future();
      recentSends().put(sendId, outcome);
      sendIdsPut().put(sendId, last);
      // A send that did not reach the store may be tried again (on whichever node has the session then).
      outcome.onFailure(e -> recentSends.remove(sendId, outcome));
    }
    if (completesStream > 0 && isOpen(completesStream)) {
      openStreams.remove(completesStream);
      pendingRemove().add(completesStream);
      if (dispatchedElsewhere != null && dispatchedElsewhere.remove(completesStream) != null
          && dispatchedElsewhere.isEmpty()) {
        dispatchedElsewhere = null;
      }
    }
    scheduleFlush();
    return promise.future();
  }

  /** Sends a non-sequenced frame (ack, pong, ping, error, volatile push) right away. */
  void send(Frame frame) {
    if (transport != null) {
      transport.write(mgr.codec.encode(frame));
      mgr.metrics.frameOut(frame.type());
    }
  }

  /** A volatile push: written only if the socket can take it now; never buffered (docs/PROTOCOL.md §3). */
  boolean sendVolatile(Frame.Push push) {
    if (transport == null || transport.writeQueueFull()) {
      mgr.metrics.volatileDropped();
      return false;
    }
    send(push);
    return true;
  }

  /**
   * Answers a client request on its stream (the answer is final: it closes the stream). If this session object has
   * meanwhile let go of its socket, the answer goes wherever the session is now.
   */
  void respond(long stream, Frame.Response response) {
    enqueue(seq -> response.withSeq(seq), stream).onFailure(e -> mgr.deliverFallback(id, response, stream));
  }

  /** A topic changed: send the client the new value if it follows the topic and does not have it yet. */
  void onTopicChange(String topic, long version, String body) {
    Long known = subscriptions.get(topic);
    if (known == null || version <= known || !state.attached()) {
      return;
    }
    Future<Long> sent = enqueue(seq -> new Frame.Notify(seq, topic, version, RawJson.of(body)), 0);
    if (!sent.failed()) {
      // Recorded in the same store write as the notify itself.
      subscriptions.put(topic, version);
      subsPut().put(topic, version);
      if (heldNotifies != null) {
        heldNotifies.remove(topic);
      }
    } else if (sent.cause() instanceof SendRefused r && r.code == ErrorCode.OVERFLOW) {
      // The client's buffer is full: keep the newest value of the topic (one per topic, older ones coalesce) and
      // send it when the client's acks make room, so a subscriber never stays behind the last change.
      if (heldNotifies == null) {
        heldNotifies = new HashMap<>(4);
      }
      heldNotifies.merge(topic, new HeldNotify(version, body), (a, b) -> a.version() >= b.version() ? a : b);
    }
  }

  /** Notifies held back by a full buffer are sent once acks made room (newest value per topic). */
  private void releaseHeldNotifies() {
    if (heldNotifies == null) {
      return;
    }
    Map<String, HeldNotify> held = heldNotifies;
    heldNotifies = null;
    held.forEach((topic, n) -> onTopicChange(topic, n.version(), n.body()));
  }

  Map<String, Long> subscriptions() {
    return subscriptions;
  }

  void sendError(ErrorCode code, String message) {
    mgr.metrics.error(code.wire());
    send(Frame.Error.of(code, message, false));
  }

  /** A fatal protocol error: error frame, socket closed; the session stays resumable. */
  public void fatal(ErrorCode code, String message, short closeCode) {
    mgr.metrics.error(code.wire());
    send(Frame.Error.of(code, message, true));
    Transport t = transport;
    detach();
    if (t != null) {
      t.close(closeCode, code.wire());
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // The store write

  private boolean dirty() {
    return !toFlush.isEmpty() || !undispatched.isEmpty() || subsPut != null || subsRemove != null
        || pendingPut != null || pendingRemove != null || detachPromise != null;
  }

  private void scheduleFlush() {
    if (!flushScheduled && !flushing) {
      flushScheduled = true;
      // Coalesce everything this event-loop turn produces into one write.
      ctx.runOnContext(v -> flush());
    }
  }

  private void flush() {
    flushScheduled = false;
    if (flushing || !(dirty() || trimDirty) || state == SessionState.CLOSED) {
      return;
    }
    List<StoredFrame> frames = toFlush;
    List<Promise<Long>> promises = toFlushPromises;
    List<Inbound> inbound = undispatched;
    toFlush = new ArrayList<>();
    toFlushPromises = new ArrayList<>();
    undispatched = new ArrayList<>();
    long flushedInSeq = inSeq;
    boolean detaching = detachPromise != null;
    FlushOp op = new FlushOp(epoch, frames, clientAck, flushedInSeq, subsPut, subsRemove, pendingPut, pendingRemove,
        null, detaching, System.currentTimeMillis(), sendIdsPut);
    sendIdsPut = null;
    subsPut = null;
    subsRemove = null;
    pendingPut = null;
    pendingRemove = null;
    trimDirty = false;
    flushing = true;
    long started = System.nanoTime();
    mgr.store.flush(id, op).onComplete(ar -> {
      flushing = false;
      mgr.metrics.flushed(System.nanoTime() - started, frames.size());
      if (ar.failed() || ar.result() != FlushOp.OK) {
        onFlushRefused(ar.failed() ? null : ar.result(), ar.cause(), promises);
        return;
      }
      durableInSeq = flushedInSeq;
      if (transport != null) {
        for (StoredFrame f : frames) {
          transport.write(f.text());
          writtenSeq = f.seq();
        }
      }
      for (int i = 0; i < promises.size(); i++) {
        if (promises.get(i) != null) {
          promises.get(i).complete(frames.get(i).seq());
        }
      }
      if (!inbound.isEmpty()) {
        send(new Frame.Ack(durableInSeq));
        dispatch(inbound);
        if (readingPaused && transport != null) {
          readingPaused = false;
          transport.pauseReading(false);
        }
      }
      if (detaching) {
        // Forget it here first: whoever reacts to the DETACHED event finds the node already let go.
        mgr.detached(this);
        mgr.stateChanged(this, SessionState.DETACHED);
        detachPromise.complete();
      } else if (dirty()) {
        flush();
      } else if (trimDirty) {
        armTrimTimer();
      }
    });
  }

  /** The store refused or failed the write: another owner took over, the session ended, or the cluster failed. */
  private void onFlushRefused(Integer result, Throwable cause, List<Promise<Long>> promises) {
    String why;
    short code;
    if (result == null) {
      LOG.log(Level.WARNING, "session store write failed for session " + Tokens.redact(id), cause);
      why = "session store unavailable";
      code = CloseCodes.INTERNAL;
    } else if (result == FlushOp.FENCED) {
      why = "session resumed on another connection";
      code = CloseCodes.POLICY;
    } else {
      why = "session ended";
      code = CloseCodes.POLICY;
    }
    SendRefused refused = new SendRefused(ErrorCode.NO_HANDLER, why);
    failAll(promises, refused);
    failAll(toFlushPromises, refused);
    toFlush.clear();
    toFlushPromises.clear();
    state = SessionState.CLOSED;
    Transport t = transport;
    transport = null;
    mgr.detached(this);
    if (detachPromise != null) {
      // A detach still being written ends here; one already written has completed it.
      detachPromise.tryComplete();
    }
    if (t != null) {
      t.close(code, why);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Lifecycle

  /** The only place a session changes state; presence and metrics follow every transition. */
  private void setState(SessionState next) {
    if (state == next) {
      return;
    }
    state = next;
    mgr.stateChanged(this, next);
  }

  /** Called by the endpoint's sweep: SUSPECT after 1.5 heartbeats of silence, DETACHED after 2 (§4). */
  public void checkHeartbeat(long now) {
    long silent = now - lastHeard;
    long hb = mgr.options.getHeartbeatMs();
    if (state == SessionState.ONLINE && silent > hb * 3 / 2) {
      setState(SessionState.SUSPECT);
      send(new Frame.Ping(durableInSeq, null));
    } else if (state == SessionState.SUSPECT && silent > hb * 2) {
      mgr.metrics.heartbeatTimeout();
      Transport t = transport;
      detach();
      if (t != null) {
        t.close(CloseCodes.GOING_AWAY, "heartbeat timeout");
      }
    }
  }

  /** The socket is gone (closed, reset, timed out): keep the session resumable. */
  Future<Void> detach() {
    if (detachPromise != null) {
      return detachPromise.future();
    }
    if (!state.attached()) {
      return Future.succeededFuture();
    }
    transport = null;
    detachPromise = Promise.promise();
    // Presence says DETACHED only once the store does (flush below), so a backend reacting to the event finds the
    // session detached wherever it looks.
    state = SessionState.DETACHED;
    scheduleFlush();
    return detachPromise.future();
  }

  /** The session was resumed on another connection: stop writing, drop the old socket, touch nothing shared. */
  void fence() {
    boolean detachedAlready = detachPromise != null && detachPromise.future().isComplete();
    if (state != SessionState.CLOSED && !detachedAlready) {
      onFlushRefused(FlushOp.FENCED, null, List.of());
    }
  }

  /** Ends the session for good: by the client ({@code bye}) or by the server ({@code replaced}, {@code kicked}). */
  Future<Void> end(String reason, boolean byClient) {
    if (state == SessionState.CLOSED) {
      return Future.succeededFuture();
    }
    if (!byClient) {
      send(new Frame.Bye(reason));
    }
    state = SessionState.CLOSED;
    Transport t = transport;
    transport = null;
    SendRefused ended = new SendRefused(ErrorCode.NO_HANDLER, "session ended");
    failAll(toFlushPromises, ended);
    toFlush.clear();
    toFlushPromises.clear();
    return mgr.ended(this, reason).onComplete(ar -> {
      if (t != null) {
        t.close(CloseCodes.NORMAL, reason);
      }
    });
  }

  /**
   * Requests that another node (or an earlier start of this one) dispatched for this session and that nobody will
   * answer any more, because that node is not {@code alive}, are dispatched again from here (same request id); the
   * store records this node as their dispatcher.
   */
  void redispatchUnless(java.util.function.Predicate<String> alive) {
    if (dispatchedElsewhere == null || !state.attached()) {
      return;
    }
    List<PendingRequest> again = new ArrayList<>();
    dispatchedElsewhere.values().removeIf(p -> {
      if (p.node() == null || !alive.test(p.node())) {
        again.add(p);
        return true;
      }
      return false;
    });
    if (dispatchedElsewhere.isEmpty()) {
      dispatchedElsewhere = null;
    }
    for (PendingRequest p : again) {
      if (isOpen(p.stream())) {
        pending().add(p.dispatchedBy(mgr.instance));
        mgr.redispatch(this, p);
      }
    }
    if (!again.isEmpty()) {
      scheduleFlush();
    }
  }

  /** The node is shutting down and the client did not move in time: close its socket and store the session. */
  Future<Void> leave() {
    Transport t = transport;
    Future<Void> detached = detach();
    if (t != null) {
      t.close(CloseCodes.GOING_AWAY, "node shutting down");
    }
    return detached;
  }

  /** Socket closed under an attached session. */
  public void onTransportClosed(Transport t) {
    if (transport == t) {
      detach();
    }
  }

  private static void failAll(List<Promise<Long>> promises, Throwable cause) {
    for (Promise<Long> p : promises) {
      if (p != null) {
        p.tryFail(cause);
      }
    }
  }

  /** Allocated with the first request: an idle session holds no map. */
  private Map<Long, Long> openStreams() {
    return openStreams == null ? openStreams = new HashMap<>() : openStreams;
  }

  private boolean isOpen(long stream) {
    return openStreams != null && openStreams.containsKey(stream);
  }

  private Map<String, Future<Long>> recentSends() {
    if (recentSends == null) {
      recentSends = new java.util.LinkedHashMap<>(8, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Future<Long>> eldest) {
          return size() > io.tether.gateway.store.SessionRecord.MAX_SEND_IDS;
        }
      };
    }
    return recentSends;
  }

  private Map<String, Long> sendIdsPut() {
    return sendIdsPut == null ? sendIdsPut = new HashMap<>(4) : sendIdsPut;
  }

  private Map<String, Long> subsPut() {
    return subsPut == null ? subsPut = new HashMap<>(4) : subsPut;
  }

  private List<String> subsRemove() {
    return subsRemove == null ? subsRemove = new ArrayList<>(2) : subsRemove;
  }

  private List<PendingRequest> pending() {
    return pendingPut == null ? pendingPut = new ArrayList<>(2) : pendingPut;
  }

  private List<Long> pendingRemove() {
    return pendingRemove == null ? pendingRemove = new ArrayList<>(2) : pendingRemove;
  }
}
