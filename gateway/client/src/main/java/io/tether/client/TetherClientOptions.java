package io.tether.client;

import io.tether.protocol.FrameCodec;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/**
 * Options of a {@link TetherClient}. Every option has a {@code DEFAULT_*} constant; setters are fluent and checked
 * by {@link #validate()}, which {@link TetherClient#create} calls (the message names the option).
 */
public class TetherClientOptions {

  /** The gateway's WebSocket endpoint. */
  public static final String DEFAULT_URL = "ws://127.0.0.1:8080/ws";
  /** 0: use the {@code heartbeatMs} the server announces in {@code welcome}/its default. */
  public static final long DEFAULT_HEARTBEAT_MS = 0;
  /** Upper bound of the first reconnect delay (full jitter: the delay is uniform in [0, bound]). */
  public static final long DEFAULT_RECONNECT_INITIAL_DELAY_MS = 250;
  /** Cap of the exponentially growing reconnect delay bound. */
  public static final long DEFAULT_RECONNECT_MAX_DELAY_MS = 30_000;
  /** Reconnect attempts in a row before giving up ({@link ConnectionState#OFFLINE}); -1 = never give up. */
  public static final int DEFAULT_MAX_RECONNECT_ATTEMPTS = -1;
  /** Own reliable frames sent (numbered) and kept until the server acks them. */
  public static final int DEFAULT_MAX_OUTBOUND_FRAMES = 1000;
  /** … and their total size in bytes. */
  public static final long DEFAULT_MAX_OUTBOUND_BYTES = 1024 * 1024;
  /** Requests waiting to be sent (made while not ONLINE, or behind others that wait). */
  public static final int DEFAULT_MAX_QUEUED_REQUESTS = 1000;
  /** … and their total size in bytes (address and body). */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;
  /** Entries of the response cache (0: no cache). */
  public static final int DEFAULT_CACHE_MAX_ENTRIES = 1000;
  /** Bytes of the response cache (UTF-8 size of keys, values and related resources). */
  public static final long DEFAULT_CACHE_MAX_BYTES = 4 * 1024 * 1024;
  /** Time for one connection attempt: TCP, WebSocket upgrade and {@code welcome}/{@code resumed}. */
  public static final long DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
  /**
   * Time a request may wait for its response; 0 = no client-side timeout. For a write (a request to an address that
   * is not cacheable) queued while offline, it counts from when the request is sent, so offline time does not use it
   * up; for any other request it counts from the call, time spent queued included.
   */
  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
  /** Largest frame sent or accepted, in bytes: keep it equal to the server's {@code maxFrameBytes}. */
  public static final int DEFAULT_MAX_FRAME_BYTES = FrameCodec.DEFAULT_MAX_FRAME_BYTES;
  /** Received reliable frames are acked at most this long after receipt. */
  public static final long DEFAULT_ACK_DELAY_MS = 50;
  /** … or as soon as this many are unacknowledged. */
  public static final int DEFAULT_ACK_BATCH_FRAMES = 100;

  private String url = DEFAULT_URL;
  private String clientId;
  private String token;
  private java.util.function.Supplier<io.vertx.core.Future<String>> tokenSupplier;
  private JsonObject attrs;
  private long heartbeatMs = DEFAULT_HEARTBEAT_MS;
  private long reconnectInitialDelayMs = DEFAULT_RECONNECT_INITIAL_DELAY_MS;
  private long reconnectMaxDelayMs = DEFAULT_RECONNECT_MAX_DELAY_MS;
  private int maxReconnectAttempts = DEFAULT_MAX_RECONNECT_ATTEMPTS;
  private int maxOutboundFrames = DEFAULT_MAX_OUTBOUND_FRAMES;
  private long maxOutboundBytes = DEFAULT_MAX_OUTBOUND_BYTES;
  private int maxQueuedRequests = DEFAULT_MAX_QUEUED_REQUESTS;
  private long maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
  private List<String> cacheableAddresses = new ArrayList<>();
  private int cacheMaxEntries = DEFAULT_CACHE_MAX_ENTRIES;
  private long cacheMaxBytes = DEFAULT_CACHE_MAX_BYTES;
  private String storeDir;
  private long connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
  private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  private long ackDelayMs = DEFAULT_ACK_DELAY_MS;
  private int ackBatchFrames = DEFAULT_ACK_BATCH_FRAMES;
  private String trustedCertPath;
  private PrefetchOptions prefetch = new PrefetchOptions();

  public TetherClientOptions() {
  }

