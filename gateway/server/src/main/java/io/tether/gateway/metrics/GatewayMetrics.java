package io.tether.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The gateway's own meters (docs/OPERATIONS.md "Metrics"). Names are constants and every tag has a small fixed
 * set of values, so the series count stays bounded whatever clients send.
 */
public final class GatewayMetrics {

  public static final String SESSIONS = "tether_sessions";
  public static final String SESSION_TRANSITIONS = "tether_session_transitions";
  public static final String FRAMES_IN = "tether_frames_in";
  public static final String FRAMES_OUT = "tether_frames_out";
  public static final String RESUMES = "tether_resumes";
  public static final String REPLAYED = "tether_replayed_frames";
  public static final String BUFFERED_BYTES = "tether_buffered_bytes";
  public static final String HEARTBEAT_TIMEOUTS = "tether_heartbeat_timeouts";
  public static final String REQUEST_DURATION = "tether_request_duration";
  public static final String STORE_FLUSH_DURATION = "tether_store_flush_duration";
  public static final String STORE_FLUSH_FRAMES = "tether_store_flush_frames";
  /**
   * Hazelcast operations the session store issued, by {@code op}: flush (one per partition batch of session writes),
   * resume, append, end, owner, pending, orphan, create, presence, presence_read, publish, topic_read, and sweep /
   * query (one cluster-wide call each). Exported as {@code tether_store_operations_total}.
   */
  public static final String STORE_OPERATIONS = "tether_store_operations";
  public static final String ERRORS = "tether_errors";
  public static final String VOLATILE_DROPPED = "tether_volatile_dropped";
  /** Client requests dispatched again because the node that forwarded them left the cluster. */
  public static final String REDISPATCHED = "tether_requests_redispatched";
  /** Sessions detached in the store because their node left the cluster (counted by the member that did it). */
  public static final String ORPHANED = "tether_sessions_orphaned";
  /** Client sockets this node holds now (all states, handshake included). */
  public static final String CONNECTIONS = "tether_connections";
  /** Credentials checked (hello, resume, auth): {@code result} = granted or the refusal's reason. */
  public static final String AUTH = "tether_auth";
  /** WebSocket handshakes refused with HTTP 503 (tag reason: full, draining). */
  public static final String CONNECTIONS_REFUSED = "tether_connections_refused";

  /**
   * Client frames, requests, subscribes and attrs over a limit, and backend sends refused by the node's buffer budget
   * (tag limit: frames, requests, subscriptions, attrs, node_buffer); docs/PROTOCOL.md §12.
   */
  public static final String LIMITED = "tether_limited";
  /** Sockets closed because their client stayed over its rate limits (tag limit: rate). */
  public static final String LIMIT_CLOSES = "tether_limit_closes";
  /** The node's budget of unacknowledged server bytes (nodeBufferMaxBytes). */
  public static final String BUFFER_BUDGET = "tether_buffer_budget_bytes";

  /** Members of the Hazelcast cluster as this node sees them (gateway and backend members). */
  public static final String CLUSTER_MEMBERS = "tether_cluster_members";
  /** Operators' console event streams open on this node (docs/OPERATIONS.md "Console"). */
  public static final String CONSOLE_STREAMS = "tether_console_streams";

  public static final String STORE_ENTRIES = "tether_store_entries";
  /** Byte streams open on this node (docs/PROXY.md). */
  public static final String STREAMS = "tether_streams";
  /** Bytes relayed by byte streams, by direction: {@code up} (client to upstream) or {@code down}. */
  public static final String STREAM_BYTES = "tether_stream_bytes";
  /** Byte streams ended, by reason ({@code eof}, {@code released}, {@code connect_failed}, …). */
  public static final String STREAMS_ENDED = "tether_streams_ended";
  /** Upstream bytes a released stream could not deliver (docs/PROXY.md "Release"). */
  public static final String STREAM_BYTES_DROPPED = "tether_stream_bytes_dropped";

  /** Metrics that record nothing, for components used without a registry. */
  public static final GatewayMetrics NOOP = new GatewayMetrics(null);

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Counter> framesIn = new ConcurrentHashMap<>();
  private final Map<String, Counter> framesOut = new ConcurrentHashMap<>();
  private final Map<String, Timer> requestTimers = new ConcurrentHashMap<>();
  private final Map<String, Counter> storeOperations = new ConcurrentHashMap<>();
  private final Timer flushTimer;
  private final DistributionSummary flushFrames;
  private final Counter replayed;
  private final Counter heartbeatTimeouts;
  private final Counter volatileDropped;
  private final MemoryByLifetime memory = new MemoryByLifetime();

