package io.tether.gateway.session;

import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.management.GatewayMetrics;
import io.tether.gateway.store.AppendOp;
import io.tether.gateway.store.AppendOutcome;
import io.tether.gateway.store.ClusterStore;
import io.tether.gateway.store.PendingRequest;
import io.tether.gateway.store.PresenceOp;
import io.tether.gateway.store.PresenceRecord;
import io.tether.gateway.store.PublishOp;
import io.tether.gateway.store.ResumeOp;
import io.tether.gateway.store.ResumeOutcome;
import io.tether.gateway.store.SessionRecord;
import io.tether.protocol.DecodeResult;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.NamePatterns;
import io.tether.protocol.RawJson;
import io.tether.protocol.ResumeFailReason;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's sessions: handshakes (hello, resume), routing of frames to a session wherever it is (attached here, or
 * detached in the store), presence, topic fan-out to local subscribers, and server-initiated requests.
 * Thread-safe; each session's own state is touched only on its context.
 */
public final class SessionManager {

  private static final Logger LOG = Logger.getLogger(SessionManager.class.getName());

  public static final String HEADER_CLIENT_ID = "gateway.clientId";
  public static final String HEADER_SESSION_ID = "gateway.sessionId";
  public static final String HEADER_REQUEST_ID = "gateway.requestId";
  public static final String HEADER_STREAM = "gateway.stream";
  public static final String PRESENCE_EVENTS = "gateway.presence.events";
  /**
   * Internal: a node listens on {@code tether.topic.<topic>} while it has subscribers to that topic, so a publish
   * is one cluster message per node that has subscribers, which then delivers locally.
   */
  public static final String TOPIC_ADDRESS_PREFIX = "tether.topic.";
  /** Placeholder seq used to split a frame's text around its seq when the store numbers it. */
  private static final long SEQ_MARK = 999_999_999_999_999L;
  /**
   * How long a node waits for another node to answer a forwarded operation (they answer once the frames are stored,
   * normally in milliseconds). A message to a node that just died can vanish without a failure; after this long the
   * sender checks whether that node is still a member.
   */
  static final long NODE_OP_TIMEOUT_MS = 5_000;
  /** When the second catch-up read of a new subscription runs (see {@link #follow}). */
  private static final long SECOND_CATCH_UP_MS = 1_000;
  /** A forwarded operation follows a moving session at most this many times. */
  private static final int MAX_HOPS = 3;

  /** Failure of a resume, carrying the reason sent to the client. */
  public static final class ResumeRefused extends RuntimeException {
    public final ResumeFailReason reason;

    ResumeRefused(ResumeFailReason reason) {
      super(reason.wire(), null, false, false);
      this.reason = reason;
    }
  }

  private record ServerRequest(Promise<Object> promise, long timerId) {
  }

  final Vertx vertx;
  final GatewayOptions options;
  final ClusterStore store;
  final GatewayMetrics metrics;
  final FrameCodec codec;
  /** The node's name, as configured: in welcome/resumed frames, presence records and logs. */
  final String nodeId;
  /**
   * This process's identity in the cluster: the node id plus a suffix unique to this start, so that a node restarted
   * under the same name is a different owner and dispatcher than the process that died (session ownership, routing
   * address, pending requests).
   */
  final String instance;
  private volatile boolean draining;
  private final List<Runnable> drainHooks = new CopyOnWriteArrayList<>();
  /** The cluster's topic count, as last counted (see {@link #publish}). */
  private volatile int topicCount;
  /**
   * Work whose outcome someone waits for: client requests forwarded to backends by this node whose reply has not
   * come back yet, and backends' gateway.* calls being served here.
   */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final NamePatterns addresses;
  private final NamePatterns topics;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  /** clientId → its session attached here: sends by clientId to local clients need no cluster lookup. */
  private final Map<String, Session> byClient = new ConcurrentHashMap<>();
  private final Map<String, Set<Session>> subscribers = new ConcurrentHashMap<>();
  /** Topic → this node's listener for its changes (one per topic with local subscribers); guarded by itself. */
  private final Map<String, MessageConsumer<JsonObject>> topicListeners = new HashMap<>();
  private final Map<String, ServerRequest> serverRequests = new ConcurrentHashMap<>();
  /** Operations forwarded to another node and not answered yet, by that node's instance. */
  private final Map<String, Set<Promise<Object>>> forwardsTo = new ConcurrentHashMap<>();

  public SessionManager(Vertx vertx, GatewayOptions options, String instance, ClusterStore store,
      GatewayMetrics metrics) {
    this.vertx = vertx;
    this.options = options;
    this.store = store;
    this.metrics = metrics;
    this.codec = new FrameCodec(options.getMaxFrameBytes());
    this.nodeId = options.getNodeId();
    this.instance = instance;
    this.addresses = new NamePatterns(options.effectiveAllowedAddresses());
    this.topics = new NamePatterns(options.getAllowedTopics());
    metrics.sessionGauge("ONLINE", sessions, m -> count(m.values(), SessionState.ONLINE));
    metrics.sessionGauge("SUSPECT", sessions, m -> count(m.values(), SessionState.SUSPECT));
    metrics.bufferedBytesGauge(() -> sessions.values().stream().mapToLong(Session::unackedBytes).sum());
  }

