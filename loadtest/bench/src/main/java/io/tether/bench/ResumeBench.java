package io.tether.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Resume latency after a crash, its same-run baseline (resume after a plain socket drop) and session takeover time,
 * against a cluster started by scripts/cluster.sh (scripts/bench-resume.sh runs it; method in docs/BENCHMARKS.md).
 *
 * <pre>
 * --cluster-dir run/bench-resume/cluster [--cluster-script scripts/cluster.sh] [--sessions 300] [--rounds 3]
 * [--takeover 100] [--pushes 5] [--unacked 3] [--plain crashed|all] [--timeout-s 30] [--threads 2]
 * [--client-prefix rb]
 * </pre>
 *
 * Every round, with fresh sessions:
 * <ol>
 *   <li><b>crash</b>: N sessions say hello through the load balancer, each gets {@code --pushes} reliable pushes and
 *   acks all but the last {@code --unacked} frames. The gateway node holding the most sessions is killed with
 *   SIGKILL (t0 is read just before). Every client whose socket breaks reconnects through the load balancer at
 *   once ({@code ?sid=}, no node hint; retries after 50–100 ms) and resumes. Measured: t(resumed) − t0, and
 *   t(replay complete) − t0; every replay must be exactly the frames after the resume point.</li>
 *   <li><b>plain</b>, the same-run baseline: the same sessions (now on survivors) get another burst, then all at
 *   once close their socket (1001, no bye) and resume through the load balancer with the node hint, as the SDK
 *   does. Measured from the client's decision to reconnect to {@code resumed}.</li>
 *   <li>The sessions say bye, the killed node is started again ({@code cluster.sh restart}), and the bench waits until
 *   every member reports {@code clusterSafe}.</li>
 *   <li><b>takeover</b>: M sessions say hello on node-1 directly; one at a time, a second socket already open to
 *   node-2 sends resume. Measured from the resume: {@code resumed} on node-2, and the old socket's close.</li>
 * </ol>
 * One {@code RESULT} line per phase and round, {@code SUMMARY} lines over all rounds at the end. Exit status 0 only
 * if every session resumed and no replay had a violation.
 */
public final class ResumeBench {

  private static final Pattern CLIENT_ID_PREFIX = Pattern.compile("[A-Za-z0-9._:@-]{1,80}");
  private static final int CONNECT_BATCH = 50;
  private static final long HEARTBEAT_MS = 10_000;
  private static final long SAFE_STABLE_MS = 2_000;
  private static final long SAFE_TIMEOUT_MS = 180_000;

  private final ClusterControl cluster;
  private final Vertx vertx;
  private final List<Context> loops = new ArrayList<>();
  private final WebSocketClient client;
  private final int sessions;
  private final int takeovers;
  private final int pushes;
  private final int unacked;
  private final boolean plainAll;
  private final long timeoutMs;
  private final String prefix;
  private final WebSocketConnectOptions lb;
  /** Sessions that need heartbeats while the bench waits. */
  private volatile List<ResumeSession> live = List.of();

  private final Latencies crashResumed = new Latencies();
  private final Latencies crashReplayed = new Latencies();
  private final Latencies crashNoticed = new Latencies();
  private final Latencies crashOpened = new Latencies();
  private final Latencies crashReconnect = new Latencies();
  private final Latencies crashResumeOp = new Latencies();
  private final Latencies plainResumed = new Latencies();
  private final Latencies plainOpened = new Latencies();
  private final Latencies plainResumeOp = new Latencies();
  private final Latencies plainReplayed = new Latencies();
  private final Latencies takeoverResumed = new Latencies();
  private final Latencies takeoverClosed = new Latencies();
  private final Latencies memberRemoved = new Latencies();
  private final Tallies crashTally = new Tallies();
  private final Tallies plainTally = new Tallies();
  private int takeoverOk;
  private int takeoverFailed;
  private int takeoverBadClose;
  private int takeoverOldFrames;
  private boolean aborted;

  /** Counts of one kind of resume over all rounds. */
  private static final class Tallies {
    int expected;
    int resumed;
    int failed;
    int violations;
    int replayDiffers;
    int replayed;
    int resent;
    int attempts;
    int unexpected;
    final Map<String, Integer> reasons = new TreeMap<>();
  }

