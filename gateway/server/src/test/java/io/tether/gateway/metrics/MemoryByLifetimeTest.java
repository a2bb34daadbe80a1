package io.tether.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.DoublePredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The memory-by-lifetime meters on /metrics (docs/OPERATIONS.md "Memory by lifetime"): what a real node holds for a
 * request in flight, for unacknowledged frames and for frames a client does not read is counted under its lifetime
 * while it is held, and given back when it is freed.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class MemoryByLifetimeTest {

  private static final String HELD = "test.memory.held";

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAllowedAddresses(List.of("demo.*", "test.*")));
  private static GatewayNode node;

  /** Verifies that a request awaiting its backend is request memory (one holder, its body's bytes) until the reply. */
  @Test
  void aRequestAwaitingItsBackendIsRequestMemoryUntilTheReply(Vertx vertx, VertxTestContext ctx) {
    Promise<Message<Object>> arrived = Promise.promise();
    node.vertx().eventBus().consumer(HELD, arrived::tryComplete);
    String pad = "x".repeat(5_000);
    WireClient.connect(vertx, node.port())
        .compose(c -> c.hello("mem-request").compose(w -> {
          c.send(new JsonObject().put("type", "request").put("seq", c.nextSeq()).put("stream", 1).put("address", HELD)
              .put("body", new JsonObject().put("pad", pad)));
          return arrived.future();
        }).compose(message -> until(vertx, "request", "holders", v -> v == 1)
            .compose(v -> meter(vertx, "bytes", "request")).map(bytes -> {
              assertTrue(bytes >= pad.length(), "request bytes " + bytes + " cover the body");
              message.reply(new JsonObject().put("ok", true));
              return null;
            }))
            .compose(v -> c.next("response"))
            .compose(r -> until(vertx, "request", "bytes", b -> b == 0))
            .compose(v -> until(vertx, "request", "holders", n -> n == 0)))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that frames the client has not acked are session memory, given back when it acks them. */
  @Test
  void unacknowledgedFramesAreSessionMemoryUntilAcked(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port())
        .compose(c -> c.autoAck(false).hello("mem-session").compose(w -> {
          c.send(new JsonObject().put("type", "request").put("seq", c.nextSeq()).put("stream", 1)
              .put("address", "demo.push").put("body", new JsonObject().put("count", 20).put("qos", 1)));
          return c.take(20, "push");
        }).compose(pushes -> until(vertx, "session", "bytes", v -> v > 0))
            .compose(v -> c.next("response"))
            .compose(r -> c.ack(c.lastSeq()))
            .compose(v -> until(vertx, "session", "bytes", b -> b == 0))
            .compose(v -> until(vertx, "session", "holders", n -> n >= 1)))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that frames a client does not read pile up as connection memory (the kernel's socket buffers full, the
   * rest queued in the node) and are given back once the client reads again.
   */
  @Test
  void framesAClientDoesNotReadAreConnectionMemoryUntilItReads(Vertx vertx, VertxTestContext ctx) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(128 * 1024)
        .setMaxMessageSize(128 * 1024));
    WebSocketConnectOptions target = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.port())
        .setURI(WireClient.PATH);
    String pad = "y".repeat(60_000);
    client.connect(target).compose(ws -> WireClient.hello(ws, "mem-connection").compose(v -> {
      ws.pause(); // the client stops reading: the kernel buffers fill, then the node's queue
      // Volatile pushes are not bounded by the replay buffer; the node drops them once its write queue is full.
      return send(vertx, "mem-connection", pad, 400);
    }).compose(v -> until(vertx, "connection", "bytes", b -> b > 0))
        .compose(v -> {
          ws.handler(b -> { }); // read and discard from now on
          ws.resume();
          return until(vertx, "connection", "bytes", b -> b == 0);
        }).eventually(() -> ws.close()))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a batch of reliable pushes released by one store write (written to the socket with one flush, the
   * earlier frames held until the last) reaches the client complete and in order, and that the connection memory
   * counted for the held frames is all given back.
   */
  @Test
  void aBatchWrittenWithOneFlushArrivesInOrderAndGivesItsMemoryBack(Vertx vertx, VertxTestContext ctx) {
    WebSocketClient client = vertx.createWebSocketClient();
    WebSocketConnectOptions target = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.port())
        .setURI(WireClient.PATH);
    int n = 40;
    JsonArray bodies = new JsonArray();
    for (int i = 1; i <= n; i++) {
      bodies.add(new JsonObject().put("i", i).put("pad", "z".repeat(20_000)));
    }
    List<Long> seqs = new ArrayList<>();
    Promise<Void> all = Promise.promise();
    client.connect(target).compose(ws -> WireClient.hello(ws, "mem-batch").compose(v -> {
      ws.textMessageHandler(text -> {
        JsonObject f = new JsonObject(text);
        if ("push".equals(f.getString("type"))) {
          seqs.add(f.getLong("seq"));
          ctx.verify(() -> assertEquals(seqs.size(), f.getJsonObject("body").getInteger("i"), "in order"));
          if (seqs.size() == n) {
            all.tryComplete();
          }
        }
      });
      return node.vertx().eventBus().request("gateway.send", new JsonObject().put("clientId", "mem-batch")
          .put("bodies", bodies)).mapEmpty();
    }).compose(v -> all.future())
        .compose(v -> until(vertx, "connection", "bytes", b -> b == 0))
        .eventually(() -> ws.close()))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertEquals(n, seqs.size());
          assertEquals(seqs.get(0) + n - 1, seqs.get(n - 1), "no gap, no duplicate");
          ctx.completeNow();
        })));
  }

  /** {@code n} volatile pushes of {@code pad} to the client through gateway.send, one after the other. */
  private static Future<Void> send(Vertx vertx, String clientId, String pad, int n) {
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < n; i++) {
      chain = chain.compose(v -> node.vertx().eventBus().request("gateway.send", new JsonObject()
          .put("clientId", clientId).put("qos", 0).put("body", new JsonObject().put("pad", pad))).mapEmpty());
    }
    return chain;
  }

  /** Polls /metrics every 50 ms until {@code tether_memory_<kind>{lifetime}} satisfies {@code condition}. */
  private static Future<Void> until(Vertx vertx, String lifetime, String kind, DoublePredicate condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Promise<Void> done = Promise.promise();
    poll(vertx, lifetime, kind, condition, deadline, done, Double.NaN);
    return done.future();
  }

  private static void poll(Vertx vertx, String lifetime, String kind, DoublePredicate condition, long deadline,
      Promise<Void> done, double last) {
    if (System.nanoTime() > deadline) {
      done.fail("tether_memory_" + kind + "{lifetime=\"" + lifetime + "\"} never met the condition; last " + last);
      return;
    }
    meter(vertx, kind, lifetime).onComplete(ar -> {
      if (ar.succeeded() && condition.test(ar.result())) {
        done.complete();
      } else {
        double seen = ar.succeeded() ? ar.result() : Double.NaN;
        vertx.setTimer(50, id -> poll(vertx, lifetime, kind, condition, deadline, done, seen));
      }
    });
  }

  private static Future<Double> meter(Vertx vertx, String kind, String lifetime) {
    HttpClient http = vertx.createHttpClient();
    Pattern sample = Pattern.compile("(?m)^tether_memory_" + kind + "\\{lifetime=\"" + lifetime + "\"} (\\S+)$");
    return http.request(HttpMethod.GET, node.managementPort(), "127.0.0.1", "/metrics")
        .compose(req -> req.send().compose(HttpClientResponse::body))
        .map(body -> {
          Matcher m = sample.matcher(body.toString());
          assertTrue(m.find(), "tether_memory_" + kind + "{lifetime=\"" + lifetime + "\"} on /metrics");
          return Double.parseDouble(m.group(1));
        })
        .eventually(http::close);
  }

  /** Verifies that bytes and holders are exported for each of the three lifetimes, idle or not. */
  @Test
  void everyLifetimeIsExported(Vertx vertx, VertxTestContext ctx) {
    Future.all(List.of(meter(vertx, "bytes", "connection"), meter(vertx, "bytes", "session"),
            meter(vertx, "bytes", "request"), meter(vertx, "holders", "connection"),
            meter(vertx, "holders", "session"), meter(vertx, "holders", "request")))
        .map(all -> {
          assertEquals(6, all.size());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }
}