  private static double count(Collection<Session> all, SessionState state) {
    return all.stream().filter(s -> s.state() == state).count();
  }

  public FrameCodec codec() {
    return codec;
  }

  public GatewayOptions options() {
    return options;
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  public String nodeId() {
    return nodeId;
  }

  /** This process's cluster identity (see {@link #instance}). */
  public String instance() {
    return instance;
  }

  public boolean draining() {
    return draining;
  }

  /** True while this node holds the session with a socket (it believes it is the owner). */
  public boolean isAttachedHere(String sessionId) {
    return sessions.containsKey(sessionId);
  }

  public int localSessionCount() {
    return sessions.size();
  }

  <T> Promise<T> promise() {
    Context ctx = Vertx.currentContext();
    return ctx == null ? Promise.promise() : ((ContextInternal) ctx).promise();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Handshakes (docs/PROTOCOL.md §2)

  /** Creates a session for a {@code hello}, sends {@code welcome}, and ends the client's older session. */
  public Future<Session> hello(Context ctx, Transport transport, Frame.Hello hello) {
    String sessionId = Tokens.sessionId();
    String token = Tokens.resumeToken();
    String attrs = hello.attrs() == null ? null : hello.attrs().json();
    long now = System.currentTimeMillis();
    SessionRecord record = SessionRecord.create(hello.clientId(), Tokens.hash(token), instance,
        options.getResumeWindowMs(), options.getBufferMaxFrames(), options.getBufferMaxBytes(), attrs);
    return store.create(sessionId, record)
        .compose(v -> store.presence(hello.clientId(), PresenceOp.claim(sessionId, nodeId, attrs, now)))
        .map(previous -> {
          Session s = new Session(this, ctx, sessionId, hello.clientId(), 1, transport, 0, 0, 0, Map.of(), List.of(),
              Map.of());
          sessions.put(sessionId, s);
          byClient.put(s.clientId, s);
          s.send(new Frame.Welcome(sessionId, token, options.getHeartbeatMs(), options.getResumeWindowMs(), nodeId));
          if (draining) {
            s.send(new Frame.Reconnect("shutdown"));
          }
          metrics.transition(SessionState.ONLINE.name());
          publishPresence(hello.clientId(), sessionId, SessionState.ONLINE.name());
          if (previous != null && !sessionId.equals(previous.sessionId()) && !"CLOSED".equals(previous.state())) {
            endSession(previous.sessionId(), "replaced");
          }
          return s;
        });
  }

  /**
   * Resumes a session on this node: the store checks the token and window, takes the session over (fencing any
   * previous owner by epoch) and returns what the client missed, which is replayed after {@code resumed}.
   */
  public Future<Session> resume(Context ctx, Transport transport, Frame.Resume resume) {
    String sessionId = resume.sessionId();
    String token = Tokens.resumeToken();
    long now = System.currentTimeMillis();
    ResumeOp op = new ResumeOp(Tokens.hash(resume.resumeToken()), Tokens.hash(token), instance, resume.lastSeq(), now,
        store.liveNodes());
    return store.resume(sessionId, op).compose(outcome -> {
      if (outcome.failure() != null) {
        metrics.resumeFailed(outcome.failure().wire());
        return Future.failedFuture(new ResumeRefused(outcome.failure()));
      }
      Session old = sessions.get(sessionId);
      Session s = new Session(this, ctx, sessionId, outcome.clientId(), outcome.epoch(), transport,
          outcome.outSeq(), Math.min(resume.lastSeq(), outcome.outSeq()), outcome.inSeq(), outcome.subscriptions(),
          outcome.pending(), outcome.sendIds());
      sessions.put(sessionId, s);
      byClient.put(s.clientId, s);
      if (old != null) {
        old.run(() -> {
          old.fence();
          return Future.succeededFuture();
        });
      }
      if (outcome.previousOwner() != null && !instance.equals(outcome.previousOwner())) {
        // The store already refuses the old owner's writes; this makes it drop the socket now, not at its next write.
        forward(outcome.previousOwner(), new JsonObject().put("op", "fence").put("sessionId", sessionId)
            .put("epoch", outcome.epoch()).put("hops", 1));
      }
      s.send(new Frame.Resumed(sessionId, token, outcome.inSeq(), nodeId));
      s.replay(outcome.missed());
      // Requests acknowledged by a node that has since left the cluster: nobody waits for their replies any more.
      for (PendingRequest p : outcome.redispatch()) {
        redispatch(s, p);
      }
      // A dispatcher that left while the resume was under way: its departure event may have come before this session
      // was registered here.
      Set<String> live = store.liveNodes();
      s.redispatchUnless(live::contains);
      if (draining) {
        s.send(new Frame.Reconnect("shutdown"));
      }
      metrics.resumed();
      metrics.transition(SessionState.ONLINE.name());
      updatePresence(outcome.clientId(), sessionId, SessionState.ONLINE.name(), null);
      for (String topic : outcome.subscriptions().keySet()) {
        follow(s, topic);
      }
      return Future.succeededFuture(s);
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Delivering frames to a session wherever it is

  /** The event-bus address on which a node takes operations for the sessions attached to it. */
  public static String nodeAddress(String nodeId) {
    return "tether.node." + nodeId;
  }

  /**
   * Delivers a reliable frame to a session wherever it is: through its socket if it is attached here, through its
   * owner node if it is attached elsewhere, else into its buffer in the store (numbered there). Completes with the
   * frame's seq once it is durable.
   */
  public Future<Long> deliver(String sessionId, LongFunction<? extends Frame.Reliable> build, long completesStream) {
    return deliverAll(sessionId, List.of(build), completesStream, 0, null, 0);
  }

  /**
   * Delivers reliable pushes (bodies as JSON text) in order, all or none, wherever the session is. Unlike
   * {@link #deliverAll}, a batch forwarded to the session's node travels as its bodies, not as frame templates.
   *
   * @param sendId the sender's idempotency key, or null: a send repeated with the same key (a retry after a lost
   *     reply) is answered with the first one's seq and delivers nothing again
   */
  public Future<Long> push(String sessionId, long stream, String resource, List<String> bodies, String sendId) {
    return push(sessionId, stream, resource, bodies, sendId, 0);
  }

  private Future<Long> push(String sessionId, long stream, String resource, List<String> bodies, String sendId,
      int hops) {
    List<LongFunction<Frame.Push>> builds = new ArrayList<>(bodies.size());
    for (String body : bodies) {
      builds.add(seq -> new Frame.Push(seq, stream, resource, RawJson.of(body)));
    }
    return deliverAll(sessionId, builds, 0, stream, sendId, hops, () -> new JsonObject().put("op", "push")
        .put("sessionId", sessionId).put("stream", stream).put("resource", resource).put("id", sendId)
        .put("bodies", new JsonArray(new ArrayList<>(bodies))).put("hops", hops + 1));
  }

  private Future<Long> deliverAll(String sessionId, List<? extends LongFunction<? extends Frame.Reliable>> builds,
      long completesStream, long requireOpenStream, String sendId, int hops) {
    return deliverAll(sessionId, builds, completesStream, requireOpenStream, sendId, hops, () -> {
      JsonArray frames = new JsonArray();
      builds.forEach(b -> frames.add(template(b)));
      return new JsonObject().put("op", "deliver").put("sessionId", sessionId).put("frames", frames)
          .put("completesStream", completesStream).put("requireOpenStream", requireOpenStream).put("id", sendId)
          .put("hops", hops + 1);
    });
  }

  /** @param forwardOp the operation that carries these frames to the session's node, if it is attached elsewhere */
  private Future<Long> deliverAll(String sessionId, List<? extends LongFunction<? extends Frame.Reliable>> builds,
      long completesStream, long requireOpenStream, String sendId, int hops,
      Supplier<JsonObject> forwardOp) {
    Session s = sessions.get(sessionId);
    Future<Long> local = s == null ? Future.failedFuture(new Session.SendRefused(ErrorCode.NO_HANDLER, "not here"))
        : s.run(() -> s.enqueueAll(builds, completesStream, requireOpenStream, sendId));
    return local.recover(e -> {
      if (!(e instanceof Session.SendRefused r && r.code == ErrorCode.NO_HANDLER)) {
        return Future.failedFuture(e);
      }
      return appendToStore(sessionId, builds, completesStream, requireOpenStream, sendId, 0, hops, forwardOp);
    });
  }

  /** The frame's text with a placeholder seq, from which any node can rebuild the frame for the seq it assigns. */
  private String template(LongFunction<? extends Frame.Reliable> build) {
    return codec.encode(build.apply(SEQ_MARK));
  }

  private LongFunction<Frame.Reliable> fromTemplate(String template) {
    Frame.Reliable frame = (Frame.Reliable) ((DecodeResult.Ok) codec.decode(template)).frame();
    return frame::withSeq;
  }

  /**
   * Frames for a session not attached here: appended, all or none, to its buffer in the store if it is detached
   * (numbered there); if it is attached to another node, the store says which and the frames go there as
   * {@code forwardOp}.
   */
  private Future<Long> appendToStore(String sessionId, List<? extends LongFunction<? extends Frame.Reliable>> builds,
      long completesStream, long requireOpenStream, String sendId, int attempt, int hops,
      Supplier<JsonObject> forwardOp) {
    String mark = "\"seq\":" + SEQ_MARK;
    List<String> prefixes = new ArrayList<>(builds.size());
    List<String> suffixes = new ArrayList<>(builds.size());
    for (LongFunction<? extends Frame.Reliable> build : builds) {
      String text = template(build);
      int at = text.indexOf(mark);
      prefixes.add(text.substring(0, at + 6));
      suffixes.add(text.substring(at + mark.length()));
    }
    AppendOp op = new AppendOp(prefixes, suffixes, completesStream, sendId);
    return store.append(sessionId, op).compose(outcome -> {
      if (outcome.failure() != null) {
        return Future.failedFuture(new Session.SendRefused(
            "overflow".equals(outcome.failure()) ? ErrorCode.OVERFLOW : ErrorCode.NO_HANDLER,
            "session " + outcome.failure()));
      }
      if (outcome.owner() == null) {
        return Future.succeededFuture(outcome.seq());
      }
      if (instance.equals(outcome.owner())) {
        if (attempt >= 5) {
          return Future.failedFuture(new Session.SendRefused(ErrorCode.NO_HANDLER, "session is moving; try again",
              true));
        }
        // Attached here a moment ago and detaching, or attaching right now: look again shortly.
        return vertx.timer(5L << attempt).compose(v -> sessions.containsKey(sessionId)
            ? deliverAll(sessionId, builds, completesStream, requireOpenStream, sendId, hops, forwardOp)
            : appendToStore(sessionId, builds, completesStream, requireOpenStream, sendId, attempt + 1, hops,
                forwardOp));
      }
      return forward(outcome.owner(), forwardOp.get())
          .<Long>map(reply -> ((JsonObject) reply).getLong("seq"))
          .recover(e -> retryable(e) && hops < MAX_HOPS
              ? appendToStore(sessionId, builds, completesStream, requireOpenStream, sendId, attempt, hops + 1,
                  forwardOp)
              : Future.failedFuture(e));
    });
  }

  /**
   * Sends an operation to the node a session is attached to (docs/ARCHITECTURE.md "Routing"). If that node is no
   * longer a cluster member, the session is detached in the store at once (its node cannot do it any more) and the
   * failure is retryable: the caller's next attempt buffers in the store.
   */
  private Future<Object> forward(String owner, JsonObject op) {
    if (op.getInteger("hops", 0) > MAX_HOPS) {
      return Future.failedFuture(new Session.SendRefused(ErrorCode.NO_HANDLER, "session keeps moving; try again",
          true));
    }
    if (!store.liveNodes().contains(owner)) {
      return ownerLeft(op.getString("sessionId"), owner);
    }
    // Completed by the owner's reply, or failed at once if the owner leaves the cluster first (its reply is lost
    // then, and waiting for the timeout would only delay the caller's retry).
    Promise<Object> answered = Promise.promise();
    Set<Promise<Object>> waiting = forwardsTo.computeIfAbsent(owner, o -> ConcurrentHashMap.newKeySet());
    waiting.add(answered);
    vertx.eventBus().request(nodeAddress(owner), op,
            new DeliveryOptions().setSendTimeout("request".equals(op.getString("op"))
                ? op.getLong("timeoutMs", options.getRequestTimeoutMs()) + NODE_OP_TIMEOUT_MS : NODE_OP_TIMEOUT_MS))
        .map(m -> (Object) m.body())
        .onComplete(ar -> {
          waiting.remove(answered);
          if (ar.succeeded()) {
            answered.tryComplete(ar.result());
          } else {
            answered.tryFail(ar.cause());
          }
        });
    return answered.future()
        .recover(e -> {
          if (e instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
            return Future.failedFuture(e); // the owner answered: its verdict stands
          }
          if (!store.liveNodes().contains(owner)) {
            return ownerLeft(op.getString("sessionId"), owner);
          }
          return Future.failedFuture(e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
              ? new Session.SendRefused(ErrorCode.NO_HANDLER, "the session's node " + owner + " is unreachable", true)
              : e);
        });
  }

  /** The session's owner is no longer a cluster member: detach the session in the store; the caller retries. */
  private Future<Object> ownerLeft(String sessionId, String owner) {
    return store.orphan(sessionId, owner, System.currentTimeMillis()).compose(clientId -> {
      if (clientId != null) {
        sessionOrphaned(sessionId, clientId);
      }
      return Future.failedFuture(new Session.SendRefused(ErrorCode.NO_HANDLER,
          "the session's node " + owner + " left the cluster; try again", true));
    });
  }

  private static boolean retryable(Throwable e) {
    return e instanceof Session.SendRefused r && r.retryable;
  }

  /** An operation forwarded by another node for a session that was attached here when it was sent. */
  public Future<Object> onNodeMessage(JsonObject op) {
    String sessionId = op.getString("sessionId");
    int hops = op.getInteger("hops", 1);
    switch (op.getString("op", "")) {
      case "deliver" -> {
        List<LongFunction<Frame.Reliable>> builds = new ArrayList<>();
        for (Object t : op.getJsonArray("frames")) {
          builds.add(fromTemplate((String) t));
        }
        return deliverAll(sessionId, builds, op.getLong("completesStream", 0L), op.getLong("requireOpenStream", 0L),
            op.getString("id"), hops).map(seq -> new JsonObject().put("seq", seq));
      }
      case "push" -> {
        List<String> bodies = new ArrayList<>();
        op.getJsonArray("bodies").forEach(b -> bodies.add((String) b));
        return push(sessionId, op.getLong("stream", 0L), op.getString("resource"), bodies, op.getString("id"), hops)
            .map(seq -> new JsonObject().put("seq", seq));
      }
      case "volatile" -> {
        Session s = sessions.get(sessionId);
        Frame.Push push = (Frame.Push) ((DecodeResult.Ok) codec.decode(op.getString("frame"))).frame();
        return s == null ? Future.succeededFuture(false) : s.run(() -> Future.succeededFuture(s.sendVolatile(push)));
      }
      case "request" -> {
        return requestClient(sessionId, op.getString("address"), op.getValue("body"), op.getLong("timeoutMs"), hops);
      }
      case "end" -> {
        return endSession(sessionId, op.getString("reason"), hops).map(v -> null);
      }
      case "fence" -> {
        Session s = sessions.get(sessionId);
        if (s != null && s.epoch() < op.getLong("epoch")) {
          s.run(() -> {
            s.fence();
            return Future.succeededFuture();
          });
        }
        return Future.succeededFuture(null);
      }
      default -> {
        return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 400, "unknown node operation"));
      }
    }
  }

  /** Sends a volatile push if the session is attached here or on another node; volatile frames are never buffered. */
  public Future<Boolean> deliverVolatile(String sessionId, Frame.Push push) {
    Session s = sessions.get(sessionId);
    if (s != null) {
      return s.run(() -> Future.succeededFuture(s.sendVolatile(push)));
    }
    return store.owner(sessionId).compose(owner -> owner == null || instance.equals(owner)
        ? Future.succeededFuture(false)
        : forward(owner, new JsonObject().put("op", "volatile").put("sessionId", sessionId)
            .put("frame", codec.encode(push)).put("hops", 1)).map(Boolean.TRUE::equals));
  }

  void deliverFallback(String sessionId, Frame.Response response, long stream) {
    deliver(sessionId, seq -> response.withSeq(seq), stream).onFailure(e ->
        LOG.log(Level.WARNING, "response on stream " + stream + " for session " + Tokens.redact(sessionId)
            + " could not be buffered: " + e.getMessage()));
  }

  // ---------------------------------------------------------------------------------------------------------
  // A node left the cluster; this node drains (docs/ARCHITECTURE.md "Crash recovery", "Drain")

  /** Starts watching the cluster: when a member leaves, its sessions and its unanswered requests are taken care of. */
  public void watchCluster() {
    store.onNodeLeft(dead -> vertx.runOnContext(v -> nodeLeft(dead)));
  }

  private void nodeLeft(String dead) {
    LOG.info(() -> "cluster member " + dead + " left");
    Set<Promise<Object>> lost = forwardsTo.remove(dead);
    if (lost != null) {
      ReplyException gone = new ReplyException(ReplyFailure.NO_HANDLERS, "node " + dead + " left the cluster");
      lost.forEach(p -> p.tryFail(gone));
    }
    if (store.isOldestMember()) {
      store.orphan(dead, System.currentTimeMillis()).onSuccess(orphans -> {
        metrics.orphaned(orphans.size());
        orphans.forEach(this::sessionOrphaned);
      }).onFailure(e -> LOG.log(Level.WARNING, "could not detach the sessions of " + dead, e));
    }
    for (Session s : sessions.values()) {
      s.run(() -> {
        s.redispatchUnless(node -> !node.equals(dead));
        return Future.succeededFuture();
      });
    }
  }

  /** The session's node left without detaching it; the store now says DETACHED, and so does presence. */
  private void sessionOrphaned(String sessionId, String clientId) {
    metrics.transition(SessionState.DETACHED.name());
    store.presence(clientId, PresenceOp.update(sessionId, SessionState.DETACHED.name(), null, null,
        System.currentTimeMillis()));
    vertx.eventBus().publish(PRESENCE_EVENTS, new JsonObject().put("clientId", clientId).put("sessionId", sessionId)
        .put("state", SessionState.DETACHED.name()).put("node", null).put("at", System.currentTimeMillis()));
  }

  /** Runs {@code hook} when the node starts draining (the bridge withdraws the public gateway.* API). */
  public void onDrain(Runnable hook) {
    drainHooks.add(hook);
  }

  /** Counts {@code work} (a backend's call being served) as in flight until it completes: a drain waits for it. */
  public void track(Future<?> work) {
    inFlight.incrementAndGet();
    work.onComplete(ar -> inFlight.decrementAndGet());
  }

  /** Dispatches an acknowledged request again, with its original request id, from this node. */
  void redispatch(Session s, PendingRequest p) {
    metrics.redispatched();
    LOG.fine(() -> "re-dispatching request " + Tokens.redact(s.id) + ":" + p.seq() + " to " + p.address());
    forward(s, new Frame.Request(p.seq(), p.stream(), p.address(), p.body() == null ? null : RawJson.of(p.body())));
  }

  /**
   * Graceful drain: tells every client to reconnect elsewhere, refuses new sockets, and completes when the node's
   * sessions have moved and the backend requests it forwarded have been answered, or when {@code timeoutMs} ran out;
   * sessions still here then are detached (stored), so they resume anywhere.
   */
  public Future<Void> drain(long timeoutMs) {
    draining = true;
    drainHooks.forEach(Runnable::run);
    long deadline = System.currentTimeMillis() + timeoutMs;
    Set<String> told = ConcurrentHashMap.newKeySet();
    Promise<Void> moved = Promise.promise();
    LOG.info(() -> "draining: " + sessions.size() + " sessions, " + inFlight.get() + " backend requests in flight");
    vertx.setPeriodic(0, 50, id -> {
      for (Session s : sessions.values()) {
        if (told.add(s.id)) {
          s.run(() -> {
            s.send(new Frame.Reconnect("shutdown"));
            return Future.succeededFuture();
          });
        }
      }
      if ((sessions.isEmpty() && inFlight.get() == 0) || System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        moved.complete();
      }
    });
    return moved.future().compose(v -> {
      List<Future<Void>> detached = new ArrayList<>();
      for (Session s : sessions.values()) {
        detached.add(s.run(s::leave));
      }
      LOG.info(() -> "drained; " + detached.size() + " sessions detached here, " + inFlight.get()
          + " backend requests unanswered");
      return Future.join(detached).<Void>mapEmpty().otherwiseEmpty();
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Client requests → backends (docs/PROTOCOL.md §8)

  Frame.ErrorInfo checkRequest(Frame.Request r, Map<Long, Long> openStreams) {
    if (r.stream() % 2 == 0) {
      return new Frame.ErrorInfo(ErrorCode.BAD_FRAME.wire(), "client requests use odd stream ids");
    }
    if (openStreams.containsKey(r.stream())) {
      return new Frame.ErrorInfo(ErrorCode.BAD_FRAME.wire(), "stream " + r.stream() + " already has a request open");
    }
    if (!addresses.matches(r.address())) {
      return new Frame.ErrorInfo(ErrorCode.NOT_ALLOWED.wire(), "address '" + r.address() + "' is not allowed");
    }
    if (openStreams.size() >= options.getMaxPendingRequests()) {
      return new Frame.ErrorInfo(ErrorCode.RATE_LIMITED.wire(),
          "too many requests open (max " + options.getMaxPendingRequests() + ")");
    }
    return null;
  }

  boolean topicAllowed(String topic) {
    return topics.matches(topic);
  }

  /** Forwards an accepted client request to its backend; the reply (or failure) becomes the stream's response. */
  void forward(Session s, Frame.Request r) {
    DeliveryOptions delivery = new DeliveryOptions()
        .setSendTimeout(options.getRequestTimeoutMs())
        .addHeader(HEADER_CLIENT_ID, s.clientId)
        .addHeader(HEADER_SESSION_ID, s.id)
        .addHeader(HEADER_REQUEST_ID, s.id + ":" + r.seq())
        .addHeader(HEADER_STREAM, Long.toString(r.stream()));
    Object body;
    try {
      body = r.body() == null ? null : Json.decodeValue(r.body().json());
    } catch (RuntimeException e) {
      body = r.body().json();
    }
    long started = System.nanoTime();
    String sessionId = s.id;
    inFlight.incrementAndGet();
    vertx.eventBus().request(r.address(), body, delivery).onComplete(ar -> {
      inFlight.decrementAndGet();
      Frame.Response response;
      if (ar.succeeded()) {
        String json = Json.encode(ar.result().body());
        response = json.length() > options.getMaxFrameBytes() - 256
            ? error(r.stream(), ErrorCode.TOO_LARGE, "the backend's reply exceeds the frame size limit")
            : new Frame.Response(0, r.stream(), true, RawJson.of(json), null, true);
      } else {
        response = failure(r.stream(), ar.cause());
      }
      metrics.request(System.nanoTime() - started, response.ok() ? "ok" : response.error().code());
      deliverFallback(sessionId, response, r.stream());
    });
  }

  private static Frame.Response error(long stream, ErrorCode code, String message) {
    return new Frame.Response(0, stream, false, null, new Frame.ErrorInfo(code.wire(), message), true);
  }

  /** Maps an event-bus failure to the response error the client sees (docs/PROTOCOL.md §8). */
  static Frame.Response failure(long stream, Throwable cause) {
    if (cause instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return error(stream, ErrorCode.NO_HANDLER, "no backend serves this address");
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return error(stream, ErrorCode.TIMEOUT, "the backend did not answer in time");
      }
      ErrorCode code = switch (re.failureCode()) {
        case 401 -> ErrorCode.UNAUTHORIZED;
        case 403 -> ErrorCode.NOT_ALLOWED;
        case 408, 504 -> ErrorCode.TIMEOUT;
        case 429 -> ErrorCode.RATE_LIMITED;
        default -> ErrorCode.BACKEND_ERROR;
      };
      return error(stream, code, re.getMessage());
    }
    return error(stream, ErrorCode.BACKEND_ERROR, String.valueOf(cause.getMessage()));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Server-initiated requests (docs/PROTOCOL.md §5)

  /**
   * Sends a request to the client on a new even stream (twice the frame's seq, so unique per session) and completes
   * with the body of the client's answer, or fails on error, timeout, or if the client is not attached here.
   */
  public Future<Object> requestClient(String sessionId, String address, Object body, long timeoutMs) {
    return requestClient(sessionId, address, body, timeoutMs, 0);
  }

  private Future<Object> requestClient(String sessionId, String address, Object body, long timeoutMs, int hops) {
    Session s = sessions.get(sessionId);
    if (s == null) {
      ReplyException notConnected = new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 503,
          "the client is not connected");
      return store.owner(sessionId).compose(owner -> owner == null || instance.equals(owner)
          ? Future.failedFuture(notConnected)
          : forward(owner, new JsonObject().put("op", "request").put("sessionId", sessionId).put("address", address)
              .put("body", body).put("timeoutMs", timeoutMs).put("hops", hops + 1)));
    }
    String json = Json.encode(body);
    return s.run(() -> {
      if (s.openServerRequests >= options.getMaxPendingRequests()) {
        return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 429,
            "rate_limited: the client has " + s.openServerRequests + " requests open (max "
                + options.getMaxPendingRequests() + ")"));
      }
      s.openServerRequests++;
      long stream = 2 * s.nextSeq();
      String key = sessionId + "/" + stream;
      Promise<Object> promise = promise();
      long timer = vertx.setTimer(timeoutMs, t -> {
        if (serverRequests.remove(key) != null) {
          promise.tryFail(new ReplyException(ReplyFailure.TIMEOUT, 504, "the client did not answer in time"));
        }
      });
      serverRequests.put(key, new ServerRequest(promise, timer));
      s.enqueue(seq -> new Frame.Request(seq, 2 * seq, address, RawJson.of(json)), 0).onFailure(e -> {
        serverRequests.remove(key);
        vertx.cancelTimer(timer);
        promise.tryFail(e instanceof Session.SendRefused r
            ? new ReplyException(ReplyFailure.RECIPIENT_FAILURE, r.code == ErrorCode.OVERFLOW ? 409 : 503,
            r.getMessage()) : e);
      });
      // The promise completes on this session's context (answer, failure or timeout).
      return promise.future().onComplete(ar -> s.openServerRequests--);
    });
  }

  void completeServerRequest(String sessionId, Frame.Response r) {
    ServerRequest pending = serverRequests.remove(sessionId + "/" + r.stream());
    if (pending == null) {
      return; // answered already, or timed out
    }
    vertx.cancelTimer(pending.timerId());
    if (r.ok()) {
      pending.promise().tryComplete(r.body() == null ? null : Json.decodeValue(r.body().json()));
    } else {
      Frame.ErrorInfo e = r.error();
      pending.promise().tryFail(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 500,
          (e.code() == null ? "error" : e.code()) + (e.message() == null ? "" : ": " + e.message())));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Topics (docs/PROTOCOL.md §6)

  /**
   * Publishes a topic's new value cluster-wide; completes with its version. A new topic is refused (429) while the
   * cluster holds {@code maxTopics} of them (counted every few seconds, so the bound may be passed by the topics
   * created meanwhile).
   */
  public Future<Long> publish(String topic, Object body) {
    String json = Json.encode(body);
    return store.publish(topic, json, topicCount < options.getMaxTopics(), options.getTopicTtlMs())
        .compose(version -> {
          if (version == PublishOp.REFUSED) {
            return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 429,
                "rate_limited: the cluster holds its maximum of " + options.getMaxTopics() + " topics"));
          }
          vertx.eventBus().publish(TOPIC_ADDRESS_PREFIX + topic,
              new JsonObject().put("topic", topic).put("version", version).put("body", json));
          return Future.succeededFuture(version);
        });
  }

  /** Refreshes the cluster's topic count that bounds topic creation. */
  public Future<Integer> countTopics() {
    return store.topicCount().onSuccess(n -> topicCount = n);
  }

  /** A topic changed somewhere in the cluster: tell this node's subscribers. */
  public void topicChanged(String topic, long version, String body) {
    Set<Session> set = subscribers.get(topic);
    if (set != null) {
      for (Session s : set) {
        s.ctx.runOnContext(v -> s.onTopicChange(topic, version, body));
      }
    }
  }

  /**
   * Adds a local subscriber; the first one makes this node listen for the topic's changes. Completes when the
   * listener is registered cluster-wide: a catch-up read after that cannot miss a change.
   */
  Future<Void> subscribe(String topic, Session s) {
    synchronized (topicListeners) {
      Set<Session> set = subscribers.computeIfAbsent(topic, t -> ConcurrentHashMap.newKeySet());
      set.add(s);
      MessageConsumer<JsonObject> listener = topicListeners.get(topic);
      if (listener == null) {
        listener = vertx.eventBus().consumer(TOPIC_ADDRESS_PREFIX + topic, m -> {
          JsonObject change = m.body();
          topicChanged(change.getString("topic"), change.getLong("version"), change.getString("body"));
        });
        topicListeners.put(topic, listener);
      }
      return listener.completion();
    }
  }

  /** Removes a local subscriber; with the last one the node stops listening for the topic. */
  void unsubscribe(String topic, Session s) {
    synchronized (topicListeners) {
      Set<Session> set = subscribers.get(topic);
      if (set == null || !set.remove(s) || !set.isEmpty()) {
        return;
      }
      subscribers.remove(topic);
      MessageConsumer<JsonObject> listener = topicListeners.remove(topic);
      if (listener != null) {
        listener.unregister();
      }
    }
  }

  /**
   * Subscribes the session here and then sends the topic's latest value if the client does not have it. The
   * catch-up read comes after the listener is registered, and once more a moment later: another node's view of the
   * registrations follows the registration asynchronously, so a publish landing in between could otherwise be
   * missed until the next one.
   */
  void follow(Session s, String topic) {
    subscribe(topic, s).onComplete(ar -> {
      catchUp(s, topic);
      vertx.setTimer(SECOND_CATCH_UP_MS, id -> catchUp(s, topic));
    });
  }

  /** Topics this node listens to (for tests and metrics). */
  public int listenedTopics() {
    synchronized (topicListeners) {
      return topicListeners.size();
    }
  }

  /** Sends the topic's latest value if it is newer than what the client has. */
  void catchUp(Session s, String topic) {
    store.topic(topic).onSuccess(rec -> {
      if (rec != null) {
        s.ctx.runOnContext(v -> s.onTopicChange(topic, rec.version(), rec.body()));
      }
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Presence (docs/PROTOCOL.md §4) and session ends

  void stateChanged(Session s, SessionState state) {
    metrics.transition(state.name());
    updatePresence(s.clientId, s.id, state.name(), null);
  }

  void heartbeat(Session s, String attrs) {
    store.presence(s.clientId, PresenceOp.update(s.id, null, null, attrs, System.currentTimeMillis()));
  }

  private void updatePresence(String clientId, String sessionId, String state, String attrs) {
    store.presence(clientId, PresenceOp.update(sessionId, state, nodeId, attrs, System.currentTimeMillis()))
        .onFailure(e -> LOG.log(Level.WARNING, "presence update failed for " + clientId, e));
    publishPresence(clientId, sessionId, state);
  }

  private void publishPresence(String clientId, String sessionId, String state) {
    vertx.eventBus().publish(PRESENCE_EVENTS, new JsonObject().put("clientId", clientId).put("sessionId", sessionId)
        .put("state", state).put("node", nodeId).put("at", System.currentTimeMillis()));
  }

  /** The session's socket is gone and its state is in the store (or it was fenced): forget it here. */
  void detached(Session s) {
    sessions.remove(s.id, s);
    byClient.remove(s.clientId, s);
    for (String topic : s.subscriptions().keySet()) {
      unsubscribe(topic, s);
    }
    if (s.openServerRequests > 0) {
      failServerRequests(s.id);
    }
  }

  /**
   * The session left this node: its answers to server-initiated requests will arrive wherever it goes next, where
   * nobody waits for them. Fail the waiting backends now with a retryable 503 rather than let them time out.
   */
  private void failServerRequests(String sessionId) {
    String prefix = sessionId + "/";
    serverRequests.keySet().removeIf(key -> {
      if (!key.startsWith(prefix)) {
        return false;
      }
      ServerRequest pending = serverRequests.get(key);
      if (pending != null) {
        vertx.cancelTimer(pending.timerId());
        pending.promise().tryFail(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 503,
            "the client moved to another connection before answering; ask again"));
      }
      return true;
    });
  }

  /** Ends a session for good in the store, then marks presence CLOSED. */
  Future<Void> ended(Session s, String reason) {
    detached(s);
    return store.end(s.id, reason, System.currentTimeMillis()).compose(clientId -> {
      metrics.transition(SessionState.CLOSED.name());
      updatePresence(s.clientId, s.id, SessionState.CLOSED.name(), null);
      return Future.<Void>succeededFuture();
    });
  }

  /** Ends a session wherever it is: {@code replaced} by a newer hello, {@code kicked} by an operator. */
  public Future<Void> endSession(String sessionId, String reason) {
    return endSession(sessionId, reason, 0);
  }

  private Future<Void> endSession(String sessionId, String reason, int hops) {
    Session s = sessions.get(sessionId);
    if (s != null) {
      return s.run(() -> s.end(reason, false));
    }
    return store.owner(sessionId).compose(owner -> {
      if (owner != null && !instance.equals(owner) && hops == 0) {
        // Its node says bye on its socket; if that node is gone, end it in the store from here.
        return forward(owner, new JsonObject().put("op", "end").put("sessionId", sessionId).put("reason", reason)
            .put("hops", 1)).<Void>mapEmpty().recover(e -> endInStore(sessionId, reason));
      }
      return endInStore(sessionId, reason);
    });
  }

  private Future<Void> endInStore(String sessionId, String reason) {
    return store.end(sessionId, reason, System.currentTimeMillis()).compose(clientId -> {
      if (clientId != null) {
        metrics.transition(SessionState.CLOSED.name());
        updatePresence(clientId, sessionId, SessionState.CLOSED.name(), null);
      }
      return Future.<Void>succeededFuture();
    });
  }

  public Future<PresenceRecord> presence(String clientId) {
    return store.presence(clientId);
  }

  /** Expires sessions detached past their window (run by the oldest member) and reports them CLOSED. */
  public Future<Integer> expireDetached() {
    if (!store.isOldestMember()) {
      return Future.succeededFuture(0);
    }
    return store.expireDetached(System.currentTimeMillis()).map(ended -> {
      ended.forEach((sessionId, clientId) -> {
        metrics.transition(SessionState.CLOSED.name());
        updatePresence(clientId, sessionId, SessionState.CLOSED.name(), null);
      });
      return ended.size();
    });
  }

  /** Resolves a client id to its current session id (null if it has none that is not closed). */
  public Future<String> sessionOf(String clientId) {
    Session local = byClient.get(clientId);
    if (local != null) {
      return Future.succeededFuture(local.id);
    }
    return store.presence(clientId).map(p -> p == null || "CLOSED".equals(p.state()) ? null : p.sessionId());
  }

  /** The event-bus failure a backend sees when a send or request to a client is refused. */
  public static ReplyException asReplyFailure(Throwable e) {
    if (e instanceof Session.SendRefused r) {
      int code = r.retryable ? 503 : switch (r.code) {
        case OVERFLOW -> 409;
        case BAD_FRAME -> 400;
        default -> 404;
      };
      return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, r.code.wire() + ": " + r.getMessage());
    }
    return e instanceof ReplyException re ? re : new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 500,
        String.valueOf(e.getMessage()));
  }
}
