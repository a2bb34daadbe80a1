package io.tether.bench;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The local cluster that scripts/cluster.sh started in a run folder: its layout comes from the folder's
 * {@code cluster.env}, processes are found by their pid files, restarts go through the script, and health is
 * read from each member's management port.
 */
final class ClusterControl {

  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(2);
  private static final long RESTART_TIMEOUT_S = 300;

  final int nodes;
  final boolean backend;
  final int lbPort;
  final int portBase;
  final int mgmtPortBase;
  final int lbStatsPort;
  private final Path script;
  private final Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();

  ClusterControl(Path script, Path dir) throws IOException {
    this.script = script.toAbsolutePath();
    this.dir = dir.toAbsolutePath().normalize();
    Map<String, String> env = new HashMap<>();
    for (String line : Files.readAllLines(this.dir.resolve("cluster.env"))) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        env.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    nodes = Integer.parseInt(required(env, "NODES"));
    backend = "1".equals(env.get("BACKEND"));
    lbPort = Integer.parseInt(required(env, "LB_PORT"));
    portBase = Integer.parseInt(required(env, "PORT_BASE"));
    mgmtPortBase = Integer.parseInt(required(env, "MGMT_PORT_BASE"));
    lbStatsPort = Integer.parseInt(required(env, "LB_STATS_PORT"));
  }

  private String required(Map<String, String> env, String key) {
    String v = env.get(key);
    if (v == null) {
      throw new IllegalStateException(dir.resolve("cluster.env") + " has no " + key + " (is a cluster running there?)");
    }
    return v;
  }

  int clientPort(int k) {
    return portBase + k;
  }

  /** Hazelcast members when everything runs: the gateway nodes and the backend member. */
  int allMembers() {
    return nodes + (backend ? 1 : 0);
  }

  List<String> gatewayNodes() {
    List<String> names = new ArrayList<>();
    for (int k = 1; k <= nodes; k++) {
      names.add("node-" + k);
    }
    return names;
  }

  List<String> members() {
    List<String> names = gatewayNodes();
    if (backend) {
      names.add("backend");
    }
    return names;
  }

  int mgmtPort(String name) {
    return name.equals("backend") ? mgmtPortBase + 9 : mgmtPortBase + Integer.parseInt(name.substring("node-".length()));
  }

  /**
   * The running process of {@code name}, from its pid file, checked to be started from this run folder (as
   * cluster.sh does: a pid may have been recycled).
   */
  ProcessHandle process(String name) throws IOException {
    long pid = Long.parseLong(Files.readString(dir.resolve(name + ".pid")).trim());
    ProcessHandle handle = ProcessHandle.of(pid)
      .orElseThrow(() -> new IllegalStateException(name + " (pid " + pid + ") is not running"));
    String cmd = handle.info().commandLine().orElse("");
    if (!cmd.contains(dir.toString() + "/")) {
      throw new IllegalStateException("pid " + pid + " of " + name + " is not a process of " + dir + ": " + cmd);
    }
    return handle;
  }

  /** {@code scripts/cluster.sh restart NAME}: for a dead node this starts it again and waits until it is healthy. */
  void restart(String name) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(script.toString(), "restart", name).inheritIO();
    pb.environment().put("CLUSTER_DIR", dir.toString());
    Process p = pb.start();
    if (!p.waitFor(RESTART_TIMEOUT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("cluster.sh restart " + name + " did not finish in " + RESTART_TIMEOUT_S + " s");
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("cluster.sh restart " + name + " failed with exit status " + p.exitValue());
    }
  }

  /** The member's /health body if it answered 200, else null. */
  JsonObject health(String name) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmtPort(name) + "/health"))
        .timeout(HTTP_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * HAProxy's counters for the gateway backend from its stats page: {@code [retries, redispatches]} (columns
   * wretr and wredis of the CSV), or null if the page does not answer.
   */
  long[] lbRetries() {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lbStatsPort + "/;csv"))
        .timeout(HTTP_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
      String[] lines = r.body().split("\n");
      if (r.statusCode() != 200 || lines.length == 0) {
        return null;
      }
      List<String> header = List.of(lines[0].replaceFirst("^# ", "").split(",", -1));
      int retr = header.indexOf("wretr");
      int redis = header.indexOf("wredis");
      for (String line : lines) {
        String[] f = line.split(",", -1);
        if (f.length > Math.max(retr, redis) && f[0].equals("tether_nodes") && f[1].equals("BACKEND")) {
          return new long[] {parse(f[retr]), parse(f[redis])};
        }
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static long parse(String v) {
    return v.isEmpty() ? 0 : Long.parseLong(v);
  }

  /**
   * Waits until every one of {@code names} answers /health 200 with {@code clusterMembers == expectedMembers} and
   * {@code clusterSafe: true}, without a break for {@code stableMs} (clusterSafe is refreshed once a second, so one
   * reading right after a join or a crash may still be the old one).
   *
   * @param tick called about every 250 ms while waiting (heartbeats of the client's idle sessions)
   * @return milliseconds waited
   */
  long awaitSafe(List<String> names, int expectedMembers, long stableMs, long timeoutMs, Runnable tick)
    throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeoutMs * 1_000_000;
    long stableSince = 0;
    String last = "";
    while (true) {
      boolean ok = true;
      StringBuilder view = new StringBuilder();
      for (String name : names) {
        JsonObject h = health(name);
        boolean good = h != null && h.getInteger("clusterMembers", -1) == expectedMembers
          && h.getBoolean("clusterSafe", false);
        view.append(name).append('=').append(h == null ? "down" : h.getInteger("clusterMembers") + "/"
          + (h.getBoolean("clusterSafe", false) ? "safe" : "unsafe")).append(' ');
        ok &= good;
      }
      last = view.toString().trim();
      long now = System.nanoTime();
      if (ok) {
        if (stableSince == 0) {
          stableSince = now;
        }
        if (now - stableSince >= stableMs * 1_000_000) {
          return (now - start) / 1_000_000;
        }
      } else {
        stableSince = 0;
      }
      if (now > deadline) {
        throw new IllegalStateException("cluster not safe after " + timeoutMs + " ms (expected " + expectedMembers
          + " members): " + last);
      }
      tick.run();
      Thread.sleep(250);
    }
  }

  /**
   * Polls {@code name}'s /health every 10 ms until it reports fewer than {@code before} members.
   *
   * @return System.nanoTime() when that was first seen, or 0 if not within {@code timeoutMs}
   */
  long awaitMemberGone(String name, int before, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (System.nanoTime() < deadline) {
      JsonObject h = health(name);
      if (h != null && h.getInteger("clusterMembers", before) < before) {
        return System.nanoTime();
      }
      Thread.sleep(10);
    }
    return 0;
  }
}
