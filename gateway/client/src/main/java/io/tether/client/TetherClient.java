package io.tether.client;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.function.Function;

/**
 * A client of the Tether gateway (docs/PROTOCOL.md): one session over a WebSocket that survives network breaks.
 *
 * <ul>
 *   <li>{@link #connect()} says {@code hello}; the session's id and resume token are kept.</li>
 *   <li>Every reliable frame the server sends is acked (cumulatively, within {@code ackDelayMs} or every
 *       {@code ackBatchFrames} frames) and reaches the application exactly once, in order: replays are dropped.</li>
 *   <li>Heartbeat: a {@code ping} when nothing was sent for {@code heartbeatMs}; 2 × {@code heartbeatMs} without a
 *       frame from the server means the socket is dead.</li>
 *   <li>When the socket is lost, the client reconnects (exponential backoff, full jitter) and resumes: the server
 *       replays what the client missed, the client resends what the server missed. A resume connects to the
 *       configured URL with {@code sid=<sessionId>&node=<node>} added to its query: the gateway ignores them, a
 *       load balancer can use them to send the resume to the node the session was on ({@code node} is left out
 *       when that node asked the client to reconnect elsewhere: it is shutting down). Own reliable frames are
 *       kept until acked, in a bounded buffer. If the session cannot be resumed, a new one is started and
 *       {@link #sessionHandler} hears {@link SessionEvent.Kind#RESYNCED}.</li>
 *   <li>Offline operation (docs/CLIENT.md): requests made while the client is not ONLINE are queued (bounded) and
 *       sent in order once the session is back; requests to {@link TetherClientOptions#setCacheableAddresses
 *       cacheable} addresses are answered from a local LRU cache meanwhile ({@link #requestEx}, {@link Reply#fromCache()}).
 *       With a {@link TetherClientOptions#setStoreDir store directory}, the cache, topic values, queued writes and
 *       the session itself survive a restart of the application: own frames are on disk before they leave, and the
 *       next client on the store resumes the session and resends what the server had not acknowledged (docs/CLIENT.md
 *       "Sessions across a restart").</li>
 * </ul>
 *
 * <p>Threading: the client runs on one Vert.x context (the caller's when created on one of {@code vertx}'s contexts,
 * else a new event-loop context). Every handler is called on it and every returned future completes on it. Methods
 * may be called from any thread. Handlers must not block.
 */
public interface TetherClient {

  /**
   * Creates a client; nothing happens on the network until {@link #connect()}.
   *
   * @throws IllegalArgumentException if the options are invalid (the message names the option)
   */
  static TetherClient create(Vertx vertx, TetherClientOptions options) {
    return new TetherClientImpl(vertx, options);
  }

  /**
   * Connects and starts a session ({@code hello} → {@code welcome}), or, if the client already has a session (it
   * went OFFLINE after exhausting its reconnect attempts), resumes it. Completes when the client is ONLINE; fails
   * with a {@link TetherException} ({@link TetherException#CONNECT_FAILED}, {@link TetherException#CLOSED}) otherwise.
   * Already ONLINE: completes at once; CONNECTING/RECONNECTING: completes with that attempt.
   */
  Future<Void> connect();

  /**
   * Sends a request to a backend {@code address} on a new odd stream and completes with the response's body: a
   * {@link JsonObject}, {@link io.vertx.core.json.JsonArray}, String, Number, Boolean or null. Fails with a
   * {@link TetherException}: the server's error ({@code ok:false}: {@code not_allowed}, {@code no_handler},
   * {@code timeout}, {@code backend_error}, …), or {@link TetherException#TIMEOUT},
   * {@link TetherException#BUFFER_FULL}, {@link TetherException#QUEUE_FULL}, {@link TetherException#TOO_LARGE},
   * {@link TetherException#SESSION_LOST}, {@link TetherException#CLOSED}.
   *
   * <p>When the client is not ONLINE (CONNECTING, RECONNECTING, OFFLINE): a request to a cacheable address is
   * answered from the cache if it holds a response to the same address and body; any other request is queued and
   * sent, in call order, once the session is back ({@link #connect()} when OFFLINE). This method does not say whether
   * the body came from the cache: use {@link #requestEx} for that. Related resources of the request go to
   * {@link #pushHandler}.
   *
   * @param body any value {@link io.vertx.core.json.Json#encode} accepts (JsonObject, JsonArray, Map, List,
   *             String, Number, Boolean, null)
   */
  default Future<Object> request(String address, Object body) {
    return request(address, body, options().getRequestTimeoutMs());
  }