  public GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
    if (registry == null) {
      flushTimer = null;
      flushFrames = null;
      replayed = heartbeatTimeouts = volatileDropped = null;
      return;
    }
    flushTimer = Timer.builder(STORE_FLUSH_DURATION).description("Session store writes (one per session batch)")
        .publishPercentiles(0.5, 0.99).register(registry);
    flushFrames = DistributionSummary.builder(STORE_FLUSH_FRAMES).description("Server frames per store write")
        .register(registry);
    replayed = Counter.builder(REPLAYED).description("Frames replayed to clients on resume").register(registry);
    heartbeatTimeouts = Counter.builder(HEARTBEAT_TIMEOUTS)
        .description("Sockets closed because the client fell silent").register(registry);
    volatileDropped = Counter.builder(VOLATILE_DROPPED)
        .description("Volatile pushes dropped because the socket was not writable").register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The node's buffer memory by lifetime; counted even without a registry (cheap), exported only with one. */
  public MemoryByLifetime memory() {
    return memory;
  }

  /**
   * This member's share of a cluster map ({@code sessions}, {@code presence}, {@code topics}): its entries, {@code copy}
   * = {@code owned} (primaries) or {@code backup}. (Hazelcast reports no memory cost for maps kept in OBJECT format;
   * scripts/bench-idle.sh reads the replicated bytes off the live heap of a member that holds no sockets.)
   */
  public void storeGauge(String map, String copy, Supplier<Number> entries) {
    if (registry != null) {
      Gauge.builder(STORE_ENTRIES, entries).tags("map", map, "copy", copy)
          .description("Entries of a cluster map held by this member").register(registry);
    }
  }

  /** Exports {@link #memory()}: session bytes, connection and session counts are read from these when scraped. */
  public void memoryGauges(Supplier<Number> sessionBytes, Supplier<Number> connections, Supplier<Number> sessions) {
    if (registry != null) {
      memory.register(registry, sessionBytes, connections, sessions);
    }
  }

  /** Registers a gauge per session state, read from {@code counts} when scraped. */
  public <T> void sessionGauge(String state, T source, ToDoubleFunction<T> value) {
    if (registry != null) {
      Gauge.builder(SESSIONS, source, value).tag("state", state).description("Sessions by state on this node")
          .register(registry);
    }
  }

  public void connectionsGauge(Supplier<Number> value) {
    if (registry != null) {
      Gauge.builder(CONNECTIONS, value).description("Client sockets this node holds").register(registry);
    }
  }

  /**
   * A WebSocket handshake refused before the upgrade: {@code full} (maxConnections, 503), {@code draining} (503),
   * {@code sessions} (maxSessions, 503), {@code origin} (a foreign browser Origin, 403), {@code per_ip}
   * (maxConnectionsPerIp, 429) or {@code handshake_rate} (maxHandshakesPerIpPerSecond, 429).
   */
  public void connectionRefused(String reason) {
    count(CONNECTIONS_REFUSED, "reason", reason);
  }

  public void bufferedBytesGauge(Supplier<Number> value) {
    if (registry != null) {
      Gauge.builder(BUFFERED_BYTES, value).description("Unacknowledged server bytes held by this node's sessions")
          .register(registry);
    }
  }

  /** The node's budget of unacknowledged bytes, beside {@link #BUFFERED_BYTES}. */
  public void bufferBudgetGauge(long bytes) {
    if (registry != null) {
      Gauge.builder(BUFFER_BUDGET, () -> bytes).description("Unacknowledged server bytes this node's sessions may hold")
          .register(registry);
    }
  }

  public void clusterMembersGauge(Supplier<Number> value) {
    if (registry != null) {
      Gauge.builder(CLUSTER_MEMBERS, value).description("Cluster members this node sees").register(registry);
    }
  }

  public void consoleStreamsGauge(Supplier<Number> value) {
    if (registry != null) {
      Gauge.builder(CONSOLE_STREAMS, value).description("Console event streams open on this node").register(registry);
    }
  }

