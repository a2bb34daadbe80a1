package io.tether.e2e;

import static io.tether.e2e.Workload.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.e2e.Workload.Figures;
import io.tether.e2e.Workload.Probe;
import io.tether.e2e.Workload.Resume;
import io.vertx.core.Future;
import io.tether.gateway.testing.FaultTable;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Half-open connections (issue 10): every client's socket silently goes dead (the {@link LinkRelay} stops forwarding
 * both ways and never closes: no FIN, no RST). The node must notice within 2 x heartbeat (plus one sweep, PROTOCOL
 * §4) and say {@code DETACHED} in presence; the session must then resume through a fresh path with its streams
 * contiguous. While the server's detection is measured, new connections through the relay are refused, so that a
 * client resuming first cannot hide it; then the path opens again.
 */
@ExtendWith({VertxExtension.class, FaultTable.Rows.class})
class HalfOpenFaultTest {

  private static final boolean FULL = "full".equals(System.getProperty("tether.e2e.faults", "fast"));
  private static final long HEARTBEAT_MS = 1_000;
  private static final int CLIENTS = FULL ? 100 : 20;
  private static final int ROUNDS = FULL ? 5 : 1;
  /** 2 x heartbeat, one sweep (heartbeat / 10) late at most, the presence write, and this test's 20 ms polling. */
  private static final long DETECTION_BOUND_MS = 2 * HEARTBEAT_MS + HEARTBEAT_MS / 10 + 250;

  private static ClusterScript cluster;

  @BeforeAll
  static void startCluster() {
    cluster = ClusterScript.started("--heartbeat-ms " + HEARTBEAT_MS, 1);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.downQuickly();
    }
  }

  @Test
  @Timeout(value = 300, timeUnit = TimeUnit.SECONDS)
  void halfOpenSocketsAreDetectedAndResumable(Vertx vertx) {
    LinkRelay relay = await(LinkRelay.start(vertx, 8080 + cluster.portOffset(), 0, LinkRelay.Faults.none()), 10,
        "the relay to listen");
    Management mgmt = new Management(vertx, cluster);
    Workload w = new Workload(vertx, relay.url(), "halfopen", CLIENTS, 200);
    List<Long> detection = new ArrayList<>();
    List<Resume> moves = new ArrayList<>();
    try {
      await(w.start(), 60, CLIENTS + " clients to connect through the relay");
      await(w.iterations(1), 60, "one round of traffic from every client");
      for (int round = 1; round <= ROUNDS; round++) {
        relay.refuseNew(true);
        long t0 = System.nanoTime();
        List<Future<Resume>> resuming = new ArrayList<>();
        List<Future<Long>> detecting = new ArrayList<>();
        for (Probe p : w.probes()) {
          resuming.add(p.nextResume(t0));
        }
        w.trigger("half-open, round " + round);
        int silenced = relay.halfOpenAll();
        for (Probe p : w.probes()) {
          detecting.add(untilDetached(vertx, mgmt, "halfopen-" + p.index, t0));
        }
        await(Future.all(detecting), 30, "every session to be DETACHED in presence");
        List<Long> thisRound = new ArrayList<>();
        for (Future<Long> d : detecting) {
          thisRound.add(d.result());
        }
        detection.addAll(thisRound);
        w.mark("all DETACHED; the path opens again");
        relay.refuseNew(false);
        await(Future.all(resuming), 30, "every session to resume through a fresh path");
        resuming.forEach(f -> moves.add(f.result()));
        System.out.println("round " + round + ": " + silenced + " links silenced; detection ms " + sorted(thisRound));
        await(w.iterations(1), 60, "a round of traffic from every client after resuming");
      }
      await(w.stop(), 60, "every request to be answered");
      Figures f = w.figures(moves, p -> true);
      System.out.println(f.summary("halfOpenSocketsAreDetectedAndResumable"));
      List<Long> d = sorted(detection);
      long p50 = d.get(d.size() / 2);
      long max = d.get(d.size() - 1);
      FaultRow.of(f, "half-open client sockets (no FIN)", CLIENTS + " SDK clients via relay+HAProxy, heartbeat "
          + HEARTBEAT_MS + " ms", relay.halfOpened.get() + " sockets silenced; DETACHED after p50 " + p50 + " / max "
          + max + " ms (bound " + DETECTION_BOUND_MS + ")").record();
      w.printFailures();
      assertTrue(max <= DETECTION_BOUND_MS, "a half-open socket was noticed after " + max + " ms (bound "
          + DETECTION_BOUND_MS + ")");
      assertEquals(CLIENTS * ROUNDS, moves.size(), "every session resumed");
      f.assertNothingLostOrDuplicated(0, "");
      assertEquals(f.requests, f.responses, "one response per request");
      assertEquals(0, f.resyncs, "sessions re-synced instead of resuming");
    } finally {
      await(w.close(), 30, "the clients to close");
      await(relay.stop(), 10, "the relay to stop");
      await(mgmt.close(), 10, "the management client to close");
    }
  }

  /** Milliseconds from {@code t0} until presence says DETACHED, polling every 20 ms (a measurement, not a wait). */
  private static Future<Long> untilDetached(Vertx vertx, Management mgmt, String clientId, long t0) {
    return mgmt.presence(1, clientId).compose(state -> "DETACHED".equals(state)
        ? Future.succeededFuture(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0))
        : vertx.timer(20).compose(x -> untilDetached(vertx, mgmt, clientId, t0)));
  }

  private static List<Long> sorted(List<Long> values) {
    List<Long> s = new ArrayList<>(values);
    Collections.sort(s);
    return s;
  }
}