  /** {@link #request(String, Object)} with its own timeout (0 = none). */
  Future<Object> request(String address, Object body, long timeoutMs);

  /**
   * {@link #request(String, Object)}, completing with a {@link Reply}: the body, whether it came from the cache
   * ({@link Reply#fromCache()}, only when not ONLINE), when the server sent it, and the related resources pushed on
   * the request's stream.
   */
  Future<Reply> requestEx(String address, Object body);

  /** {@link #requestEx(String, Object)} with its own timeout (0 = none). */
  Future<Reply> requestEx(String address, Object body, long timeoutMs);

  /** {@link #request(String, Object)} for a response body that is a JSON object (else fails with TetherException). */
  Future<JsonObject> requestJson(String address, Object body);

  /**
   * Opens a byte stream to the upstream the gateway node names {@code upstream} ({@code --upstreams}; docs/PROXY.md):
   * an {@code open} frame now, then the bytes both ways, reliable and flow-controlled ({@link TetherStream}). Completes
   * with the stream at once (its bytes go out once the node's first credit arrives); fails if the client cannot take
   * the frame ({@link TetherException#CLOSED}, {@link TetherException#NOT_CONNECTED}, {@link TetherException#BUFFER_FULL}).
   * A node that refuses the stream ends it with a reason ({@link TetherStream#closeHandler}).
   */
  default Future<TetherStream> openStream(String upstream) {
    return openStream(upstream, TetherStream.DEFAULT_WINDOW);
  }

  /** {@link #openStream(String)} with its own receive window: bytes the node may send before the next credit. */
  Future<TetherStream> openStream(String upstream, int windowBytes);

  /**
   * Declares a read to prefetch for offline use (docs/CLIENT.md "Prefetch"), besides those of
   * {@link PrefetchOptions#setEntries}: the client sends it on its own while ONLINE and idle, keeps the answer in the
   * cache, and fetches it again when it is {@code prefetch.refreshMs} old. If the answer is a JSON object with a
   * {@code prefetch} array of {@code {"address","body"}}, those reads are prefetched too (bounded). Completes once
   * the answer is in the cache (at once if it is already). Fails with the error of the next attempt if that fails (the
   * entry stays and is tried again later), with {@code prefetch_full} ({@link ClientErrorCode#PREFETCH_FULL}) when
   * the table holds {@code prefetch.maxEntries} entries, with IllegalArgumentException when {@code address} is not
   * {@link TetherClientOptions#setCacheableAddresses cacheable}, and with {@link TetherException#CLOSED}. Declaring
   * the same read again (body compared as canonical JSON) returns a future for the same entry.
   */
  Future<Void> prefetch(String address, Object body);

  /**
   * Follows {@code topic}: the server sends a {@code notify} at once if its version is newer than
   * {@code knownVersion} (0 = nothing cached), and on every later change ({@link #notifyHandler}). Completes once
   * the server has accepted the subscription; fails with {@code not_allowed} if it refused the topic. The
   * subscription is part of the session: it survives resume, and it is renewed (with the last version received) on
   * a new session after a re-sync.
   */
  Future<Void> subscribe(String topic, long knownVersion);

  /** {@link #subscribe(String, long)} with version 0: nothing cached. */
  default Future<Void> subscribe(String topic) {
    return subscribe(topic, 0);
  }

  /** Stops following {@code topic}; completes once the server has the {@code unsubscribe}. */
  Future<Void> unsubscribe(String topic);

  /**
   * Replaces the client's attrs (presence signature/status) and sends them in a {@code ping} at once if ONLINE
   * (else with the next connection's {@code hello}/first ping).
   */
  Future<Void> updateAttrs(JsonObject attrs);

  /**
   * Ends the session: sends {@code bye} (if ONLINE) and closes the socket. The client is CLOSED afterwards; pending
   * requests fail with {@link TetherException#CLOSED}. When not ONLINE the server cannot be told: the session then
   * expires on the server after its resume window. With a store, queued writes that were never sent stay in it (their
   * futures fail here, but the next client on the store sends them), and the stored session is removed (it is not
   * resumed by the next client); completes once the store is written.
   */
  Future<Void> close();

