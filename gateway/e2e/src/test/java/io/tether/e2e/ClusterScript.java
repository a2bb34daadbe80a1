package io.tether.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives {@code scripts/cluster.sh} for the tests: real gateway processes, a backend-only member with the demo
 * backend, and HAProxy in front, all in {@code gateway/e2e/target/cluster}. Settings come from system properties set
 * by the module's pom ({@code tether.e2e.*}).
 */
final class ClusterScript {

  /** Gateway node options for the tests: a dead socket is noticed within 2 x 2 s; resume window stays 120 s. */
  static final String NODE_ARGS = "--heartbeat-ms 2000 --resume-window-ms 120000 --drain-timeout-ms 20000";

  private final Path root;
  private final Path script;
  private final Path jar;
  private final Path clusterDir;
  private final int portOffset;
  /** Extra gateway (and backend) options after {@link #NODE_ARGS}, e.g. "--backup-count 2". */
  private final String extraNodeArgs;
  /** MEMBER_ADDRESSES for cluster.sh (each member on its own loopback address), or null for all on 127.0.0.1. */
  private final String memberAddresses;
  private int nodes;
  /** Set while a cluster may be running: a JVM that exits early (killed by a timeout) still stops it. */
  private Thread cleanup;

  ClusterScript() {
    this("", false);
  }

  /** A cluster of {@code nodes} gateway nodes, up and healthy; if it cannot come up, what did start is stopped. */
  static ClusterScript started(int nodes) {
    return started("", nodes);
  }

  /** {@link #started(int)} with {@code extraNodeArgs} for every member. */
  static ClusterScript started(String extraNodeArgs, int nodes) {
    ClusterScript cluster = new ClusterScript(extraNodeArgs);
    try {
      cluster.up(nodes);
    } catch (RuntimeException e) {
      cluster.down();
      throw e;
    }
    return cluster;
  }

  /** A cluster whose members also get {@code extraNodeArgs} (after {@link #NODE_ARGS}), all on 127.0.0.1. */
  ClusterScript(String extraNodeArgs) {
    this(extraNodeArgs, false);
  }

  /**
   * A cluster with extra node options and, if {@code ownAddresses}, each member on its own loopback address
   * (127.0.X.11, .12, ..., X from the port offset so that clusters of different offsets never share one), which
   * {@link #cut} needs.
   */
  ClusterScript(String extraNodeArgs, boolean ownAddresses) {
    this.extraNodeArgs = extraNodeArgs == null ? "" : extraNodeArgs.trim();
    root = Path.of(property("tether.e2e.root", "../..")).toAbsolutePath().normalize();
    script = root.resolve("scripts/cluster.sh");
    jar = Path.of(property("tether.e2e.jar", root.resolve("gateway/server/target/tether-gateway.jar").toString()))
        .toAbsolutePath().normalize();
    clusterDir = Path.of(property("tether.e2e.clusterDir", "target/cluster")).toAbsolutePath().normalize();
    portOffset = Integer.parseInt(property("tether.e2e.portOffset", "0"));
    memberAddresses = ownAddresses ? "127.0." + (portOffset / 1000 % 250 + 1) + ".10" : null;
  }

  private static String property(String name, String fallback) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  int portOffset() {
    return portOffset;
  }

  /** Client port of node-K (HAProxy is {@link #url()}). */
  int nodePort(int k) {
    return 8080 + portOffset + k;
  }

  /** Management port of node-K (9 is the backend member). */
  int managementPort(int k) {
    return 9090 + portOffset + k;
  }

  /** The cluster's API key (cluster.sh writes it to the run folder). */
  String apiKey() {
    try {
      return Files.readString(clusterDir.resolve("api-key")).trim();
    } catch (IOException e) {
      throw new IllegalStateException("no api-key in " + clusterDir, e);
    }
  }

  /** The pid of a process cluster.sh started (node-K or backend). */
  long pid(String name) {
    try {
      return Long.parseLong(Files.readString(clusterDir.resolve(name + ".pid")).trim());
    } catch (IOException e) {
      throw new IllegalStateException("no pid file for " + name + " in " + clusterDir, e);
    }
  }

  /** Clients' URL: HAProxy. */
  String url() {
    return "ws://127.0.0.1:" + (8080 + portOffset) + "/ws";
  }

  int nodes() {
    return nodes;
  }

  Path clusterDir() {
    return clusterDir;
  }

