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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The per-socket frame and request rates (docs/PROTOCOL.md §12), over real sockets on a real node. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class RateLimitTest {

  private static final int FRAMES_PER_SECOND = 50;
  private static final int REQUESTS_PER_SECOND = 20;
  private static final long CLOSE_AFTER_MS = 2_000;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setMaxFramesPerSecond(FRAMES_PER_SECOND)
      .setMaxRequestsPerSecond(REQUESTS_PER_SECOND).setRateLimitCloseAfterMs(CLOSE_AFTER_MS));
  private static GatewayNode node;

  private static JsonObject unsubscribe(WireClient c) {
    return new JsonObject().put("type", "unsubscribe").put("seq", c.nextSeq()).put("topic", "none");
  }

  private static JsonObject echo(WireClient c) {
    long seq = c.nextSeq();
    return new JsonObject().put("type", "request").put("seq", seq).put("stream", 2 * seq - 1)
        .put("address", "demo.echo").put("body", new JsonObject().put("n", seq));
  }

  private static List<JsonObject> errors(WireClient c) {
    return c.received().stream().filter(f -> "error".equals(f.getString("type"))).toList();
  }

  /**
   * Verifies that a burst of twice the frame rate gets a non-fatal rate_limited warning (at most one a second) and is
   * throttled, not dropped: every reliable frame is accepted in order (the final ack covers them all) and the socket
   * stays open.
   */
  @Test
  void aBurstOverTheFrameRateIsWarnedAndThrottledWithoutLosingAFrame(Vertx vertx, VertxTestContext ctx) {
    int frames = 2 * FRAMES_PER_SECOND;
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("rate-burst").compose(w -> {
      Future<JsonObject> allAcked = c.nextMatching("the ack of every frame",
          f -> "ack".equals(f.getString("type")) && f.getLong("ack") == frames);
      for (int i = 0; i < frames; i++) {
        c.send(unsubscribe(c));
      }
      return allAcked;
    }).map(ack -> {
      ctx.verify(() -> {
        List<JsonObject> errors = errors(c);
        assertFalse(errors.isEmpty(), "warned: " + c);
        assertTrue(errors.size() <= 2, "at most one warning a second: " + errors);
        for (JsonObject e : errors) {
          assertEquals("rate_limited", e.getString("code"));
          assertFalse(e.getBoolean("fatal"));
        }
        assertFalse(c.closed().isComplete(), "the socket stays open");
      });
      return null;
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a client that keeps sending far over the frame rate is warned, then closed with a fatal error. */
  @Test
  void aClientThatStaysOverTheFrameRateIsClosedWith1008(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("rate-flood").compose(w -> {
      // 10 frames every 20 ms: ten times the rate, until the server closes the socket.
      long timer = vertx.setPeriodic(20, id -> {
        for (int i = 0; i < 10; i++) {
          c.send(unsubscribe(c));
        }
      });
      return c.closed().onComplete(ar -> vertx.cancelTimer(timer));
    }).map(code -> {
      ctx.verify(() -> {
        assertEquals((short) 1008, code);
        List<JsonObject> errors = errors(c);
        assertEquals("rate_limited", errors.get(0).getString("code"));
        assertFalse(errors.get(0).getBoolean("fatal"), "warned first: " + errors);
        JsonObject last = errors.get(errors.size() - 1);
        assertEquals("rate_limited", last.getString("code"));
        assertTrue(last.getBoolean("fatal"), "then closed: " + errors);
      });
      return null;
    })).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that requests beyond the request rate are refused on their own streams (ok:false, rate_limited) while
   * the others are answered, and that every request's seq is consumed (acked).
   */
  @Test
  void requestsOverTheRequestRateAreRefusedOnTheirStreams(Vertx vertx, VertxTestContext ctx) {
    int requests = REQUESTS_PER_SECOND + 5;
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("rate-requests").compose(w -> {
      Future<List<JsonObject>> responses = c.take(requests, "response");
      for (int i = 0; i < requests; i++) {
        c.send(echo(c));
      }
      return responses;
    }).map(responses -> {
      ctx.verify(() -> {
        long ok = responses.stream().filter(r -> r.getBoolean("ok")).count();
        List<JsonObject> refused = responses.stream().filter(r -> !r.getBoolean("ok")).toList();
        assertTrue(ok >= REQUESTS_PER_SECOND, "the burst is answered: " + ok);
        assertFalse(refused.isEmpty(), "some are refused");
        for (JsonObject r : refused) {
          assertEquals("rate_limited", r.getJsonObject("error").getString("code"));
        }
        long lastAck = c.received().stream().filter(f -> "ack".equals(f.getString("type")))
            .mapToLong(f -> f.getLong("ack")).max().orElse(0);
        assertEquals(requests, lastAck, "every request's seq is consumed");
        assertTrue(errors(c).isEmpty(), "refusals are responses, not error frames: " + errors(c));
      });
      return null;
    })).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that requests refused for the rate count toward the close: a client that stays over the request rate
   * (but under the frame rate) is closed with a fatal rate_limited and 1008.
   */
  @Test
  void aClientThatStaysOverTheRequestRateIsClosed(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("rate-requests-flood").compose(w -> {
      // 2 requests every 50 ms: twice the request rate, within the frame rate.
      long timer = vertx.setPeriodic(50, id -> {
        c.send(echo(c));
        c.send(echo(c));
      });
      return c.closed().onComplete(ar -> vertx.cancelTimer(timer));
    }).map(code -> {
      ctx.verify(() -> {
        assertEquals((short) 1008, code);
        List<JsonObject> errors = errors(c);
        assertEquals(1, errors.size(), "no frame-rate warning, only the close: " + errors);
        assertEquals("rate_limited", errors.get(0).getString("code"));
        assertTrue(errors.get(0).getBoolean("fatal"));
      });
      return null;
    })).onComplete(ctx.succeedingThenComplete());
  }
}
