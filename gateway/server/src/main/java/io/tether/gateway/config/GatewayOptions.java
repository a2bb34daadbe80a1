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

  private String host = DEFAULT_HOST;
  private int port = DEFAULT_PORT;
  private String managementHost = DEFAULT_HOST;
  private int managementPort = DEFAULT_MANAGEMENT_PORT;
  private String clusterHost = DEFAULT_CLUSTER_HOST;
  private int clusterPort = DEFAULT_CLUSTER_PORT;
  private List<String> members = new ArrayList<>();
  private String clusterConfig;
  private int backupCount = DEFAULT_BACKUP_COUNT;
  private String nodeId = "node-" + UUID.randomUUID().toString().substring(0, 8);
  private long heartbeatMs = DEFAULT_HEARTBEAT_MS;
  private long resumeWindowMs = DEFAULT_RESUME_WINDOW_MS;
  private long handshakeTimeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS;
  private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  private int bufferMaxFrames = DEFAULT_BUFFER_MAX_FRAMES;
  private long bufferMaxBytes = DEFAULT_BUFFER_MAX_BYTES;
  private int maxPendingRequests = DEFAULT_MAX_PENDING_REQUESTS;
  private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  private List<String> allowedAddresses = new ArrayList<>();
  private List<String> allowedTopics = new ArrayList<>(DEFAULT_ALLOWED_TOPICS);
  private boolean demo;
  private boolean backendOnly;
  private long drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS;
  private int maxTopics = DEFAULT_MAX_TOPICS;
  /** Client sockets held at once; 0: derived from the process's open-file limit. */
  private int maxConnections;
  private long topicTtlMs;
  private String apiKey;
  private int instances = Math.max(1, Runtime.getRuntime().availableProcessors());

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
        .put("nodeId", nodeId)
        .put("heartbeatMs", heartbeatMs).put("resumeWindowMs", resumeWindowMs)
        .put("handshakeTimeoutMs", handshakeTimeoutMs).put("maxFrameBytes", maxFrameBytes)
        .put("bufferMaxFrames", bufferMaxFrames).put("bufferMaxBytes", bufferMaxBytes)
        .put("maxPendingRequests", maxPendingRequests).put("requestTimeoutMs", requestTimeoutMs)
        .put("allowedAddresses", new JsonArray(new ArrayList<>(allowedAddresses)))
        .put("allowedTopics", new JsonArray(new ArrayList<>(allowedTopics)))
        .put("demo", demo).put("backendOnly", backendOnly).put("drainTimeoutMs", drainTimeoutMs)
        .put("maxTopics", maxTopics).put("topicTtlMs", topicTtlMs).put("apiKey", apiKey)
        .put("instances", instances).put("maxConnections", maxConnections);
  }

  /** Checks every bound; the message names the option and the accepted range. */
  public GatewayOptions validate() {
    requirePort("port", port, true);
    requirePort("managementPort", managementPort, true);
    requirePort("clusterPort", clusterPort, false);
    require(heartbeatMs >= 100 && heartbeatMs <= 3_600_000, "heartbeatMs must be between 100 and 3600000");
    require(resumeWindowMs >= 1000, "resumeWindowMs must be at least 1000");
    require(handshakeTimeoutMs >= 100, "handshakeTimeoutMs must be at least 100");
    require(maxFrameBytes >= 1024 && maxFrameBytes <= 16 * 1024 * 1024,
        "maxFrameBytes must be between 1024 and 16777216");
    require(bufferMaxFrames >= 10, "bufferMaxFrames must be at least 10");
    require(bufferMaxBytes >= maxFrameBytes, "bufferMaxBytes must be at least maxFrameBytes (" + maxFrameBytes + ")");
    require(maxPendingRequests >= 1, "maxPendingRequests must be at least 1");
    require(requestTimeoutMs >= 100, "requestTimeoutMs must be at least 100");
    require(backupCount >= 0 && backupCount <= 6, "backupCount must be between 0 and 6");
    require(maxTopics >= 1, "maxTopics must be at least 1");
    require(topicTtlMs >= 0, "topicTtlMs must be 0 (keep forever) or more");
    require(apiKey == null || apiKey.length() >= 16, "apiKey must be at least 16 characters");
    require(drainTimeoutMs >= 0 && drainTimeoutMs <= 3_600_000, "drainTimeoutMs must be between 0 and 3600000");
    require(instances >= 1 && instances <= 256, "instances must be between 1 and 256");
    require(maxConnections >= 0, "maxConnections must be 0 (derived from the open-file limit) or more");
    require(nodeId != null && nodeId.matches("[A-Za-z0-9._-]{1,64}"), "nodeId must be 1-64 chars of [A-Za-z0-9._-]");
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
  public String getNodeId() { return nodeId; }
  public GatewayOptions setNodeId(String nodeId) { this.nodeId = nodeId; return this; }
  public long getHeartbeatMs() { return heartbeatMs; }
  public GatewayOptions setHeartbeatMs(long heartbeatMs) { this.heartbeatMs = heartbeatMs; return this; }
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
}