  /** {@code cluster.sh up n}: fails with the script's output (log tails included) if the cluster does not come up. */
  void up(int n) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("the gateway fat jar " + jar + " does not exist: build it first (mvn -B verify "
          + "at the repository root builds it before this module, or mvn -pl gateway/server -am package)");
    }
    nodes = n;
    if (cleanup == null) {
      cleanup = new Thread(() -> exec(120, "down"), "e2e-cluster-down");
      Runtime.getRuntime().addShutdownHook(cleanup);
    }
    run(240, "up", String.valueOf(n));
  }

  /** {@code cluster.sh down}; never throws (used in cleanup). */
  void down() {
    try {
      run(120, "down");
      if (cleanup != null) {
        Runtime.getRuntime().removeShutdownHook(cleanup);
        cleanup = null;
      }
    } catch (RuntimeException e) {
      System.err.println("cluster.sh down failed: " + e.getMessage());
    }
  }

  /**
   * Ends a cluster whose tests are done and whose state nobody needs: kill -9 of every member, then {@code down}
   * (HAProxy, pid files). A graceful {@code down} of all members at once can wait for {@code STOP_TIMEOUT_S} on a
   * member that hangs leaving an emptying cluster; fault cases that do not test shutdown skip that wait.
   */
  void downQuickly() {
    for (int k = 1; k <= nodes; k++) {
      exec(30, "kill", "node-" + k);
    }
    exec(30, "kill", "backend");
    down();
  }

  void kill(String node) {
    run(30, "kill", node);
  }

  /** kill -9 of several processes at the same moment (one signal each, sent back to back, then waits for all). */
  void killTogether(String... names) {
    Path dir = clusterDir;
    List<Long> pids = new ArrayList<>();
    for (String name : names) {
      try {
        pids.add(Long.parseLong(Files.readString(dir.resolve(name + ".pid")).trim()));
      } catch (IOException e) {
        throw new IllegalStateException("no pid file for " + name, e);
      }
    }
    List<ProcessHandle> handles = pids.stream().map(p -> ProcessHandle.of(p).orElseThrow(
        () -> new IllegalStateException("process " + p + " is not running"))).toList();
    handles.forEach(ProcessHandle::destroyForcibly); // SIGKILL on Linux
    for (ProcessHandle h : handles) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("process " + h.pid() + " still there 10 s after kill -9", e);
      }
    }
    System.out.println("killed " + String.join(" and ", names) + " (pids " + pids + ") at the same moment");
  }

  /** Drops all member traffic between {@code node} and every other member (iptables, both directions). */
  void cut(String node) {
    run(30, "cut", node);
  }

  /** Removes every cut. */
  void heal() {
    run(30, "heal");
  }

  /** The management port of a node (node-K) or of the backend. */
  int managementPort(String name) {
    return 9090 + portOffset + ("backend".equals(name) ? 9 : Integer.parseInt(name.substring("node-".length())));
  }

  /** SIGTERM (graceful drain), wait for the exit, start again, wait until healthy and UP in HAProxy. */
  void restart(String node) {
    run(180, "restart", node);
  }

  /** Restarts every process {@code cluster.sh status} reports dead, so that each test starts with the whole cluster. */
  void restoreDeadProcesses() {
    Result status = exec(30, "status");
    if (status.code == 0) {
      return;
    }
    Matcher m = Pattern.compile("^\\s+(node-\\d+|backend)\\s+pid\\s+\\S+\\s+DEAD", Pattern.MULTILINE)
        .matcher(status.output);
    List<String> dead = new ArrayList<>();
    while (m.find()) {
      dead.add(m.group(1));
    }
    for (String name : dead) {
      restart(name);
    }
    Result again = exec(30, "status");
    if (again.code != 0) {
      throw new IllegalStateException("the cluster is not healthy:\n" + again.output);
    }
  }

  String status() {
    return exec(30, "status").output;
  }

  private record Result(int code, String output) {
  }

  private String run(long timeoutSeconds, String... args) {
    Result r = exec(timeoutSeconds, args);
    if (r.code != 0) {
      throw new IllegalStateException("scripts/cluster.sh " + String.join(" ", args) + " failed (exit " + r.code
          + "):\n" + r.output);
    }
    return r.output;
  }

  private Result exec(long timeoutSeconds, String... args) {
    List<String> command = new ArrayList<>();
    command.add("bash");
    command.add(script.toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("CLUSTER_DIR", clusterDir.toString());
    env.put("TETHER_JAR", jar.toString());
    // The backend member gets the extra options too (cluster.sh: BACKEND_ARGS defaults to NODE_ARGS): cluster-wide
    // ones such as --backup-count and --split-brain-quorum must be the same on every member; the gateway-only ones
    // are harmless on a member without clients.
    env.put("NODE_ARGS", (NODE_ARGS + " " + extraNodeArgs).trim());
    if (memberAddresses != null) {
      env.put("MEMBER_ADDRESSES", memberAddresses);
    }
    env.put("NODE_HEAP", "256m");
    // Five JVMs share the test machine's cores: C1 alone makes a node start (and rejoin) much faster.
    env.put("NODE_JVM_ARGS", "-XX:TieredStopAtLevel=1");
    // The nodes' drain timeout (20 s, NODE_ARGS) plus the time to leave the cluster; then cluster.sh uses kill -9.
    env.put("STOP_TIMEOUT_S", "35");
    env.put("LB_PORT", String.valueOf(8080 + portOffset));
    env.put("LB_STATS_PORT", String.valueOf(8404 + portOffset));
    env.put("PORT_BASE", String.valueOf(8080 + portOffset));
    env.put("MGMT_PORT_BASE", String.valueOf(9090 + portOffset));
    env.put("HZ_PORT_BASE", String.valueOf(5700 + portOffset));
    File out;
    try {
      Files.createDirectories(clusterDir.getParent());
      out = Files.createTempFile(clusterDir.getParent(), "cluster-sh-", ".out").toFile();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    // Output to a file, not a pipe: the processes the script starts in the background must not hold our pipe.
    pb.redirectOutput(out);
    long start = System.nanoTime();
    try {
      Process p = pb.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        return new Result(-1, read(out) + "\n(timed out after " + timeoutSeconds + " s)");
      }
      String output = read(out);
      System.out.printf("$ cluster.sh %s (%d ms)%n%s", String.join(" ", args),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), output.isEmpty() ? "" : output.stripTrailing() + "\n");
      return new Result(p.exitValue(), output);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running cluster.sh " + String.join(" ", args), e);
    } finally {
      out.delete();
    }
  }

  private static String read(File f) {
    try {
      return Files.readString(f.toPath(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(output unreadable: " + e.getMessage() + ")";
    }
  }
}