  /** A verticle whose only job is to own an event-loop context the sessions run on. */
  static final class Loop extends VerticleBase {
    Context ctx() {
      return context;
    }
  }

  private ResumeBench(Args args) throws Exception {
    Path dir = Path.of(args.string("--cluster-dir", "run/bench-resume/cluster"));
    cluster = new ClusterControl(Path.of(args.string("--cluster-script", "scripts/cluster.sh")), dir);
    sessions = args.integer("--sessions", 300);
    takeovers = args.integer("--takeover", 100);
    pushes = args.integer("--pushes", 5);
    unacked = args.integer("--unacked", 3);
    String plain = args.string("--plain", "crashed");
    if (!plain.equals("crashed") && !plain.equals("all")) {
      throw new IllegalArgumentException("--plain must be crashed or all");
    }
    plainAll = plain.equals("all");
    timeoutMs = args.integer("--timeout-s", 30) * 1000L;
    prefix = args.string("--client-prefix", "rb");
    if (!CLIENT_ID_PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("--client-prefix must be 1-80 chars of [A-Za-z0-9._:@-]");
    }
    if (unacked > pushes + 1) {
      throw new IllegalArgumentException("--unacked cannot exceed the frames of a burst (pushes + 1 response)");
    }
    if (cluster.nodes < 2) {
      throw new IllegalArgumentException("the cluster needs at least 2 gateway nodes");
    }
    int threads = args.integer("--threads", 2);
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads));
    for (int i = 0; i < threads; i++) {
      Loop loop = new Loop();
      await(vertx.deployVerticle(loop, new DeploymentOptions()), 10_000);
      loops.add(loop.ctx());
    }
    client = vertx.createWebSocketClient(new WebSocketClientOptions()
      .setMaxConnections(Integer.MAX_VALUE) // the default allows only 50 per server
      .setConnectTimeout(2_000)
      .setMaxFrameSize(64 * 1024)
      .setMaxMessageSize(256 * 1024));
    lb = options(cluster.lbPort);
    vertx.setPeriodic(HEARTBEAT_MS, id -> live.forEach(ResumeSession::ping));
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv, Set.of("--cluster-dir", "--cluster-script", "--sessions", "--rounds", "--takeover",
      "--pushes", "--unacked", "--plain", "--timeout-s", "--threads", "--client-prefix"), Set.of());
    ResumeBench bench = new ResumeBench(args);
    int rounds = args.integer("--rounds", 3);
    boolean clean;
    try {
      bench.run(rounds);
    } catch (Exception e) {
      System.out.println("ABORTED " + e);
      e.printStackTrace(System.out);
      bench.aborted = true;
    } finally {
      clean = bench.summary();
    }
    System.exit(clean ? 0 : 1);
  }

  private void run(int rounds) throws Exception {
    System.out.println(String.format(Locale.ROOT,
      "CONFIG nodes=%d backend=%b lb=ws://127.0.0.1:%d/ws sessions=%d rounds=%d takeover=%d pushes=%d unacked=%d"
        + " plain=%s timeout_s=%d", cluster.nodes, cluster.backend, cluster.lbPort, sessions, rounds, takeovers,
      pushes, unacked, plainAll ? "all" : "crashed", timeoutMs / 1000));
    long waited = cluster.awaitSafe(cluster.members(), cluster.allMembers(), SAFE_STABLE_MS, SAFE_TIMEOUT_MS, () -> { });
    phase(0, "cluster safe: " + cluster.allMembers() + " members, waited " + waited + " ms");
    for (int r = 1; r <= rounds; r++) {
      crashRound(r);
      if (takeovers > 0) {
        takeoverRound(r);
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Crash, then the plain baseline on the same sessions

  private void crashRound(int round) throws Exception {
    List<ResumeSession> all = new ArrayList<>();
    for (int i = 0; i < sessions; i++) {
      all.add(new ResumeSession(prefix + "-r" + round + "-" + i, loops.get(i % loops.size()), client, lb));
    }
    long start = System.nanoTime();
    for (int from = 0; from < all.size(); from += CONNECT_BATCH) {
      List<ResumeSession> batch = all.subList(from, Math.min(from + CONNECT_BATCH, all.size()));
      await(Future.all(batch.stream().map(s -> s.hello(lb)).toList()), timeoutMs);
    }
    live = all;
    await(Future.all(all.stream().map(s -> s.burst(pushes, unacked)).toList()), timeoutMs);
    Map<String, List<ResumeSession>> byNode = all.stream()
      .collect(Collectors.groupingBy(ResumeSession::node, TreeMap::new, Collectors.toList()));
    // The node with the most sessions; among equals, a different one each round (node-1 starts as the Hazelcast
    // master, so always killing it on a tie would measure only a master's failure).
    int most = byNode.values().stream().mapToInt(List::size).max().orElseThrow();
    List<String> candidates = byNode.entrySet().stream().filter(e -> e.getValue().size() == most)
      .map(Map.Entry::getKey).toList();
    String victim = candidates.get((round - 1) % candidates.size());
    List<ResumeSession> affected = byNode.get(victim);
    phase(round, String.format(Locale.ROOT, "%d sessions connected through the load balancer and got %d pushes each"
      + " in %.1f s; placement %s", all.size(), pushes, (System.nanoTime() - start) / 1e9, placement(byNode)));

    // --- the crash
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    await(Future.all(all.stream().map(s -> s.arm(false, deadline)).toList()), timeoutMs);
    ProcessHandle process = cluster.process(victim);
    String watcher = cluster.gatewayNodes().stream().filter(n -> !n.equals(victim)).findFirst().orElseThrow();
    CompletableFuture<Long> memberGone = CompletableFuture.supplyAsync(() -> {
      try {
        return cluster.awaitMemberGone(watcher, cluster.allMembers(), timeoutMs);
      } catch (InterruptedException e) {
        return 0L;
      }
    });
    phase(round, "kill -9 " + victim + " (pid " + process.pid() + ", " + affected.size() + " sessions on it)");
    long[] lbBefore = cluster.lbRetries();
    long t0 = System.nanoTime();
    process.destroyForcibly();
    awaitCycles(affected, t0);
    // Sessions elsewhere whose socket broke too (they should not) resumed as well; wait for them, then count them.
    Set<ResumeSession> onVictim = Collections.newSetFromMap(new IdentityHashMap<>());
    onVictim.addAll(affected);
    List<ResumeSession> others = all.stream().filter(s -> !onVictim.contains(s)).toList();
    await(Future.all(others.stream().map(ResumeSession::disarm).toList()), timeoutMs);
    List<ResumeSession> strayBreaks = others.stream().filter(ResumeSession::broke).toList();
    awaitCycles(strayBreaks, t0);
    long removed = memberGone.get(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
    long[] lbAfter = cluster.lbRetries();
    String lb = lbBefore == null || lbAfter == null ? "lb_retries=- lb_redispatches=-"
      : "lb_retries=" + (lbAfter[0] - lbBefore[0]) + " lb_redispatches=" + (lbAfter[1] - lbBefore[1]);
    if (removed != 0) {
      memberRemoved.addNanos(removed - t0);
    }
    Latencies resumed = new Latencies();
    Latencies replayed = new Latencies();
    Latencies noticed = new Latencies();
    Latencies opened = new Latencies();
    Latencies reconnect = new Latencies();
    Latencies resumeOp = new Latencies();
    for (ResumeSession s : affected) {
      if (s.tBreak != 0) {
        noticed.addNanos(s.tBreak - t0);
      }
      if (s.failure == null && s.tResumed != 0) {
        resumed.addNanos(s.tResumed - t0);
        replayed.addNanos(s.tReplayDone - t0);
        opened.addNanos(s.tOpened - t0);
        reconnect.addNanos(s.tOpened - s.tBreak);
        resumeOp.addNanos(s.tResumed - s.tOpened);
      }
    }
    Tallies tally = tally(affected, crashTally);
    crashResumed.addAll(resumed);
    crashReplayed.addAll(replayed);
    crashNoticed.addAll(noticed);
    crashOpened.addAll(opened);
    crashReconnect.addAll(reconnect);
    crashResumeOp.addAll(resumeOp);
    System.out.println(String.format(Locale.ROOT,
      "RESULT phase=crash round=%d killed=%s affected=%d resumed=%d failed=%d %s %s %s %s %s %s member_removed_ms=%s"
        + " %s attempts=%d violations=%d replayed=%d replay_differs=%d resent=%d stray_breaks=%d resumed_on=%s%s",
      round, victim, affected.size(), tally.resumed, tally.failed, resumed.format(""), replayed.format("replay_"),
      noticed.format("noticed_"), opened.format("opened_"), reconnect.format("reconnect_"),
      resumeOp.format("resume_op_"), removed == 0 ? "-" : Latencies.ms((removed - t0) / 1e6), lb, tally.attempts,
      tally.violations, tally.replayed, tally.replayDiffers, tally.resent, strayBreaks.size(),
      placement(affected.stream().filter(s -> s.resumedOn != null)
        .collect(Collectors.groupingBy(s -> s.resumedOn, TreeMap::new, Collectors.toList()))),
      tally.reasons.isEmpty() ? "" : " failures=" + tally.reasons));

    // --- survivors settle (backups promoted and copied again) before the baseline
    List<String> survivors = cluster.members().stream().filter(n -> !n.equals(victim)).toList();
    long safeMs = cluster.awaitSafe(survivors, cluster.allMembers() - 1, SAFE_STABLE_MS, SAFE_TIMEOUT_MS, () -> { });
    phase(round, "survivors safe " + safeMs + " ms after the resumes");

    // --- plain resume, no crash
    List<ResumeSession> group = (plainAll ? all : affected).stream()
      .filter(s -> s.failure == null && s.node() != null).toList();
    await(Future.all(group.stream().map(s -> s.burst(pushes, unacked)).toList()), timeoutMs);
    phase(round, group.size() + " sessions (" + (plainAll ? "all" : "the crash's") + ") drop their socket and resume");
    long plainDeadline = System.nanoTime() + timeoutMs * 1_000_000;
    await(Future.all(group.stream().map(s -> s.drop(true, plainDeadline)).toList()), timeoutMs);
    awaitCycles(group, System.nanoTime());
    Latencies plain = new Latencies();
    Latencies plainReplay = new Latencies();
    Latencies opened2 = new Latencies();
    Latencies resumeOp2 = new Latencies();
    for (ResumeSession s : group) {
      if (s.failure == null && s.tResumed != 0) {
        plain.addNanos(s.tResumed - s.tDecide);
        plainReplay.addNanos(s.tReplayDone - s.tDecide);
        opened2.addNanos(s.tOpened - s.tDecide);
        resumeOp2.addNanos(s.tResumed - s.tOpened);
      }
    }
    Tallies ptally = tally(group, plainTally);
    plainResumed.addAll(plain);
    plainReplayed.addAll(plainReplay);
    plainOpened.addAll(opened2);
    plainResumeOp.addAll(resumeOp2);
    System.out.println(String.format(Locale.ROOT,
      "RESULT phase=plain round=%d sessions=%d resumed=%d failed=%d %s %s %s %s attempts=%d violations=%d"
        + " replayed=%d replay_differs=%d resent=%d%s",
      round, group.size(), ptally.resumed, ptally.failed, plain.format(""), plainReplay.format("replay_"),
      opened2.format("opened_"), resumeOp2.format("resume_op_"),
      ptally.attempts, ptally.violations, ptally.replayed, ptally.replayDiffers, ptally.resent,
      ptally.reasons.isEmpty() ? "" : " failures=" + ptally.reasons));

    // --- clean up, bring the node back
    live = List.of();
    awaitQuietly(Future.join(all.stream().map(ResumeSession::bye).toList()), 5_000);
    int unexpected = all.stream().mapToInt(s -> s.unexpected).sum();
    if (unexpected > 0) {
      System.out.println("PROBLEM round " + round + ": " + unexpected + " unexpected closes or error frames");
    }
    long restartStart = System.nanoTime();
    phase(round, "restarting " + victim + " (scripts/cluster.sh restart " + victim + ")");
    cluster.restart(victim);
    long allSafe = cluster.awaitSafe(cluster.members(), cluster.allMembers(), SAFE_STABLE_MS, SAFE_TIMEOUT_MS, () -> { });
    phase(round, String.format(Locale.ROOT, "%s back; cluster safe again (%.1f s after the restart began, %d ms of"
      + " it waiting for clusterSafe)", victim, (System.nanoTime() - restartStart) / 1e9, allSafe));
  }

  /**
   * Waits for the resume cycles of {@code group} until their deadline (plus a margin), then gives up the rest.
   */
  private void awaitCycles(List<ResumeSession> group, long since) throws Exception {
    if (group.isEmpty()) {
      return;
    }
    long left = timeoutMs + 2_000 - (System.nanoTime() - since) / 1_000_000;
    Future<?> all = Future.all(group.stream().map(ResumeSession::cycleDone).toList());
    if (!awaitQuietly(all, Math.max(left, 1_000))) {
      await(Future.all(group.stream().map(s -> s.giveUp("timeout")).toList()), 5_000);
      awaitQuietly(all, 5_000);
    }
  }

  private Tallies tally(List<ResumeSession> group, Tallies total) {
    Tallies t = new Tallies();
    for (ResumeSession s : group) {
      t.expected++;
      if (s.failure == null && s.tResumed != 0) {
        t.resumed++;
      } else {
        t.failed++;
        String reason = s.failure == null ? "no resume" : s.failure.replaceAll(" \\(.*", "");
        t.reasons.merge(reason, 1, Integer::sum);
      }
      t.violations += s.violations;
      t.replayDiffers += s.replayDiffers;
      t.replayed += s.replayed;
      t.resent += s.resent;
      t.attempts += s.attempts;
      t.unexpected += s.unexpected;
    }
    total.expected += t.expected;
    total.resumed += t.resumed;
    total.failed += t.failed;
    total.violations += t.violations;
    total.replayDiffers += t.replayDiffers;
    total.replayed += t.replayed;
    total.resent += t.resent;
    total.attempts += t.attempts;
    total.unexpected += t.unexpected;
    t.reasons.forEach((k, v) -> total.reasons.merge(k, v, Integer::sum));
    return t;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Takeover

  private void takeoverRound(int round) throws Exception {
    WebSocketConnectOptions first = options(cluster.clientPort(1));
    WebSocketConnectOptions second = options(cluster.clientPort(2));
    List<TakeoverProbe> probes = new ArrayList<>();
    for (int i = 0; i < takeovers; i++) {
      probes.add(new TakeoverProbe(prefix + "-r" + round + "-t" + i, loops.get(i % loops.size()), client));
    }
    for (int from = 0; from < probes.size(); from += CONNECT_BATCH) {
      List<TakeoverProbe> batch = probes.subList(from, Math.min(from + CONNECT_BATCH, probes.size()));
      await(Future.all(batch.stream().map(p -> p.hello(first)).toList()), timeoutMs);
    }
    phase(round, probes.size() + " sessions on node-1; taking each over from node-2, one at a time");
    Latencies resumed = new Latencies();
    Latencies closed = new Latencies();
    int ok = 0;
    int failed = 0;
    int badClose = 0;
    int oldFrames = 0;
    Map<String, Integer> reasons = new TreeMap<>();
    Map<String, Integer> codes = new TreeMap<>();
    for (TakeoverProbe p : probes) {
      Future<Void> done = p.takeover(second);
      if (!awaitQuietly(done, 10_000)) {
        await(p.giveUp("timeout"), 5_000);
      }
      if (p.tResumed != 0) {
        resumed.addNanos(p.tResumed - p.tSend);
      }
      if (p.tOldClosed != 0) {
        closed.addNanos(p.tOldClosed - p.tSend);
        codes.merge(String.valueOf(p.oldCloseCode), 1, Integer::sum);
        if (p.oldCloseCode == null || p.oldCloseCode != 1008) {
          badClose++;
        }
      }
      oldFrames += p.oldFramesAfter;
      if (p.failure == null) {
        ok++;
      } else {
        failed++;
        reasons.merge(p.failure, 1, Integer::sum);
        System.out.println("PROBLEM takeover " + p.clientId + ": " + p.failure);
      }
    }
    awaitQuietly(Future.join(probes.stream().map(TakeoverProbe::bye).toList()), 5_000);
    takeoverResumed.addAll(resumed);
    takeoverClosed.addAll(closed);
    takeoverOk += ok;
    takeoverFailed += failed;
    takeoverBadClose += badClose;
    takeoverOldFrames += oldFrames;
    System.out.println(String.format(Locale.ROOT,
      "RESULT phase=takeover round=%d sessions=%d ok=%d failed=%d %s %s old_close_codes=%s old_frames_after=%d%s",
      round, probes.size(), ok, failed, resumed.format("resumed_"), closed.format("old_closed_"), codes, oldFrames,
      reasons.isEmpty() ? "" : " failures=" + reasons));
  }

  // ------------------------------------------------------------------------------------------------------------

  /** @return true if the run was clean: nothing aborted, failed or violated */
  private boolean summary() {
    double ratio50 = crashResumed.percentile(50) / plainResumed.percentile(50);
    double ratio99 = crashResumed.percentile(99) / plainResumed.percentile(99);
    String[] lines = {
      row("crash resume: kill -9 -> resumed", crashResumed, String.format(Locale.ROOT,
        "sessions=%d resumed=%d failed=%d", crashTally.expected, crashTally.resumed, crashTally.failed)),
      row("crash resume: kill -9 -> replay complete", crashReplayed, String.format(Locale.ROOT,
        "replayed=%d violations=%d differing=%d", crashTally.replayed, crashTally.violations, crashTally.replayDiffers)),
      row("  kill -9 -> client sees its socket close", crashNoticed, ""),
      row("  kill -9 -> new socket open", crashOpened, ""),
      row("  socket closed -> new socket open", crashReconnect, "(through HAProxy)"),
      row("  resume written -> resumed", crashResumeOp, ""),
      row("plain resume: drop -> resumed", plainResumed, String.format(Locale.ROOT,
        "sessions=%d resumed=%d failed=%d", plainTally.expected, plainTally.resumed, plainTally.failed)),
      row("plain resume: drop -> replay complete", plainReplayed, String.format(Locale.ROOT,
        "replayed=%d violations=%d differing=%d", plainTally.replayed, plainTally.violations, plainTally.replayDiffers)),
      row("  drop -> new socket open", plainOpened, "(through HAProxy)"),
      row("  resume written -> resumed", plainResumeOp, ""),
      String.format(Locale.ROOT, "%-44s p50 %s, p99 %s", "ratio crash resume / plain resume", ratio(ratio50),
        ratio(ratio99)),
      row("takeover: resume -> resumed on node-2", takeoverResumed, String.format(Locale.ROOT,
        "sessions=%d ok=%d failed=%d", takeoverOk + takeoverFailed, takeoverOk, takeoverFailed)),
      row("takeover: resume -> old socket closed", takeoverClosed, String.format(Locale.ROOT,
        "close code not 1008: %d, frames on the old socket after the resume: %d", takeoverBadClose,
        takeoverOldFrames)),
      row("failure detection: kill -9 -> member gone", memberRemoved, "(a survivor's /health clusterMembers; one per"
        + " round)"),
    };
    for (String line : lines) {
      System.out.println("SUMMARY " + line);
    }
    if (!crashTally.reasons.isEmpty() || !plainTally.reasons.isEmpty()) {
      System.out.println("SUMMARY failures: crash " + crashTally.reasons + ", plain " + plainTally.reasons);
    }
    boolean clean = !aborted && crashTally.failed == 0 && plainTally.failed == 0 && crashTally.violations == 0
      && plainTally.violations == 0 && takeoverFailed == 0 && takeoverBadClose == 0 && takeoverOldFrames == 0
      && crashTally.expected > 0;
    System.out.println("SUMMARY status: " + (clean ? "ok" : aborted ? "ABORTED" : "PROBLEMS (see above)"));
    return clean;
  }

  private static String row(String label, Latencies l, String extra) {
    return String.format(Locale.ROOT, "%-44s p50 %7s ms  p99 %7s ms  max %7s ms  n=%-5d %s", label,
      Latencies.ms(l.percentile(50)), Latencies.ms(l.percentile(99)), Latencies.ms(l.max()), l.count(), extra).stripTrailing();
  }

  private static String ratio(double r) {
    return Double.isNaN(r) || Double.isInfinite(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
  }

  private static <T> String placement(Map<String, List<T>> byNode) {
    return byNode.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue().size()).collect(Collectors.joining(","));
  }

  private static void phase(int round, String what) {
    System.out.println(String.format(Locale.ROOT, "PHASE %tT round=%d %s", System.currentTimeMillis(), round, what));
  }

  private static WebSocketConnectOptions options(int port) {
    return new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws");
  }

  private static <T> T await(Future<T> future, long ms) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(ms, TimeUnit.MILLISECONDS);
  }

  /** @return false if the future did not complete in time (a failed future counts as completed) */
  private static boolean awaitQuietly(Future<?> future, long ms) throws InterruptedException {
    try {
      future.toCompletionStage().toCompletableFuture().get(ms, TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    }
  }
}
