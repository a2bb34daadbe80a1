package io.tether.gateway.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tether.gateway.GatewayNode;
import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.SseClient;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console event stream, GET /admin/console/events (docs/OPERATIONS.md "Console"): presence changes as
 * text/event-stream events within a second, behind the API key, at most consoleMaxStreams at once, and a console
 * that reads too slowly is dropped with a last {@code closing} event while the others keep everything.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ConsoleEventsTest {

  private static final String KEY = "console-events-key-0123456789";
  private static final int MAX_STREAMS = 2;
  private static final int QUEUE_EVENTS = 200;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setApiKey(KEY).setConsoleMaxStreams(MAX_STREAMS)
      .setConsoleQueueEvents(QUEUE_EVENTS).setConsoleStatsIntervalMs(300));
  private static GatewayNode node;

  private record Reply(int status, String authenticate, String body) {
  }

  private static Future<Reply> get(Vertx vertx, String path, Map<String, String> headers) {
    HttpClient http = vertx.createHttpClient();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(node.managementPort()).setURI(path);
    headers.forEach(options::putHeader);
    return http.request(options).compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("WWW-Authenticate"),
            b.toString())))
        .eventually(http::close);
  }

  private static MeterRegistry registry() {
    return node.services().metrics().registry();
  }

  private static double openStreams() {
    Gauge g = registry().find(GatewayMetrics.CONSOLE_STREAMS).gauge();
    return g == null ? -1 : g.value();
  }

  private static double slowConsumerDrops() {
    Counter c = registry().find(GatewayMetrics.LIMIT_CLOSES).tag("limit", "console_queue").counter();
    return c == null ? 0 : c.count();
  }

  /** Completes when {@code condition} holds, checked every 20 ms; fails after {@code timeoutMs}. */
  private static Future<Void> until(Vertx vertx, String what, BooleanSupplier condition, long timeoutMs) {
    if (condition.getAsBoolean()) {
      return Future.succeededFuture();
    }
    if (timeoutMs <= 0) {
      return Future.failedFuture(new AssertionError("timed out waiting for " + what));
    }
    return vertx.timer(20).compose(t -> until(vertx, what, condition, timeoutMs - 20));
  }

  /** A stream that has said {@code ready}: every change from now on reaches it. */
  private static Future<SseClient> ready(Vertx vertx) {
    return SseClient.open(vertx, node.managementPort(), KEY)
        .compose(sse -> sse.next("ready", 5_000).map(r -> sse));
  }

  /** Verifies that a session's ONLINE and DETACHED reach an open stream within 1 s of the change (lag printed). */
  @Test
  void aSessionStateChangeReachesTheStreamWithinOneSecond(Vertx vertx, VertxTestContext ctx) {
    String clientId = "sse-lag";
    long[] t = new long[4];
    ready(vertx).compose(sse -> WireClient.connect(vertx, node.port())
        .compose(c -> {
          t[0] = System.currentTimeMillis();
          return c.hello(clientId).map(c);
        })
        .compose(c -> sse.next("presence", d -> clientId.equals(d.getString("clientId"))
            && "ONLINE".equals(d.getString("state")), 5_000).compose(online -> {
              t[1] = online.receivedAt() - online.data().getLong("at");
              t[2] = System.currentTimeMillis();
              return c.close().compose(v -> sse.next("presence", d -> clientId.equals(d.getString("clientId"))
                  && "DETACHED".equals(d.getString("state")), 5_000)).map(detached -> {
                    t[3] = detached.receivedAt() - detached.data().getLong("at");
                    long onlineFromHello = online.receivedAt() - t[0];
                    long detachedFromClose = detached.receivedAt() - t[2];
                    System.out.printf("console SSE lag: ONLINE %d ms after the change (%d ms after the hello was "
                        + "sent), DETACHED %d ms after the change (%d ms after the client closed)%n", t[1],
                        onlineFromHello, t[3], detachedFromClose);
                    assertTrue(t[1] < 1_000 && onlineFromHello < 1_000, "ONLINE lag " + t[1] + " / "
                        + onlineFromHello + " ms");
                    assertTrue(t[3] < 1_000 && detachedFromClose < 1_000, "DETACHED lag " + t[3] + " / "
                        + detachedFromClose + " ms");
                    assertEquals(node.nodeId(), online.data().getString("node"));
                    return null;
                  });
            }))
        .eventually(sse::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that the stream without the key, or with a wrong one, is 401 with WWW-Authenticate and opens nothing. */
  @Test
  void theStreamRequiresTheApiKey(Vertx vertx, VertxTestContext ctx) {
    get(vertx, "/admin/console/events", Map.of())
        .compose(none -> get(vertx, "/admin/console/events", Map.of("Authorization", "Bearer " + KEY + "x"))
            .map(wrong -> {
              for (Reply r : new Reply[] {none, wrong}) {
                assertEquals(401, r.status(), r.body());
                assertNotNull(r.authenticate(), "WWW-Authenticate");
                assertFalse(r.body().contains("event:"), r.body());
              }
              assertEquals(0, openStreams(), "no stream was opened");
              return null;
            }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a stream beyond consoleMaxStreams is 429, and that a closed stream frees its place. */
  @Test
  void aStreamBeyondTheLimitIsRefusedUntilOneCloses(Vertx vertx, VertxTestContext ctx) {
    until(vertx, "no open stream", () -> openStreams() == 0, 5_000)
        .compose(v -> ready(vertx)).compose(first -> ready(vertx).compose(second ->
            get(vertx, "/admin/console/events", Map.of("Authorization", "Bearer " + KEY)).compose(third -> {
              assertEquals(429, third.status(), third.body());
              assertTrue(third.body().contains("console-max-streams"), third.body());
              return first.close();
            })
            .compose(v -> until(vertx, "the closed stream to be released", () -> openStreams() == 1, 5_000))
            .compose(v -> ready(vertx)).compose(again -> again.close())
            .eventually(second::close))
            .eventually(first::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that stats events carry the cluster counts, this node's meters and the members with their health. */
  @Test
  void statsEventsCarryCountsMetersAndMembers(Vertx vertx, VertxTestContext ctx) {
    until(vertx, "a free stream", () -> openStreams() < MAX_STREAMS, 5_000)
        .compose(v -> ready(vertx)).compose(sse -> sse.next("stats", d -> d.containsKey("counts"), 5_000)
            .map(stats -> {
              JsonObject d = stats.data();
              assertTrue(d.getJsonObject("meters").getLong("bufferBudgetBytes") > 0, d.encode());
              assertTrue(d.getJsonObject("meters").containsKey("resumes"), d.encode());
              JsonArray members = d.getJsonArray("members");
              assertEquals(1, members.size(), d.encode());
              JsonObject self = members.getJsonObject(0);
              assertEquals("UP", self.getString("status"), d.encode());
              assertEquals(node.nodeId(), self.getString("node"), d.encode());
              assertTrue(self.getBoolean("local"), d.encode());
              return null;
            })
            .eventually(sse::close))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a console that stops reading is dropped once consoleQueueEvents events wait for it: the stream ends
   * with a {@code closing} event, reason {@code slow_consumer}, and the connection closes; a console that reads
   * meanwhile gets every event.
   */
  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void aConsoleThatReadsTooSlowlyIsDroppedAndTheOthersKeepEverything(Vertx vertx, VertxTestContext ctx) {
    double dropsBefore = slowConsumerDrops();
    Buffer slowGot = Buffer.buffer();
    Promise<Void> slowReady = Promise.promise();
    Promise<Void> slowClosed = Promise.promise();
    String pad = "x".repeat(1000);
    int[] published = {0};
    until(vertx, "no open stream", () -> openStreams() == 0, 5_000)
        .compose(v -> vertx.createNetClient(new NetClientOptions().setReceiveBufferSize(4096))
            .connect(node.managementPort(), "127.0.0.1"))
        .compose((NetSocket slow) -> {
          slow.handler(b -> {
            slowGot.appendBuffer(b);
            if (!slowReady.future().isComplete() && slowGot.toString().contains("event: ready")) {
              slowReady.tryComplete();
            }
          });
          slow.closeHandler(v -> slowClosed.tryComplete());
          slow.write("GET /admin/console/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
              + "Authorization: Bearer " + KEY + "\r\n\r\n");
          return slowReady.future().compose(v -> ready(vertx)).compose(fast -> {
            slow.pause();
            return publishUntilDropped(vertx, pad, published, dropsBefore)
                .compose(v -> {
                  node.vertx().eventBus().publish(GatewayApi.PRESENCE_EVENTS,
                      new JsonObject().put("clientId", "slow-test-last").put("state", "ONLINE")
                          .put("at", System.currentTimeMillis()));
                  return fast.next("presence", d -> "slow-test-last".equals(d.getString("clientId")), 10_000);
                })
                .map(last -> {
                  assertFalse(fast.ended().isComplete(), "the reading console was not dropped");
                  assertEquals(published[0] + 1, fast.received("presence"), "the reading console got every event");
                  slow.resume();
                  return null;
                })
                .compose(v -> slowClosed.future())
                .map(v -> {
                  String text = slowGot.toString();
                  int closing = text.lastIndexOf("event: closing");
                  assertTrue(closing > 0, "the slow console's stream ends with a closing event: "
                      + text.substring(Math.max(0, text.length() - 500)));
                  assertTrue(text.indexOf("slow_consumer", closing) > 0, text.substring(closing));
                  assertFalse(text.substring(closing).contains("event: presence"), "nothing after closing");
                  int slowEvents = text.split("event: presence", -1).length - 1;
                  System.out.printf("slow console: dropped after %d events published, it had read %d of them; the "
                      + "reading console got all %d%n", published[0], slowEvents, published[0] + 1);
                  assertTrue(slowEvents < published[0], "the slow console did not get everything");
                  assertEquals(dropsBefore + 1, slowConsumerDrops(), "one slow console counted");
                  return null;
                })
                .eventually(fast::close);
          });
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Publishes presence-like events of ~1 KB on the node's event bus, 50 at a time, until a console has been dropped
   * as too slow (at most 20 000 events: about 20 MB, several times what the socket buffers hold).
   */
  private static Future<Void> publishUntilDropped(Vertx vertx, String pad, int[] published, double dropsBefore) {
    if (slowConsumerDrops() > dropsBefore) {
      return Future.succeededFuture();
    }
    if (published[0] >= 20_000) {
      return Future.failedFuture(new AssertionError("no console dropped after " + published[0] + " events"));
    }
    for (int i = 0; i < 50; i++) {
      node.vertx().eventBus().publish(GatewayApi.PRESENCE_EVENTS, new JsonObject()
          .put("clientId", "slow-test-" + published[0]++).put("state", "ONLINE").put("pad", pad)
          .put("at", System.currentTimeMillis()));
    }
    return vertx.timer(2).compose(t -> publishUntilDropped(vertx, pad, published, dropsBefore));
  }
}
