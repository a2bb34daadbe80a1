package io.tether.gateway.management;

import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.metrics.GatewayMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The console event streams of this node ({@code GET /admin/console/events}, docs/OPERATIONS.md "Console"): every
 * {@code gateway.presence.events} event of the cluster, as it comes, and a {@code stats} event every
 * {@code consoleStatsIntervalMs}. At most {@code consoleMaxStreams} at once (beyond: 429; 0: off, 404); each has
 * its own bounded queue ({@link ConsoleStream}).
 *
 * <p>The node listens to the presence events and counts the cluster only while at least one console is open: with
 * 100k sessions every member would otherwise receive every transition of the cluster for nobody. A stream gets
 * {@code ready} once the listener is registered cluster-wide, so a change after {@code ready} is never missed.
 *
 * <p>Everything here runs on the management server's event loop.
 */
final class ConsoleStreams {

  private final Vertx vertx;
  private final GatewayOptions options;
  private final GatewayMetrics metrics;
  private final ConsoleStats stats;
  private final Set<ConsoleStream> streams = new LinkedHashSet<>();
  private MessageConsumer<JsonObject> presence;
  private long statsTimer = -1;
  private boolean statsRunning;

  ConsoleStreams(Vertx vertx, GatewayOptions options, GatewayMetrics metrics, ConsoleStats stats) {
    this.vertx = vertx;
    this.options = options;
    this.metrics = metrics;
    this.stats = stats;
  }

  /** Streams open now (the {@code tether_console_streams} gauge). */
  int open() {
    return streams.size();
  }

  /** Opens a stream for an authorised request, or answers 429 when {@code consoleMaxStreams} are open. */
  void open(HttpServerRequest req) {
    if (options.getConsoleMaxStreams() == 0) {
      ManagementServer.json(req, 404, new JsonObject().put("error", "console event streams are off on this node "
          + "(console-max-streams 0)"));
      return;
    }
    if (streams.size() >= options.getConsoleMaxStreams()) {
      metrics.limited("console_streams");
      req.response().putHeader("Retry-After", "5");
      ManagementServer.json(req, 429, new JsonObject().put("error", "too many console streams: "
          + options.getConsoleMaxStreams() + " are open on this node (console-max-streams); close one or try "
          + "another node"));
      return;
    }
    ConsoleStream[] self = {null};
    ConsoleStream stream = new ConsoleStream(vertx, req, options.getConsoleQueueEvents(),
        () -> ended(self[0]), () -> metrics.limitClosed("console_queue"));
    self[0] = stream;
    streams.add(stream);
    if (presence == null) {
      presence = vertx.eventBus().consumer(GatewayApi.PRESENCE_EVENTS, msg -> {
        Buffer event = ConsoleStream.event("presence", msg.body());
        // A copy: a stream dropped while sending removes itself from the set.
        for (ConsoleStream s : new ArrayList<>(streams)) {
          s.send(event);
        }
      });
      statsTimer = vertx.setPeriodic(options.getConsoleStatsIntervalMs(), id -> sendStats());
    }
    MessageConsumer<JsonObject> listening = presence;
    listening.completion().onComplete(ar -> {
      if (stream.closed()) {
        return;
      }
      if (ar.failed()) {
        stream.close("presence events unavailable: " + ar.cause().getMessage());
        return;
      }
      stream.send(ConsoleStream.event("ready", new JsonObject().put("node", options.getNodeId())
          .put("queueEvents", options.getConsoleQueueEvents())
          .put("statsIntervalMs", options.getConsoleStatsIntervalMs())));
      stats.snapshot().onSuccess(s -> stream.send(ConsoleStream.event("stats", s)));
    });
  }

  private void ended(ConsoleStream stream) {
    streams.remove(stream);
    if (streams.isEmpty() && presence != null) {
      presence.unregister();
      presence = null;
      vertx.cancelTimer(statsTimer);
      statsTimer = -1;
    }
  }

  /** One snapshot for all streams; a tick while the previous one is still being gathered is skipped. */
  private void sendStats() {
    if (statsRunning || streams.isEmpty()) {
      return;
    }
    statsRunning = true;
    stats.snapshot().onComplete(ar -> {
      statsRunning = false;
      if (ar.succeeded()) {
        Buffer event = ConsoleStream.event("stats", ar.result());
        for (ConsoleStream s : new ArrayList<>(streams)) {
          s.send(event);
        }
      }
    });
  }

  /** The node stops: every console is told so. */
  void closeAll() {
    for (ConsoleStream s : new ArrayList<>(streams)) {
      s.close("node_stopping");
    }
  }
}
