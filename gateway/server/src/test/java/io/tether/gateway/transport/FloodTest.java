package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The acceptance test of the rate limits (docs/PROTOCOL.md §12): on one node with the default limits, a client
 * flooding far over maxFramesPerSecond and maxRequestsPerSecond is warned and then closed, while 100 well-behaved
 * sessions on the same node see no error and no gap. Their request p99 with the flood off and on is printed (a
 * figure for people, not an assertion: these machines vary too much for a timing bound).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class FloodTest {

  private static final int SESSIONS = 100;
  private static final long PHASE_MS = 3_000;
  /** Requests the flooder writes every 10 ms: 5 000/s, ten times the default request rate. */
  private static final int FLOOD_PER_TICK = 50;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setRateLimitCloseAfterMs(3_000));
  private static GatewayNode node;

  private static JsonObject echo(WireClient c) {
    long seq = c.nextSeq();
    return new JsonObject().put("type", "request").put("seq", seq).put("stream", 2 * seq - 1)
        .put("address", "demo.echo").put("body", new JsonObject().put("n", seq));
  }

  /** One request at a time until {@code deadline}, each answer timed into {@code nanos}. */
  private static Future<Void> requestLoop(WireClient c, long deadline, Queue<Long> nanos) {
    if (System.currentTimeMillis() >= deadline) {
      return Future.succeededFuture();
    }
    JsonObject request = echo(c);
    long stream = request.getLong("stream");
    Future<JsonObject> answer = c.nextMatching("response " + stream,
        f -> "response".equals(f.getString("type")) && f.getLong("stream") == stream);
    long started = System.nanoTime();
    return c.send(request).compose(v -> answer).compose(r -> {
      nanos.add(System.nanoTime() - started);
      return requestLoop(c, deadline, nanos);
    });
  }

  private static Future<Void> phase(List<WireClient> clients, Queue<Long> nanos) {
    long deadline = System.currentTimeMillis() + PHASE_MS;
    List<Future<Void>> loops = new ArrayList<>();
    for (WireClient c : clients) {
      loops.add(requestLoop(c, deadline, nanos));
    }
    return Future.all(loops).mapEmpty();
  }

  private static double p99Ms(Queue<Long> nanos) {
    long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
    return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, sorted.length * 0.99)] / 1e6;
  }

  /**
   * Verifies that a flooding client gets rate_limited and is then closed with 1008, and that 100 well-behaved sessions
   * on the same node meanwhile get every answer, no error and no gap in their seqs.
   */
  @Test
  void aFloodingClientIsClosedWhileWellBehavedSessionsSeeNoErrorAndNoGap(Vertx vertx, VertxTestContext ctx) {
    Queue<Long> quiet = new ConcurrentLinkedQueue<>();
    Queue<Long> flooded = new ConcurrentLinkedQueue<>();
    List<Future<WireClient>> connecting = new ArrayList<>();
    for (int i = 0; i < SESSIONS; i++) {
      String id = "calm-" + i;
      connecting.add(WireClient.connect(vertx, node.port()).compose(c -> c.autoAck(true).hello(id).map(w -> c)));
    }
    // A first, unmeasured phase warms the JVM up, so the quiet figure is not a cold one.
    Future.all(connecting).map(f -> f.<WireClient>list()).compose(calm -> phase(calm, new ConcurrentLinkedQueue<>())
        .compose(v -> phase(calm, quiet)).compose(v ->
        WireClient.connect(vertx, node.port())).compose(flooder -> flooder.autoAck(true).hello("flooder").compose(w -> {
          long timer = vertx.setPeriodic(10, id -> {
            for (int i = 0; i < FLOOD_PER_TICK; i++) {
              flooder.send(echo(flooder));
            }
          });
          Future<Short> closed = flooder.closed().onComplete(ar -> vertx.cancelTimer(timer));
          return phase(calm, flooded).compose(v -> closed);
        }).map(code -> {
          System.out.printf("FloodTest: %d well-behaved sessions, request p99 %.1f ms without the flood (%d requests),"
              + " %.1f ms with it (%d requests)%n", SESSIONS, p99Ms(quiet), quiet.size(), p99Ms(flooded),
              flooded.size());
          ctx.verify(() -> {
            assertEquals((short) 1008, code, "the flooder is closed");
            List<JsonObject> errors = flooder.received().stream().filter(x -> "error".equals(x.getString("type")))
                .toList();
            assertFalse(errors.isEmpty());
            assertTrue(errors.stream().allMatch(e -> "rate_limited".equals(e.getString("code"))), errors.toString());
            assertTrue(errors.get(errors.size() - 1).getBoolean("fatal"), "closed with a fatal rate_limited");
            for (WireClient c : calm) {
              List<JsonObject> got = c.received();
              assertTrue(got.stream().noneMatch(x -> "error".equals(x.getString("type"))), "no error: " + c);
              List<Long> seqs = got.stream().filter(x -> x.getValue("seq") != null).map(x -> x.getLong("seq"))
                  .toList();
              for (int k = 0; k < seqs.size(); k++) {
                assertEquals(k + 1, seqs.get(k), "no gap: " + c);
              }
              long responses = got.stream().filter(x -> "response".equals(x.getString("type"))
                  && x.getBoolean("ok")).count();
              assertEquals(c.lastAllocatedSeq(), responses, "every request answered ok: " + c);
            }
          });
          return null;
        }))).onComplete(ctx.succeedingThenComplete());
  }
}
