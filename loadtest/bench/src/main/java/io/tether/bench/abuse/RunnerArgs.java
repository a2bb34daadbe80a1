package io.tether.bench.abuse;

import java.util.Locale;

/** The runner's command line: {@code --name value}; secrets may come from the environment instead. */
final class RunnerArgs {

  static final String USAGE = """
      usage: AbuseRunner --url ws://HOST:PORT/ws --management-url http://HOST:PORT [options]
        --jwt-secret S        the node's HS256 secret (or env ABUSE_JWT_SECRET)      [required]
        --api-key K           the node's management API key (or env ABUSE_API_KEY)
        --jwt-public-key F    PEM of the node's RSA public key: runs the HS/RS confusion
        --origin O            an Origin the node allows: runs the foreign-Origin attack
        --witnesses N         well-behaved sessions held during the attacks (default 20)
        --interval-ms MS      each witness sends a request this often (default 100)
        --max-frame-bytes N --max-connections N --max-connections-per-ip N
        --max-handshakes-per-ip-per-second N --max-sessions N --max-frames-per-second N
        --max-requests-per-second N --max-subscriptions N --max-attrs-bytes N --max-attrs-keys N
        --buffer-max-bytes N --node-buffer-max-bytes N
                              the node's limits, as it was started with them (an attack whose limit is not
                              given is skipped)
        --strict              a skipped row fails the run too
      """;

  private RunnerArgs() {
  }

  static AbuseConfig parse(String[] argv) {
    AbuseConfig c = new AbuseConfig();
    c.jwtSecret = System.getenv("ABUSE_JWT_SECRET");
    c.apiKey = System.getenv("ABUSE_API_KEY");
    for (int i = 0; i < argv.length; i++) {
      String name = argv[i];
      if (name.equals("--strict")) {
        c.strict = true;
        continue;
      }
      if (i + 1 >= argv.length) {
        throw new IllegalArgumentException("missing value of " + name);
      }
      String v = argv[++i];
      switch (name) {
        case "--url" -> c.url = v;
        case "--management-url" -> c.managementUrl = v;
        case "--jwt-secret" -> c.jwtSecret = v;
        case "--api-key" -> c.apiKey = v;
        case "--jwt-public-key" -> c.jwtPublicKey = v;
        case "--origin" -> c.origin = v;
        case "--witnesses" -> c.witnesses = Integer.parseInt(v);
        case "--interval-ms" -> c.intervalMs = Long.parseLong(v);
        case "--max-frame-bytes" -> c.maxFrameBytes = Integer.parseInt(v);
        case "--max-connections" -> c.maxConnections = Integer.parseInt(v);
        case "--max-connections-per-ip" -> c.maxConnectionsPerIp = Integer.parseInt(v);
        case "--max-handshakes-per-ip-per-second" -> c.maxHandshakesPerIpPerSecond = Integer.parseInt(v);
        case "--max-sessions" -> c.maxSessions = Integer.parseInt(v);
        case "--max-frames-per-second" -> c.maxFramesPerSecond = Integer.parseInt(v);
        case "--max-requests-per-second" -> c.maxRequestsPerSecond = Integer.parseInt(v);
        case "--max-subscriptions" -> c.maxSubscriptions = Integer.parseInt(v);
        case "--max-attrs-bytes" -> c.maxAttrsBytes = Integer.parseInt(v);
        case "--max-attrs-keys" -> c.maxAttrsKeys = Integer.parseInt(v);
        case "--buffer-max-bytes" -> c.bufferMaxBytes = Long.parseLong(v);
        case "--node-buffer-max-bytes" -> c.nodeBufferMaxBytes = Long.parseLong(v);
        default -> throw new IllegalArgumentException("unknown option " + name.toLowerCase(Locale.ROOT));
      }
    }
    if (c.jwtSecret == null || c.jwtSecret.isEmpty()) {
      throw new IllegalArgumentException("--jwt-secret (or ABUSE_JWT_SECRET) is required");
    }
    return c;
  }
}