  // -- handlers -------------------------------------------------------------------------------------------------

  /** Pushes: stream 0 pushes (reliable and volatile) and related resources of requests ({@link Push#resource()}). */
  TetherClient pushHandler(Handler<Push> handler);

  /** Data-change notifications of subscribed topics. */
  TetherClient notifyHandler(Handler<Notification> handler);

  /**
   * Answers server-initiated requests: the future's value becomes the {@code ok:true} response body; a failure
   * becomes {@code ok:false} with the {@link TetherException#code()} (else {@code backend_error}) and message.
   * Without a handler, server requests are answered with {@code no_handler}.
   */
  TetherClient requestHandler(Function<ServerRequest, Future<Object>> handler);

  /** Every change of {@link #state()}. */
  TetherClient stateHandler(Handler<ConnectionState> handler);

  /** Session changes: started, resumed, re-synced (a new session after resume failed: re-sync your state!), ended. */
  TetherClient sessionHandler(Handler<SessionEvent> handler);

  /**
   * Problems that are not the outcome of a call: non-fatal {@code error} frames from the server, fatal ones before
   * the client reconnects, protocol violations, exceptions thrown by the application's handlers. Logged if unset.
   */
  TetherClient exceptionHandler(Handler<Throwable> handler);

  /**
   * Diagnostic wiretap, for tests and debugging: called with every frame received from the server on the current
   * connection, as a decoded JSON object, before the client looks at it: handshake frames, replays the client will
   * drop as duplicates, acks, pings, errors. Frames that are not JSON objects are not passed (they are reported to
   * {@link #exceptionHandler}), nor frames arriving on a socket the client has already given up. Called on the
   * client's context, like every handler; it costs a second JSON decoding of each frame while set. {@code null}
   * removes it.
   */
  TetherClient inboundFrameHandler(Handler<JsonObject> handler);

  // -- observation (any thread) ---------------------------------------------------------------------------------

  ConnectionState state();

  /** The current session id, or null before the first welcome. Opaque; do not log it in full. */
  String sessionId();

  /** The node serving the session ({@code welcome}/{@code resumed} {@code node}), or null. */
  String node();

  /** The heartbeat interval in use (the override, or the server's), 0 before the first welcome. */
  long heartbeatMs();

  /** Highest server seq received in the current session. */
  long lastReceivedSeq();

  /** Highest seq this client assigned to a reliable frame in the current session. */
  long lastSentSeq();

  /** Own reliable frames not yet acked by the server (the outbound buffer's size). */
  int unackedFrames();

  /** Subscribed topics → last version received (or the known version given to subscribe). A copy. */
  Map<String, Long> subscriptions();

  /** Requests waiting in the queue to be sent (made while not ONLINE, restored from the store, …). */
  int queuedRequests();

  /**
   * The cached response to {@code address} with this body (compared as canonical JSON: member order and spacing do
   * not matter), with its related resources, or null. Marked {@link Reply#fromCache()}. Only responses of
   * {@link TetherClientOptions#setCacheableAddresses cacheable} addresses are cached.
   */
  Reply cached(String address, Object body);

  /** Entries in the response cache. */
  int cachedResponses();

  /** The cache's hit rate while not ONLINE, and what prefetch did, since the client was created. */
  CacheStats cacheStats();

  /**
   * The latest value of {@code topic} this client knows: the last notification received (while subscribed), or the
   * one restored from the store; null if none. Its version is what to pass to {@link #subscribe(String, long)} after
   * a restart, so the server sends the value only if it changed.
   */
  Notification cachedTopic(String topic);

  /**
   * Completes once the on-disk store (if configured) has been read: cache, topic values, queued writes and the stored
   * session (if any: {@link #sessionId()} returns it, and the first {@link #connect()} resumes it) are back. Every
   * operation waits for it on its own; call it before reading {@link #cached} at start-up.
   */
  Future<Void> ready();

  /**
   * Completes once everything changed so far (queued writes, the session and its frames, cache, topic values) is in
   * the on-disk store; by then every frame numbered before the call has been handed to the socket (if connected).
   */
  Future<Void> flushStore();

  /** A copy of the options. */
  TetherClientOptions options();
}
