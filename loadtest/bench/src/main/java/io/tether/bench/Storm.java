package io.tether.bench;

import io.vertx.core.Future;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The reconnect storm of {@link HoldClient}: every session is armed (a broken socket resumes at once at its failover
 * URL), the script breaks the sockets (kill -9 of their node, or a restart of the load balancer) after writing the
 * time to the mark file, and the storm ends when every session has completed its cycle: resumed and replayed exactly
 * the frames after its delivered point, or failed. Sessions whose socket did not break are reported apart.
 */
final class Storm {

  private final List<ResumeSession> sessions;
  private final long startNanos;
  private final long startEpochMs;

  Storm(List<ResumeSession> sessions, long startNanos, long startEpochMs) {
    this.sessions = sessions;
    this.startNanos = startNanos;
    this.startEpochMs = startEpochMs;
  }

  /** @return true if every session resumed without a violation */
  boolean run(Path mark, long timeoutMs) throws Exception {
    Files.deleteIfExists(mark);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    await(Future.all(sessions.stream().map(s -> s.arm(false, deadline)).toList()), 30_000);
    System.out.println("ARMED sessions=" + sessions.size() + " mark=" + mark);
    while (!Files.exists(mark)) {
      Thread.sleep(20);
    }
    // Each cycle completes on resume+replay or failure (its own deadline); the slack covers the last attempt.
    Future<?> all = Future.join(sessions.stream().map(ResumeSession::cycleDone).toList());
    try {
      await(all, timeoutMs + 5_000);
    } catch (Exception timedOut) {
      await(Future.join(sessions.stream().map(s -> s.giveUp("storm timeout")).toList()), 5_000);
    }
    long killEpochMs = HoldClient.readMark(mark);
    return report(killEpochMs);
  }

  private boolean report(long killEpochMs) {
    Latencies noticed = new Latencies();
    Latencies resumed = new Latencies();
    Latencies replayed = new Latencies();
    int broke = 0;
    int ok = 0;
    int failed = 0;
    long violations = 0;
    long frames = 0;
    long resent = 0;
    Map<String, Integer> reasons = new TreeMap<>();
    for (ResumeSession s : sessions) {
      if (!s.broke()) {
        continue;
      }
      broke++;
      violations += s.violations;
      frames += s.replayed;
      resent += s.resent;
      noticed.addNanos(sinceKill(s.tBreak, killEpochMs));
      if (s.failure != null || s.tResumed == 0) {
        failed++;
        reasons.merge(s.failure == null ? "no resumed" : s.failure.replaceAll("\\s.*", ""), 1, Integer::sum);
        continue;
      }
      ok++;
      resumed.addNanos(sinceKill(s.tResumed, killEpochMs));
      replayed.addNanos(sinceKill(s.tReplayDone, killEpochMs));
    }
    System.out.println(String.format(Locale.ROOT,
      "STORM sessions=%d broke=%d resumed=%d failed=%d violations=%d replayed=%d resent=%d %s %s %s reasons=%s",
      sessions.size(), broke, ok, failed, violations, frames, resent, noticed.format("noticed_"),
      resumed.format("resumed_"), replayed.format("replayed_"), reasons));
    return broke == sessions.size() && ok == broke && violations == 0;
  }

  /** Nanoseconds from the kill (epoch ms of the mark) to {@code nanos} (this JVM's nanoTime). */
  private long sinceKill(long nanos, long killEpochMs) {
    long epochNanos = startEpochMs * 1_000_000L + (nanos - startNanos);
    return epochNanos - killEpochMs * 1_000_000L;
  }

  private static void await(Future<?> f, long ms) throws Exception {
    f.toCompletionStage().toCompletableFuture().get(ms, TimeUnit.MILLISECONDS);
  }
}
