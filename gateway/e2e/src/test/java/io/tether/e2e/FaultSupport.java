package io.tether.e2e;

import io.tether.e2e.Workload.Probe;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What the member-fault cases (split brain, double crash) share: the nodes' /health and presence read over HTTP, a
 * bounded wait for a cluster condition (polling /health: the condition is a membership change, which has no event
 * a test outside the processes could wait on), and the per-session report.
 */
final class FaultSupport {

  /** {@code fast} in mvn verify, {@code full} in scripts/faults.sh. */
  static final boolean FULL = "full".equals(System.getProperty("tether.e2e.faults", "fast"));

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private FaultSupport() {
  }

  /** GET /health of a management port; null if it does not answer (a 503 answers). */
  static JsonObject health(int port) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return new JsonObject(r.body());
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** {@code /admin/clients/{id}} with the cluster's API key: the presence record, or null (404 or no answer). */
  static JsonObject presence(int port, String apiKey, String clientId) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/admin/clients/" + clientId))
          .header("Authorization", "Bearer " + apiKey).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * Polls the /health of every port until {@code condition} holds for all of them (every 200 ms, at most
   * {@code seconds}); returns how long it took in ms. Fails with the last answers.
   */
  static long awaitHealth(List<Integer> ports, Predicate<JsonObject> condition, long seconds, String what) {
    long t0 = System.nanoTime();
    long deadline = t0 + seconds * 1_000_000_000L;
    Map<Integer, JsonObject> last = new TreeMap<>();
    while (true) {
      boolean all = true;
      for (int port : ports) {
        JsonObject h = health(port);
        last.put(port, h);
        all &= h != null && condition.test(h);
      }
      if (all) {
        return (System.nanoTime() - t0) / 1_000_000;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + seconds + " s waiting for " + what + "; last /health: " + last);
      }
      try {
        Thread.sleep(200); // a poll interval, not a stand-in for an event
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  static Predicate<JsonObject> members(int n) {
    return h -> h.getInteger("clusterMembers", -1) == n;
  }

  static Predicate<JsonObject> status(String s) {
    return h -> s.equals(h.getString("status"));
  }

  /**
   * Prints one line per session: its client, where it was before the fault and is now, and the outcome the client
   * saw (Workload.Probe#outcome); then the count of each outcome. Returns those counts.
   */
  static Map<String, Integer> printOutcomes(String title, List<Probe> probes, Map<Probe, String> before,
      Predicate<Probe> affected) {
    System.out.println("per-session outcomes of " + title + " (client: node before -> node now: outcome)");
    Map<String, Integer> counts = new TreeMap<>();
    for (Probe p : probes) {
      String outcome = p.outcome();
      String kind = outcome.startsWith("failed with reason") ? "failed with reason " + p.resyncReasons()
          : outcome.contains("SILENT GAP") ? "SILENT GAP" : outcome;
      String tag = affected.test(p) ? "affected" : "other";
      counts.merge(tag + ": " + kind, 1, Integer::sum);
      System.out.printf("  %-14s %-8s -> %-8s %-8s %s%n", "client-" + p.index, before.get(p), p.client.node(), tag,
          outcome);
    }
    System.out.println("outcome counts of " + title + ": " + counts);
    return counts;
  }

  /** Completes when every future has completed, each either way. */
  static Future<Void> settled(List<? extends Future<?>> all) {
    return Future.join(new ArrayList<>(all)).otherwiseEmpty().mapEmpty();
  }
}