  public void streamsGauge(Supplier<Number> value) {
    if (registry != null) {
      Gauge.builder(STREAMS, value).description("Byte streams open on this node").register(registry);
    }
  }

  /** {@code bytes} relayed {@code up} (client to upstream) or {@code down}. */
  public void streamBytes(String direction, long bytes) {
    if (registry != null) {
      counters.computeIfAbsent(STREAM_BYTES + '\0' + direction, k -> Counter.builder(STREAM_BYTES)
          .description("Bytes relayed by byte streams").baseUnit("bytes").tag("direction", direction)
          .register(registry)).increment(bytes);
    }
  }

  public void streamEnded(String reason) {
    count(STREAMS_ENDED, "reason", reason);
  }

  public void streamBytesDropped(long bytes) {
    if (registry != null) {
      counters.computeIfAbsent(STREAM_BYTES_DROPPED, k -> Counter.builder(STREAM_BYTES_DROPPED).baseUnit("bytes")
          .description("Upstream bytes a released byte stream could not deliver").register(registry)).increment(bytes);
    }
  }

  /** Something a client or backend did went over a limit ({@link #LIMITED}). */
  public void limited(String limit) {
    count(LIMITED, "limit", limit);
  }

  /** A socket closed for staying over its rate limits. */
  public void limitClosed(String limit) {
    count(LIMIT_CLOSES, "limit", limit);
  }

  private void count(String name, String tagKey, String tagValue) {
    if (registry != null) {
      counters.computeIfAbsent(name + '\0' + tagKey + '\0' + tagValue,
          k -> Counter.builder(name).tag(tagKey, tagValue).register(registry)).increment();
    }
  }

  /**
   * Frame counters are on the hot path (one call per frame): one map read by type, no key building, and no capturing
   * lambda unless the type is new (a {@code computeIfAbsent} with one allocated a lambda per frame: 2.3 % of a push
   * run's samples, docs/BENCHMARKS.md, the push profile).
   */
  private void countFrame(Map<String, Counter> byType, String name, String type) {
    if (registry != null) {
      Counter counter = byType.get(type);
      if (counter == null) {
        counter = byType.computeIfAbsent(type, t -> Counter.builder(name).tag("type", t).register(registry));
      }
      counter.increment();
    }
  }

  public void frameIn(String type) {
    countFrame(framesIn, FRAMES_IN, type);
  }

  public void frameOut(String type) {
    countFrame(framesOut, FRAMES_OUT, type);
  }

  public void transition(String state) {
    count(SESSION_TRANSITIONS, "to", state);
  }

  public void resumed() {
    count(RESUMES, "result", "ok");
  }

  public void resumeFailed(String reason) {
    count(RESUMES, "result", reason);
  }

  public void authenticated(String result) {
    count(AUTH, "result", result);
  }

  public void redispatched() {
    count(REDISPATCHED, "reason", "node_left");
  }

  public void orphaned(int sessions) {
    for (int i = 0; i < sessions; i++) {
      count(ORPHANED, "reason", "node_left");
    }
  }

  public void error(String code) {
    count(ERRORS, "code", code);
  }

  public void replayed(int frames) {
    if (replayed != null) {
      replayed.increment(frames);
    }
  }

  public void heartbeatTimeout() {
    if (heartbeatTimeouts != null) {
      heartbeatTimeouts.increment();
    }
  }

  public void volatileDropped() {
    if (volatileDropped != null) {
      volatileDropped.increment();
    }
  }

  /** The store issued one Hazelcast operation of kind {@code op} (a fixed name, see {@link #STORE_OPERATIONS}). */
  public void storeOperation(String op) {
    if (registry != null) {
      storeOperations.computeIfAbsent(op, o -> Counter.builder(STORE_OPERATIONS).tag("op", o)
          .description("Hazelcast operations issued by the session store").register(registry)).increment();
    }
  }

  public void flushed(long nanos, int frames) {
    if (flushTimer != null) {
      flushTimer.record(nanos, TimeUnit.NANOSECONDS);
      flushFrames.record(frames);
    }
  }

  public void request(long nanos, String outcome) {
    if (registry != null) {
      requestTimers.computeIfAbsent(outcome, o -> Timer.builder(REQUEST_DURATION).tag("outcome", o)
              .publishPercentiles(0.5, 0.99).description("Client requests from receipt to response").register(registry))
          .record(nanos, TimeUnit.NANOSECONDS);
    }
  }
}
