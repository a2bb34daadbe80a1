package io.tether.e2e;

import static io.tether.e2e.FaultSupport.awaitHealth;
import static io.tether.e2e.FaultSupport.members;
import static io.tether.e2e.Workload.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.e2e.Workload.Figures;
import io.tether.e2e.Workload.Probe;
import io.tether.e2e.Workload.Resume;
import io.vertx.core.Future;
import io.tether.gateway.testing.FaultTable;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two members die at once (issue 10): four gateway nodes and the backend member (5 members, so that 3 are left
 * holding data: backup-count 2 needs 3 copies), SDK clients behind HAProxy under {@link Workload}, and the two
 * busiest gateway nodes killed with kill -9 at the same moment.
 *
 * <ul>
 *   <li>backup-count 1: the partitions whose two copies were both on the dead members are gone. Every session
 *       either resumes with contiguous streams or fails to resume with a reason ({@code lost} or {@code unknown},
 *       the SDK then starts a new session), requests sent on a lost session fail with {@code session_lost}, presence
 *       ({@code /admin/clients/{id}}) names each client's current session, ONLINE on a survivor; no gap.</li>
 *   <li>backup-count 2: the same kill loses nothing: every session of the dead nodes resumes.</li>
 * </ul>
 * Logs: {@code gateway/e2e/target/cluster-double-b1|b2/*.log}.
 */
@ExtendWith({VertxExtension.class, FaultTable.Rows.class})
class DoubleCrashFaultTest {

  private static final int NODES = 4;
  private static final int MEMBERS = NODES + 1;
  private static final int CLIENTS = FaultSupport.FULL ? 160 : 80;

  @Test
  @Timeout(value = 300, timeUnit = TimeUnit.SECONDS)
  void backupCountOneReportsEveryLoss(Vertx vertx, VertxTestContext ctx) {
    run(vertx, ctx, 1);
  }

  @Test
  @Timeout(value = 300, timeUnit = TimeUnit.SECONDS)
  void backupCountTwoLosesNothing(Vertx vertx, VertxTestContext ctx) {
    run(vertx, ctx, 2);
  }

  private static void run(Vertx vertx, VertxTestContext ctx, int backups) {
    System.setProperty("tether.e2e.clusterDir", "target/cluster-double-b" + backups);
    ClusterScript cluster = new ClusterScript("--backup-count " + backups + " --split-brain-quorum "
        + (MEMBERS / 2 + 1), false);
    System.clearProperty("tether.e2e.clusterDir");
    try {
      cluster.up(NODES);
      crash(vertx, ctx, cluster, backups);
    } finally {
      cluster.down();
    }
  }

  private static void crash(Vertx vertx, VertxTestContext ctx, ClusterScript cluster, int backups) {
    Workload w = new Workload(vertx, cluster.url(), "dbl" + backups, CLIENTS, 800);
    try {
      await(w.start(), 60, CLIENTS + " clients to connect through HAProxy");
      await(w.iterations(1), 60, "one round of traffic from every client");
      Map<Probe, String> before = new HashMap<>();
      for (Probe p : w.probes()) {
        before.put(p, String.valueOf(p.client.node()));
      }
      Map<String, Long> dist = w.distribution();
      List<String> dead = dist.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .limit(2).map(Map.Entry::getKey).sorted().toList();
      List<Probe> victims = new ArrayList<>();
      dead.forEach(n -> victims.addAll(w.on(n)));
      List<Integer> survivors = new ArrayList<>();
      for (int k = 1; k <= NODES; k++) {
        if (!dead.contains("node-" + k)) {
          survivors.add(cluster.managementPort("node-" + k));
        }
      }
      survivors.add(cluster.managementPort("backend"));
      System.out.println("backup-count " + backups + ": sessions per node " + dist + "; killing " + dead + " with "
          + victims.size());
      long t0 = System.nanoTime();
      List<Future<Resume>> moving = new ArrayList<>();
      for (Probe p : victims) {
        moving.add(p.nextResume(t0));
      }
      w.trigger("kill -9 " + dead);
      cluster.killTogether(dead.toArray(String[]::new));
      w.mark("killed");
      awaitHealth(survivors, members(MEMBERS - 2), 30, "the survivors to drop " + dead);
      List<Resume> moves = new ArrayList<>();
      try {
        await(FaultSupport.settled(moving), 40, "the sessions of " + dead + " to resume or fail");
      } catch (AssertionError e) {
        System.out.println("not all settled: " + e.getMessage());
      }
      for (Future<Resume> f : moving) {
        if (f.succeeded()) {
          moves.add(f.result());
        }
      }
      awaitHealth(survivors, h -> h.getBoolean("clusterSafe", false), 60, "the survivors to be safe again");
      await(w.iterations(2), 90, "two more rounds of traffic from every client after the crash");
      await(w.stop(), 90, "every request to be answered");
      Figures f = w.figures(moves, p -> true);
      String name = "double crash, backup-count " + backups;
      System.out.println(f.summary(name));
      Map<String, Integer> outcomes = FaultSupport.printOutcomes(name, w.probes(), before, victims::contains);
      List<String> presenceWrong = presenceMismatches(cluster, survivors.get(0), w.probes(), "dbl" + backups);
      long sessionLost = f.unansweredCodes.getOrDefault("session_lost", 0);
      long failedSessions = w.probes().stream().filter(p -> p.resyncs() > 0).count();
      FaultRow row = new FaultRow(name + " (5 members)", CLIENTS + " SDK clients via HAProxy, push+echo+ask",
          "2 kill -9 at once (" + victims.size() + " sessions on them)", (int) f.sessions, f.frames,
          f.missingPushes + f.unanswered - sessionLost, f.duplicates + f.duplicatePushes + f.duplicateResponses,
          failedSessions, f.gaps, f.percentile(0.5), f.percentile(0.99)).record();
      System.out.println("requests failed with session_lost (told, with their lost session): " + sessionLost
          + "; presence mismatches: " + presenceWrong.size() + " " + presenceWrong);
      w.printFailures();
      ctx.verify(() -> {
        // Requests of a lost session fail with session_lost: told, with their session.
        f.assertNothingLostOrDuplicated(sessionLost, "");
        assertEquals(0, f.notOnline, "clients not ONLINE at the end");
        assertTrue(presenceWrong.isEmpty(), "presence does not reflect the outcome: " + presenceWrong);
        for (Probe p : w.probes()) {
          for (String reason : p.resyncReasons()) {
            assertTrue(reason.equals("lost") || reason.equals("unknown"), "client " + p.index
                + " failed with reason " + reason);
          }
        }
        for (Probe p : victims) {
          assertTrue(p.resumes() > 0 || p.resyncs() > 0, "client " + p.index + " neither resumed nor failed");
        }
        if (backups >= 2) {
          assertEquals(0, failedSessions, "backup-count 2: no session may fail " + outcomes);
          assertEquals(victims.size(), moves.size(), "backup-count 2: every session of the dead nodes resumed");
        }
        assertTrue(row.passed(), "row " + row.tsv());
      });
      ctx.completeNow();
    } finally {
      await(w.close(), 30, "the clients to close");
    }
  }

  /**
   * Each client's presence record names its current session, ONLINE, on the node it is connected to. Read right
   * after the traffic stopped: every client is ONLINE.
   */
  private static List<String> presenceMismatches(ClusterScript cluster, int port, List<Probe> probes,
      String prefix) {
    String key = cluster.apiKey();
    List<String> wrong = new ArrayList<>();
    for (Probe p : probes.stream().sorted(Comparator.comparingInt(p -> p.index)).toList()) {
      JsonObject rec = FaultSupport.presence(port, key, prefix + "-" + p.index);
      if (rec == null || !String.valueOf(p.client.sessionId()).equals(rec.getString("sessionId"))
          || !"ONLINE".equals(rec.getString("state")) || !String.valueOf(p.client.node()).equals(rec.getString("node"))) {
        wrong.add("client " + p.index + ": " + (rec == null ? "no record" : rec.encode()));
      }
    }
    return wrong;
  }
}
