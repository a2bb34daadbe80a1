package io.tether.client;

import io.tether.client.internal.ClientEvents;
import io.tether.client.internal.ClientSession;
import io.tether.client.internal.ResponseCache;
import io.tether.client.internal.Support;
import io.tether.protocol.Frame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@link TetherClient} implementation: a facade. Each method checks its arguments, hops onto the client's
 * context ({@link #ctx}) once the store is read, and hands the call to a part of {@link ClientSession}
 * (io.tether.client.internal); the parts report back through {@link ClientEvents}, which calls the application's
 * handlers here. Observation methods read fields the parts keep for other threads.
 */
final class TetherClientImpl implements TetherClient {

  private static final Logger LOG = Logger.getLogger(TetherClientImpl.class.getName());

  private final Context ctx;
  private final TetherClientOptions options;
  private final ClientSession session;

  // Handlers: set from any thread, called on ctx.
  private volatile Handler<Push> pushHandler;
  private volatile Handler<Notification> notifyHandler;
  private volatile Function<ServerRequest, Future<Object>> requestHandler;
  private volatile Handler<ConnectionState> stateHandler;
  private volatile Handler<SessionEvent> sessionHandler;
  private volatile Handler<Throwable> exceptionHandler;
  private volatile Handler<JsonObject> inboundFrameHandler;

  TetherClientImpl(Vertx vertx, TetherClientOptions options) {
    if (vertx == null) {
      throw new IllegalArgumentException("vertx is required");
    }
    if (options == null) {
      throw new IllegalArgumentException("options are required");
    }
    this.options = new TetherClientOptions(options).validate();
    Context current = Vertx.currentContext();
    this.ctx = current != null && current.owner() == vertx ? current : vertx.getOrCreateContext();
    this.session = new ClientSession(vertx, ctx, this.options, new Events());
  }

  /** Runs {@code action} on the context once the on-disk store (if any) has been read. */
  private void whenReady(Runnable action) {
    session.store().whenReady(action);
  }

  // -- calls ----------------------------------------------------------------------------------------------------

  @Override
  public Future<Void> connect() {
    Promise<Void> result = Promise.promise();
    whenReady(() -> session.connector().connect().onComplete(result));
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
    String canonicalBody = session.isCacheable(address) ? ResponseCache.canonical(json) : null;
    whenReady(() -> session.prefetcher().submit(address, json, canonicalBody, timeoutMs, promise));
    return promise.future();
  }

  @Override
  public Future<Void> prefetch(String address, Object body) {
    Promise<Void> promise = Promise.promise();
    if (address == null || address.isEmpty()) {
      promise.fail(new IllegalArgumentException("address must be a non-empty string"));
      return promise.future();
    }
    String json;
    try {
      json = Json.encode(body);
    } catch (RuntimeException e) {
      promise.fail(new IllegalArgumentException("the prefetch body cannot be encoded as JSON: " + e.getMessage(), e));
      return promise.future();
    }
    whenReady(() -> session.prefetcher().declare(address, json).onComplete(promise));
    return promise.future();
  }

  @Override
  public Future<JsonObject> requestJson(String address, Object body) {
    return request(address, body).compose(v -> v instanceof JsonObject o ? Future.succeededFuture(o)
        : Future.failedFuture(new TetherException(io.tether.protocol.ErrorCode.BAD_FRAME.wire(),
            "the response body of '" + address + "' is not a JSON object: " + Json.encode(v))));
  }

  @Override
  public Future<TetherStream> openStream(String upstream, int windowBytes) {
    Promise<TetherStream> promise = Promise.promise();
    if (upstream == null || upstream.isEmpty()) {
      promise.fail(new IllegalArgumentException("upstream must be a non-empty name"));
      return promise.future();
    }
    if (windowBytes < 4096) {
      promise.fail(new IllegalArgumentException("windowBytes must be at least 4096, got " + windowBytes));
      return promise.future();
    }
    whenReady(() -> {
      try {
        promise.complete(session.streams().open(upstream, windowBytes));
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
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
    whenReady(() -> session.topics().subscribe(topic, knownVersion, promise));
    return promise.future();
  }

  @Override
  public Future<Void> unsubscribe(String topic) {
    Promise<Void> promise = Promise.promise();
    if (topic == null || topic.isEmpty()) {
      promise.fail(new IllegalArgumentException("topic must be a non-empty string"));
      return promise.future();
    }
    whenReady(() -> session.topics().unsubscribe(topic, promise));
    return promise.future();
  }

  @Override
  public Future<Void> updateAttrs(JsonObject newAttrs) {
    Promise<Void> promise = Promise.promise();
    JsonObject copy = newAttrs == null ? null : newAttrs.copy();
    whenReady(() -> {
      if (session.connector().state() == ConnectionState.CLOSED) {
        promise.fail(new TetherException(TetherException.CLOSED, "the client is closed"));
        return;
      }
      session.connector().updateAttrs(copy);
      promise.complete();
    });
    return promise.future();
  }

  @Override
  public Future<Void> close() {
    Promise<Void> result = Promise.promise();
    whenReady(() -> session.close().onComplete(result));
    return result.future();
  }

  @Override
  public Future<Void> flushStore() {
    Promise<Void> promise = Promise.promise();
    whenReady(() -> session.store().flush().onComplete(promise));
    return promise.future();
  }

  // -- handlers -------------------------------------------------------------------------------------------------

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

  // -- observation (any thread) ---------------------------------------------------------------------------------

  @Override
  public ConnectionState state() {
    return session.connector().state();
  }

  @Override
  public String sessionId() {
    return session.connector().sessionId();
  }

  @Override
  public String node() {
    return session.connector().node();
  }

  @Override
  public long heartbeatMs() {
    return session.connector().heartbeatMs();
  }

  @Override
  public long lastReceivedSeq() {
    return session.channel().received();
  }

  @Override
  public long lastSentSeq() {
    return session.channel().lastSent();
  }

  @Override
  public int unackedFrames() {
    return session.channel().unacked();
  }

  @Override
  public Map<String, Long> subscriptions() {
    return session.topics().subscriptions();
  }

  @Override
  public int queuedRequests() {
    return session.requests().queued();
  }

  @Override
  public Reply cached(String address, Object body) {
    if (address == null) {
      return null;
    }
    ResponseCache.Entry e = session.cache().get(ResponseCache.key(address,
        ResponseCache.canonical(Json.encode(body))));
    return e == null ? null : e.toReply();
  }

  @Override
  public int cachedResponses() {
    return session.cache().size();
  }

  @Override
  public CacheStats cacheStats() {
    return session.prefetcher().stats();
  }

  @Override
  public Notification cachedTopic(String topic) {
    return session.topics().cachedTopic(topic);
  }

  @Override
  public Future<Void> ready() {
    return session.store().ready();
  }

  @Override
  public TetherClientOptions options() {
    return new TetherClientOptions(options);
  }

  @Override
  public String toString() {
    String id = sessionId();
    return "TetherClient[" + options.getClientId() + ", " + state() + ", session="
        + (id == null ? "none" : id.substring(0, Math.min(6, id.length())) + "…") + ", node=" + node()
        + ", lastReceived=" + lastReceivedSeq() + ", lastSent=" + lastSentSeq() + ", unacked=" + unackedFrames()
        + ", queued=" + queuedRequests() + ", cached=" + cachedResponses() + "]";
  }

  // -- events from the parts, to the application's handlers (on ctx) --------------------------------------------

  private final class Events implements ClientEvents {

    @Override
    public void push(Frame.Push p) {
      Handler<Push> h = pushHandler;
      if (h != null) {
        call(h, new Push(p.seq(), p.stream(), p.resource(), Support.decode(p.body())));
      }
    }

    @Override
    public void notification(Frame.Notify n) {
      Handler<Notification> h = notifyHandler;
      if (h != null) {
        call(h, new Notification(n.seq(), n.topic(), n.version(), Support.decode(n.body())));
      }
    }

    @Override
    public Function<ServerRequest, Future<Object>> requestHandler() {
      return requestHandler;
    }

    @Override
    public void state(ConnectionState state) {
      Handler<ConnectionState> h = stateHandler;
      if (h != null) {
        call(h, state);
      }
    }

    @Override
    public void session(SessionEvent event) {
      Handler<SessionEvent> h = sessionHandler;
      if (h != null) {
        call(h, event);
      }
    }

    @Override
    public void inbound(String text) {
      Handler<JsonObject> tap = inboundFrameHandler;
      if (tap == null) {
        return;
      }
      JsonObject json;
      try {
        json = new JsonObject(text);
      } catch (DecodeException | ClassCastException e) {
        return; // not a JSON object: the codec reports it
      }
      call(tap, json);
    }

    @Override
    public void problem(Throwable t) {
      report(t);
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
}
