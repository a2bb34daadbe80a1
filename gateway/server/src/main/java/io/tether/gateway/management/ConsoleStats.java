package io.tether.gateway.management;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.services.GatewayServices;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.TreeMap;

/**
 * What the console shows beside the session table, in one JSON object: the cluster's presence records by state, this
 * node's meters (resumes by result, buffered bytes against the budget, sessions and sockets held, limits hit) and the
 * cluster members with their health. Served at {@code GET /admin/console/stats} and sent to every console stream as
 * a {@code stats} event every {@code consoleStatsIntervalMs}.
 */
final class ConsoleStats {

  private final GatewayServices mgr;
  private final MeterRegistry registry;
  private final ClusterHealth cluster;
  /** A snapshot younger than this is served again instead of counting the cluster once more. */
  static final long REUSE_MS = 250;
  private JsonObject last;
  private Future<JsonObject> gathering;

  ConsoleStats(GatewayServices mgr, MeterRegistry registry, ClusterHealth cluster) {
    this.mgr = mgr;
    this.registry = registry;
    this.cluster = cluster;
  }

  /**
   * The latest snapshot: one at most {@link #REUSE_MS} old is served again, and callers that come while one is being
   * gathered share it, so at most one cluster-wide count runs per node however often consoles ask. Never fails: a
   * part that could not be read is reported as an {@code error} field instead. Called on the management event loop.
   */
  Future<JsonObject> snapshot() {
    long now = System.currentTimeMillis();
    if (last != null && now - last.getLong("at") < REUSE_MS) {
      return Future.succeededFuture(last);
    }
    if (gathering != null) {
      return gathering;
    }
    Future<JsonObject> f = gather();
    gathering = f;
    f.onComplete(ar -> {
      if (gathering == f) {
        gathering = null;
      }
      last = ar.result();
    });
    return f;
  }

  private Future<JsonObject> gather() {
    JsonObject out = new JsonObject().put("node", mgr.nodeId()).put("instance", mgr.instance())
        .put("at", System.currentTimeMillis()).put("meters", meters());
    Future<Void> counts = mgr.presenceCounts()
        .map(c -> {
          out.put("counts", new JsonObject(new TreeMap<>(c)));
          return (Void) null;
        })
        .otherwise(e -> {
          out.put("countsError", "presence store unavailable: " + e.getMessage());
          return null;
        });
    Future<Void> members = cluster.members().map(m -> {
      out.put("members", m);
      return null;
    });
    return Future.join(counts, members).map(cf -> out);
  }

  /** This node's meters, read from the registry by the names {@code /metrics} shows (GatewayMetrics). */
  private JsonObject meters() {
    JsonObject resumes = new JsonObject();
    for (Counter c : registry.find(GatewayMetrics.RESUMES).counters()) {
      resumes.put(c.getId().getTag("result"), (long) c.count());
    }
    JsonObject limited = new JsonObject();
    for (Counter c : registry.find(GatewayMetrics.LIMITED).counters()) {
      limited.put(c.getId().getTag("limit"), (long) c.count());
    }
    for (Counter c : registry.find(GatewayMetrics.LIMIT_CLOSES).counters()) {
      limited.put(c.getId().getTag("limit") + "_closes", (long) c.count());
    }
    JsonObject sessionsHere = new JsonObject();
    for (Gauge g : registry.find(GatewayMetrics.SESSIONS).gauges()) {
      sessionsHere.put(g.getId().getTag("state"), (long) g.value());
    }
    return new JsonObject()
        .put("resumes", resumes)
        .put("bufferedBytes", gauge(GatewayMetrics.BUFFERED_BYTES))
        .put("bufferBudgetBytes", gauge(GatewayMetrics.BUFFER_BUDGET))
        .put("connections", gauge(GatewayMetrics.CONNECTIONS))
        .put("sessionsHere", sessionsHere)
        .put("limited", limited);
  }

  private long gauge(String name) {
    Gauge g = registry.find(name).gauge();
    return g == null ? 0 : (long) g.value();
  }
}
