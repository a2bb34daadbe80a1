package io.tether.e2e;

import static io.tether.e2e.FaultSupport.awaitHealth;
import static io.tether.e2e.FaultSupport.members;
import static io.tether.e2e.FaultSupport.status;
import static io.tether.e2e.Workload.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.e2e.Workload.Figures;
import io.tether.e2e.Workload.Probe;
import io.tether.e2e.Workload.Resume;
import io.vertx.core.Future;
import io.tether.gateway.testing.FaultTable;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Split brain (issue 10): three gateway nodes and the backend member, each member on its own loopback address, SDK
 * clients behind HAProxy under {@link Workload}; one gateway node is cut off from every other member (iptables, both
 * directions: Hazelcast and the event bus) long enough for Hazelcast to split the cluster (10 s without heartbeats),
 * held apart, then healed and merged.
 *
 * <p>The nodes run with {@code --split-brain-quorum 3} (a majority of the 4 members): the isolated node loses its
 * quorum, refuses handshakes and its store, tells its clients to reconnect, and /health says NO_QUORUM so HAProxy
 * sends them to the majority side, where their sessions resume. Acceptance: no frame acknowledged to a client or
 * backend is lost, every session either resumes with contiguous streams or fails with a reason, silent gaps 0; the
 * per-session outcome is printed. Logs: {@code gateway/e2e/target/cluster-partition/*.log}.
 */
@ExtendWith({VertxExtension.class, FaultTable.Rows.class})
class PartitionFaultTest {

  private static final int NODES = 3;
  private static final int MEMBERS = NODES + 1;
  private static final int QUORUM = MEMBERS / 2 + 1;
  private static final int CLIENTS = FaultSupport.FULL ? 150 : 80;
  /** How long the split is held once both sides have noticed it (the fault itself, not a wait). */
  private static final long SPLIT_HOLD_MS = FaultSupport.FULL ? 60_000 : 8_000;
  private static final int ROUNDS = FaultSupport.FULL ? 3 : 1;

  private static ClusterScript cluster;

  @BeforeAll
  static void startCluster() {
    // Own loopback addresses on lo and iptables rules need root (.ci/run runs as root and installs iptables).
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "PartitionFaultTest cuts member links with iptables: run it as root");
    System.setProperty("tether.e2e.clusterDir", System.getProperty("tether.e2e.partitionDir", "target/cluster-partition"));
    cluster = new ClusterScript("--split-brain-quorum " + QUORUM, true);
    System.clearProperty("tether.e2e.clusterDir");
    try {
      cluster.up(NODES);
    } catch (RuntimeException e) {
      cluster.down();
      throw e;
    }
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.down(); // removes the cuts too
    }
  }

  @Test
  @Timeout(value = 420, timeUnit = TimeUnit.SECONDS)
  void isolatingOneMemberLosesNothingSilently(Vertx vertx, VertxTestContext ctx) {
    Workload w = new Workload(vertx, cluster.url(), "split", CLIENTS, 800);
    List<Resume> moves = new ArrayList<>();
    List<Probe> affected = new ArrayList<>();
    Map<Probe, String> before = new HashMap<>();
    List<Long> detectMs = new ArrayList<>();
    List<Long> mergeMs = new ArrayList<>();
    try {
      await(w.start(), 60, CLIENTS + " clients to connect through HAProxy");
      await(w.iterations(1), 60, "one round of traffic from every client");
      for (Probe p : w.probes()) {
        before.put(p, String.valueOf(p.client.node()));
      }
      for (int round = 1; round <= ROUNDS; round++) {
        Map<String, Long> dist = w.distribution();
        String victim = dist.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        List<Probe> victims = w.on(victim);
        affected.addAll(victims);
        List<Integer> majority = new ArrayList<>();
        for (int k = 1; k <= NODES; k++) {
          if (!victim.equals("node-" + k)) {
            majority.add(cluster.managementPort("node-" + k));
          }
        }
        majority.add(cluster.managementPort("backend"));
        int minority = cluster.managementPort(victim);
        System.out.println("round " + round + ": sessions per node " + dist + "; isolating " + victim + " with "
            + victims.size());
        long t0 = System.nanoTime();
        List<Future<Resume>> moving = new ArrayList<>();
        for (Probe p : victims) {
          moving.add(resumedAwayFrom(p, victim, t0));
        }
        w.trigger("cut " + victim);
        cluster.cut(victim);
        w.mark("cut");
        // Both sides notice: the majority drops the member, the minority loses its quorum (10 s of no heartbeat).
        detectMs.add(awaitHealth(majority, members(MEMBERS - 1), 40, "the majority to drop " + victim));
        awaitHealth(List.of(minority), status("NO_QUORUM"), 40, victim + " to lose its quorum");
        w.mark("split on both sides");
        List<Resume> moved = Workload.settle(moving, 40, "the sessions of " + victim + " to resume on the majority side");
        for (Resume r : moved) {
          assertNotEquals(victim, r.node(), "resumed on the isolated node?");
        }
        moves.addAll(moved);
        await(w.iterations(1), 60, "a round of traffic from every client during the split");
        sleepFault(SPLIT_HOLD_MS);
        w.mark("heal");
        cluster.heal();
        List<Integer> all = new ArrayList<>(majority);
        all.add(minority);
        mergeMs.add(awaitHealth(all, members(MEMBERS).and(status("UP")).and(h -> h.getBoolean("clusterSafe", false)),
            120, "the split to merge (every member UP in one cluster of " + MEMBERS + ", safe)"));
        w.mark("merged");
        System.out.println("round " + round + ": split noticed in " + detectMs.get(round - 1) + " ms, merged "
            + mergeMs.get(round - 1) + " ms after the heal; sessions per node " + w.distribution());
        await(w.iterations(1), 60, "a round of traffic from every client after the merge");
        // The merged node serves again: clients straight to it, with traffic to the backend and back.
        Workload direct = new Workload(vertx, nodeUrl(victim), "rejoin" + round, 10, 100);
        try {
          await(direct.start(), 60, "10 clients to connect to " + victim + " after the merge");
          await(direct.iterations(2), 60, "two rounds of traffic on " + victim + " after the merge");
          await(direct.stop(), 60, "the direct clients' requests to be answered");
          Figures d = direct.figures(List.of(), p -> true);
          System.out.println(d.summary("rejoined " + victim));
          ctx.verify(() -> {
            assertEquals(0, d.gaps + d.unanswered + d.missingPushes, "the merged node serves: " + d.summary(""));
            assertEquals(10, direct.distribution().getOrDefault(victim, 0L), "the direct clients are on " + victim);
          });
        } finally {
          await(direct.close(), 30, "the direct clients to close");
        }
      }
      await(w.stop(), 90, "every request to be answered");
      Figures f = w.figures(moves, p -> true);
      System.out.println(f.summary("isolatingOneMemberLosesNothingSilently"));
      Map<String, Integer> outcomes = FaultSupport.printOutcomes("the split", w.probes(), before, affected::contains);
      FaultRow row = FaultRow.of(f, "split brain: one of 4 members isolated, healed, merged (quorum " + QUORUM + ")",
          CLIENTS + " SDK clients via HAProxy, push+echo+ask",
          ROUNDS + "x iptables cut of the busiest node from all members for " + SPLIT_HOLD_MS / 1000
              + " s after detection (" + affected.size() + " sessions on it)").record();
      w.printFailures();
      ctx.verify(() -> {
        f.assertNothingLostOrDuplicated(0, "");
        assertEquals(0, f.answerMismatches, "responses with the wrong body");
        assertEquals(0, f.notOnline, "clients not ONLINE at the end");
        // Every affected session either resumed (contiguous: gaps 0 above) or failed with a reason.
        for (Probe p : affected) {
          assertTrue(p.resumes() > 0 || p.resyncs() > 0, "client " + p.index + " neither resumed nor failed: "
              + p.outcome());
        }
        assertTrue(row.passed(), "row " + row.tsv());
        assertEquals(CLIENTS, outcomes.values().stream().mapToInt(Integer::intValue).sum());
      });
      ctx.completeNow();
    } finally {
      await(w.close(), 30, "the clients to close");
    }
  }

  /**
   * Completes on the client's first resume on another node than {@code victim}. Before the isolated node knows it is
   * alone (about 10 s), a client whose socket closed there (a write failed) may resume on it again through HAProxy's
   * node hint; it is moved away once the node loses its quorum. Each resume re-arms the wait at once, on the client's
   * context, so none is missed.
   */
  private static Future<Resume> resumedAwayFrom(Probe p, String victim, long t0) {
    return p.nextResume(t0).compose(r -> victim.equals(r.node()) ? resumedAwayFrom(p, victim, t0)
        : Future.succeededFuture(r));
  }

  private static String nodeUrl(String node) {
    int offset = Integer.parseInt(System.getProperty("tether.e2e.portOffset", "0"));
    return "ws://127.0.0.1:" + (8080 + offset + Integer.parseInt(node.substring("node-".length()))) + "/ws";
  }

  /** Holds the split: the fault's own duration. */
  private static void sleepFault(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
