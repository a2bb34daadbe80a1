package io.tether.e2e;

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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Real gateway processes behind HAProxy ({@code scripts/cluster.sh up 3}: three gateway nodes, a backend-only
 * member serving the demo backend, HAProxy on 8080), hundreds of SDK clients with traffic both ways, and a node
 * failing under them: killed, or restarted gracefully one after the other. Nothing may be lost or duplicated, and
 * every session must resume (never re-sync).
 *
 * <p>The cluster is started once for the class; each test starts with every process alive (a dead node is restarted
 * first). The rolling restart runs first, so the kill leaves nothing to repair. Logs:
 * {@code gateway/e2e/target/cluster/*.log}.
 */
@ExtendWith({VertxExtension.class, FaultTable.Rows.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverTest {

  private static final int NODES = 3;
  private static final int CLIENTS = Integer.getInteger("tether.e2e.clients", 200);
  private static final long THINK_MS = Long.getLong("tether.e2e.thinkMs", 800);
  /** The bound on how long the sessions of a killed node may take to be ONLINE again on a survivor. */
  private static final long MAX_RECOVERY_MS = 10_000;

  private static ClusterScript cluster;

  @BeforeAll
  static void startCluster() {
    cluster = ClusterScript.started(NODES);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.down();
    }
  }

  @BeforeEach
  void wholeCluster() {
    cluster.restoreDeadProcesses();
  }

  @Test
  @Order(2)
  @Timeout(value = 200, timeUnit = TimeUnit.SECONDS)
  void killingTheBusiestNodeLosesNothing(Vertx vertx, VertxTestContext ctx) {
    Workload w = new Workload(vertx, cluster.url(), "kill", CLIENTS, THINK_MS);
    try {
      await(w.start(), 60, CLIENTS + " clients to connect through HAProxy");
      await(w.iterations(1), 60, "one round of traffic from every client");
      Kill kill = killBusiest(w);
      String busiest = kill.node();
      List<Probe> victims = kill.victims();
      List<Resume> moves = kill.moves();

      await(w.iterations(2), 90, "two more rounds of traffic from every client after the recovery");
      await(w.stop(), 90, "every request to be answered");
      Figures f = w.figures(moves, p -> true);
      System.out.println(f.summary("killingTheBusiestNodeLosesNothing"));
      FaultRow.of(f, "kill -9 of the busiest gateway node", CLIENTS + " SDK clients via HAProxy, push+echo+ask",
          "1 kill -9 (" + victims.size() + " sessions on it)").record();
      w.printFailures();
      ctx.verify(() -> {
        assertEquals(victims.size(), moves.size(), "every session of the killed node resumed on a survivor");
        for (Resume r : moves) {
          assertNotEquals(busiest, r.node(), "resumed on the killed node?");
        }
        assertTrue(f.max() <= MAX_RECOVERY_MS, "recovery took " + f.max() + " ms (bound " + MAX_RECOVERY_MS + ")");
        assertInFlightWorkAnsweredInTime(f);
        assertNothingLost(f);
      });
      ctx.completeNow();
    } finally {
      await(w.close(), 30, "the clients to close");
    }
  }

  /**
   * Verifies that work in flight when the busiest node is killed completes quickly: 60 clients each in a demo.push of
   * 300 pushes (long runs, many of them mid-way at the kill), and every request sent before the kill is answered
   * within 10 s of it, with nothing lost. (Found from outside: in about one run of ten, some demo.push runs had no
   * answer 20 s after the kill.)
   */
  @Test
  @Order(3)
  @Timeout(value = 200, timeUnit = TimeUnit.SECONDS)
  void workInFlightAtAKillIsAnsweredWithinTenSeconds(Vertx vertx, VertxTestContext ctx) {
    Workload w = new Workload(vertx, cluster.url(), "long", 60, 100, 300);
    try {
      await(w.start(), 60, "60 clients to connect through HAProxy");
      await(w.iterations(1), 90, "one round of traffic from every client");
      await(inFlight(vertx, w, 20), 30, "20 requests in flight at once");
      Kill kill = killBusiest(w);
      List<Probe> victims = kill.victims();
      List<Resume> moves = kill.moves();
      await(w.iterations(1), 90, "one more round of traffic from every client after the recovery");
      await(w.stop(), 90, "every request to be answered");
      Figures f = w.figures(moves, p -> true);
      System.out.println(f.summary("workInFlightAtAKillIsAnsweredWithinTenSeconds"));
      FaultRow.of(f, "kill -9 with work in flight", "60 SDK clients, demo.push of 300 each",
          "1 kill -9, " + f.inFlightMs.size() + " requests in flight").record();
      w.printFailures();
      ctx.verify(() -> {
        assertEquals(victims.size(), moves.size(), "every session of the killed node resumed on a survivor");
        assertInFlightWorkAnsweredInTime(f);
        assertNothingLost(f);
      });
      ctx.completeNow();
    } finally {
      await(w.close(), 30, "the clients to close");
    }
  }

  /** A node killed under traffic: which, the clients it held, and where each of them resumed. */
  private record Kill(String node, List<Probe> victims, List<Resume> moves) {
  }

  /** Kills the node holding the most sessions (kill -9) and waits until each of its clients has resumed elsewhere. */
  private static Kill killBusiest(Workload w) {
    Map<String, Long> before = w.distribution();
    String busiest = before.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    List<Probe> victims = w.on(busiest);
    System.out.println("sessions per node " + before + "; killing " + busiest + " with " + victims.size());
    long t0 = System.nanoTime();
    List<Future<Resume>> moving = new ArrayList<>();
    for (Probe p : victims) {
      moving.add(p.nextResume(t0));
    }
    w.trigger("kill " + busiest);
    cluster.kill(busiest);
    w.mark("killed");
    List<Resume> moves = Workload.settle(moving, 30, "the sessions of " + busiest + " to resume");
    System.out.println("sessions per node after the kill " + w.distribution());
    return new Kill(busiest, victims, moves);
  }

  /** Completes once at least {@code n} requests are in flight (checked every 10 ms). */
  private static Future<Void> inFlight(Vertx vertx, Workload w, int n) {
    return w.outstanding() >= n ? Future.succeededFuture() : vertx.timer(10).compose(t -> inFlight(vertx, w, n));
  }

  /** Every request sent before the kill was answered within {@link #MAX_RECOVERY_MS} of it (and there were some). */
  private static void assertInFlightWorkAnsweredInTime(Figures f) {
    assertTrue(!f.inFlightMs.isEmpty(), "no request was in flight at the kill: the check would be vacuous");
    assertTrue(f.inFlightMax() <= MAX_RECOVERY_MS, "a request in flight at the kill was answered "
        + f.inFlightMax() + " ms after it (bound " + MAX_RECOVERY_MS + ")");
  }

  @Test
  @Order(1)
  @Timeout(value = 300, timeUnit = TimeUnit.SECONDS)
  void rollingRestartLosesNothing(Vertx vertx, VertxTestContext ctx) {
    Workload w = new Workload(vertx, cluster.url(), "roll", CLIENTS, THINK_MS);
    try {
      await(w.start(), 60, CLIENTS + " clients to connect through HAProxy");
      await(w.iterations(1), 60, "one round of traffic from every client");
      List<Resume> moves = new ArrayList<>();
      int expectedMoves = 0;
      for (int k = 1; k <= NODES; k++) {
        String node = "node-" + k;
        List<Probe> victims = w.on(node);
        expectedMoves += victims.size();
        System.out.println("sessions per node " + w.distribution() + "; restarting " + node + " with "
            + victims.size());
        long t0 = System.nanoTime();
        List<Future<Resume>> moving = new ArrayList<>();
        for (Probe p : victims) {
          moving.add(p.nextResume(t0));
        }
        w.mark("restart " + node);
        cluster.restart(node);
        w.mark("restarted " + node);
        List<Resume> moved = Workload.settle(moving, 30, "the sessions of " + node + " to resume");
        for (Resume r : moved) {
          assertNotEquals(node, r.node(), "resumed on the node that was draining?");
        }
        moves.addAll(moved);
        await(w.iterations(1), 60, "a round of traffic from every client after restarting " + node);
      }
      await(w.iterations(1), 60, "a last round of traffic");
      await(w.stop(), 90, "every request to be answered");
      // A graceful move is timed from the reconnect frame the draining node sent.
      List<Resume> fromReconnect = moves.stream()
          .map(r -> new Resume(r.node(), r.sinceReconnectFrameNanos() >= 0 ? r.sinceReconnectFrameNanos()
              : r.sinceTriggerNanos(), r.sinceReconnectFrameNanos()))
          .sorted(Comparator.comparingLong(Resume::sinceTriggerNanos)).toList();
      Figures f = w.figures(fromReconnect, p -> true);
      System.out.println(f.summary("rollingRestartLosesNothing"));
      FaultRow.of(f, "rolling restart (drain, SIGTERM, start)", CLIENTS + " SDK clients via HAProxy, push+echo+ask",
          "every node restarted once").record();
      w.printFailures();
      int expected = expectedMoves;
      ctx.verify(() -> {
        assertEquals(expected, moves.size(), "every session of each restarted node resumed elsewhere");
        assertNothingLost(f);
      });
      ctx.completeNow();
    } finally {
      await(w.close(), 30, "the clients to close");
    }
  }



  private static void assertNothingLost(Figures f) {
    String logs = " (node logs: " + cluster.clusterDir() + "/*.log; client problems: " + f.exceptions + ")";
    assertEquals(0, f.resyncs, "sessions re-synced instead of resuming" + logs);
    assertEquals(0, f.ended, "sessions ended" + logs);
    f.assertNothingLostOrDuplicated(0, logs);
    assertEquals(f.requests, f.responses, "one response per request" + logs);
    assertEquals(0, f.answerMismatches, "responses with the wrong body" + logs);
    assertEquals(0, f.notOnline, "clients not ONLINE at the end" + logs);
  }
}
