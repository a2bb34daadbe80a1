package io.tether.gateway.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Typed configuration of one gateway node. Every option has a documented default (README "Configuration"), can be
 * given in a JSON file ({@code --config}), as an environment variable and as a flag ({@link OptionsLoader}), and is
 * checked by {@link #validate()} before anything starts.
 */
public class GatewayOptions {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 8080;
  public static final int DEFAULT_MANAGEMENT_PORT = 9090;
  public static final String DEFAULT_CLUSTER_HOST = "127.0.0.1";
  public static final int DEFAULT_CLUSTER_PORT = 5701;
  public static final long DEFAULT_HEARTBEAT_MS = 25_000;
  /** A heartbeat without new attrs refreshes the presence record's lastSeen at most this often (PROTOCOL.md §4). */
  public static final long DEFAULT_PRESENCE_REFRESH_MS = 60_000;
  public static final long DEFAULT_RESUME_WINDOW_MS = 120_000;
  public static final long DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_MAX_FRAME_BYTES = 64 * 1024;
  public static final int DEFAULT_BUFFER_MAX_FRAMES = 1000;
  public static final long DEFAULT_BUFFER_MAX_BYTES = 1024 * 1024;
  public static final int DEFAULT_MAX_PENDING_REQUESTS = 100;
  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
  public static final int DEFAULT_BACKUP_COUNT = 1;
  public static final List<String> DEFAULT_ALLOWED_TOPICS = List.of("*");
  public static final long DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
  public static final int DEFAULT_MAX_TOPICS = 100_000;
  public static final String DEFAULT_AUTH_ADDRESS = "gateway.auth";
  public static final long DEFAULT_AUTH_TIMEOUT_MS = 5_000;
  public static final long DEFAULT_CREDENTIAL_GRACE_MS = 30_000;
  public static final long DEFAULT_REFRESH_LEAD_MS = 60_000;
  public static final int DEFAULT_MAX_FRAMES_PER_SECOND = 1_000;
  public static final int DEFAULT_MAX_REQUESTS_PER_SECOND = 500;
  public static final int DEFAULT_MAX_SUBSCRIPTIONS = 1_000;
  public static final int DEFAULT_MAX_ATTRS_BYTES = 4_096;
  public static final int DEFAULT_MAX_ATTRS_KEYS = 64;
  public static final long DEFAULT_RATE_LIMIT_CLOSE_AFTER_MS = 5_000;
  public static final int DEFAULT_CONSOLE_MAX_STREAMS = 4;
  public static final int DEFAULT_CONSOLE_QUEUE_EVENTS = 1_000;
  public static final long DEFAULT_CONSOLE_STATS_INTERVAL_MS = 2_000;
  public static final int DEFAULT_CONSOLE_MAX_PAGE_SIZE = 500;
  public static final int DEFAULT_STREAM_WINDOW_BYTES = 256 * 1024;
  public static final long DEFAULT_STREAM_RELEASE_MS = 30_000;
  public static final int DEFAULT_MAX_STREAMS = 64;

  /** How a client proves who it is (docs/SECURITY.md). */
  public enum AuthMode { NONE, JWT, BACKEND }

  /** What a {@code hello} for a clientId that has a live session does. */
  public enum DuplicateClient { REPLACE, REFUSE }

  private String host = DEFAULT_HOST;
  private int port = DEFAULT_PORT;
  private String managementHost = DEFAULT_HOST;
  private int managementPort = DEFAULT_MANAGEMENT_PORT;
  private String clusterHost = DEFAULT_CLUSTER_HOST;
  private int clusterPort = DEFAULT_CLUSTER_PORT;
  private List<String> members = new ArrayList<>();
  private String clusterConfig;
  private int backupCount = DEFAULT_BACKUP_COUNT;
  /** Split-brain protection: members a side of a split needs to read or write sessions (0: off). */
  private int splitBrainQuorum;
  private String nodeId = "node-" + UUID.randomUUID().toString().substring(0, 8);
  private long heartbeatMs = DEFAULT_HEARTBEAT_MS;
  private long presenceRefreshMs = DEFAULT_PRESENCE_REFRESH_MS;
  private long resumeWindowMs = DEFAULT_RESUME_WINDOW_MS;
  private long handshakeTimeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS;
  private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  private int bufferMaxFrames = DEFAULT_BUFFER_MAX_FRAMES;
  private long bufferMaxBytes = DEFAULT_BUFFER_MAX_BYTES;
  private int maxPendingRequests = DEFAULT_MAX_PENDING_REQUESTS;
  private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  private List<String> allowedAddresses = new ArrayList<>();
  /** Byte-stream upstreams ({@code name=host:port}) clients may open streams to (docs/PROXY.md); none by default. */
  private List<String> upstreams = new ArrayList<>();
  private int streamWindowBytes = DEFAULT_STREAM_WINDOW_BYTES;
  private long streamReleaseMs = DEFAULT_STREAM_RELEASE_MS;
  private int maxStreams = DEFAULT_MAX_STREAMS;
  private List<String> allowedTopics = new ArrayList<>(DEFAULT_ALLOWED_TOPICS);
  private boolean demo;
  private boolean backendOnly;
  private long drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS;
  private int maxTopics = DEFAULT_MAX_TOPICS;
  /** Client sockets held at once; 0: derived from the process's open-file limit. */
  private int maxConnections;
  private long topicTtlMs;
  private String apiKey;
  // Trust (docs/SECURITY.md)
  private AuthMode auth = AuthMode.NONE;
  private String jwtSecret;
  private String jwtPublicKey;
  private String jwtJwks;
  private String jwtIssuer;
  private String jwtAudience;
  private String authAddress = DEFAULT_AUTH_ADDRESS;
  private long authTimeoutMs = DEFAULT_AUTH_TIMEOUT_MS;
  private long credentialGraceMs = DEFAULT_CREDENTIAL_GRACE_MS;
  private long refreshLeadMs = DEFAULT_REFRESH_LEAD_MS;
  private DuplicateClient duplicateClient = DuplicateClient.REPLACE;
  private List<String> allowedOrigins = new ArrayList<>();
  private String tlsCert;
  private String tlsKey;
  // Limits (docs/PROTOCOL.md §9)
  private int maxSessions;
  private int maxConnectionsPerIp;
  private int maxHandshakesPerIpPerSecond;
  private int maxFramesPerSecond = DEFAULT_MAX_FRAMES_PER_SECOND;
  private int maxRequestsPerSecond = DEFAULT_MAX_REQUESTS_PER_SECOND;
  private int maxSubscriptions = DEFAULT_MAX_SUBSCRIPTIONS;
  private int maxAttrsBytes = DEFAULT_MAX_ATTRS_BYTES;
  private int maxAttrsKeys = DEFAULT_MAX_ATTRS_KEYS;
  /** How long a client may stay over maxFramesPerSecond / maxRequestsPerSecond before its socket is closed. */
  private long rateLimitCloseAfterMs = DEFAULT_RATE_LIMIT_CLOSE_AFTER_MS;
  /** Unacknowledged server-frame bytes all sessions of this node may hold; 0: a quarter of the maximum heap. */
  private long nodeBufferMaxBytes;
  /** Where /health and /metrics are served when not on the management port (healthPort 0: management port). */
  private String healthHost = DEFAULT_HOST;
  private int healthPort;
  private int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
  // The operators' console (docs/OPERATIONS.md "Console")
  private int consoleMaxStreams = DEFAULT_CONSOLE_MAX_STREAMS;
  private int consoleQueueEvents = DEFAULT_CONSOLE_QUEUE_EVENTS;
  private long consoleStatsIntervalMs = DEFAULT_CONSOLE_STATS_INTERVAL_MS;
  private int consoleMaxPageSize = DEFAULT_CONSOLE_MAX_PAGE_SIZE;

  public GatewayOptions() {
  }

  public GatewayOptions(GatewayOptions other) {
    this(other.toJson());
  }

  /** Reads the keys of {@link #toJson()}; unknown keys are refused so that a typo is not silently ignored. */
  public GatewayOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      OptionsLoader.Spec spec = OptionsLoader.byJsonKey(key);
      if (spec == null) {
        throw new IllegalArgumentException("unknown configuration key '" + key + "'");
      }
      Object v = json.getValue(key);
      if (v == null) {
        continue;
      }
      spec.apply(this, v instanceof JsonArray a ? String.join(",", a.stream().map(String::valueOf).toList())
          : String.valueOf(v));
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("host", host).put("port", port)
        .put("managementHost", managementHost).put("managementPort", managementPort)
        .put("clusterHost", clusterHost).put("clusterPort", clusterPort)
        .put("members", new JsonArray(new ArrayList<>(members)))
        .put("clusterConfig", clusterConfig).put("backupCount", backupCount)
        .put("splitBrainQuorum", splitBrainQuorum)
        .put("nodeId", nodeId)
        .put("heartbeatMs", heartbeatMs).put("presenceRefreshMs", presenceRefreshMs)
        .put("resumeWindowMs", resumeWindowMs)
        .put("handshakeTimeoutMs", handshakeTimeoutMs).put("maxFrameBytes", maxFrameBytes)
        .put("bufferMaxFrames", bufferMaxFrames).put("bufferMaxBytes", bufferMaxBytes)
        .put("maxPendingRequests", maxPendingRequests).put("requestTimeoutMs", requestTimeoutMs)
        .put("allowedAddresses", new JsonArray(new ArrayList<>(allowedAddresses)))
        .put("allowedTopics", new JsonArray(new ArrayList<>(allowedTopics)))
        .put("upstreams", new JsonArray(new ArrayList<>(upstreams))).put("streamWindowBytes", streamWindowBytes)
        .put("streamReleaseMs", streamReleaseMs).put("maxStreams", maxStreams)
        .put("demo", demo).put("backendOnly", backendOnly).put("drainTimeoutMs", drainTimeoutMs)
        .put("maxTopics", maxTopics).put("topicTtlMs", topicTtlMs).put("apiKey", apiKey)
        .put("instances", instances).put("maxConnections", maxConnections)
        .put("auth", auth.name().toLowerCase(java.util.Locale.ROOT)).put("jwtSecret", jwtSecret)
        .put("jwtPublicKey", jwtPublicKey).put("jwtJwks", jwtJwks).put("jwtIssuer", jwtIssuer)
        .put("jwtAudience", jwtAudience).put("authAddress", authAddress).put("authTimeoutMs", authTimeoutMs)
        .put("credentialGraceMs", credentialGraceMs).put("refreshLeadMs", refreshLeadMs)
        .put("duplicateClient", duplicateClient.name().toLowerCase(java.util.Locale.ROOT))
        .put("allowedOrigins", new JsonArray(new ArrayList<>(allowedOrigins)))
        .put("tlsCert", tlsCert).put("tlsKey", tlsKey)
        .put("maxSessions", maxSessions).put("maxConnectionsPerIp", maxConnectionsPerIp)
        .put("maxHandshakesPerIpPerSecond", maxHandshakesPerIpPerSecond)
        .put("maxFramesPerSecond", maxFramesPerSecond).put("maxRequestsPerSecond", maxRequestsPerSecond)
        .put("maxSubscriptions", maxSubscriptions).put("maxAttrsBytes", maxAttrsBytes)
        .put("maxAttrsKeys", maxAttrsKeys).put("nodeBufferMaxBytes", nodeBufferMaxBytes)
        .put("rateLimitCloseAfterMs", rateLimitCloseAfterMs)
        .put("healthHost", healthHost).put("healthPort", healthPort)
        .put("consoleMaxStreams", consoleMaxStreams).put("consoleQueueEvents", consoleQueueEvents)
        .put("consoleStatsIntervalMs", consoleStatsIntervalMs).put("consoleMaxPageSize", consoleMaxPageSize);
  }

  /** Checks every bound; the message names the option and the accepted range. */
  public GatewayOptions validate() {
    requirePort("port", port, true);
    requirePort("managementPort", managementPort, true);
    requirePort("clusterPort", clusterPort, false);
    require(heartbeatMs >= 100 && heartbeatMs <= 3_600_000, "heartbeatMs must be between 100 and 3600000");
    require(presenceRefreshMs >= 0 && presenceRefreshMs <= 3_600_000,
        "presenceRefreshMs must be between 0 (every heartbeat) and 3600000");
    require(resumeWindowMs >= 1000, "resumeWindowMs must be at least 1000");
    require(handshakeTimeoutMs >= 100, "handshakeTimeoutMs must be at least 100");
    require(maxFrameBytes >= 1024 && maxFrameBytes <= 16 * 1024 * 1024,
        "maxFrameBytes must be between 1024 and 16777216");
    require(bufferMaxFrames >= 10, "bufferMaxFrames must be at least 10");
    require(bufferMaxBytes >= maxFrameBytes, "bufferMaxBytes must be at least maxFrameBytes (" + maxFrameBytes + ")");
    require(maxPendingRequests >= 1, "maxPendingRequests must be at least 1");
    require(requestTimeoutMs >= 100, "requestTimeoutMs must be at least 100");
    require(backupCount >= 0 && backupCount <= 6, "backupCount must be between 0 and 6");
    require(splitBrainQuorum >= 0 && splitBrainQuorum <= 1000, "splitBrainQuorum must be between 0 (off) and 1000");
    require(maxTopics >= 1, "maxTopics must be at least 1");
    require(topicTtlMs >= 0, "topicTtlMs must be 0 (keep forever) or more");
    require(apiKey == null || apiKey.length() >= 16, "apiKey must be at least 16 characters");
    require(drainTimeoutMs >= 0 && drainTimeoutMs <= 3_600_000, "drainTimeoutMs must be between 0 and 3600000");
    require(instances >= 1 && instances <= 256, "instances must be between 1 and 256");
    require(maxConnections >= 0, "maxConnections must be 0 (derived from the open-file limit) or more");
    require(authTimeoutMs >= 100, "authTimeoutMs must be at least 100");
    require(credentialGraceMs >= 0, "credentialGraceMs must be 0 or more");
    require(refreshLeadMs >= 0, "refreshLeadMs must be 0 or more");
    require(jwtSecret == null || jwtSecret.length() >= 32,
        "jwtSecret must be at least 32 characters (256 bits for HS256)");
    require(auth != AuthMode.JWT || jwtSecret != null || jwtPublicKey != null || jwtJwks != null,
        "auth jwt needs jwtSecret, jwtPublicKey or jwtJwks");
    require(auth != AuthMode.BACKEND || (authAddress != null && !authAddress.isBlank()),
        "authAddress must name an event-bus address");
    require((tlsCert == null) == (tlsKey == null), "tlsCert and tlsKey must be given together");
    requirePort("healthPort", healthPort, true);
    require(healthPort == 0 || healthPort != managementPort,
        "healthPort must differ from managementPort (0: /health and /metrics on the management port only)");
    require(maxSessions >= 0, "maxSessions must be 0 (no limit but maxConnections) or more");
    require(maxConnectionsPerIp >= 0, "maxConnectionsPerIp must be 0 (no limit) or more");
    require(maxHandshakesPerIpPerSecond >= 0, "maxHandshakesPerIpPerSecond must be 0 (no limit) or more");
    require(maxFramesPerSecond >= 0, "maxFramesPerSecond must be 0 (no limit) or more");
    require(maxRequestsPerSecond >= 0, "maxRequestsPerSecond must be 0 (no limit) or more");
    require(maxSubscriptions >= 1, "maxSubscriptions must be at least 1");
    require(maxAttrsBytes >= 64, "maxAttrsBytes must be at least 64");
    require(maxAttrsKeys >= 1, "maxAttrsKeys must be at least 1");
    require(rateLimitCloseAfterMs >= 1_000, "rateLimitCloseAfterMs must be at least 1000");
    require(consoleMaxStreams >= 0 && consoleMaxStreams <= 1000,
        "consoleMaxStreams must be between 0 (console event streams off) and 1000");
    require(consoleQueueEvents >= 1 && consoleQueueEvents <= 1_000_000,
        "consoleQueueEvents must be between 1 and 1000000");
    require(consoleStatsIntervalMs >= 100 && consoleStatsIntervalMs <= 3_600_000,
        "consoleStatsIntervalMs must be between 100 and 3600000");
    require(consoleMaxPageSize >= 1 && consoleMaxPageSize <= 10_000, "consoleMaxPageSize must be between 1 and 10000");
    require(nodeBufferMaxBytes == 0 || nodeBufferMaxBytes >= bufferMaxBytes,
        "nodeBufferMaxBytes must be 0 (a quarter of the heap) or at least bufferMaxBytes (" + bufferMaxBytes + ")");
    require(nodeId != null && nodeId.matches("[A-Za-z0-9._-]{1,64}"), "nodeId must be 1-64 chars of [A-Za-z0-9._-]");
    require(streamWindowBytes >= 4096 && streamWindowBytes <= 64 * 1024 * 1024,
        "streamWindowBytes must be between 4096 and 67108864");
    require(streamReleaseMs >= 100, "streamReleaseMs must be at least 100 (a value above resumeWindowMs acts as it)");
    require(maxStreams >= 0 && maxStreams <= 10_000, "maxStreams must be between 0 (no byte streams) and 10000");
    java.util.Set<String> upstreamNames = new java.util.HashSet<>();
    for (String u : upstreams) {
      require(u.matches("[A-Za-z0-9._-]{1,64}=[^:=\\s]+:\\d{1,5}") && upstreamNames.add(u.substring(0, u.indexOf('='))),
          "upstreams entries must be name=host:port with distinct names of [A-Za-z0-9._-], got '" + u + "'");
    }
    for (String m : members) {
      require(m.matches("[^:\\s]+:\\d{1,5}"), "members entries must be host:port (no ranges), got '" + m + "'");
    }
    return this;
  }

  private static void requirePort(String name, int port, boolean zeroAllowed) {
    require(port >= (zeroAllowed ? 0 : 1) && port <= 65535, name + " must be a TCP port (got " + port + ")");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The addresses clients may call: the configured ones, plus {@code demo.*} when the demo backend runs. */
  public List<String> effectiveAllowedAddresses() {
    List<String> all = new ArrayList<>(allowedAddresses);
    if (demo && !all.contains("demo.*")) {
      all.add("demo.*");
    }
    return all;
  }

  // -- accessors ------------------------------------------------------------------------------------------------

  public String getHost() { return host; }
  public GatewayOptions setHost(String host) { this.host = host; return this; }
  public int getPort() { return port; }
  public GatewayOptions setPort(int port) { this.port = port; return this; }
  public String getManagementHost() { return managementHost; }
  public GatewayOptions setManagementHost(String managementHost) { this.managementHost = managementHost; return this; }
  public int getManagementPort() { return managementPort; }
  public GatewayOptions setManagementPort(int managementPort) { this.managementPort = managementPort; return this; }
  public String getClusterHost() { return clusterHost; }
  public GatewayOptions setClusterHost(String clusterHost) { this.clusterHost = clusterHost; return this; }
  public int getClusterPort() { return clusterPort; }
  public GatewayOptions setClusterPort(int clusterPort) { this.clusterPort = clusterPort; return this; }
  public List<String> getMembers() { return members; }
  public GatewayOptions setMembers(List<String> members) { this.members = new ArrayList<>(members); return this; }
  public String getClusterConfig() { return clusterConfig; }
  public GatewayOptions setClusterConfig(String clusterConfig) { this.clusterConfig = clusterConfig; return this; }
  public int getBackupCount() { return backupCount; }
  public GatewayOptions setBackupCount(int backupCount) { this.backupCount = backupCount; return this; }
  public int getSplitBrainQuorum() { return splitBrainQuorum; }
  public GatewayOptions setSplitBrainQuorum(int quorum) { this.splitBrainQuorum = quorum; return this; }
  public String getNodeId() { return nodeId; }
  public GatewayOptions setNodeId(String nodeId) { this.nodeId = nodeId; return this; }
  public long getHeartbeatMs() { return heartbeatMs; }
  public GatewayOptions setHeartbeatMs(long heartbeatMs) { this.heartbeatMs = heartbeatMs; return this; }
  public long getPresenceRefreshMs() { return presenceRefreshMs; }
  public GatewayOptions setPresenceRefreshMs(long ms) { this.presenceRefreshMs = ms; return this; }
  public long getResumeWindowMs() { return resumeWindowMs; }
  public GatewayOptions setResumeWindowMs(long resumeWindowMs) { this.resumeWindowMs = resumeWindowMs; return this; }
  public long getHandshakeTimeoutMs() { return handshakeTimeoutMs; }
  public GatewayOptions setHandshakeTimeoutMs(long ms) { this.handshakeTimeoutMs = ms; return this; }
  public int getMaxFrameBytes() { return maxFrameBytes; }
  public GatewayOptions setMaxFrameBytes(int maxFrameBytes) { this.maxFrameBytes = maxFrameBytes; return this; }
  public int getBufferMaxFrames() { return bufferMaxFrames; }
  public GatewayOptions setBufferMaxFrames(int bufferMaxFrames) { this.bufferMaxFrames = bufferMaxFrames; return this; }
  public long getBufferMaxBytes() { return bufferMaxBytes; }
  public GatewayOptions setBufferMaxBytes(long bufferMaxBytes) { this.bufferMaxBytes = bufferMaxBytes; return this; }
  public int getMaxConnections() { return maxConnections; }
  public GatewayOptions setMaxConnections(int n) { this.maxConnections = n; return this; }
  public int getMaxPendingRequests() { return maxPendingRequests; }
  public GatewayOptions setMaxPendingRequests(int n) { this.maxPendingRequests = n; return this; }
  public long getRequestTimeoutMs() { return requestTimeoutMs; }
  public GatewayOptions setRequestTimeoutMs(long requestTimeoutMs) { this.requestTimeoutMs = requestTimeoutMs; return this; }
  public List<String> getUpstreams() { return upstreams; }
  public GatewayOptions setUpstreams(List<String> u) { this.upstreams = new ArrayList<>(u); return this; }
  public int getStreamWindowBytes() { return streamWindowBytes; }
  public GatewayOptions setStreamWindowBytes(int n) { this.streamWindowBytes = n; return this; }
  public long getStreamReleaseMs() { return streamReleaseMs; }
  public GatewayOptions setStreamReleaseMs(long ms) { this.streamReleaseMs = ms; return this; }
  public int getMaxStreams() { return maxStreams; }
  public GatewayOptions setMaxStreams(int n) { this.maxStreams = n; return this; }
  public List<String> getAllowedAddresses() { return allowedAddresses; }
  public GatewayOptions setAllowedAddresses(List<String> a) { this.allowedAddresses = new ArrayList<>(a); return this; }
  public List<String> getAllowedTopics() { return allowedTopics; }
  public GatewayOptions setAllowedTopics(List<String> t) { this.allowedTopics = new ArrayList<>(t); return this; }
  public boolean isDemo() { return demo; }
  public GatewayOptions setDemo(boolean demo) { this.demo = demo; return this; }
  public boolean isBackendOnly() { return backendOnly; }
  public GatewayOptions setBackendOnly(boolean backendOnly) { this.backendOnly = backendOnly; return this; }
  public long getDrainTimeoutMs() { return drainTimeoutMs; }
  public GatewayOptions setDrainTimeoutMs(long drainTimeoutMs) { this.drainTimeoutMs = drainTimeoutMs; return this; }
  public int getMaxTopics() { return maxTopics; }
  public GatewayOptions setMaxTopics(int maxTopics) { this.maxTopics = maxTopics; return this; }
  public long getTopicTtlMs() { return topicTtlMs; }
  public GatewayOptions setTopicTtlMs(long topicTtlMs) { this.topicTtlMs = topicTtlMs; return this; }
  public String getApiKey() { return apiKey; }
  public GatewayOptions setApiKey(String apiKey) { this.apiKey = apiKey; return this; }
  public int getInstances() { return instances; }
  public GatewayOptions setInstances(int instances) { this.instances = instances; return this; }

  public AuthMode getAuth() { return auth; }
  public GatewayOptions setAuth(AuthMode auth) { this.auth = auth; return this; }
  public String getJwtSecret() { return jwtSecret; }
  public GatewayOptions setJwtSecret(String v) { this.jwtSecret = v; return this; }
  public String getJwtPublicKey() { return jwtPublicKey; }
  public GatewayOptions setJwtPublicKey(String v) { this.jwtPublicKey = v; return this; }
  public String getJwtJwks() { return jwtJwks; }
  public GatewayOptions setJwtJwks(String v) { this.jwtJwks = v; return this; }
  public String getJwtIssuer() { return jwtIssuer; }
  public GatewayOptions setJwtIssuer(String v) { this.jwtIssuer = v; return this; }
  public String getJwtAudience() { return jwtAudience; }
  public GatewayOptions setJwtAudience(String v) { this.jwtAudience = v; return this; }
  public String getAuthAddress() { return authAddress; }
  public GatewayOptions setAuthAddress(String v) { this.authAddress = v; return this; }
  public long getAuthTimeoutMs() { return authTimeoutMs; }
  public GatewayOptions setAuthTimeoutMs(long v) { this.authTimeoutMs = v; return this; }
  public long getCredentialGraceMs() { return credentialGraceMs; }
  public GatewayOptions setCredentialGraceMs(long v) { this.credentialGraceMs = v; return this; }
  public long getRefreshLeadMs() { return refreshLeadMs; }
  public GatewayOptions setRefreshLeadMs(long v) { this.refreshLeadMs = v; return this; }
  public DuplicateClient getDuplicateClient() { return duplicateClient; }
  public GatewayOptions setDuplicateClient(DuplicateClient v) { this.duplicateClient = v; return this; }
  public List<String> getAllowedOrigins() { return allowedOrigins; }
  public GatewayOptions setAllowedOrigins(List<String> v) { this.allowedOrigins = new ArrayList<>(v); return this; }
  public String getTlsCert() { return tlsCert; }
  public GatewayOptions setTlsCert(String v) { this.tlsCert = v; return this; }
  public String getTlsKey() { return tlsKey; }
  public GatewayOptions setTlsKey(String v) { this.tlsKey = v; return this; }
  public int getMaxSessions() { return maxSessions; }
  public GatewayOptions setMaxSessions(int v) { this.maxSessions = v; return this; }
  public int getMaxConnectionsPerIp() { return maxConnectionsPerIp; }
  public GatewayOptions setMaxConnectionsPerIp(int v) { this.maxConnectionsPerIp = v; return this; }
  public int getMaxHandshakesPerIpPerSecond() { return maxHandshakesPerIpPerSecond; }
  public GatewayOptions setMaxHandshakesPerIpPerSecond(int v) { this.maxHandshakesPerIpPerSecond = v; return this; }
  public int getMaxFramesPerSecond() { return maxFramesPerSecond; }
  public GatewayOptions setMaxFramesPerSecond(int v) { this.maxFramesPerSecond = v; return this; }
  public int getMaxRequestsPerSecond() { return maxRequestsPerSecond; }
  public GatewayOptions setMaxRequestsPerSecond(int v) { this.maxRequestsPerSecond = v; return this; }
  public int getMaxSubscriptions() { return maxSubscriptions; }
  public GatewayOptions setMaxSubscriptions(int v) { this.maxSubscriptions = v; return this; }
  public int getMaxAttrsBytes() { return maxAttrsBytes; }
  public GatewayOptions setMaxAttrsBytes(int v) { this.maxAttrsBytes = v; return this; }
  public int getMaxAttrsKeys() { return maxAttrsKeys; }
  public GatewayOptions setMaxAttrsKeys(int v) { this.maxAttrsKeys = v; return this; }
  public long getRateLimitCloseAfterMs() { return rateLimitCloseAfterMs; }
  public GatewayOptions setRateLimitCloseAfterMs(long v) { this.rateLimitCloseAfterMs = v; return this; }
  public long getNodeBufferMaxBytes() { return nodeBufferMaxBytes; }
  public GatewayOptions setNodeBufferMaxBytes(long v) { this.nodeBufferMaxBytes = v; return this; }
  public String getHealthHost() { return healthHost; }
  public GatewayOptions setHealthHost(String v) { this.healthHost = v; return this; }
  public int getHealthPort() { return healthPort; }
  public GatewayOptions setHealthPort(int v) { this.healthPort = v; return this; }
  public int getConsoleMaxStreams() { return consoleMaxStreams; }
  public GatewayOptions setConsoleMaxStreams(int v) { this.consoleMaxStreams = v; return this; }
  public int getConsoleQueueEvents() { return consoleQueueEvents; }
  public GatewayOptions setConsoleQueueEvents(int v) { this.consoleQueueEvents = v; return this; }
  public long getConsoleStatsIntervalMs() { return consoleStatsIntervalMs; }
  public GatewayOptions setConsoleStatsIntervalMs(long v) { this.consoleStatsIntervalMs = v; return this; }
  public int getConsoleMaxPageSize() { return consoleMaxPageSize; }
  public GatewayOptions setConsoleMaxPageSize(int v) { this.consoleMaxPageSize = v; return this; }
}
