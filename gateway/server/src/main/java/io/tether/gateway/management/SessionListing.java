package io.tether.gateway.management;

import io.tether.gateway.services.GatewayServices;
import io.tether.gateway.session.SessionState;
import io.tether.gateway.store.PresenceRecord;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /admin/sessions?page=&size=&state=}: one page of the cluster's presence records ordered by clientId,
 * optionally only those in one state, with the counts by state (docs/OPERATIONS.md "Console"). The query runs over
 * every partition on a worker thread, never on the event loop; at most {@link #MAX_QUERIES} run at once per node
 * (beyond: 429), and a page may reach at most {@link #MAX_DEPTH} records deep, since each member sends up to
 * (page + 1) × size records for it.
 */
final class SessionListing {

  static final int DEFAULT_SIZE = 100;
  static final int MAX_QUERIES = 4;
  static final int MAX_DEPTH = 100_000;

  private final GatewayServices mgr;
  private final int maxSize;
  /** Queries running now; touched only on the management server's event loop. */
  private int running;

  SessionListing(GatewayServices mgr) {
    this.mgr = mgr;
    this.maxSize = mgr.options().getConsoleMaxPageSize();
  }

  void handle(HttpServerRequest req) {
    Integer page = intParam(req, "page", 0);
    Integer size = intParam(req, "size", Math.min(DEFAULT_SIZE, maxSize));
    String stateParam = req.getParam("state");
    String state = stateParam == null || stateParam.isEmpty() ? null : stateParam.toUpperCase(Locale.ROOT);
    if (page == null || page < 0) {
      bad(req, "page must be a whole number from 0");
    } else if (size == null || size < 1 || size > maxSize) {
      bad(req, "size must be between 1 and " + maxSize + " (console-max-page-size)");
    } else if (state != null && !isState(state)) {
      bad(req, "state must be one of ONLINE, SUSPECT, DETACHED, CLOSED");
    } else if ((long) (page + 1) * size > MAX_DEPTH) {
      bad(req, "a page may reach at most " + MAX_DEPTH + " records deep: filter by state, or look a client up "
          + "with /admin/clients/{clientId}");
    } else if (running >= MAX_QUERIES) {
      req.response().putHeader("Retry-After", "1");
      ManagementServer.json(req, 429, new JsonObject().put("error", "too many listings running on this node ("
          + MAX_QUERIES + "); try again"));
    } else {
      query(req, page, size, state);
    }
  }

  private void query(HttpServerRequest req, int page, int size, String state) {
    running++;
    mgr.presencePage(page, size, state).onComplete(ar -> {
      running--;
      if (ar.failed()) {
        ManagementServer.json(req, 503, new JsonObject().put("error", "presence store unavailable: "
            + ar.cause().getMessage()));
        return;
      }
      Map<String, Long> counts = ar.result().counts();
      long total = state != null ? counts.getOrDefault(state, 0L)
          : counts.values().stream().mapToLong(Long::longValue).sum();
      JsonArray items = new JsonArray();
      for (PresenceRecord r : ar.result().records()) {
        items.add(r.toJson());
      }
      JsonObject countsJson = new JsonObject();
      for (SessionState s : SessionState.values()) {
        countsJson.put(s.name(), counts.getOrDefault(s.name(), 0L));
      }
      ManagementServer.json(req, 200, new JsonObject().put("page", page).put("size", size).put("state", state)
          .put("total", total).put("pages", (total + size - 1) / size).put("counts", countsJson)
          .put("items", items));
    });
  }

  /** One of the presence states (docs/PROTOCOL.md §4). */
  private static boolean isState(String s) {
    for (SessionState state : SessionState.values()) {
      if (state.name().equals(s)) {
        return true;
      }
    }
    return false;
  }

  /** The parameter as an int, {@code absent} when missing, null when it is not a small whole number. */
  private static Integer intParam(HttpServerRequest req, String name, int absent) {
    String v = req.getParam(name);
    if (v == null || v.isEmpty()) {
      return absent;
    }
    return v.matches("\\d{1,9}") ? Integer.valueOf(v) : null;
  }

  private static void bad(HttpServerRequest req, String message) {
    ManagementServer.json(req, 400, new JsonObject().put("error", message));
  }
}
