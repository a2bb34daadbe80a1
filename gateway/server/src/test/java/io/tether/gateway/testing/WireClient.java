package io.tether.gateway.testing;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A raw protocol client over one WebSocket, for integration tests that speak the wire contract (docs/PROTOCOL.md)
 * frame by frame — including frames no well-behaved SDK would send.
 *
 * <p>Every text frame the server sends is parsed to a {@link JsonObject} and queued in arrival order. Tests take
 * frames with {@link #next()}, {@link #next(String)} or {@link #take(int, String)}: a frame that arrives before anyone
 * asks for it is kept, and a frame skipped by a typed {@code next(type)} stays queued for later calls. When the socket
 * closes, every wait that can no longer be satisfied fails at once with the frames received so far, so a test fails
 * with a reason rather than by timing out.
 *
 * <p>All state lives on the Vert.x context the client was connected on (the caller's, when {@link #connect} is
 * called on one of this Vert.x instance's contexts); every returned future runs its callbacks on that context.
 * Methods may be called from any thread.
 *
 * <p>A frame that is not a JSON object is queued as {@code {"type":"<invalid>","text":…}}, a binary frame as
 * {@code {"type":"<binary>","length":…}}: the contract forbids both, so a test can assert they never appear.
 */
public final class WireClient {

  /** Path of the client WebSocket (§1). */
  public static final String PATH = "/ws";
  /** Frame and message limit of the test client: far above the server's, so tests can send oversized frames. */
  public static final int MAX_SIZE = 1024 * 1024;
  /** Type given to a received text frame that is not a JSON object. */
  public static final String INVALID = "<invalid>";
  /** Type given to a received binary frame. */
  public static final String BINARY = "<binary>";

  private static final short NORMAL_CLOSE = 1000;
  /** How many received frame types a failure message lists. */
  private static final int HISTORY_IN_FAILURES = 20;

  /** Name of the local map that holds each Vert.x instance's one {@link WebSocketClient} for all WireClients. */
  private static final String SHARED_CLIENT = WireClient.class.getName();

  private final Context context;
  private final ClientWebSocket ws;

  // Confined to the context.
  private final Deque<JsonObject> pending = new ArrayDeque<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private boolean isClosed;

  // Read from any thread.
  private final List<JsonObject> received = new ArrayList<>();
  private final Promise<Short> closed = Promise.promise();
  private final AtomicLong lastSeq = new AtomicLong();
  private final AtomicLong clientSeq = new AtomicLong();
  private volatile String sessionId;
  private volatile String resumeToken;
  private volatile Throwable lastError;
  private volatile boolean autoAck;

  private WireClient(Vertx vertx, Context context) {
    this.context = context;
    this.ws = sharedClient(vertx).webSocket();
    // Handlers are set before connecting, so no frame can arrive before they are in place.
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(b -> onFrame(new JsonObject().put("type", BINARY).put("length", b.length())));
    ws.exceptionHandler(t -> lastError = t);
    ws.closeHandler(v -> onClose());
  }

  /**
   * One WebSocket client per Vert.x instance, closed with it. Not one per socket: Vert.x 5.0 keeps every client it
   * created in its close hooks even after {@code close()} (eclipse-vertx/vert.x#6268, #6311), so a client per socket
   * grew the heap of the fuzz test by ~2 KB a socket and blurred the node's figure.
   */
  private static WebSocketClient sharedClient(Vertx vertx) {
    return vertx.sharedData().<String, SharedClient>getLocalMap(SHARED_CLIENT).computeIfAbsent("client",
        k -> new SharedClient(vertx.createWebSocketClient(new WebSocketClientOptions()
            .setMaxFrameSize(MAX_SIZE)
            .setMaxMessageSize(MAX_SIZE)
            .setMaxConnections(100_000) // tests open hundreds of sockets to one endpoint at once; the default is 50
            .setTryUsePerMessageCompression(false)
            .setTryUsePerFrameCompression(false)))).client;
  }

  /** The shared client, as a local map value. */
  private record SharedClient(WebSocketClient client) implements io.vertx.core.shareddata.Shareable {
  }

  /**
   * Says {@code hello} as {@code clientId} on a plain socket (for tests that need their own client options) and
   * completes at the {@code welcome}; the socket's text handler is the caller's to set afterwards.
   */
  public static Future<Void> hello(io.vertx.core.http.WebSocket ws, String clientId) {
    Promise<Void> welcomed = Promise.promise();
    ws.textMessageHandler(text -> {
      if (text.contains("\"welcome\"")) {
        welcomed.tryComplete();
      }
    });
    ws.writeTextMessage(new JsonObject().put("type", "hello").put("clientId", clientId).encode());
    return welcomed.future();
  }

  /** Connects to {@code ws://127.0.0.1:port/ws}. */
  public static Future<WireClient> connect(Vertx vertx, int port) {
    return connect(vertx, "127.0.0.1", port);
  }

  /** Connects to {@code ws://host:port/ws}, without an {@code Origin} header: as a non-browser client. */
  public static Future<WireClient> connect(Vertx vertx, String host, int port) {
    // The Vert.x client would send "Origin: http://host:port" by default; SDKs and servers send none.
    return connect(vertx, new WebSocketConnectOptions().setHost(host).setPort(port).setURI(PATH)
        .setAllowOriginHeader(false));
  }

  /** Connects to {@code ws://127.0.0.1:port/ws} as a browser page of {@code origin} would (its Origin header). */
  public static Future<WireClient> connectFromOrigin(Vertx vertx, int port, String origin) {
    return connect(vertx, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(PATH)
        .setAllowOriginHeader(true).addHeader("Origin", origin));
  }

  /** Connects with the given options (host, port, URI, headers, TLS). */
  public static Future<WireClient> connect(Vertx vertx, WebSocketConnectOptions options) {
    Context current = Vertx.currentContext();
    Context context = current != null && current.owner() == vertx ? current : vertx.getOrCreateContext();
    WireClient wc = new WireClient(vertx, context);
    return wc.onContext(() -> wc.ws.connect(options)
        .map(w -> wc));
  }

  // ---------------------------------------------------------------------------------------------------------
  // sending

  /** Sends {@code frame} as one text frame. */
  public Future<Void> send(JsonObject frame) {
    return sendText(frame.encode());
  }

  /** Sends {@code text} as one text frame, unchanged: for malformed and oversized input. */
  public Future<Void> sendText(String text) {
    return onContext(() -> ws.writeTextMessage(text));
  }

  /** Sends a binary frame (which the contract does not allow). */
  public Future<Void> sendBinary(Buffer data) {
    return onContext(() -> ws.writeBinaryMessage(data));
  }

  /**
   * Sends one raw WebSocket frame as given: a non-final text frame, a continuation frame (with or without a first
   * one), ... — for fragmentation abuse that {@link #sendText} cannot produce.
   */
  public Future<Void> sendFrame(WebSocketFrame frame) {
    return onContext(() -> ws.writeFrame(frame));
  }

  /** Sends a cumulative {@code ack} (§3). */
  public Future<Void> ack(long seq) {
    return send(new JsonObject().put("type", "ack").put("ack", seq));
  }

  /**
   * Sends {@code hello} for {@code clientId} and returns the {@code welcome}; fails with the frame if the server
   * answers with an {@code error} instead.
   */
  public Future<JsonObject> hello(String clientId) {
    return hello(new JsonObject().put("type", "hello").put("clientId", clientId));
  }

  /** Sends the given {@code hello} frame (e.g. with a token or attrs) and returns the {@code welcome}. */
  public Future<JsonObject> hello(JsonObject helloFrame) {
    Future<JsonObject> reply = nextOf("welcome", "error");
    return send(helloFrame)
        .compose(v -> reply)
        .compose(f -> "welcome".equals(f.getString("type"))
            ? Future.succeededFuture(f)
            : Future.failedFuture(new IllegalStateException("hello refused: " + f.encode())));
  }

  /** Sends {@code hello} for {@code clientId} with a credential and returns the {@code welcome}. */
  public Future<JsonObject> hello(String clientId, String token) {
    return hello(new JsonObject().put("type", "hello").put("clientId", clientId).put("token", token));
  }

  /**
   * Sends a request to {@code address} on the next client stream (2 × seq − 1) and returns the {@code response} on
   * that stream.
   */
  public Future<JsonObject> request(String address, JsonObject body) {
    long seq = nextSeq();
    long stream = 2 * seq - 1;
    Future<JsonObject> response = nextMatching("the response on stream " + stream,
        f -> "response".equals(f.getString("type")) && f.getLong("stream", 0L) == stream);
    send(new JsonObject().put("type", "request").put("seq", seq).put("stream", stream).put("address", address)
        .put("body", body));
    return response;
  }

  /**
   * Sends {@code resume} and returns the answer, {@code resumed} or {@code error}, whichever comes first. Sets
   * {@link #lastSeq()} to {@code lastSeq}: the client claims to have received everything up to it.
   */
  public Future<JsonObject> resume(String sessionId, String token, long lastSeq) {
    this.lastSeq.set(lastSeq);
    Future<JsonObject> reply = nextOf("resumed", "error");
    return send(new JsonObject()
        .put("type", "resume").put("sessionId", sessionId).put("resumeToken", token).put("lastSeq", lastSeq))
        .compose(v -> reply);
  }

  /**
   * Resumes the session that {@code previous} held, as a client that reconnected would: with its session id,
   * latest resume token and highest received seq; this client's seqs continue after {@code previous}'s.
   */
  public Future<JsonObject> resume(WireClient previous) {
    continueSeqsAfter(previous.lastAllocatedSeq());
    return resume(previous.sessionId(), previous.resumeToken(), previous.lastSeq());
  }

  /** Sends a normal close (1000) and completes when the socket is closed. */
  public Future<Void> close() {
    return onContext(() -> ws.close(NORMAL_CLOSE).transform(ar -> closed.future().mapEmpty()));
  }

  // ---------------------------------------------------------------------------------------------------------
  // receiving

  /** The next received frame, in arrival order. */
  public Future<JsonObject> next() {
    return nextMatching("any frame", f -> true);
  }

  /** The next frame of {@code type}; frames of other types stay queued, in order, for later calls. */
  public Future<JsonObject> next(String type) {
    return nextMatching("a '" + type + "' frame", f -> type.equals(f.getString("type")));
  }

  /** The next frame whose type is one of {@code types}; other frames stay queued. */
  public Future<JsonObject> nextOf(String... types) {
    Set<String> set = Set.of(types);
    return nextMatching("a frame of type " + Arrays.toString(types), f -> set.contains(f.getString("type")));
  }

  /** The next frame that satisfies {@code matcher}; other frames stay queued. */
  public Future<JsonObject> nextMatching(String description, Predicate<JsonObject> matcher) {
    return take(1, description, matcher).map(l -> l.get(0));
  }

  /** The next {@code n} frames of {@code type} ({@code null}: of any type), in arrival order. */
  public Future<List<JsonObject>> take(int n, String type) {
    if (type == null) {
      return take(n, n + " frames", f -> true);
    }
    return take(n, n + " '" + type + "' frames", f -> type.equals(f.getString("type")));
  }

  private Future<List<JsonObject>> take(int n, String description, Predicate<JsonObject> matcher) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1, got " + n);
    }
    return onContext(() -> {
      Waiter w = new Waiter(n, description, matcher);
      for (Iterator<JsonObject> it = pending.iterator(); it.hasNext() && !w.isFull(); ) {
        JsonObject f = it.next();
        if (matcher.test(f)) {
          it.remove();
          w.collected.add(f);
        }
      }
      if (w.isFull()) {
        return Future.succeededFuture(w.collected);
      }
      if (isClosed) {
        return Future.failedFuture(closedWhileWaiting(w));
      }
      waiters.add(w);
      return w.promise.future();
    });
  }

  /** Completes with the close status code when the socket closes; {@code null} if no close frame was received. */
  public Future<Short> closed() {
    return bound(closed.future());
  }

  /** Every frame received so far, in arrival order, whether or not a test has taken it. */
  public List<JsonObject> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  /** The frames received but not yet taken by {@code next}/{@code take}, in arrival order. */
  public Future<List<JsonObject>> unread() {
    return onContext(() -> Future.succeededFuture(List.copyOf(pending)));
  }

  // ---------------------------------------------------------------------------------------------------------
  // seqs and acks

  /**
   * While on, sends a cumulative {@code ack} of {@link #lastSeq()} after each received frame that has a {@code seq},
   * so that the server's bounded buffer (1000 unacked frames, §3) never fills during a test.
   */
  public WireClient autoAck(boolean on) {
    autoAck = on;
    return this;
  }

  /** The highest server seq received (or claimed by {@link #resume}). */
  public long lastSeq() {
    return lastSeq.get();
  }

  /** Allocates the next client seq for a reliable frame: 1, 2, 3, … per client. */
  public long nextSeq() {
    return clientSeq.incrementAndGet();
  }

  /** The last client seq that {@link #nextSeq()} allocated; 0 before the first. */
  public long lastAllocatedSeq() {
    return clientSeq.get();
  }

  /** Makes {@link #nextSeq()} continue with {@code seq + 1}, e.g. after resuming a session on a new socket. */
  public WireClient continueSeqsAfter(long seq) {
    clientSeq.set(seq);
    return this;
  }

  /** The session id of the latest {@code welcome} or {@code resumed} received; null before one. */
  public String sessionId() {
    return sessionId;
  }

  /** The resume token of the latest {@code welcome} or {@code resumed} received; null before one. */
  public String resumeToken() {
    return resumeToken;
  }

  /** The last exception the socket reported, or null. */
  public Throwable lastError() {
    return lastError;
  }

  // ---------------------------------------------------------------------------------------------------------
  // internals

  private void onText(String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (RuntimeException e) {
      frame = new JsonObject().put("type", INVALID).put("text", text);
    }
    onFrame(frame);
  }

  private void onFrame(JsonObject frame) {
    synchronized (received) {
      received.add(frame);
    }
    String type = frame.getString("type");
    if ("welcome".equals(type) || "resumed".equals(type)) {
      sessionId = frame.getString("sessionId");
      resumeToken = frame.getString("resumeToken");
    }
    if (frame.getValue("seq") instanceof Number n) {
      long seq = n.longValue();
      lastSeq.accumulateAndGet(seq, Math::max);
      if (autoAck) {
        ack(lastSeq.get());
      }
    }
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.matcher.test(frame)) {
        w.collected.add(frame);
        if (w.isFull()) {
          it.remove();
          w.promise.complete(w.collected);
        }
        return;
      }
    }
    pending.add(frame);
  }

  private void onClose() {
    isClosed = true;
    List<Waiter> failed = new ArrayList<>(waiters);
    waiters.clear();
    for (Waiter w : failed) {
      w.promise.fail(closedWhileWaiting(w));
    }
    closed.tryComplete(ws.closeStatusCode());
  }

  private IllegalStateException closedWhileWaiting(Waiter w) {
    return new IllegalStateException("socket closed (status " + ws.closeStatusCode() + ") while waiting for "
        + w.description + " (" + w.collected.size() + " taken); received: " + history());
  }

  private String history() {
    List<JsonObject> all = received();
    int from = Math.max(0, all.size() - HISTORY_IN_FAILURES);
    return (from > 0 ? "…" : "")
        + all.subList(from, all.size()).stream().map(f -> f.getString("type")).collect(Collectors.joining(",", "[", "]"));
  }

  /**
   * Runs {@code action} on this client's context (directly when already there, else as a task on it) and returns
   * its outcome as a future bound to that context.
   */
  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    if (Vertx.currentContext() == context) {
      return bound(action.get());
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(promise);
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return bound(promise.future());
  }

  /**
   * The same outcome as a future whose callbacks run on this client's context, even those registered from another
   * thread after it completed (a plain {@link Promise#promise()} would run them on the registering thread).
   */
  private <T> Future<T> bound(Future<T> future) {
    return Future.fromCompletionStage(future.toCompletionStage(), context);
  }

  @Override
  public String toString() {
    return "WireClient[session=" + sessionId + ", lastSeq=" + lastSeq + ", received=" + history() + "]";
  }

  /** One pending {@code next}/{@code take}. */
  private static final class Waiter {
    final int wanted;
    final String description;
    final Predicate<JsonObject> matcher;
    final List<JsonObject> collected = new ArrayList<>();
    final Promise<List<JsonObject>> promise = Promise.promise();

    Waiter(int wanted, String description, Predicate<JsonObject> matcher) {
      this.wanted = wanted;
      this.description = description;
      this.matcher = matcher;
    }

    boolean isFull() {
      return collected.size() >= wanted;
    }
  }
}