  public TetherClientOptions(TetherClientOptions other) {
    this.url = other.url;
    this.clientId = other.clientId;
    this.token = other.token;
    this.tokenSupplier = other.tokenSupplier;
    this.attrs = other.attrs == null ? null : other.attrs.copy();
    this.heartbeatMs = other.heartbeatMs;
    this.reconnectInitialDelayMs = other.reconnectInitialDelayMs;
    this.reconnectMaxDelayMs = other.reconnectMaxDelayMs;
    this.maxReconnectAttempts = other.maxReconnectAttempts;
    this.maxOutboundFrames = other.maxOutboundFrames;
    this.maxOutboundBytes = other.maxOutboundBytes;
    this.maxQueuedRequests = other.maxQueuedRequests;
    this.maxQueuedBytes = other.maxQueuedBytes;
    this.cacheableAddresses = new ArrayList<>(other.cacheableAddresses);
    this.cacheMaxEntries = other.cacheMaxEntries;
    this.cacheMaxBytes = other.cacheMaxBytes;
    this.storeDir = other.storeDir;
    this.connectTimeoutMs = other.connectTimeoutMs;
    this.requestTimeoutMs = other.requestTimeoutMs;
    this.maxFrameBytes = other.maxFrameBytes;
    this.ackDelayMs = other.ackDelayMs;
    this.ackBatchFrames = other.ackBatchFrames;
    this.trustedCertPath = other.trustedCertPath;
    this.prefetch = new PrefetchOptions(other.prefetch);
  }

