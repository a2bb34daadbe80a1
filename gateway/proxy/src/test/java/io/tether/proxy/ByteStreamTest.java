package io.tether.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.client.TetherClient;
import io.tether.client.TetherClientOptions;
import io.tether.client.TetherStream;
import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Byte streams through a real node to a real TCP upstream, with the SDK's {@link TetherStream} (docs/PROXY.md): bytes
 * both ways, once and in order, across cut connections; the node's refusals; each side's close reaching the other.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ByteStreamTest {

  @RegisterExtension
  static final Upstream ECHO = new Upstream();

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setUpstreams(List.of(ECHO.entry("echo")))
      .setStreamReleaseMs(1_500));
  private static GatewayNode node;
  private static final AtomicInteger CLIENTS = new AtomicInteger();



  private static TetherClient client(Vertx vertx, int port) {
    return TetherClient.create(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:" + port + "/ws")
        .setClientId("streamer-" + CLIENTS.incrementAndGet()).setReconnectInitialDelayMs(20)
        .setReconnectMaxDelayMs(100).setMaxReconnectAttempts(-1));
  }

  /** Reads from {@code s} until {@code n} bytes have arrived. */
  private static Future<Buffer> read(TetherStream s, int n) {
    Promise<Buffer> done = Promise.promise();
    Buffer got = Buffer.buffer(n);
    s.handler(b -> {
      got.appendBuffer(b);
      if (got.length() >= n) {
        done.tryComplete(got);
      }
    });
    s.closeHandler(reason -> done.tryFail("stream ended (" + reason + ") after " + got.length() + " of " + n));
    return done.future();
  }

  /** Writes {@code bytes} in 8 KiB pieces, respecting the stream's backpressure. */
  private static void writeAll(Vertx vertx, TetherStream s, byte[] bytes) {
    int[] at = {0};
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      while (at[0] < bytes.length && !s.writeQueueFull()) {
        int n = Math.min(8192, bytes.length - at[0]);
        s.write(Buffer.buffer().appendBytes(bytes, at[0], n));
        at[0] += n;
      }
      if (at[0] < bytes.length) {
        s.drainHandler(v -> pump[0].run());
      }
    };
    pump[0].run();
  }

  @Test
  void bytesComeBackFromAnEchoUpstreamIdenticalAndInOrder(Vertx vertx, VertxTestContext ctx) {
    byte[] sent = Upstream.random(3 * 1024 * 1024, 1);
    TetherClient c = client(vertx, node.port());
    c.connect().compose(v -> c.openStream("echo")).compose(s -> {
      Future<Buffer> back = read(s, sent.length);
      writeAll(vertx, s, sent);
      return back;
    }).onComplete(ctx.succeeding(back -> ctx.verify(() -> {
      assertEquals(Upstream.sha256(sent), Upstream.sha256(back), "the echoed bytes, hashed");
      c.close();
      ctx.completeNow();
    })));
  }

  @Test
  void bytesSurviveTheLinkBeingCutRepeatedly(Vertx vertx, VertxTestContext ctx) {
    byte[] sent = Upstream.random(4 * 1024 * 1024, 2);
    AtomicInteger cuts = new AtomicInteger();
    FaultyRelay.start(vertx, node.port()).compose(relay -> {
      TetherClient c = client(vertx, relay.port());
      return c.connect().compose(v -> c.openStream("echo")).compose(s -> {
        Future<Buffer> back = read(s, sent.length);
        long timer = vertx.setPeriodic(150, id -> {
          if (cuts.incrementAndGet() <= 10) {
            relay.dropAll();
          }
        });
        writeAll(vertx, s, sent);
        return back.andThen(ar -> {
          vertx.cancelTimer(timer);
          c.close();
        });
      });
    }).onComplete(ctx.succeeding(back -> ctx.verify(() -> {
      assertTrue(cuts.get() >= 3, "the link was cut " + cuts.get() + " times during the transfer");
      assertEquals(Upstream.sha256(sent), Upstream.sha256(back), "the echoed bytes, hashed, after "
          + Math.min(10, cuts.get()) + " cuts");
      ctx.completeNow();
    })));
  }

  @Test
  void aStreamToAnUpstreamTheNodeDoesNotNameEndsWithUnknownUpstream(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = client(vertx, node.port());
    c.connect().compose(v -> c.openStream("postgres")).compose(s -> {
      Promise<String> reason = Promise.promise();
      s.closeHandler(reason::tryComplete);
      return reason.future();
    }).onComplete(ctx.succeeding(reason -> ctx.verify(() -> {
      assertEquals("unknown_upstream", reason);
      c.close();
      ctx.completeNow();
    })));
  }

  @Test
  void theApplicationEndingItsStreamClosesTheUpstreamConnection(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = client(vertx, node.port());
    int before = ECHO.connections.size();
    c.connect().compose(v -> c.openStream("echo")).compose(s -> {
      Future<Buffer> back = read(s, 5);
      s.write(Buffer.buffer("hello"));
      return back.compose(b -> s.end());
    }).compose(v -> waitFor(vertx, () -> ECHO.connections.size() > before
        && ECHO.closed.contains(ECHO.connections.get(before)), 10_000))
        .onComplete(ctx.succeeding(v -> {
          c.close();
          ctx.completeNow();
        }));
  }

  @Test
  void theUpstreamClosingEndsTheStreamWithEofAfterItsLastBytes(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = client(vertx, node.port());
    int before = ECHO.connections.size();
    c.connect().compose(v -> c.openStream("echo")).compose(s -> {
      Promise<String> reason = Promise.promise();
      Buffer got = Buffer.buffer();
      s.handler(got::appendBuffer);
      s.closeHandler(reason::tryComplete);
      s.write(Buffer.buffer("last words"));
      return waitFor(vertx, () -> ECHO.connections.size() > before && got.length() == 10, 10_000)
          .compose(v -> {
            ECHO.connections.get(before).close();
            return reason.future();
          }).map(r -> r + ":" + got.toString());
    }).onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
      assertEquals("eof:last words", outcome);
      c.close();
      ctx.completeNow();
    })));
  }

  /** Polls {@code condition} every 20 ms until it holds, or fails after {@code timeoutMs}. */
  static Future<Void> waitFor(Vertx vertx, java.util.function.BooleanSupplier condition, long timeoutMs) {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMs;
    vertx.setPeriodic(20, id -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(id);
        done.tryComplete();
      } else if (System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        done.tryFail("condition not met within " + timeoutMs + " ms");
      }
    });
    return done.future();
  }
}
