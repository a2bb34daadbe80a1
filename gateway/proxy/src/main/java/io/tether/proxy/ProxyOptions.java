package io.tether.proxy;

import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The client proxy's options (docs/PROXY.md), from flags {@code --name value} or environment variables
 * {@code TETHER_PROXY_<NAME>}; checked by {@link #validate()}.
 */
public final class ProxyOptions {

  public static final long DEFAULT_RELEASE_AFTER_MS = 30_000;
  public static final long DEFAULT_IDLE_CLOSE_MS = 60_000;
  public static final int DEFAULT_WINDOW_BYTES = 256 * 1024;
  public static final int DEFAULT_MAX_CONNECTIONS = 64;

  private String listenHost = "127.0.0.1";
  private int listenPort = 7000;
  private String gateway = "ws://127.0.0.1:8080/ws";
  private String upstream;
  private String clientId = "proxy-" + UUID.randomUUID().toString().substring(0, 8);
  private String token;
  private long releaseAfterMs = DEFAULT_RELEASE_AFTER_MS;
  private long idleCloseMs = DEFAULT_IDLE_CLOSE_MS;
  private int windowBytes = DEFAULT_WINDOW_BYTES;
  private int maxConnections = DEFAULT_MAX_CONNECTIONS;
  private long heartbeatMs;
  private long statsMs;

  static final String HELP = """
      Usage: java -jar tether-proxy.jar --upstream NAME [options]

      Accepts TCP connections on --listen and carries each as a byte stream in one Tether gateway session to the
      upstream the gateway node names NAME (its --upstreams). Network breaks between here and the gateway are
      masked: both sides buffer, the session resumes, the application's connection stays open (docs/PROXY.md).

      Options (each also as environment variable TETHER_PROXY_<NAME>, e.g. TETHER_PROXY_GATEWAY):
        --listen HOST:PORT        where applications connect (default 127.0.0.1:7000)
        --gateway URL             the gateway's WebSocket URL, ws:// or wss:// (default ws://127.0.0.1:8080/ws)
        --upstream NAME           the node-side upstream to reach (required)
        --client-id ID            the session's clientId (default proxy-<random>)
        --token TOKEN             credential for gateways with --auth jwt or backend (never logged)
        --release-after-ms N      a break longer than this closes the application's connections (default 30000)
        --idle-close-ms N         the session ends this long after its last connection closed (default 60000)
        --window-bytes N          bytes the node may send per connection before this proxy's credit (default 262144)
        --max-connections N       connections at once; more are refused (default 64)
        --heartbeat-ms N          the session's heartbeat (default: the gateway's)
        --stats-ms N              print a status line every N ms (default 0: off)
        --help                    print this help
      """;

  public static ProxyOptions parse(String[] args, Map<String, String> env) {
    ProxyOptions o = new ProxyOptions();
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getKey().startsWith("TETHER_PROXY_")) {
        String flag = e.getKey().substring("TETHER_PROXY_".length()).toLowerCase(Locale.ROOT).replace('_', '-');
        o.set(flag, e.getValue());
      }
    }
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "' (see --help)");
      }
      String name = a.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq > 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException("option --" + name + " needs a value");
      }
      o.set(name, value);
    }
    return o.validate();
  }

  private void set(String flag, String v) {
    try {
      switch (flag) {
        case "listen" -> {
          int colon = v.lastIndexOf(':');
          if (colon <= 0) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + v + "'");
          }
          listenHost = v.substring(0, colon);
          listenPort = Integer.parseInt(v.substring(colon + 1));
        }
        case "gateway" -> gateway = v;
        case "upstream" -> upstream = v;
        case "client-id" -> clientId = v;
        case "token" -> token = v;
        case "release-after-ms" -> releaseAfterMs = Long.parseLong(v);
        case "idle-close-ms" -> idleCloseMs = Long.parseLong(v);
        case "window-bytes" -> windowBytes = Integer.parseInt(v);
        case "max-connections" -> maxConnections = Integer.parseInt(v);
        case "heartbeat-ms" -> heartbeatMs = Long.parseLong(v);
        case "stats-ms" -> statsMs = Long.parseLong(v);
        default -> throw new IllegalArgumentException("unknown option (see --help)");
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("option --" + flag + ": '" + v + "' is not a number");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("option --" + flag + ": " + e.getMessage());
    }
  }

  public ProxyOptions validate() {
    require(upstream != null && upstream.matches("[A-Za-z0-9._-]{1,64}"),
        "--upstream must name the node's upstream (1-64 chars of [A-Za-z0-9._-])");
    require(listenPort >= 0 && listenPort <= 65535, "--listen port must be 0-65535");
    require(gateway.startsWith("ws://") || gateway.startsWith("wss://"), "--gateway must be a ws:// or wss:// URL");
    require(releaseAfterMs >= 100, "--release-after-ms must be at least 100");
    require(idleCloseMs >= 0, "--idle-close-ms must be 0 or more");
    require(windowBytes >= 4096 && windowBytes <= 64 * 1024 * 1024, "--window-bytes must be 4096-67108864");
    require(maxConnections >= 1 && maxConnections <= 10_000, "--max-connections must be 1-10000");
    require(heartbeatMs == 0 || heartbeatMs >= 100, "--heartbeat-ms must be at least 100");
    require(statsMs == 0 || statsMs >= 100, "--stats-ms must be 0 (off) or at least 100");
    return this;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  public String getListenHost() { return listenHost; }
  public int getListenPort() { return listenPort; }
  public ProxyOptions setListen(String host, int port) { listenHost = host; listenPort = port; return this; }
  public String getGateway() { return gateway; }
  public ProxyOptions setGateway(String url) { gateway = url; return this; }
  public String getUpstream() { return upstream; }
  public ProxyOptions setUpstream(String name) { upstream = name; return this; }
  public String getClientId() { return clientId; }
  public ProxyOptions setClientId(String id) { clientId = id; return this; }
  public String getToken() { return token; }
  public ProxyOptions setToken(String t) { token = t; return this; }
  public long getReleaseAfterMs() { return releaseAfterMs; }
  public ProxyOptions setReleaseAfterMs(long ms) { releaseAfterMs = ms; return this; }
  public long getIdleCloseMs() { return idleCloseMs; }
  public ProxyOptions setIdleCloseMs(long ms) { idleCloseMs = ms; return this; }
  public int getWindowBytes() { return windowBytes; }
  public ProxyOptions setWindowBytes(int n) { windowBytes = n; return this; }
  public int getMaxConnections() { return maxConnections; }
  public ProxyOptions setMaxConnections(int n) { maxConnections = n; return this; }
  public long getHeartbeatMs() { return heartbeatMs; }
  public ProxyOptions setHeartbeatMs(long ms) { heartbeatMs = ms; return this; }
  public long getStatsMs() { return statsMs; }
  public ProxyOptions setStatsMs(long ms) { statsMs = ms; return this; }
}