  /**
   * Checks every option; throws {@link IllegalArgumentException} naming the first bad one.
   *
   * @return this
   */
  public TetherClientOptions validate() {
    parsedUrl();
    require(FrameCodec.isValidClientId(clientId),
        "clientId is required: 1-128 chars of [A-Za-z0-9._:@-] (got " + (clientId == null ? "none" : "'" + clientId
            + "'") + ")");
    require(heartbeatMs == 0 || heartbeatMs >= 100, "heartbeatMs must be 0 (use the server's) or at least 100");
    require(reconnectInitialDelayMs >= 1, "reconnectInitialDelayMs must be at least 1");
    require(reconnectMaxDelayMs >= reconnectInitialDelayMs,
        "reconnectMaxDelayMs must be at least reconnectInitialDelayMs (" + reconnectInitialDelayMs + ")");
    require(maxReconnectAttempts >= -1, "maxReconnectAttempts must be -1 (unlimited) or at least 0");
    require(maxOutboundFrames >= 1, "maxOutboundFrames must be at least 1");
    require(connectTimeoutMs >= 100, "connectTimeoutMs must be at least 100");
    require(requestTimeoutMs >= 0, "requestTimeoutMs must be 0 (none) or positive");
    require(maxFrameBytes >= 1024, "maxFrameBytes must be at least 1024");
    require(ackDelayMs >= 1 && ackDelayMs <= 200, "ackDelayMs must be between 1 and 200");
    require(ackBatchFrames >= 1, "ackBatchFrames must be at least 1");
    require(maxOutboundBytes >= maxFrameBytes,
        "maxOutboundBytes must be at least maxFrameBytes (" + maxFrameBytes + ")");
    require(maxQueuedRequests >= 0, "maxQueuedRequests must be 0 (no queue) or positive");
    require(maxQueuedBytes >= maxFrameBytes, "maxQueuedBytes must be at least maxFrameBytes (" + maxFrameBytes + ")");
    for (String pattern : cacheableAddresses) {
      require(pattern != null && !pattern.isEmpty(), "cacheableAddresses must not contain empty patterns");
    }
    require(cacheMaxEntries >= 0, "cacheMaxEntries must be 0 (no cache) or positive");
    require(cacheMaxBytes >= 0, "cacheMaxBytes must be 0 or positive");
    require(storeDir == null || !storeDir.isBlank(), "storeDir must be a directory path, or null for no store");
    require(trustedCertPath == null || !trustedCertPath.isBlank(),
        "trustedCertPath must be a PEM file path, or null for the JVM's trusted authorities only");
    prefetch.validate(cacheableAddresses);
    return this;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The URL as a URI; throws {@link IllegalArgumentException} unless it is a {@code ws://} or {@code wss://} URL. */
  URI parsedUrl() {
    if (url == null) {
      throw new IllegalArgumentException("url is required");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("url is not a valid URI: " + e.getMessage());
    }
    if (!"ws".equalsIgnoreCase(uri.getScheme()) && !"wss".equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("url must start with ws:// or wss:// (got '" + url + "')");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("url has no host (got '" + url + "')");
    }
    return uri;
  }

  public String getUrl() {
    return url;
  }

  /** The WebSocket URL, e.g. {@code ws://127.0.0.1:8080/ws} ({@code wss://} for TLS). */
  public TetherClientOptions setUrl(String url) {
    this.url = url;
    return this;
  }

  public String getClientId() {
    return clientId;
  }

  /** Required: the client's id, 1–128 chars of {@code [A-Za-z0-9._:@-]}; one live session per id. */
  public TetherClientOptions setClientId(String clientId) {
    this.clientId = clientId;
    return this;
  }

  public String getToken() {
    return token;
  }

  /** Optional credential sent in {@code hello}. */
  public TetherClientOptions setToken(String token) {
    this.token = token;
    return this;
  }

  public java.util.function.Supplier<io.vertx.core.Future<String>> getTokenSupplier() {
    return tokenSupplier;
  }

  /**
   * Optional source of fresh credentials (docs/CLIENT.md "Authentication"): asked for the token of every
   * {@code hello} and {@code resume}, and when the server says the credential is about to expire ({@code refresh}),
   * whose answer the SDK sends in the session ({@code auth}) without a break. Replaces {@link #setToken}. It is
   * called on the client's event loop: it must not block (return a future that completes later).
   */
  public TetherClientOptions setTokenSupplier(java.util.function.Supplier<io.vertx.core.Future<String>> supplier) {
    this.tokenSupplier = supplier;
    return this;
  }

  public JsonObject getAttrs() {
    return attrs;
  }

  /** Optional signature/status information sent in {@code hello}; part of the client's presence record. */
  public TetherClientOptions setAttrs(JsonObject attrs) {
    this.attrs = attrs == null ? null : attrs.copy();
    return this;
  }

  public long getHeartbeatMs() {
    return heartbeatMs;
  }

  /**
   * Overrides the heartbeat interval the server announces (0, the default, uses the server's). A value above the
   * server's makes the server consider the client silent: use a smaller one, if any.
   */
  public TetherClientOptions setHeartbeatMs(long heartbeatMs) {
    this.heartbeatMs = heartbeatMs;
    return this;
  }

  public long getReconnectInitialDelayMs() {
    return reconnectInitialDelayMs;
  }

  public TetherClientOptions setReconnectInitialDelayMs(long reconnectInitialDelayMs) {
    this.reconnectInitialDelayMs = reconnectInitialDelayMs;
    return this;
  }

  public long getReconnectMaxDelayMs() {
    return reconnectMaxDelayMs;
  }

  public TetherClientOptions setReconnectMaxDelayMs(long reconnectMaxDelayMs) {
    this.reconnectMaxDelayMs = reconnectMaxDelayMs;
    return this;
  }

  public int getMaxReconnectAttempts() {
    return maxReconnectAttempts;
  }

  /** Failed reconnect attempts in a row before the client gives up and goes OFFLINE; -1 = never give up. */
  public TetherClientOptions setMaxReconnectAttempts(int maxReconnectAttempts) {
    this.maxReconnectAttempts = maxReconnectAttempts;
    return this;
  }

  public int getMaxOutboundFrames() {
    return maxOutboundFrames;
  }

  /**
   * Bound of the outbound buffer: own reliable frames sent (numbered) and not yet acked by the server; kept for resend
   * after a resume. When it is full, a new request made while ONLINE with nothing queued, or a new subscription,
   * fails at once with {@link TetherException#BUFFER_FULL}; queued requests wait for room instead.
   */
  public TetherClientOptions setMaxOutboundFrames(int maxOutboundFrames) {
    this.maxOutboundFrames = maxOutboundFrames;
    return this;
  }

  public long getMaxOutboundBytes() {
    return maxOutboundBytes;
  }

  /**
   * Byte bound of the outbound buffer (the UTF-8 size of the frames kept until acked); at least {@code maxFrameBytes},
   * so a frame always fits in an empty buffer. When a new request does not fit, it fails at once with
   * {@link TetherException#BUFFER_FULL}.
   */
  public TetherClientOptions setMaxOutboundBytes(long maxOutboundBytes) {
    this.maxOutboundBytes = maxOutboundBytes;
    return this;
  }

  public int getMaxQueuedRequests() {
    return maxQueuedRequests;
  }

  /**
   * Bound of the request queue: requests made while the client is not ONLINE (and those made behind them) wait there,
   * unnumbered, until the session is back; then they are sent in order, as room in the outbound buffer allows. When
   * it is full, a new request fails at once with {@link TetherException#QUEUE_FULL}; nothing queued is dropped.
   * 0: no queue (requests made while not ONLINE fail with {@code QUEUE_FULL}, unless answered from the cache).
   */
  public TetherClientOptions setMaxQueuedRequests(int maxQueuedRequests) {
    this.maxQueuedRequests = maxQueuedRequests;
    return this;
  }

  public long getMaxQueuedBytes() {
    return maxQueuedBytes;
  }

  /** Byte bound of the request queue (UTF-8 size of address and body of each); at least {@code maxFrameBytes}. */
  public TetherClientOptions setMaxQueuedBytes(long maxQueuedBytes) {
    this.maxQueuedBytes = maxQueuedBytes;
    return this;
  }

  public List<String> getCacheableAddresses() {
    return new ArrayList<>(cacheableAddresses);
  }

  /**
   * Addresses whose requests are reads: their responses (and related resources) are cached, and while the client is
   * not ONLINE such a request is answered from the cache when it has the answer ({@link Reply#fromCache()}).
   * Patterns with {@code *} wildcards (any run of characters, dots included), as the gateway's
   * {@code allowedAddresses}. Requests to other addresses are writes: while offline they are queued (and stored, with
   * a {@link #setStoreDir store}). Default: none.
   */
  public TetherClientOptions setCacheableAddresses(List<String> cacheableAddresses) {
    this.cacheableAddresses = cacheableAddresses == null ? new ArrayList<>() : new ArrayList<>(cacheableAddresses);
    return this;
  }

  public int getCacheMaxEntries() {
    return cacheMaxEntries;
  }

  /** Entries the response cache keeps (least recently used evicted first); 0 turns the cache off. */
  public TetherClientOptions setCacheMaxEntries(int cacheMaxEntries) {
    this.cacheMaxEntries = cacheMaxEntries;
    return this;
  }

  public long getCacheMaxBytes() {
    return cacheMaxBytes;
  }

  /** Bytes the response cache keeps; a response larger than this on its own is not cached. */
  public TetherClientOptions setCacheMaxBytes(long cacheMaxBytes) {
    this.cacheMaxBytes = cacheMaxBytes;
    return this;
  }

  public String getStoreDir() {
    return storeDir;
  }

  /**
   * A directory where the client keeps its response cache, topic values, queued writes and its session across
   * restarts ({@code cache.json}, {@code writes.json}, {@code session.json}, each replaced atomically; the session
   * file holds the resume token and is readable by its owner only). With it, own frames are on disk before they leave
   * (docs/CLIENT.md "Sessions across a restart"). Created if missing. One client id per directory, and one running
   * client per directory at a time. Null (the default): nothing is stored.
   */
  public TetherClientOptions setStoreDir(String storeDir) {
    this.storeDir = storeDir;
    return this;
  }

  public long getConnectTimeoutMs() {
    return connectTimeoutMs;
  }

  public TetherClientOptions setConnectTimeoutMs(long connectTimeoutMs) {
    this.connectTimeoutMs = connectTimeoutMs;
    return this;
  }

  public long getRequestTimeoutMs() {
    return requestTimeoutMs;
  }

  /** See {@link #DEFAULT_REQUEST_TIMEOUT_MS}. */
  public TetherClientOptions setRequestTimeoutMs(long requestTimeoutMs) {
    this.requestTimeoutMs = requestTimeoutMs;
    return this;
  }

  public int getMaxFrameBytes() {
    return maxFrameBytes;
  }

  public TetherClientOptions setMaxFrameBytes(int maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
    return this;
  }

  public long getAckDelayMs() {
    return ackDelayMs;
  }

  public TetherClientOptions setAckDelayMs(long ackDelayMs) {
    this.ackDelayMs = ackDelayMs;
    return this;
  }

  public int getAckBatchFrames() {
    return ackBatchFrames;
  }

  public TetherClientOptions setAckBatchFrames(int ackBatchFrames) {
    this.ackBatchFrames = ackBatchFrames;
    return this;
  }

  public String getTrustedCertPath() {
    return trustedCertPath;
  }

  /**
   * For {@code wss://}: a PEM file of certificates (a private CA, or a gateway's self-signed certificate) trusted in
   * addition to the JVM's default authorities. The server's certificate is always verified, and so is its host
   * name; there is no trust-all. Read when the first connection is opened, off the event loop.
   */
  public TetherClientOptions setTrustedCertPath(String trustedCertPath) {
    this.trustedCertPath = trustedCertPath;
    return this;
  }

  public PrefetchOptions getPrefetch() {
    return prefetch;
  }

  /**
   * What to prefetch for offline use, and when (docs/CLIENT.md "Prefetch"): reads sent while the session is ONLINE
   * and idle, whose answers the cache keeps. Default: nothing declared.
   */
  public TetherClientOptions setPrefetch(PrefetchOptions prefetch) {
    this.prefetch = prefetch == null ? new PrefetchOptions() : new PrefetchOptions(prefetch);
    return this;
  }

  @Override
  public String toString() {
    return "TetherClientOptions[url=" + url + ", clientId=" + clientId + ", heartbeatMs=" + heartbeatMs
        + ", reconnect=" + reconnectInitialDelayMs + ".." + reconnectMaxDelayMs + " ms x " + maxReconnectAttempts
        + ", maxOutboundFrames=" + maxOutboundFrames + ", maxQueuedRequests=" + maxQueuedRequests
        + ", cacheableAddresses=" + cacheableAddresses + ", storeDir=" + storeDir + ", prefetch=" + prefetch + "]";
  }
}
