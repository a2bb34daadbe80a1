package io.tether.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Self-tests of {@link WireClient} against an echo WebSocket server whose socket the test also writes to directly,
 * standing in for a gateway node.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class WireClientTest {

  private Vertx vertx;
  private EchoWebSocketServer server;

  @BeforeEach
  void startServer(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    EchoWebSocketServer.start(vertx).onComplete(ctx.succeeding(s -> {
      server = s;
      ctx.completeNow();
    }));
  }

  private static JsonObject frame(String type, int n) {
    return new JsonObject().put("type", type).put("n", n);
  }

  /** Connects a client and returns it with the server's side of its socket. */
  private Future<Connected> connect() {
    return WireClient.connect(vertx, server.port())
        .compose(client -> server.connection(0).map(conn -> new Connected(client, conn)));
  }

  private record Connected(WireClient client, EchoWebSocketServer.Connection conn) {
    Future<Void> serverSends(JsonObject... frames) {
      Future<Void> f = Future.succeededFuture();
      for (JsonObject frame : frames) {
        f = f.compose(v -> conn.ws.writeTextMessage(frame.encode()));
      }
      return f;
    }

    /** Completes once every frame the server sent before this call has reached the client. */
    Future<JsonObject> roundTrip(int marker) {
      return client.send(frame("marker", marker)).compose(v -> client.next("marker"));
    }
  }

  /** Verifies that frames arriving before anyone asks for them are kept and handed out in arrival order. */
  @Test
  void framesArrivingBeforeTheyAreAskedForAreKept(VertxTestContext ctx) {
    connect()
        .compose(c -> c.serverSends(frame("a", 1), frame("b", 2))
            .compose(v -> c.roundTrip(0))
            .compose(v -> c.client.take(2, null)))
        .onComplete(ctx.succeeding(frames -> ctx.verify(() -> {
          assertEquals(List.of(frame("a", 1), frame("b", 2)), frames);
          ctx.completeNow();
        })));
  }

  /** Verifies that next(type) skips other frames but leaves them queued, in order, for later calls. */
  @Test
  void nextOfATypeLeavesOtherFramesQueuedInOrder(VertxTestContext ctx) {
    connect()
        .compose(c -> c.serverSends(frame("a", 1), frame("b", 2), frame("a", 3))
            .compose(v -> c.client.next("b"))
            .compose(b -> c.client.next().compose(first -> c.client.next().map(second -> List.of(b, first, second)))))
        .onComplete(ctx.succeeding(frames -> ctx.verify(() -> {
          assertEquals(List.of(frame("b", 2), frame("a", 1), frame("a", 3)), frames);
          ctx.completeNow();
        })));
  }

  /** Verifies that a wait registered before its frame arrives completes when it does. */
  @Test
  void waitRegisteredBeforeTheFrameArrivesCompletes(VertxTestContext ctx) {
    connect()
        .compose(c -> {
          Future<JsonObject> waiting = c.client.next("late");
          return c.serverSends(frame("early", 1), frame("late", 2)).compose(v -> waiting);
        })
        .onComplete(ctx.succeeding(late -> ctx.verify(() -> {
          assertEquals(frame("late", 2), late);
          ctx.completeNow();
        })));
  }

  /** Verifies that take(n, type) collects n frames of that type in arrival order, across separate arrivals. */
  @Test
  void takeCollectsFramesOfATypeInOrder(VertxTestContext ctx) {
    connect()
        .compose(c -> c.serverSends(frame("p", 1), frame("q", 2))
            .compose(v -> c.roundTrip(0))
            .compose(v -> {
              Future<List<JsonObject>> three = c.client.take(3, "p");
              return c.serverSends(frame("p", 3), frame("q", 4), frame("p", 5)).compose(v2 -> three);
            }))
        .onComplete(ctx.succeeding(frames -> ctx.verify(() -> {
          assertEquals(List.of(frame("p", 1), frame("p", 3), frame("p", 5)), frames);
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that a future completes on the client's context even when a thread outside Vert.x asks for a frame
   * that has already arrived.
   */
  @Test
  void futuresCompleteOnTheClientsContext(VertxTestContext ctx) {
    vertx.getOrCreateContext().runOnContext(x -> {
      Thread eventLoop = Thread.currentThread();
      connect()
          .compose(c -> c.serverSends(frame("a", 1)).compose(v -> c.roundTrip(0)).map(c))
          .onComplete(ctx.succeeding(c -> new Thread(() -> c.client.next("a").onComplete(ctx.succeeding(
              a -> ctx.verify(() -> {
                assertEquals(eventLoop, Thread.currentThread());
                assertEquals(frame("a", 1), a);
                ctx.completeNow();
              })))).start()));
    });
  }

  /** Verifies that raw text is sent unchanged, and a non-JSON frame received is queued as an invalid frame. */
  @Test
  void rawTextIsSentUnchangedAndNonJsonIsQueuedAsInvalid(VertxTestContext ctx) {
    connect()
        .compose(c -> c.client.sendText("{not json").compose(v -> c.client.next()))
        .onComplete(ctx.succeeding(f -> ctx.verify(() -> {
          assertEquals(new JsonObject().put("type", WireClient.INVALID).put("text", "{not json"), f);
          ctx.completeNow();
        })));
  }

  /** Verifies that the client can send a frame far larger than the contract's 64 KiB default limit. */
  @Test
  void clientSendsFramesLargerThanTheServersDefaultLimit(VertxTestContext ctx) {
    JsonObject big = new JsonObject().put("type", "big").put("pad", "x".repeat(200 * 1024));
    connect()
        .compose(c -> c.client.send(big).compose(v -> c.client.next("big")))
        .onComplete(ctx.succeeding(f -> ctx.verify(() -> {
          assertEquals(big, f);
          ctx.completeNow();
        })));
  }

  /** Verifies that closed() completes with the status code of the server's close frame. */
  @Test
  void closedReportsTheServersCloseStatus(VertxTestContext ctx) {
    connect()
        .compose(c -> c.conn.ws.close((short) 1008, "policy").compose(v -> c.client.closed()))
        .onComplete(ctx.succeeding(status -> ctx.verify(() -> {
          assertEquals((short) 1008, status);
          ctx.completeNow();
        })));
  }

  /** Verifies that a wait that can no longer be satisfied fails when the socket closes, instead of hanging. */
  @Test
  void pendingWaitFailsWhenTheSocketCloses(VertxTestContext ctx) {
    connect()
        .compose(c -> {
          Future<JsonObject> never = c.client.next("never");
          return c.conn.ws.close((short) 1000).compose(v -> never);
        })
        .onComplete(ctx.failing(t -> ctx.verify(() -> {
          assertTrue(t.getMessage().contains("socket closed"), t.getMessage());
          ctx.completeNow();
        })));
  }

  /** Verifies that close() sends a normal close (1000) that the server sees. */
  @Test
  void closeSendsANormalClose(VertxTestContext ctx) {
    connect()
        .compose(c -> c.client.close().compose(v -> c.conn.closed()).map(v -> c.conn.ws.closeStatusCode()))
        .onComplete(ctx.succeeding(status -> ctx.verify(() -> {
          assertEquals((short) 1000, status);
          ctx.completeNow();
        })));
  }

  /** Verifies that autoAck sends a cumulative ack for each received frame with a seq, and lastSeq follows. */
  @Test
  void autoAckAcknowledgesEveryFrameWithASeq(VertxTestContext ctx) {
    connect()
        .compose(c -> {
          c.client.autoAck(true);
          return c.serverSends(
                  new JsonObject().put("type", "push").put("seq", 1).put("stream", 0),
                  new JsonObject().put("type", "push").put("stream", 0),
                  new JsonObject().put("type", "push").put("seq", 2).put("stream", 0))
              .compose(v -> c.client.take(2, "ack")) // the echo server returns the acks it received
              .map(acks -> {
                ctx.verify(() -> {
                  assertEquals(List.of(
                      new JsonObject().put("type", "ack").put("ack", 1),
                      new JsonObject().put("type", "ack").put("ack", 2)), acks);
                  assertEquals(2, c.client.lastSeq());
                });
                return acks;
              });
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that hello returns the welcome and remembers its session id and resume token. */
  @Test
  void helloReturnsTheWelcome(VertxTestContext ctx) {
    JsonObject welcome = new JsonObject().put("type", "welcome").put("sessionId", "s1").put("resumeToken", "t1");
    connect()
        .compose(c -> {
          Future<JsonObject> reply = c.client.hello("dev-42");
          return c.serverSends(welcome)
              .compose(v -> reply)
              .compose(w -> c.client.next("hello").map(echoed -> List.of(w, c))); // the server has the hello
        })
        .onComplete(ctx.succeeding(result -> ctx.verify(() -> {
          Connected c = (Connected) result.get(1);
          assertEquals(welcome, result.get(0));
          assertEquals("s1", c.client.sessionId());
          assertEquals("t1", c.client.resumeToken());
          assertEquals(List.of(new JsonObject().put("type", "hello").put("clientId", "dev-42").encode()),
              c.conn.texts());
          ctx.completeNow();
        })));
  }

  /** Verifies that resume returns an error frame when the server refuses, rather than waiting for resumed. */
  @Test
  void resumeReturnsTheErrorWhenRefused(VertxTestContext ctx) {
    JsonObject refusal = new JsonObject().put("type", "error").put("code", "resume_failed")
        .put("reason", "unknown").put("fatal", true);
    connect()
        .compose(c -> {
          Future<JsonObject> reply = c.client.resume("s1", "t1", 17);
          return c.serverSends(refusal).compose(v -> reply).map(r -> List.of(r, c));
        })
        .onComplete(ctx.succeeding(result -> ctx.verify(() -> {
          Connected c = (Connected) result.get(1);
          assertEquals(refusal, result.get(0));
          assertEquals(17, c.client.lastSeq());
          ctx.completeNow();
        })));
  }

  /** Verifies that client seqs are allocated 1, 2, 3… and can continue after a given seq. */
  @Test
  void nextSeqAllocatesConsecutiveSeqs(VertxTestContext ctx) {
    connect().onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      assertEquals(1, c.client.nextSeq());
      assertEquals(2, c.client.nextSeq());
      c.client.continueSeqsAfter(9);
      assertEquals(10, c.client.nextSeq());
      assertEquals(10, c.client.lastAllocatedSeq());
      ctx.completeNow();
    })));
  }
}
