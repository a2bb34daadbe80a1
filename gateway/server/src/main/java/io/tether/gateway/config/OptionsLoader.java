package io.tether.gateway.config;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Builds {@link GatewayOptions} from, in increasing precedence: defaults, the JSON file named by {@code --config}
 * (or {@code TETHER_CONFIG}), environment variables {@code TETHER_<NAME>}, and command-line flags {@code --<name>}.
 * One table ({@link #SPECS}) defines every option once, for all three sources and for {@code --help}.
 */
public final class OptionsLoader {

  /** One option: flag name (kebab-case), JSON key (camelCase), env var, help text, and how to apply a value. */
  public record Spec(String flag, String jsonKey, String env, String help, BiConsumer<GatewayOptions, String> setter) {
    void apply(GatewayOptions o, String value) {
      try {
        setter.accept(o, value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("option " + flag + ": '" + value + "' is not a number");
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("option " + flag + ": " + e.getMessage());
      }
    }
  }

  private static Spec spec(String flag, String help, BiConsumer<GatewayOptions, String> setter) {
    StringBuilder camel = new StringBuilder();
    boolean up = false;
    for (char c : flag.toCharArray()) {
      if (c == '-') {
        up = true;
      } else {
        camel.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return new Spec("--" + flag, camel.toString(), "TETHER_" + flag.replace('-', '_').toUpperCase(Locale.ROOT), help,
        setter);
  }

  private static List<String> list(String v) {
    return v.isBlank() ? List.of() : Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static <E extends Enum<E>> E choice(Class<E> type, String v) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(v.replace('-', '_'))) {
        return e;
      }
    }
    throw new IllegalArgumentException("expected one of " + Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT)).toList() + ", got '" + v + "'");
  }

  private static boolean bool(String v) {
    if (v.isEmpty() || v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException("expected true or false, got '" + v + "'");
  }

  public static final List<Spec> SPECS = List.of(
      spec("port", "client WebSocket port (default 8080; 0 = any free port)", (o, v) -> o.setPort(Integer.parseInt(v))),
      spec("host", "client listen address (default 0.0.0.0)", GatewayOptions::setHost),
      spec("management-port", "management HTTP port: /health /metrics, and /admin /api with the API key (default 9090)",
          (o, v) -> o.setManagementPort(Integer.parseInt(v))),
      spec("management-host", "management listen address (default 0.0.0.0)", GatewayOptions::setManagementHost),
      spec("cluster-host", "address Hazelcast binds and advertises (default 127.0.0.1)", GatewayOptions::setClusterHost),
      spec("cluster-port", "Hazelcast member port (default 5701)", (o, v) -> o.setClusterPort(Integer.parseInt(v))),
      spec("members", "host:port of every cluster member, comma-separated (default: this node alone)",
          (o, v) -> o.setMembers(list(v))),
      spec("cluster-config", "Hazelcast XML file replacing the built-in network settings", GatewayOptions::setClusterConfig),
      spec("backup-count", "synchronous backups of session state (default 1)",
          (o, v) -> o.setBackupCount(Integer.parseInt(v))),
      spec("split-brain-quorum", "members a side of a network split needs to serve sessions; a majority of the "
          + "cluster, e.g. 3 of 4 (default 0: off; docs/RELIABILITY.md \"Split brain\")",
          (o, v) -> o.setSplitBrainQuorum(Integer.parseInt(v))),
      spec("node-id", "this node's name in presence records and logs (default node-<random>)", GatewayOptions::setNodeId),
      spec("heartbeat-ms", "heartbeat interval told to clients (default 25000)",
          (o, v) -> o.setHeartbeatMs(Long.parseLong(v))),
      spec("presence-refresh-ms", "how often a heartbeat without new attrs refreshes presence lastSeen (default "
          + "60000; 0: every heartbeat)", (o, v) -> o.setPresenceRefreshMs(Long.parseLong(v))),
      spec("resume-window-ms", "how long a detached session stays resumable (default 120000)",
          (o, v) -> o.setResumeWindowMs(Long.parseLong(v))),
      spec("handshake-timeout-ms", "time allowed for hello/resume on a new socket (default 10000)",
          (o, v) -> o.setHandshakeTimeoutMs(Long.parseLong(v))),
      spec("max-frame-bytes", "largest accepted frame (default 65536)",
          (o, v) -> o.setMaxFrameBytes(Integer.parseInt(v))),
      spec("buffer-max-frames", "unacked server frames kept per session (default 1000)",
          (o, v) -> o.setBufferMaxFrames(Integer.parseInt(v))),
      spec("buffer-max-bytes", "unacked server bytes kept per session (default 1048576)",
          (o, v) -> o.setBufferMaxBytes(Long.parseLong(v))),
      spec("max-pending-requests", "client requests awaiting a backend reply per session (default 100)",
          (o, v) -> o.setMaxPendingRequests(Integer.parseInt(v))),
      spec("request-timeout-ms", "timeout of a client request forwarded to a backend (default 30000)",
          (o, v) -> o.setRequestTimeoutMs(Long.parseLong(v))),
      spec("allowed-addresses", "event-bus addresses clients may call, comma-separated, '*' wildcards (default none)",
          (o, v) -> o.setAllowedAddresses(list(v))),
      spec("allowed-topics", "topics clients may subscribe to, comma-separated, '*' wildcards (default *)",
          (o, v) -> o.setAllowedTopics(list(v))),
      spec("max-topics", "topics the cluster keeps; publishing a new one beyond is refused (default 100000)",
          (o, v) -> o.setMaxTopics(Integer.parseInt(v))),
      spec("topic-ttl-ms", "a topic not published for this long is forgotten (default 0: kept forever)",
          (o, v) -> o.setTopicTtlMs(Long.parseLong(v))),
      spec("api-key", "key (at least 16 characters) for /admin/* and /api/* on the management port, sent as "
          + "Authorization: Bearer <key>; unset: both are off. Prefer TETHER_API_KEY: flags show in ps",
          GatewayOptions::setApiKey),
      spec("instances", "client endpoint verticle instances (default: number of cores)",
          (o, v) -> o.setInstances(Integer.parseInt(v))),
      spec("max-connections", "client sockets this node holds at once; beyond, handshakes get HTTP 503 (default 0: "
          + "the process's open-file limit less 1024, or less a quarter of a small one)",
          (o, v) -> o.setMaxConnections(Integer.parseInt(v))),
      spec("auth", "how clients prove who they are: none | jwt | backend (default none; docs/SECURITY.md)",
          (o, v) -> o.setAuth(choice(GatewayOptions.AuthMode.class, v))),
      spec("jwt-secret", "auth jwt: HS256 shared secret (at least 32 characters)", GatewayOptions::setJwtSecret),
      spec("jwt-public-key", "auth jwt: PEM file of the RS256/ES256 public key", GatewayOptions::setJwtPublicKey),
      spec("jwt-jwks", "auth jwt: JWKS (JSON) file of the public keys, chosen by kid", GatewayOptions::setJwtJwks),
      spec("jwt-issuer", "auth jwt: the iss claim tokens must carry (default: not checked)",
          GatewayOptions::setJwtIssuer),
      spec("jwt-audience", "auth jwt: the aud claim tokens must carry (default: not checked)",
          GatewayOptions::setJwtAudience),
      spec("auth-address", "auth backend: event-bus address asked to authenticate (default gateway.auth)",
          GatewayOptions::setAuthAddress),
      spec("auth-timeout-ms", "auth backend: how long the authenticator may take; then refused (default 5000)",
          (o, v) -> o.setAuthTimeoutMs(Long.parseLong(v))),
      spec("credential-grace-ms", "a session whose credential expired is closed this long after (default 30000)",
          (o, v) -> o.setCredentialGraceMs(Long.parseLong(v))),
      spec("refresh-lead-ms", "the client is told to refresh its credential this long before expiry (default 60000)",
          (o, v) -> o.setRefreshLeadMs(Long.parseLong(v))),
      spec("duplicate-client", "a hello for a clientId with a live session: replace | refuse (default replace)",
          (o, v) -> o.setDuplicateClient(choice(GatewayOptions.DuplicateClient.class, v))),
      spec("allowed-origins", "browser Origins allowed on /ws, comma-separated, '*' wildcards (default: the Host "
          + "header's own origin only; requests without Origin are not browsers and pass)",
          (o, v) -> o.setAllowedOrigins(list(v))),
      spec("tls-cert", "PEM certificate chain: the client port serves wss:// itself (with --tls-key; default: ws://, "
          + "e.g. behind a TLS-terminating proxy)", GatewayOptions::setTlsCert),
      spec("tls-key", "PEM private key (PKCS#8 or PKCS#1) of --tls-cert", GatewayOptions::setTlsKey),
      spec("max-sessions", "sessions this node holds; beyond, handshakes get HTTP 503 so a load balancer tries "
          + "another node (default 0: no limit)", (o, v) -> o.setMaxSessions(Integer.parseInt(v))),
      spec("max-connections-per-ip", "client sockets one remote address may hold; beyond, handshakes get HTTP 429 "
          + "(default 0: no limit; behind a proxy every client has the proxy's address)",
          (o, v) -> o.setMaxConnectionsPerIp(Integer.parseInt(v))),
      spec("max-handshakes-per-ip-per-second", "WebSocket handshakes one remote address may start per second (burst "
          + "the same); beyond, HTTP 429 (default 0: no limit; behind a proxy every client has the proxy's address)",
          (o, v) -> o.setMaxHandshakesPerIpPerSecond(Integer.parseInt(v))),
      spec("max-frames-per-second", "frames one session may send per second (default 1000; 0: no limit)",
          (o, v) -> o.setMaxFramesPerSecond(Integer.parseInt(v))),
      spec("max-requests-per-second", "requests one session may send per second (default 500; 0: no limit)",
          (o, v) -> o.setMaxRequestsPerSecond(Integer.parseInt(v))),
      spec("max-subscriptions", "topics one session may follow (default 1000)",
          (o, v) -> o.setMaxSubscriptions(Integer.parseInt(v))),
      spec("max-attrs-bytes", "size of a client's presence attrs (default 4096)",
          (o, v) -> o.setMaxAttrsBytes(Integer.parseInt(v))),
      spec("max-attrs-keys", "keys in a client's presence attrs (default 64)",
          (o, v) -> o.setMaxAttrsKeys(Integer.parseInt(v))),
      spec("rate-limit-close-after-ms", "how long a session may stay over max-frames-per-second or "
          + "max-requests-per-second before its socket is closed with 1008 (default 5000)",
          (o, v) -> o.setRateLimitCloseAfterMs(Long.parseLong(v))),
      spec("node-buffer-max-bytes", "unacknowledged bytes all sessions of this node may hold; beyond, sends are "
          + "refused (retryable) (default 0: a quarter of the maximum heap)",
          (o, v) -> o.setNodeBufferMaxBytes(Long.parseLong(v))),
      spec("health-port", "also serve /health and /metrics (only those) on this port, so the management port can be "
          + "firewalled (default 0: management port only)",
          (o, v) -> o.setHealthPort(Integer.parseInt(v))),
      spec("health-host", "listen address of --health-port (default 0.0.0.0)", GatewayOptions::setHealthHost),
      spec("console-max-streams", "operators' console event streams (/admin/console/events) open at once; beyond, "
          + "HTTP 429 (default 4; 0: off)", (o, v) -> o.setConsoleMaxStreams(Integer.parseInt(v))),
      spec("console-queue-events", "events one console stream may have waiting for a slow reader; beyond, the stream "
          + "is closed (reason slow_consumer) (default 1000)", (o, v) -> o.setConsoleQueueEvents(Integer.parseInt(v))),
      spec("console-stats-interval-ms", "how often console streams get counts, meters and member health (default 2000)",
          (o, v) -> o.setConsoleStatsIntervalMs(Long.parseLong(v))),
      spec("console-max-page-size", "largest page of GET /admin/sessions (default 500)",
          (o, v) -> o.setConsoleMaxPageSize(Integer.parseInt(v))),
      spec("upstreams", "byte-stream upstreams clients may open streams to, name=host:port comma-separated; "
          + "nothing else is reachable (default none; docs/PROXY.md)", (o, v) -> o.setUpstreams(list(v))),
      spec("stream-window-bytes", "bytes a client may send on a byte stream before the node's next credit (default 262144)",
          (o, v) -> o.setStreamWindowBytes(Integer.parseInt(v))),
      spec("stream-release-ms", "how long a detached session keeps its upstream connections open (default 30000)",
          (o, v) -> o.setStreamReleaseMs(Long.parseLong(v))),
      spec("max-streams", "byte streams open at once per session (default 64; 0: none)",
          (o, v) -> o.setMaxStreams(Integer.parseInt(v))),
      spec("demo", "also deploy the demo backend (demo.* addresses)", (o, v) -> o.setDemo(bool(v))),
      spec("backend-only", "join the cluster as a backend member: no client port, no gateway.* addresses; with --demo "
          + "it serves the demo backend to clients of every gateway node", (o, v) -> o.setBackendOnly(bool(v))),
      spec("drain-timeout-ms", "on SIGTERM, how long the node waits for its clients to move before leaving "
          + "(default 30000)", (o, v) -> o.setDrainTimeoutMs(Long.parseLong(v))),
      spec("config", "JSON file with any of these options (camelCase keys)", (o, v) -> { }));

  private static final Map<String, Spec> BY_JSON_KEY =
      SPECS.stream().collect(java.util.stream.Collectors.toMap(Spec::jsonKey, s -> s));

  private OptionsLoader() {
  }

  static Spec byJsonKey(String key) {
    Spec s = BY_JSON_KEY.get(key);
    return s == null || s.jsonKey().equals("config") ? null : s;
  }

  /** Parses arguments and environment into validated options; a bad value throws with a message naming it. */
  public static GatewayOptions load(String[] args, Map<String, String> env) {
    String configFile = env.get("TETHER_CONFIG");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        configFile = args[i + 1];
      } else if (args[i].startsWith("--config=")) {
        configFile = args[i].substring("--config=".length());
      }
    }
    GatewayOptions options = configFile == null ? new GatewayOptions() : new GatewayOptions(readJson(configFile));
    for (Spec s : SPECS) {
      String v = env.get(s.env());
      if (v != null && !s.jsonKey().equals("config")) {
        s.apply(options, v);
      }
    }
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String value = null;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        value = arg.substring(eq + 1);
        arg = arg.substring(0, eq);
      }
      Spec spec = bySpecFlag(arg);
      if (spec == null) {
        throw new IllegalArgumentException("unknown option '" + arg + "' (see --help)");
      }
      if (value == null) {
        boolean isFlag = spec.jsonKey().equals("demo") || spec.jsonKey().equals("backendOnly");
        if (isFlag) {
          value = "true";
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw new IllegalArgumentException("option " + arg + " needs a value");
        }
      }
      spec.apply(options, value);
    }
    try {
      return options.validate();
    } catch (IllegalArgumentException e) {
      // Validation speaks of JSON keys; name the flag and the variable too, whichever way the value came in.
      String key = e.getMessage().split(" ", 2)[0];
      Spec spec = BY_JSON_KEY.get(key);
      throw spec == null ? e
          : new IllegalArgumentException(e.getMessage() + " (" + spec.flag() + ", " + spec.env() + ")");
    }
  }

  private static Spec bySpecFlag(String flag) {
    for (Spec s : SPECS) {
      if (s.flag().equals(flag)) {
        return s;
      }
    }
    return null;
  }

  private static JsonObject readJson(String file) {
    try {
      return new JsonObject(Files.readString(Path.of(file)));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("config file " + file + " is not a JSON object: " + e.getMessage());
    }
  }

  /** The text of {@code --help}. */
  public static String help() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: java -jar tether-gateway.jar [options]\n\n")
        .append("Starts a Tether gateway node. With no options: one node with an embedded Hazelcast member,\n")
        .append("clients on ws://0.0.0.0:8080/ws, management on http://0.0.0.0:9090.\n\n")
        .append("Options (each also as environment variable, and as a camelCase key in --config JSON):\n");
    for (Spec s : SPECS) {
      sb.append(String.format("  %-24s %-30s %s%n", s.flag(), s.env(), s.help()));
    }
    sb.append(String.format("  %-24s %-30s %s%n", "--help", "", "print this help"));
    return sb.toString();
  }
}
