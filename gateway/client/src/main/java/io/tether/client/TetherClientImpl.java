package io.tether.client;

import io.tether.client.internal.ClientStore;
import io.tether.client.internal.OfflineStore;
import io.tether.client.internal.ResponseCache;
import io.tether.protocol.DecodeResult;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.NamePatterns;
import io.tether.protocol.RawJson;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@link TetherClient} implementation. All mutable state is confined to {@link #ctx}; public methods hop onto it.
 * Fields read by the observation methods from other threads are volatile and only written on the context.
 *
 * <p>Vocabulary: a <em>connection</em> ({@link Conn}) is one socket attempt; a <em>session</em> spans connections
 * (resume) until it ends or cannot be resumed (then a new one starts: re-sync).
 */
final class TetherClientImpl implements TetherClient {

  private static final Logger LOG = Logger.getLogger(TetherClientImpl.class.getName());
  /** Fatal server errors in a row without progress before the client stops reconnecting (avoids a resend loop). */
  private static final int MAX_FATAL_STREAK = 3;
  /** How long {@link #close()} waits for the server to close the socket after {@code bye}. */
  private static final long BYE_CLOSE_WAIT_MS = 2_000;
  /** Heartbeat checks run this often at most (and at least every heartbeat/4). */
  private static final long MAX_TICK_MS = 1_000;
  /** Size counted for a queued request besides its address and body (the frame's fixed fields). */
  private static final int QUEUED_OVERHEAD_BYTES = 64;

  private enum Mode { HELLO, RESUME }

  private enum Phase { CONNECTING, HANDSHAKE, ONLINE, DEAD }

  /** One socket attempt. */
  private static final class Conn {
    final int id;
    final Mode mode;
    ClientWebSocket ws;
    Phase phase = Phase.CONNECTING;
    long attemptTimer = -1;
    long heartbeatTimer = -1;
    long lastSent;
    long lastHeard;
    /** Every buffered own frame has been (re)written on it: queued requests may follow. */
    boolean flushed;
    final Promise<Void> closed = Promise.promise();

    Conn(int id, Mode mode) {
      this.id = id;
      this.mode = mode;
    }
  }

  /** One own reliable frame, kept until the server acks it. */
  private static final class OutFrame {
    final long seq;
    final Frame.Reliable frame;
    final String text;
    final int bytes;
    /** Written to some socket at least once (so the server may have acted on it). */
    boolean written;
    /** The connection it was last written to (resend after resume: every frame not written to the new one). */
    int writtenOn = -1;
    /** For subscribe/unsubscribe: who waits for the server's acceptance (every subscribe has one). */
    TopicWaiter waiter;

    OutFrame(long seq, Frame.Reliable frame, String text) {
      this.seq = seq;
      this.frame = frame;
      this.text = text;
      this.bytes = utf8Length(text);
    }
  }

  /**
   * A subscribe/unsubscribe waiting for the server. The server refuses a subscribe with a non-fatal error naming the
   * subscribe's seq ({@code refSeq}) and topic, sent before its ack that covers that seq; so a subscribe whose seq is
   * acked without such an error was accepted (docs/CLIENT.md "Topics"). {@code promise} is null for a subscribe nobody
   * waits for (one renewed on a new session).
   */
  private static final class TopicWaiter {
    final String topic;
    final boolean subscribe;
    final Promise<Void> promise;

    TopicWaiter(String topic, boolean subscribe, Promise<Void> promise) {
      this.topic = topic;
      this.subscribe = subscribe;
      this.promise = promise;
    }
  }

  /**
   * A client request waiting for its response. Either queued (no seq yet, in {@link #queue}) or sent (numbered, its
   * frame in {@link #outbound} until acked).
   */
  private static final class PendingRequest {
    final long stream;
    final String address;
    final String bodyJson;
    final Promise<Reply> promise;
    /** The canonical request body when the address is cacheable (a read), else null (a write). */
    final String canonicalBody;
    final long timeoutMs;
    /** Size counted against the queue's byte bound. */
    final int queuedBytes;
    /** Restored from the on-disk store: nobody waits for the future, so a failure is reported. */
    final boolean restored;
    OutFrame frame;
    boolean queued;
    long timer = -1;
    /** Related resources pushed on the request's stream, by label (JSON text), in arrival order. */
    Map<String, String> resources;

    PendingRequest(long stream, String address, String bodyJson, Promise<Reply> promise, String canonicalBody,
        long timeoutMs, boolean restored) {
      this.stream = stream;
      this.address = address;
      this.bodyJson = bodyJson;
      this.promise = promise;
      this.canonicalBody = canonicalBody;
      this.timeoutMs = timeoutMs;
      this.restored = restored;
      this.queuedBytes = utf8Length(address) + utf8Length(bodyJson) + QUEUED_OVERHEAD_BYTES;
    }

    /** A write: a request to an address that is not cacheable. Queued writes are stored, and time out from sending. */
    boolean isWrite() {
      return canonicalBody == null;
    }
  }

  private final Vertx vertx;
  private final Context ctx;
  private final TetherClientOptions options;
  private final FrameCodec codec;
  private final WebSocketClient wsClient;
  private final WebSocketConnectOptions connectOptions;

  // Handlers: set from any thread, called on ctx.
  private volatile Handler<Push> pushHandler;
  private volatile Handler<Notification> notifyHandler;
  private volatile Function<ServerRequest, Future<Object>> requestHandler;
  private volatile Handler<ConnectionState> stateHandler;
  private volatile Handler<SessionEvent> sessionHandler;
  private volatile Handler<Throwable> exceptionHandler;
  private volatile Handler<JsonObject> inboundFrameHandler;

  // Observable from any thread, written on ctx only.
  private volatile ConnectionState state = ConnectionState.OFFLINE;
  private volatile String sessionId;
  private volatile String node;
  private volatile long heartbeatMs;
  private volatile long lastReceived;
  private volatile long outSeq;
  private volatile int outboundSize;
  private volatile int queueSize;
  private final Map<String, Long> subscriptions = java.util.Collections.synchronizedMap(new LinkedHashMap<>());

  // Confined to ctx.
  private Conn conn;
  private int connIds;
  private String resumeToken;
  private JsonObject attrs;
  private boolean attrsDirty;
  private long lastAckSent;
  private boolean ackForced;
  private long ackTimer = -1;
  private long serverAck;
  private final ArrayDeque<OutFrame> outbound = new ArrayDeque<>();
  private long outboundBytes;
  /** Requests not sent yet, in call order (see {@link PendingRequest}). */
  private final ArrayDeque<PendingRequest> queue = new ArrayDeque<>();
  private long queueBytes;
  private final Map<Long, PendingRequest> requests = new HashMap<>();
  private long nextStream = 1;
  private int sessionGeneration;
  private int reconnectAttempts;
  private long reconnectTimer = -1;
  private boolean reconnectImmediately;
  /** The node that asked us to reconnect (it is draining): the next resume does not ask to be routed back to it. */
  private String leavingNode;
  private int fatalStreak;
  private Promise<Void> connectPromise;
  private Promise<Void> closePromise;
  /** Set when resume failed, until the new session's welcome: the session that was lost and why. */
  private String lostSessionId;
  private String resyncReason;

  // Offline operation: cache, topic values, on-disk store.
  private final NamePatterns cacheable;
  private final ResponseCache cache;
  /** The latest notification of each topic (followed now, or restored from the store). */
  private final Map<String, Notification> topicValues = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
  private final OfflineStore offline;

  TetherClientImpl(Vertx vertx, TetherClientOptions options) {
    if (vertx == null) {
      throw new IllegalArgumentException("vertx is required");
    }
    if (options == null) {
      throw new IllegalArgumentException("options are required");
    }
    this.options = new TetherClientOptions(options).validate();
    this.vertx = vertx;
    Context current = Vertx.currentContext();
    this.ctx = current != null && current.owner() == vertx ? current : vertx.getOrCreateContext();
    this.codec = new FrameCodec(Math.max(this.options.getMaxFrameBytes() * 2, 4096));
    this.attrs = this.options.getAttrs();
    URI uri = this.options.parsedUrl();
    boolean ssl = "wss".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : (ssl ? 443 : 80);
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    int inboundLimit = Math.max(this.options.getMaxFrameBytes() * 2, 4096);
    this.wsClient = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(inboundLimit)
        .setMaxMessageSize(inboundLimit)
        .setTryUsePerMessageCompression(false)
        .setTryUsePerFrameCompression(false)
        .setClosingTimeout(2)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, this.options.getConnectTimeoutMs())));
    this.connectOptions = new WebSocketConnectOptions()
        .setHost(uri.getHost())
        .setPort(port)
        .setSsl(ssl)
        .setURI(path)
        // Bounds the WebSocket upgrade: a path that accepts TCP but never answers is given up (and closed).
        .setIdleTimeout(this.options.getConnectTimeoutMs());
    this.cacheable = new NamePatterns(this.options.getCacheableAddresses());
    this.cache = new ResponseCache(this.options.getCacheMaxEntries(), this.options.getCacheMaxBytes());
    this.offline = new OfflineStore(vertx, ctx, this.options.getClientId(), this.options.getStoreDir(), cache,
        this::report);
    offline.load(new OfflineStore.Source() {
      @Override
      public List<ClientStore.StoredWrite> queuedWrites() {
        List<ClientStore.StoredWrite> writes = new ArrayList<>();
        for (PendingRequest p : queue) {
          if (p.isWrite()) {
            writes.add(new ClientStore.StoredWrite(p.address, p.bodyJson));
          }
        }
        return writes;
      }

      @Override
      public List<Notification> topicValues() {
        synchronized (topicValues) {
          return new ArrayList<>(topicValues.values());
        }
      }
    }, new OfflineStore.Restorer() {
      @Override
      public void topicValue(Notification value) {
        topicValues.put(value.topic(), value);
      }

      @Override
      public void write(ClientStore.StoredWrite w) {
        Promise<Reply> promise = Promise.promise();
        promise.future().onFailure(t -> {
          if (!(t instanceof TetherException te) || !te.isRemote() && !TetherException.TIMEOUT.equals(te.code())
              && !TetherException.CLOSED.equals(te.code())) {
            report(new TetherException(t instanceof TetherException te ? te.code() : ClientErrorCode.UNKNOWN.code(),
                "stored write to '" + w.address() + "' not sent: " + t.getMessage()));
          }
        });
        // Restored as writes whatever the options say now: they were stored as writes.
        submit(new PendingRequest(0, w.address(), w.body(), promise, null, options.getRequestTimeoutMs(), true));
      }

      @Override
      public void forgetTopicValues() {
        topicValues.clear();
      }
    });
  }

  private boolean isCacheable(String address) {
    return cacheable.matches(address);
  }

  // =============================================================================================================
  // Public API

  @Override
  public Future<Void> connect() {
    Promise<Void> result = Promise.promise();
    whenReady(() -> {
      switch (state) {
        case CLOSED -> result.fail(new TetherException(TetherException.CLOSED, "the client is closed"));
        case ONLINE -> result.complete();
        case CONNECTING, RECONNECTING -> connectPromise().future().onComplete(result);
        case OFFLINE -> {
          connectPromise().future().onComplete(result);
          reconnectAttempts = 0;
          boolean hadSession = sessionId != null || lostSessionId != null;
          setState(hadSession ? ConnectionState.RECONNECTING : ConnectionState.CONNECTING);
          openSocket();
        }
      }
    });
    return result.future();
  }

  @Override
  public Future<Object> request(String address, Object body) {
    return request(address, body, options.getRequestTimeoutMs());
  }

  @Override
  public Future<Object> request(String address, Object body, long timeoutMs) {
    return requestEx(address, body, timeoutMs).map(Reply::body);
  }

  @Override
  public Future<Reply> requestEx(String address, Object body) {
    return requestEx(address, body, options.getRequestTimeoutMs());
  }

  @Override
  public Future<Reply> requestEx(String address, Object body, long timeoutMs) {
    Promise<Reply> promise = Promise.promise();
    if (address == null || address.isEmpty()) {
      promise.fail(new IllegalArgumentException("address must be a non-empty string"));
      return promise.future();
    }
    if (timeoutMs < 0) {
      promise.fail(new IllegalArgumentException("timeoutMs must be 0 (none) or positive"));
      return promise.future();
    }
    String json;
    try {
      json = Json.encode(body);
    } catch (RuntimeException e) {
      promise.fail(new IllegalArgumentException("the request body cannot be encoded as JSON: " + e.getMessage(), e));
      return promise.future();
    }
    String canonicalBody = isCacheable(address) ? ResponseCache.canonical(json) : null;
    whenReady(() -> submit(new PendingRequest(0, address, json, promise, canonicalBody, timeoutMs, false)));
    return promise.future();
  }

  /**
   * Places a request: answered from the cache (a cacheable one while not ONLINE, when cached), sent at once (ONLINE,
   * nothing queued), or queued (otherwise). The stream id is given here, so streams follow call order.
   */
  private void submit(PendingRequest req) {
    if (state == ConnectionState.CLOSED) {
      req.promise.fail(new TetherException(TetherException.CLOSED, "the client is closed"));
      return;
    }
    if (state != ConnectionState.ONLINE && req.canonicalBody != null) {
      ResponseCache.Entry hit = cache.get(ResponseCache.key(req.address, req.canonicalBody));
      if (hit != null) {
        req.promise.complete(hit.toReply());
        return;
      }
    }
    long stream = nextStream;
    PendingRequest p = new PendingRequest(stream, req.address, req.bodyJson, req.promise, req.canonicalBody,
        req.timeoutMs, req.restored);
    boolean online = conn != null && conn.phase == Phase.ONLINE && conn.flushed;
    if (online && queue.isEmpty()) {
      try {
        p.frame = enqueue(seq -> new Frame.Request(seq, stream, p.address, RawJson.of(p.bodyJson)), false);
      } catch (TetherException e) {
        p.promise.fail(e);
        return;
      }
      nextStream += 2;
      requests.put(stream, p);
      startRequestTimer(p);
      return;
    }
    // Queued: checked now, so that it fails at the call rather than when it is sent.
    int frameBytes = utf8Length(codec.encode(new Frame.Request(Long.MAX_VALUE, stream, p.address,
        RawJson.of(p.bodyJson))));
    if (frameBytes > options.getMaxFrameBytes()) {
      p.promise.fail(new TetherException(TetherException.TOO_LARGE, "the 'request' frame is " + frameBytes
          + " bytes, above maxFrameBytes (" + options.getMaxFrameBytes() + ")"));
      return;
    }
    if (queue.size() >= options.getMaxQueuedRequests() || queueBytes + p.queuedBytes > options.getMaxQueuedBytes()) {
      p.promise.fail(new TetherException(TetherException.QUEUE_FULL, "the request queue is full (" + queue.size()
          + " requests, " + queueBytes + " bytes wait for the connection; bounds: maxQueuedRequests "
          + options.getMaxQueuedRequests() + ", maxQueuedBytes " + options.getMaxQueuedBytes() + ")"));
      return;
    }
    nextStream += 2;
    requests.put(stream, p);
    p.queued = true;
    queue.addLast(p);
    queueBytes += p.queuedBytes;
    queueChanged(p);
    if (!p.isWrite()) {
      startRequestTimer(p); // a read is only worth having soon: waiting counts
    }
    drainQueue();
  }

  private void startRequestTimer(PendingRequest p) {
    if (p.timeoutMs <= 0 || p.timer >= 0) {
      return;
    }
    p.timer = vertx.setTimer(p.timeoutMs, id -> {
      if (requests.remove(p.stream, p)) {
        if (p.queued) {
          unqueue(p);
        }
        p.promise.tryFail(new TetherException(TetherException.TIMEOUT,
            "no response to '" + p.address + "' within " + p.timeoutMs + " ms"));
        if (p.restored) {
          report(new TetherException(TetherException.TIMEOUT, "stored write to '" + p.address
              + "': no response within " + p.timeoutMs + " ms"));
        }
      }
    });
  }

  private void unqueue(PendingRequest p) {
    if (queue.remove(p)) {
      p.queued = false;
      queueBytes -= p.queuedBytes;
      queueChanged(p);
    }
  }

  private void queueChanged(PendingRequest p) {
    queueSize = queue.size();
    if (p.isWrite()) {
      writesChanged();
    }
  }

  /**
   * Sends queued requests, in order, while the outbound buffer has room: each becomes a reliable frame with the next
   * seq. Only on a connection where every older buffered frame was written already (else a seq would overtake).
   */
  private void drainQueue() {
    Conn c = conn;
    if (c == null || c.phase != Phase.ONLINE || !c.flushed) {
      return;
    }
    while (!queue.isEmpty()) {
      PendingRequest p = queue.peekFirst();
      if (!outbound.isEmpty() && (outbound.size() >= options.getMaxOutboundFrames()
          || outboundBytes + p.queuedBytes > options.getMaxOutboundBytes())) {
        return; // the next acks make room
      }
      queue.pollFirst();
      p.queued = false;
      queueBytes -= p.queuedBytes;
      queueChanged(p);
      try {
        p.frame = enqueue(seq -> new Frame.Request(seq, p.stream, p.address, RawJson.of(p.bodyJson)), true);
      } catch (TetherException e) {
        requests.remove(p.stream, p);
        cancelTimer(p.timer);
        p.promise.tryFail(e);
        continue;
      }
      startRequestTimer(p); // a write's timeout starts now
    }
  }

  @Override
  public Future<JsonObject> requestJson(String address, Object body) {
    return request(address, body).compose(v -> v instanceof JsonObject o ? Future.succeededFuture(o)
        : Future.failedFuture(new TetherException(ErrorCode.BAD_FRAME.wire(), "the response body of '" + address
            + "' is not a JSON object: " + Json.encode(v))));
  }

  @Override
  public Future<Void> subscribe(String topic, long knownVersion) {
    Promise<Void> promise = Promise.promise();
    if (topic == null || topic.isEmpty()) {
      promise.fail(new IllegalArgumentException("topic must be a non-empty string"));
      return promise.future();
    }
    if (knownVersion < 0) {
      promise.fail(new IllegalArgumentException("knownVersion must be 0 (nothing cached) or positive"));
      return promise.future();
    }
    whenReady(() -> {
      try {
        OutFrame f = enqueue(seq -> new Frame.Subscribe(seq, topic, knownVersion), false);
        f.waiter = new TopicWaiter(topic, true, promise);
        subscriptions.put(topic, knownVersion);
      } catch (TetherException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }

  @Override
  public Future<Void> unsubscribe(String topic) {
    Promise<Void> promise = Promise.promise();
    if (topic == null || topic.isEmpty()) {
      promise.fail(new IllegalArgumentException("topic must be a non-empty string"));
      return promise.future();
    }
    whenReady(() -> {
      try {
        OutFrame f = enqueue(seq -> new Frame.Unsubscribe(seq, topic), false);
        f.waiter = new TopicWaiter(topic, false, promise);
        subscriptions.remove(topic);
        if (topicValues.remove(topic) != null) {
          cacheChanged();
        }
      } catch (TetherException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }

  @Override
  public Future<Void> updateAttrs(JsonObject newAttrs) {
    Promise<Void> promise = Promise.promise();
    JsonObject copy = newAttrs == null ? null : newAttrs.copy();
    whenReady(() -> {
      if (state == ConnectionState.CLOSED) {
        promise.fail(new TetherException(TetherException.CLOSED, "the client is closed"));
        return;
      }
      attrs = copy;
      attrsDirty = true;
      if (conn != null && conn.phase == Phase.ONLINE) {
        sendPing(conn);
      }
      promise.complete();
    });
    return promise.future();
  }

  @Override
  public Future<Void> close() {
    Promise<Void> result = Promise.promise();
    whenReady(() -> {
      if (closePromise != null) {
        closePromise.future().onComplete(result);
        return;
      }
      closePromise = Promise.promise();
      closePromise.future().onComplete(result);
      cancelTimer(reconnectTimer);
      reconnectTimer = -1;
      cancelAckTimer();
      Conn c = conn;
      conn = null;
      String ended = sessionId;
      boolean online = c != null && c.phase == Phase.ONLINE;
      // Queued writes stay in the store (the next client on it sends them); snapshot before they are failed here.
      Future<Void> saved = finalSave();
      setState(ConnectionState.CLOSED);
      failEverything(new TetherException(TetherException.CLOSED, "the client was closed" + (offline.dir() == null
          || queue.stream().noneMatch(PendingRequest::isWrite) ? ""
          : "; queued writes stay in the store at " + offline.dir() + ", the next client on it sends them")));
      Future<Void> socketDone;
      if (online) {
        // Ending the session: the server closes the socket once the session is gone from the store.
        write(c, codec.encode(new Frame.Bye(null)));
        stopTimers(c);
        c.phase = Phase.DEAD;
        Promise<Void> done = Promise.promise();
        long guard = vertx.setTimer(BYE_CLOSE_WAIT_MS, id -> {
          closeQuietly(c);
          done.tryComplete();
        });
        c.closed.future().onComplete(ar -> {
          vertx.cancelTimer(guard);
          done.tryComplete();
        });
        socketDone = done.future();
      } else {
        if (c != null) {
          kill(c);
        }
        socketDone = Future.succeededFuture();
      }
      socketDone.onComplete(ar -> {
        emit(new SessionEvent(SessionEvent.Kind.ENDED, null, ended, null, "closed", 0));
        Future.join(saved, wsClient.close()).onComplete(x -> closePromise.complete());
      });
    });
    return result.future();
  }

  @Override
  public TetherClient pushHandler(Handler<Push> handler) {
    this.pushHandler = handler;
    return this;
  }

  @Override
  public TetherClient notifyHandler(Handler<Notification> handler) {
    this.notifyHandler = handler;
    return this;
  }

  @Override
  public TetherClient requestHandler(Function<ServerRequest, Future<Object>> handler) {
    this.requestHandler = handler;
    return this;
  }

  @Override
  public TetherClient stateHandler(Handler<ConnectionState> handler) {
    this.stateHandler = handler;
    return this;
  }

  @Override
  public TetherClient sessionHandler(Handler<SessionEvent> handler) {
    this.sessionHandler = handler;
    return this;
  }

  @Override
  public TetherClient exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public TetherClient inboundFrameHandler(Handler<JsonObject> handler) {
    this.inboundFrameHandler = handler;
    return this;
  }

  @Override
  public ConnectionState state() {
    return state;
  }

  @Override
  public String sessionId() {
    return sessionId;
  }

  @Override
  public String node() {
    return node;
  }

  @Override
  public long heartbeatMs() {
    return heartbeatMs;
  }

  @Override
  public long lastReceivedSeq() {
    return lastReceived;
  }

  @Override
  public long lastSentSeq() {
    return outSeq;
  }

  @Override
  public int unackedFrames() {
    return outboundSize;
  }

  @Override
  public Map<String, Long> subscriptions() {
    synchronized (subscriptions) {
      return new LinkedHashMap<>(subscriptions);
    }
  }

  @Override
  public int queuedRequests() {
    return queueSize;
  }

  @Override
  public Reply cached(String address, Object body) {
    if (address == null) {
      return null;
    }
    ResponseCache.Entry e = cache.get(ResponseCache.key(address, ResponseCache.canonical(Json.encode(body))));
    return e == null ? null : e.toReply();
  }

  @Override
  public int cachedResponses() {
    return cache.size();
  }

  @Override
  public Notification cachedTopic(String topic) {
    return topicValues.get(topic);
  }

  @Override
  public Future<Void> ready() {
    return offline.ready();
  }

  @Override
  public Future<Void> flushStore() {
    Promise<Void> promise = Promise.promise();
    whenReady(() -> offline.flush().onComplete(promise));
    return promise.future();
  }

  @Override
  public TetherClientOptions options() {
    return new TetherClientOptions(options);
  }

  @Override
  public String toString() {
    String id = sessionId;
    return "TetherClient[" + options.getClientId() + ", " + state + ", session="
        + (id == null ? "none" : id.substring(0, Math.min(6, id.length())) + "…") + ", node=" + node
        + ", lastReceived=" + lastReceived + ", lastSent=" + outSeq + ", unacked=" + outboundSize + ", queued="
        + queueSize + ", cached=" + cache.size() + "]";
  }

  // =============================================================================================================
  // Connections

  private Promise<Void> connectPromise() {
    if (connectPromise == null) {
      connectPromise = Promise.promise();
    }
    return connectPromise;
  }

  /** Opens a socket and sends {@code resume} if there is a session to resume, else {@code hello}. */
  private void openSocket() {
    Conn c = new Conn(++connIds, sessionId != null ? Mode.RESUME : Mode.HELLO);
    conn = c;
    ClientWebSocket ws = wsClient.webSocket();
    c.ws = ws;
    ws.textMessageHandler(text -> onText(c, text));
    ws.binaryMessageHandler(b -> {
      if (c == conn) {
        report(new TetherException(ErrorCode.BAD_FRAME.wire(), "the server sent a binary frame; ignored"));
      }
    });
    ws.exceptionHandler(t -> LOG.log(Level.FINE, "socket error", t));
    ws.closeHandler(v -> {
      c.closed.tryComplete();
      onSocketClosed(c, ws.closeStatusCode(), ws.closeReason());
    });
    long timeout = options.getConnectTimeoutMs();
    c.attemptTimer = vertx.setTimer(timeout, id -> {
      c.attemptTimer = -1;
      if (c == conn && c.phase != Phase.ONLINE) {
        attemptFailed(c, new TetherException(TetherException.CONNECT_FAILED, "no "
            + (c.mode == Mode.HELLO ? "welcome" : "resumed") + " from " + options.getUrl() + " within " + timeout
            + " ms"));
      }
    });
    ws.connect(c.mode == Mode.RESUME ? resumeConnectOptions() : connectOptions).onComplete(ar -> {
      if (c != conn || c.phase == Phase.DEAD) {
        if (ar.succeeded()) {
          closeQuietly(c);
        }
        return;
      }
      if (ar.failed()) {
        attemptFailed(c, new TetherException(TetherException.CONNECT_FAILED, "cannot connect to "
            + options.getUrl() + ": " + ar.cause().getMessage(), null, false, ar.cause()));
        return;
      }
      c.phase = Phase.HANDSHAKE;
      c.lastHeard = now();
      if (c.mode == Mode.HELLO) {
        RawJson a = attrs == null ? null : RawJson.of(attrs.encode());
        write(c, codec.encode(new Frame.Hello(options.getClientId(), options.getToken(), a)));
        attrsDirty = false;
      } else {
        write(c, codec.encode(new Frame.Resume(sessionId, resumeToken, lastReceived)));
      }
    });
  }

  /**
   * The configured URL plus {@code sid=<sessionId>&node=<node>}: the server ignores them, a load balancer may route
   * the resume to the node the session was on (cluster-config/haproxy.cfg). No {@code node} when that node asked
   * the client to reconnect: it is shutting down.
   */
  private WebSocketConnectOptions resumeConnectOptions() {
    String uri = connectOptions.getURI();
    StringBuilder b = new StringBuilder(uri.length() + 96).append(uri).append(uri.indexOf('?') < 0 ? '?' : '&')
        .append("sid=").append(URLEncoder.encode(sessionId, StandardCharsets.UTF_8));
    if (node != null && !node.equals(leavingNode)) {
      b.append("&node=").append(URLEncoder.encode(node, StandardCharsets.UTF_8));
    }
    return new WebSocketConnectOptions(connectOptions).setURI(b.toString());
  }

  private void onText(Conn c, String text) {
    if (c != conn || c.phase == Phase.DEAD) {
      return;
    }
    c.lastHeard = now();
    Handler<JsonObject> tap = inboundFrameHandler;
    if (tap != null) {
      JsonObject json;
      try {
        json = new JsonObject(text);
      } catch (DecodeException | ClassCastException e) {
        json = null; // not a JSON object: the codec below reports it
      }
      if (json != null) {
        call(tap, json);
      }
    }
    DecodeResult decoded = codec.decode(text);
    if (decoded instanceof DecodeResult.Failure f) {
      report(new TetherException(f.code().wire(), "undecodable frame from the server ignored: " + f.message()));
      return;
    }
    Frame frame = ((DecodeResult.Ok) decoded).frame();
    if (c.phase == Phase.HANDSHAKE) {
      onHandshakeFrame(c, frame);
    } else if (c.phase == Phase.ONLINE) {
      onFrame(c, frame);
    }
  }

  private void onHandshakeFrame(Conn c, Frame frame) {
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

  private void onWelcome(Conn c, Frame.Welcome w) {
    cancelTimer(c.attemptTimer);
    c.attemptTimer = -1;
    c.phase = Phase.ONLINE;
    String lost = lostSessionId;
    String reason = resyncReason;
    lostSessionId = null;
    resyncReason = null;
    sessionGeneration++;
    sessionId = w.sessionId();
    resumeToken = w.resumeToken();
    node = w.node();
    heartbeatMs = options.getHeartbeatMs() > 0 ? options.getHeartbeatMs()
        : (w.heartbeatMs() > 0 ? w.heartbeatMs() : 25_000);
    lastReceived = 0;
    lastAckSent = 0;
    ackForced = false;
    serverAck = 0;
    fatalStreak = 0;
    int lostRequests = lost != null ? renumberForNewSession() : 0;
    reconnectAttempts = 0;
    leavingNode = null;
    startHeartbeat(c);
    flushOutbound(c);
    c.flushed = true;
    drainQueue();
    setState(ConnectionState.ONLINE);
    emit(lost == null
        ? new SessionEvent(SessionEvent.Kind.STARTED, sessionId, null, node, null, 0)
        : new SessionEvent(SessionEvent.Kind.RESYNCED, sessionId, lost, node, reason, lostRequests));
    completeConnect();
  }

  private void onResumed(Conn c, Frame.Resumed r) {
    cancelTimer(c.attemptTimer);
    c.attemptTimer = -1;
    if (r.lastSeq() < serverAck || r.lastSeq() > outSeq) {
      // The server lost frames it had acked, or claims frames never sent: the session cannot continue consistently.
      report(new TetherException(ErrorCode.BAD_FRAME.wire(), "resumed.lastSeq " + r.lastSeq() + " is outside [" + serverAck + ", "
          + outSeq + "]: starting a new session"));
      kill(c);
      conn = null;
      lostSessionId = sessionId;
      resyncReason = "inconsistent";
      sessionId = null;
      resumeToken = null;
      openSocket();
      return;
    }
    c.phase = Phase.ONLINE;
    resumeToken = r.resumeToken();
    if (r.node() != null) {
      node = r.node();
    }
    lastAckSent = lastReceived; // resume.lastSeq acknowledged everything received
    onServerAck(r.lastSeq());
    reconnectAttempts = 0;
    leavingNode = null;
    startHeartbeat(c);
    flushOutbound(c); // every own frame the server has not stored, in order, with its original seq
    c.flushed = true;
    drainQueue(); // then what waited in the queue, with the next seqs
    if (attrsDirty) {
      sendPing(c);
    }
    setState(ConnectionState.ONLINE);
    emit(new SessionEvent(SessionEvent.Kind.RESUMED, sessionId, null, node, null, 0));
    completeConnect();
  }

  /** The session is gone on the server: start a new one at once (the new welcome reports the re-sync). */
  private void onResumeFailed(Conn c, String reason) {
    kill(c);
    conn = null;
    if (lostSessionId == null) {
      lostSessionId = sessionId;
    }
    resyncReason = reason;
    sessionId = null;
    resumeToken = null;
    openSocket();
  }

  /**
   * A new session replaces a lost one: seqs restart at 1. Requests already sent may or may not have been acted on:
   * they fail with {@link TetherException#SESSION_LOST}. Requests never sent are sent on the new session; topics are
   * subscribed again with their last known versions; answers to the old session's server requests are dropped.
   *
   * @return how many requests failed
   */
  private int renumberForNewSession() {
    List<OutFrame> old = new ArrayList<>(outbound);
    outbound.clear();
    outboundBytes = 0;
    outSeq = 0;
    int lost = 0;
    for (PendingRequest p : new ArrayList<>(requests.values())) {
      if (p.queued) {
        continue; // never numbered: it is sent on the new session after the frames below
      }
      if (p.frame == null || p.frame.written) {
        requests.remove(p.stream);
        cancelTimer(p.timer);
        p.promise.tryFail(new TetherException(TetherException.SESSION_LOST, "the session was lost after the "
            + "request to '" + p.address + "' was sent; whether the server acted on it is unknown"));
        lost++;
      }
    }
    Map<String, List<TopicWaiter>> subscribeWaiters = new HashMap<>();
    for (OutFrame f : old) {
      if (f.frame instanceof Frame.Request r) {
        PendingRequest p = requests.get(r.stream());
        if (p != null) {
          p.frame = append(r.withSeq(++outSeq));
        }
      } else if (f.waiter != null) {
        collectWaiter(f.waiter, subscribeWaiters);
      }
    }
    List<Map.Entry<String, Long>> topics;
    synchronized (subscriptions) {
      topics = new ArrayList<>(subscriptions.entrySet());
    }
    for (Map.Entry<String, Long> t : topics) {
      OutFrame f = append(new Frame.Subscribe(++outSeq, t.getKey(), t.getValue()));
      List<TopicWaiter> waiting = subscribeWaiters.remove(t.getKey());
      Promise<Void> promise = null;
      if (waiting != null) {
        Promise<Void> all = Promise.promise();
        waiting.forEach(w -> all.future().onComplete(w.promise));
        promise = all;
      }
      f.waiter = new TopicWaiter(t.getKey(), true, promise);
    }
    // Waiters of topics no longer followed (unsubscribed meanwhile): the new session does not follow them either.
    subscribeWaiters.values().forEach(ws -> ws.forEach(TetherClientImpl::accepted));
    outboundChanged();
    return lost;
  }

  private static void collectWaiter(TopicWaiter w, Map<String, List<TopicWaiter>> into) {
    if (w.promise == null) {
      return; // nobody waits
    }
    if (w.subscribe) {
      into.computeIfAbsent(w.topic, k -> new ArrayList<>()).add(w);
    } else {
      w.promise.tryComplete(); // an unsubscribe: the new session does not follow the topic
    }
  }

  private static void accepted(TopicWaiter w) {
    if (w.promise != null) {
      w.promise.tryComplete();
    }
  }

  private OutFrame append(Frame.Reliable frame) {
    OutFrame f = new OutFrame(frame.seq(), frame, codec.encode(frame));
    outbound.addLast(f);
    outboundBytes += f.bytes;
    return f;
  }

  private void completeConnect() {
    Promise<Void> p = connectPromise;
    connectPromise = null;
    if (p != null) {
      p.tryComplete();
    }
  }

  /** A connection attempt failed (before the session was attached to it). */
  private void attemptFailed(Conn c, TetherException error) {
    if (c != conn) {
      return;
    }
    kill(c);
    conn = null;
    if (state == ConnectionState.CLOSED) {
      return;
    }
    if (state == ConnectionState.CONNECTING) {
      // The very first connect: no session to keep; the caller hears why. Queued requests stay queued: they are
      // sent by a later connect() (that is how a client that starts offline works). The promise is taken before the
      // state changes: a state handler may call connect() again, and that new attempt is not this failure's.
      Promise<Void> p = connectPromise;
      connectPromise = null;
      failSent(error);
      setState(ConnectionState.OFFLINE);
      if (p != null) {
        p.tryFail(error);
      }
      return;
    }
    LOG.fine(() -> "reconnect attempt failed: " + error.getMessage());
    scheduleReconnect(error);
  }

  private void onSocketClosed(Conn c, Short status, String reason) {
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
  private void connectionLost(Conn c) {
    if (c != conn) {
      return;
    }
    kill(c);
    conn = null;
    if (state == ConnectionState.CLOSED) {
      return;
    }
    scheduleReconnect(null);
  }

  private void scheduleReconnect(TetherException cause) {
    cancelAckTimer();
    setState(ConnectionState.RECONNECTING);
    if (state != ConnectionState.RECONNECTING) {
      return; // the state handler closed the client
    }
    int max = options.getMaxReconnectAttempts();
    if (max >= 0 && reconnectAttempts >= max) {
      giveUp(new TetherException(TetherException.CONNECT_FAILED, "gave up after " + reconnectAttempts
          + " reconnect attempts" + (cause == null ? "" : ": " + cause.getMessage()), null, false, cause));
      return;
    }
    long delay;
    if (reconnectImmediately) {
      reconnectImmediately = false;
      delay = 1;
    } else {
      long bound = options.getReconnectInitialDelayMs() << Math.min(reconnectAttempts, 30);
      bound = bound <= 0 ? options.getReconnectMaxDelayMs() : Math.min(bound, options.getReconnectMaxDelayMs());
      delay = Math.max(1, ThreadLocalRandom.current().nextLong(bound + 1));
    }
    reconnectAttempts++;
    reconnectTimer = vertx.setTimer(delay, id -> {
      reconnectTimer = -1;
      if (state == ConnectionState.RECONNECTING && conn == null) {
        openSocket();
      }
    });
  }

  /** Stops reconnecting: OFFLINE. The session (if any) is kept, so a later connect() resumes it. */
  private void giveUp(TetherException error) {
    cancelTimer(reconnectTimer);
    reconnectTimer = -1;
    reconnectAttempts = 0;
    Conn c = conn;
    conn = null;
    if (c != null) {
      kill(c);
    }
    // Taken before the state changes: a state handler may call connect(), which is a new attempt.
    Promise<Void> p = connectPromise;
    connectPromise = null;
    setState(ConnectionState.OFFLINE);
    report(error);
    if (p != null) {
      p.tryFail(error);
    }
  }

  /** Marks a connection dead, stops its timers and closes its socket; nothing it delivers is looked at again. */
  private void kill(Conn c) {
    c.phase = Phase.DEAD;
    stopTimers(c);
    closeQuietly(c);
  }

  private void stopTimers(Conn c) {
    cancelTimer(c.attemptTimer);
    cancelTimer(c.heartbeatTimer);
    c.attemptTimer = -1;
    c.heartbeatTimer = -1;
  }

  private static void closeQuietly(Conn c) {
    try {
      if (c.ws != null && !c.ws.isClosed()) {
        c.ws.close();
      }
    } catch (RuntimeException e) {
      // not connected yet, or closing already
    }
  }

  // =============================================================================================================
  // Frames from the server

  private void onFrame(Conn c, Frame frame) {
    if (frame instanceof Frame.Push p && p.isVolatile()) {
      deliverPush(p);
    } else if (frame instanceof Frame.Reliable r) {
      onReliable(c, r);
    } else if (frame instanceof Frame.Ack a) {
      onServerAck(a.ack());
    } else if (frame instanceof Frame.Ping p) {
      if (p.ack() >= 0) {
        onServerAck(p.ack());
      }
      write(c, codec.encode(new Frame.Pong(lastReceived)));
      lastAckSent = lastReceived;
    } else if (frame instanceof Frame.Pong p) {
      if (p.ack() >= 0) {
        onServerAck(p.ack());
      }
    } else if (frame instanceof Frame.Error e) {
      onServerError(c, e);
    } else if (frame instanceof Frame.Bye b) {
      sessionEnded(c, b.reason() == null ? "ended" : b.reason());
    } else if (frame instanceof Frame.Reconnect r) {
      LOG.fine(() -> "the server asked to reconnect (" + r.reason() + ")");
      reconnectImmediately = true;
      leavingNode = node;
      connectionLost(c);
    } else {
      LOG.fine(() -> "ignored unexpected '" + frame.type() + "' frame");
    }
  }

  private void onReliable(Conn c, Frame.Reliable f) {
    long seq = f.seq();
    if (seq <= lastReceived) {
      // A replay of something already delivered: drop it, but ack again (our earlier ack may have been lost).
      ackForced = true;
      scheduleAck();
      return;
    }
    if (seq != lastReceived + 1) {
      report(new TetherException(ErrorCode.BAD_FRAME.wire(), "seq gap from the server: expected " + (lastReceived + 1) + ", got "
          + seq + "; reconnecting to resume from " + lastReceived));
      connectionLost(c);
      return;
    }
    lastReceived = seq;
    fatalStreak = 0;
    scheduleAck();
    if (f instanceof Frame.Push p) {
      deliverPush(p);
    } else if (f instanceof Frame.Response r) {
      onResponse(r);
    } else if (f instanceof Frame.Request r) {
      onServerRequest(r);
    } else if (f instanceof Frame.Notify n) {
      onNotify(n);
    } else {
      report(new TetherException(ErrorCode.NOT_ALLOWED.wire(), "the server sent a '" + f.type() + "' frame; ignored"));
    }
  }

  private void deliverPush(Frame.Push p) {
    if (p.stream() != 0 && p.resource() != null) {
      // A related resource of an open request: kept for its Reply (and, for a cacheable one, the cache).
      PendingRequest req = requests.get(p.stream());
      if (req != null && !req.queued) {
        if (req.resources == null) {
          req.resources = new LinkedHashMap<>();
        }
        req.resources.put(p.resource(), p.body() == null ? "null" : p.body().json());
      }
    }
    Handler<Push> h = pushHandler;
    if (h != null) {
      Object body = decode(p.body());
      call(h, new Push(p.seq(), p.stream(), p.resource(), body));
    }
  }

  private void onResponse(Frame.Response r) {
    PendingRequest p = requests.remove(r.stream());
    if (p == null || p.queued) {
      if (p != null) {
        requests.put(p.stream, p); // not sent yet: not its answer (a server bug); it stays queued
      }
      return; // timed out already, or an answer to a request of a lost session
    }
    cancelTimer(p.timer);
    if (r.ok()) {
      String value = r.body() == null ? "null" : r.body().json();
      long now = System.currentTimeMillis();
      if (p.canonicalBody != null && cache.put(p.address, p.canonicalBody, value, p.resources, now)) {
        cacheChanged();
      }
      Map<String, Object> resources = new LinkedHashMap<>();
      if (p.resources != null) {
        p.resources.forEach((label, json) -> resources.put(label, Json.decodeValue(json)));
      }
      p.promise.tryComplete(new Reply(Json.decodeValue(value), false, now, resources));
    } else {
      Frame.ErrorInfo e = r.error();
      TetherException error = TetherException.remote(e == null ? null : e.code(), e == null ? null : e.message());
      p.promise.tryFail(error);
      if (p.restored) {
        report(new TetherException(error.code(), "stored write to '" + p.address + "' refused: " + error.detail(),
            null, true, null));
      }
    }
  }

  private void onServerRequest(Frame.Request r) {
    int generation = sessionGeneration;
    Function<ServerRequest, Future<Object>> h = requestHandler;
    Future<Object> answer;
    if (h == null) {
      answer = Future.failedFuture(new TetherException(ErrorCode.NO_HANDLER.wire(),
          "this client does not answer server requests"));
    } else {
      try {
        answer = h.apply(new ServerRequest(r.seq(), r.stream(), r.address(), decode(r.body())));
        if (answer == null) {
          answer = Future.failedFuture(new IllegalStateException("the request handler returned no future"));
        }
      } catch (RuntimeException e) {
        report(e);
        answer = Future.failedFuture(e);
      }
    }
    answer.onComplete(ar -> onContext(() -> answerServerRequest(generation, r, ar)));
  }

  private void answerServerRequest(int generation, Frame.Request r, AsyncResult<Object> ar) {
    if (generation != sessionGeneration || state == ConnectionState.CLOSED) {
      return; // the session that asked is gone
    }
    Frame.Response response;
    if (ar.succeeded()) {
      String json;
      try {
        json = Json.encode(ar.result());
      } catch (RuntimeException e) {
        json = null;
      }
      response = json != null ? new Frame.Response(0, r.stream(), true, RawJson.of(json), null, true)
          : new Frame.Response(0, r.stream(), false, null, new Frame.ErrorInfo(ErrorCode.BACKEND_ERROR.wire(),
              "the client's answer cannot be encoded as JSON"), true);
    } else {
      Throwable t = ar.cause();
      String code = t instanceof TetherException te ? te.code() : ErrorCode.BACKEND_ERROR.wire();
      String message = t instanceof TetherException te ? te.detail() : t.getMessage();
      response = new Frame.Response(0, r.stream(), false, null,
          new Frame.ErrorInfo(code, message == null ? t.getClass().getSimpleName() : message), true);
    }
    Frame.Response answer = response;
    try {
      enqueue(seq -> answer.withSeq(seq), true);
    } catch (TetherException e) {
      report(new TetherException(e.code(), "cannot answer server request '" + r.address() + "': " + e.detail()));
    }
  }

  private void onNotify(Frame.Notify n) {
    synchronized (subscriptions) {
      Long known = subscriptions.get(n.topic());
      if (known == null) {
        return; // unsubscribed meanwhile
      }
      subscriptions.put(n.topic(), Math.max(known, n.version()));
    }
    synchronized (topicValues) {
      Notification cached = topicValues.get(n.topic());
      if (cached == null || cached.version() <= n.version()) {
        topicValues.put(n.topic(), new Notification(n.seq(), n.topic(), n.version(), decode(n.body())));
      }
    }
    cacheChanged();
    Handler<Notification> h = notifyHandler;
    if (h != null) {
      call(h, new Notification(n.seq(), n.topic(), n.version(), decode(n.body())));
    }
  }

  private void onServerError(Conn c, Frame.Error e) {
    TetherException error = new TetherException(e.code(), e.message(), e.reason(), true, null);
    if (!e.fatal()) {
      if (refuseSubscription(e, error)) {
        return;
      }
      report(error);
      return;
    }
    // Fatal: the server closes the socket; the session stays resumable.
    report(error);
    if (++fatalStreak > MAX_FATAL_STREAK) {
      giveUp(new TetherException(e.code(), "the server refused this client " + fatalStreak + " times in a row: "
          + e.message(), e.reason(), true, null));
      return;
    }
    connectionLost(c);
  }

  /**
   * An error naming one of our subscribes not acked yet ({@code refSeq}, and {@code topic} if given): the server
   * refused that subscription. Matched by seq only, never by the error's message.
   */
  private boolean refuseSubscription(Frame.Error e, TetherException error) {
    if (e.refSeq() <= 0) {
      return false;
    }
    for (OutFrame f : outbound) {
      if (f.seq == e.refSeq()) {
        TopicWaiter w = f.waiter;
        if (w == null || !w.subscribe || e.topic() != null && !e.topic().equals(w.topic)) {
          return false; // not a subscribe of ours, or not that topic: reported as it is
        }
        f.waiter = null;
        subscriptions.remove(w.topic);
        if (w.promise != null) {
          w.promise.tryFail(error);
        } else {
          report(error); // a subscription renewed on a new session: nobody waits for it
        }
        return true;
      }
    }
    return false;
  }

  private void sessionEnded(Conn c, String reason) {
    kill(c);
    conn = null;
    String ended = sessionId;
    cancelTimer(reconnectTimer);
    reconnectTimer = -1;
    cancelAckTimer();
    Future<Void> saved = finalSave();
    setState(ConnectionState.CLOSED);
    failEverything(new TetherException(TetherException.SESSION_ENDED, "the server ended the session: " + reason,
        reason, true, null));
    emit(new SessionEvent(SessionEvent.Kind.ENDED, null, ended, null, reason, 0));
    closePromise = Promise.promise();
    Future.join(saved, wsClient.close()).onComplete(x -> closePromise.complete());
  }

  // =============================================================================================================
  // Acks, heartbeat

  /** The server acknowledged own frames up to {@code ack}: drop them from the buffer. */
  private void onServerAck(long ack) {
    if (ack > outSeq) {
      report(new TetherException(ErrorCode.BAD_FRAME.wire(), "the server acked seq " + ack + " beyond the last sent (" + outSeq
          + "); ignored"));
      return;
    }
    if (ack <= serverAck) {
      return;
    }
    serverAck = ack;
    fatalStreak = 0;
    while (!outbound.isEmpty() && outbound.peekFirst().seq <= ack) {
      OutFrame f = outbound.pollFirst();
      outboundBytes -= f.bytes;
      if (f.waiter != null) {
        accepted(f.waiter); // a refusal would have come before this ack
      }
    }
    outboundChanged();
    drainQueue(); // room was made
  }

  private void scheduleAck() {
    if (lastReceived - lastAckSent >= options.getAckBatchFrames()) {
      sendAck();
    } else if (ackTimer < 0) {
      ackTimer = vertx.setTimer(options.getAckDelayMs(), id -> {
        ackTimer = -1;
        sendAck();
      });
    }
  }

  private void sendAck() {
    cancelAckTimer();
    Conn c = conn;
    if (c == null || c.phase != Phase.ONLINE || (lastReceived <= lastAckSent && !ackForced)) {
      return;
    }
    write(c, codec.encode(new Frame.Ack(lastReceived)));
    lastAckSent = lastReceived;
    ackForced = false;
  }

  private void cancelAckTimer() {
    cancelTimer(ackTimer);
    ackTimer = -1;
  }

  private void sendPing(Conn c) {
    RawJson a = attrsDirty && attrs != null ? RawJson.of(attrs.encode()) : null;
    write(c, codec.encode(new Frame.Ping(lastReceived, a)));
    lastAckSent = lastReceived;
    attrsDirty = false;
  }

  private void startHeartbeat(Conn c) {
    long hb = heartbeatMs;
    long tick = Math.max(10, Math.min(hb / 4, MAX_TICK_MS));
    c.lastHeard = now();
    c.heartbeatTimer = vertx.setPeriodic(tick, id -> {
      if (c != conn || c.phase != Phase.ONLINE) {
        vertx.cancelTimer(id);
        return;
      }
      long t = now();
      if (t - c.lastHeard >= 2 * hb) {
        LOG.fine(() -> "nothing heard for " + (t - c.lastHeard) + " ms: the socket is dead");
        connectionLost(c);
      } else if (t - c.lastSent >= hb) {
        sendPing(c);
      }
    });
  }

  // =============================================================================================================
  // Sending

  /**
   * Numbers a reliable frame, keeps it until acked and writes it if ONLINE (else it goes out after the reconnect).
   *
   * @param beyondBound answers to server requests may exceed the buffer bound (the server bounds them)
   * @throws TetherException if the client cannot take it (closed, offline, buffer full, too large)
   */
  private OutFrame enqueue(LongFunction<Frame.Reliable> build, boolean beyondBound) {
    switch (state) {
      case CLOSED -> throw new TetherException(TetherException.CLOSED, "the client is closed");
      case OFFLINE -> throw new TetherException(TetherException.NOT_CONNECTED,
          "the client is offline: call connect() first");
      default -> { }
    }
    if (!beyondBound && outbound.size() >= options.getMaxOutboundFrames()) {
      throw new TetherException(TetherException.BUFFER_FULL, "the outbound buffer is full ("
          + outbound.size() + " frames not acknowledged by the server; maxOutboundFrames "
          + options.getMaxOutboundFrames() + ")");
    }
    long seq = outSeq + 1;
    Frame.Reliable frame = build.apply(seq);
    String text = codec.encode(frame);
    int bytes = utf8Length(text);
    if (bytes > options.getMaxFrameBytes()) {
      throw new TetherException(TetherException.TOO_LARGE, "the '" + frame.type() + "' frame is " + bytes
          + " bytes, above maxFrameBytes (" + options.getMaxFrameBytes() + ")");
    }
    if (!beyondBound && !outbound.isEmpty() && outboundBytes + bytes > options.getMaxOutboundBytes()) {
      throw new TetherException(TetherException.BUFFER_FULL, "the outbound buffer is full (" + outboundBytes
          + " bytes not acknowledged by the server; maxOutboundBytes " + options.getMaxOutboundBytes() + ")");
    }
    outSeq = seq;
    OutFrame f = new OutFrame(seq, frame, text);
    outbound.addLast(f);
    outboundBytes += f.bytes;
    outboundChanged();
    Conn c = conn;
    if (c != null && c.phase == Phase.ONLINE) {
      writeFrame(c, f);
    }
    return f;
  }

  /** Writes every buffered frame not yet written on {@code c}, in seq order. */
  private void flushOutbound(Conn c) {
    for (OutFrame f : outbound) {
      if (f.writtenOn != c.id) {
        writeFrame(c, f);
      }
    }
  }

  private void writeFrame(Conn c, OutFrame f) {
    write(c, f.text);
    f.written = true;
    f.writtenOn = c.id;
  }

  private void write(Conn c, String text) {
    c.lastSent = now();
    c.ws.writeTextMessage(text).onFailure(e -> LOG.log(Level.FINE, "write failed", e));
  }

  /** Fails everything that waits (requests queued or sent, subscriptions, connect) and empties both buffers. */
  private void failEverything(TetherException error) {
    failSent(error);
    for (PendingRequest p : new ArrayList<>(queue)) {
      requests.remove(p.stream, p);
      cancelTimer(p.timer);
      p.promise.tryFail(error);
    }
    queue.clear();
    queueBytes = 0;
    queueSize = 0;
    Promise<Void> p = connectPromise;
    connectPromise = null;
    if (p != null) {
      p.tryFail(error);
    }
  }

  /** Fails what was numbered (sent requests, subscriptions) and empties the outbound buffer; the queue stays. */
  private void failSent(TetherException error) {
    for (PendingRequest p : new ArrayList<>(requests.values())) {
      if (!p.queued) {
        requests.remove(p.stream);
        cancelTimer(p.timer);
        p.promise.tryFail(error);
      }
    }
    for (OutFrame f : outbound) {
      if (f.waiter != null) {
        if (f.waiter.promise != null) {
          f.waiter.promise.tryFail(error);
        }
        if (f.waiter.subscribe && state != ConnectionState.CLOSED) {
          subscriptions.remove(f.waiter.topic); // never followed
        }
      }
    }
    outbound.clear();
    outboundBytes = 0;
    if (sessionId == null && lostSessionId == null) {
      outSeq = 0; // nothing was numbered in a session yet
    }
    outboundChanged();
  }

  private void outboundChanged() {
    outboundSize = outbound.size();
  }

  private void whenReady(Runnable action) {
    offline.whenReady(action);
  }

  private void writesChanged() {
    offline.writesChanged();
  }

  private void cacheChanged() {
    offline.cacheChanged();
  }

  private Future<Void> finalSave() {
    return offline.finalSave();
  }

  // =============================================================================================================
  // Helpers

  private void setState(ConnectionState next) {
    if (state == next) {
      return;
    }
    state = next;
    Handler<ConnectionState> h = stateHandler;
    if (h != null) {
      call(h, next);
    }
  }

  private void emit(SessionEvent event) {
    Handler<SessionEvent> h = sessionHandler;
    if (h != null) {
      call(h, event);
    }
  }

  /** Calls an application handler; what it throws is reported, never allowed to break the protocol state. */
  private <T> void call(Handler<T> handler, T value) {
    try {
      handler.handle(value);
    } catch (RuntimeException e) {
      report(e);
    }
  }

  private void report(Throwable t) {
    Handler<Throwable> h = exceptionHandler;
    if (h != null) {
      try {
        h.handle(t);
        return;
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "the exception handler failed", e);
      }
    }
    LOG.log(Level.WARNING, "Tether client " + options.getClientId() + ": " + t.getMessage());
  }

  private static Object decode(RawJson raw) {
    return raw == null ? null : Json.decodeValue(raw.json());
  }

  private void cancelTimer(long id) {
    if (id >= 0) {
      vertx.cancelTimer(id);
    }
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == ctx) {
      action.run();
    } else {
      ctx.runOnContext(v -> action.run());
    }
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }

  private static int utf8Length(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return s.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return s.length();
  }
}
