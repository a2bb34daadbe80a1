package io.tether.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.store.FlushOp;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.FrameTemplate;
import io.tether.protocol.RawJson;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The session over a fake socket and a fake store, one level below the wire tests: what it writes, acks and asks
 * of the node before and after its data is durable (docs/ARCHITECTURE.md "The write path and the durable point").
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class SessionTest {

  private static final FrameCodec CODEC = new FrameCodec();

  private Context ctx;
  private FakePort port;
  private FakeTransport socket;
  private Session session;

  @BeforeEach
  void setUp(Vertx vertx) {
    ctx = vertx.getOrCreateContext();
    port = new FakePort(vertx, new GatewayOptions().setBufferMaxFrames(3));
    socket = new FakeTransport();
    session = Session.create(port, ctx, "sess-1", "client-1", socket);
  }

  /** Runs {@code step} on the session's context, in a turn of its own (writes scheduled before it have run). */
  private <T> Future<T> step(Supplier<T> step) {
    Promise<T> p = Promise.promise();
    ctx.runOnContext(v -> p.complete(step.get()));
    return p.future();
  }

  private static FrameTemplate push(int n) {
    return CODEC.template(new Frame.Push(0, 0, null, RawJson.of("{\"n\":" + n + "}")));
  }

  private List<String> types() {
    return socket.written.stream().map(t -> new JsonObject(t).getString("type")).toList();
  }

  /** The socket got an error refusing client frame {@code refSeq}, then an ack; returns the error. */
  private JsonObject refusalThenAck(String code, long refSeq) {
    assertEquals(List.of("error", "ack"), types());
    JsonObject error = new JsonObject(socket.written.get(0));
    assertEquals(code, error.getString("code"));
    assertEquals(refSeq, error.getLong("refSeq"));
    return error;
  }

  /** Verifies that a push reaches the socket, and its sender hears its seq, only once the store has the frame. */
  @Test
  void aPushIsWrittenToTheSocketOnlyAfterTheStoreHasIt(VertxTestContext test) {
    AtomicReference<Future<Long>> sent = new AtomicReference<>();
    step(() -> {
      sent.set(session.enqueue(push(1), 0));
      return null;
    })
        .compose(v -> step(() -> {
          test.verify(() -> {
            assertEquals(1, port.writes.size(), "one store write");
            assertEquals(1, port.writes.get(0).op().frames().size());
            assertTrue(socket.written.isEmpty(), "nothing on the socket before the store has it");
            assertFalse(sent.get().isComplete(), "the sender waits for the store");
          });
          port.writes.get(0).ok();
          return null;
        }))
        .compose(v -> sent.get())
        .onComplete(test.succeeding(seq -> test.verify(() -> {
          assertEquals(1L, seq);
          assertEquals(List.of("push"), types());
          assertEquals(1, new JsonObject(socket.written.get(0)).getLong("seq"));
          test.completeNow();
        })));
  }

  /**
   * Verifies that a heartbeat repeating an ack already taken costs no store write: an idle client pings every 20 s
   * with the same ack, and each such ping used to write the session (a trim with nothing to trim).
   */
  @Test
  void aHeartbeatRepeatingItsAckWritesNothingToTheStore(Vertx vertx, VertxTestContext test) {
    step(() -> session.enqueue(push(1), 0))
        .compose(v -> step(() -> {
          port.writes.get(0).ok();
          return null;
        }))
        .compose(v -> step(() -> {
          session.onFrame(new Frame.Ack(1));
          return null;
        }))
        .compose(v -> afterTrimDelay(vertx))
        .compose(v -> step(() -> {
          test.verify(() -> assertEquals(2, port.writes.size(), "the first ack of frame 1 trims it: one write"));
          port.writes.get(1).ok();
          session.onFrame(new Frame.Ping(1, null));
          return null;
        }))
        .compose(v -> afterTrimDelay(vertx))
        .onComplete(test.succeeding(v -> test.verify(() -> {
          assertEquals(2, port.writes.size(), "a ping with the same ack adds no write");
          test.completeNow();
        })));
  }

  /**
   * Verifies that an idle client's pings do not each write its presence record: within {@code presenceRefreshMs} of
   * the last write only a ping with new attrs does (every ping used to, most of an idle node's store work).
   */
  @Test
  void pingsWithinThePresenceRefreshIntervalWritePresenceOnlyWithNewAttrs(VertxTestContext test) {
    step(() -> {
      session.onFrame(new Frame.Ping(0, null));
      session.onFrame(new Frame.Ping(0, null));
      test.verify(() -> assertEquals(List.of(), port.events, "no presence write for a bare heartbeat"));
      session.onFrame(new Frame.Ping(0, RawJson.of("{\"room\":\"b\"}")));
      return null;
    }).onComplete(test.succeeding(v -> test.verify(() -> {
      assertEquals(List.of("heartbeat"), port.events, "new attrs are written at once");
      assertEquals(List.of("pong", "pong", "pong"), types(), "every ping is answered");
      test.completeNow();
    })));
  }

  /** Completes on the session's context after a trim write, had one been due, would have been issued. */
  private Future<Void> afterTrimDelay(Vertx vertx) {
    Promise<Void> p = Promise.promise();
    // Timers of one event loop fire in deadline order: this one after the session's 100 ms trim timer.
    ctx.runOnContext(v -> vertx.setTimer(250, id -> p.complete()));
    return p.future();
  }

  /** Verifies that frames produced in one event-loop turn travel in one store write. */
  @Test
  void framesOfOneTurnShareOneStoreWrite(VertxTestContext test) {
    step(() -> {
      session.enqueue(push(1), 0);
      session.enqueue(push(2), 0);
      session.onFrame(new Frame.Subscribe(1, "prices", 0));
      return null;
    }).compose(v -> step(() -> {
      test.verify(() -> {
        assertEquals(1, port.writes.size());
        FlushOp op = port.writes.get(0).op();
        assertEquals(2, op.frames().size());
        assertEquals(1, op.inSeq(), "the client's subscribe rides along");
      });
      test.completeNow();
      return null;
    }));
  }

  /**
   * Verifies that a client frame is acknowledged and acted on only once its position is stored, and that a refused
   * subscribe is reported by an error naming its seq and topic before the ack that covers it (docs/PROTOCOL.md §7).
   */
  @Test
  void aRefusedSubscribeIsNamedByAnErrorBeforeTheAckThatCoversIt(VertxTestContext test) {
    step(() -> {
      session.onFrame(new Frame.Subscribe(1, "secret", 0));
      session.onFrame(new Frame.Subscribe(2, "prices", 0));
      return null;
    }).compose(v -> step(() -> {
      test.verify(() -> {
        assertTrue(socket.written.isEmpty(), "no ack before the store has the position");
        assertTrue(port.followed.isEmpty(), "not acted on before it is durable");
      });
      port.writes.get(0).ok();
      return null;
    })).compose(v -> step(() -> {
      test.verify(() -> {
        JsonObject error = refusalThenAck("not_allowed", 1);
        assertEquals("secret", error.getString("topic"));
        assertFalse(error.getBoolean("fatal"));
        assertEquals(2, new JsonObject(socket.written.get(1)).getLong("ack"));
        assertEquals(List.of("prices"), port.followed, "only the accepted subscription is followed");
      });
      test.completeNow();
      return null;
    }));
  }

  /**
   * Verifies that a request on a stream another request still holds is refused by an error naming its seq, and does
   * not answer (close) the first request's stream.
   */
  @Test
  void aRequestOnAStreamInUseIsRefusedWithoutClosingTheFirstRequest(VertxTestContext test) {
    step(() -> {
      session.onFrame(new Frame.Request(1, 5, "orders.get", RawJson.of("{}")));
      session.onFrame(new Frame.Request(2, 5, "orders.get", RawJson.of("{}")));
      return null;
    }).compose(v -> step(() -> {
      port.writes.get(0).ok();
      return null;
    })).compose(v -> step(() -> {
      test.verify(() -> {
        refusalThenAck("bad_frame", 2);
        assertEquals(1, port.dispatched.size(), "only the first request reaches a backend");
      });
      // The first request's answer still closes its stream: it is accepted past a full buffer's bound.
      return session.enqueue(CODEC.template(new Frame.Response(0, 5, true, RawJson.of("1"), null, true)), 5);
    })).compose(v -> step(() -> {
      test.verify(() -> assertEquals(1, port.writes.get(1).op().pendingRemove().size(),
          "the response completes the first request"));
      test.completeNow();
      return null;
    }));
  }

  /** Verifies that a replayed client frame is not acted on again, and is acked again once durable. */
  @Test
  void aReplayedClientFrameIsDroppedAndAckedAgain(VertxTestContext test) {
    step(() -> {
      session.onFrame(new Frame.Request(1, 1, "orders.get", null));
      return null;
    }).compose(v -> step(() -> {
      port.writes.get(0).ok();
      return null;
    })).compose(v -> step(() -> {
      session.onFrame(new Frame.Request(1, 1, "orders.get", null));
      return null;
    })).compose(v -> step(() -> {
      test.verify(() -> {
        assertEquals(List.of("ack", "ack"), types());
        assertEquals(1, port.dispatched.size(), "dispatched once");
        assertEquals(1, port.writes.size(), "a replay needs no store write");
      });
      test.completeNow();
      return null;
    }));
  }

  /** Verifies that the buffer bound refuses new frames as a full buffer, and the client's ack makes room. */
  @Test
  void aFullBufferRefusesUntilTheClientAcks(VertxTestContext test) {
    step(() -> session.enqueue(List.of(push(1), push(2), push(3)), 0, 0, null))
        .compose(v -> step(() -> {
          port.writes.get(0).ok();
          return null;
        }))
        .compose(v -> step(() -> session.enqueue(push(4), 0)))
        .compose(refused -> step(() -> {
          test.verify(() -> {
            assertTrue(refused.failed());
            BackendFailure.Refusal r = assertInstanceOf(BackendFailure.Refusal.class, refused.cause());
            assertEquals(BackendFailure.BUFFER_FULL, r.failure());
          });
          session.onFrame(new Frame.Ack(2));
          return session.enqueue(push(4), 0);
        }))
        .onComplete(test.succeeding(accepted -> test.verify(() -> {
          assertFalse(accepted.failed(), "room after the ack");
          test.completeNow();
        })));
  }

  /**
   * Verifies that a write refused as FENCED (another node took the session over) drops the socket with 1008, fails
   * the sends in that write as retryable, and lets the node forget the session.
   */
  @Test
  void aFencedWriteDropsTheSocketAndFailsItsSendsAsRetryable(VertxTestContext test) {
    AtomicReference<Future<Long>> sent = new AtomicReference<>();
    step(() -> {
      sent.set(session.enqueue(push(1), 0));
      return null;
    })
        .compose(v -> step(() -> {
          port.writes.get(0).answer().complete(FlushOp.FENCED);
          return null;
        }))
        .compose(v -> sent.get())
        .onComplete(test.failing(e -> test.verify(() -> {
          BackendFailure.Refusal r = assertInstanceOf(BackendFailure.Refusal.class, e);
          assertTrue(r.retryable(), "the backend may send again: it reaches the new owner");
          assertEquals((short) 1008, socket.closedWith);
          assertTrue(socket.written.isEmpty(), "the fenced frame never reached the old socket");
          assertTrue(port.events.contains("released"));
          assertEquals(SessionState.CLOSED, session.state());
          test.completeNow();
        })));
  }

  /**
   * Verifies that a silent client's socket is closed only once the detach is stored and presence says DETACHED, so a
   * client (or backend) that sees the close never reads an older state (docs/PROTOCOL.md §4).
   */
  @Test
  void aSilentClientsSocketClosesOnlyAfterTheDetachIsStored(VertxTestContext test) {
    long later = System.currentTimeMillis() + 10 * port.options.getHeartbeatMs();
    step(() -> {
      session.checkHeartbeat(later); // SUSPECT
      session.checkHeartbeat(later); // silent for more than 2 heartbeats: detach
      return null;
    }).compose(v -> step(() -> {
      test.verify(() -> {
        assertTrue(port.writes.get(0).op().detach());
        assertEquals(0, socket.closedWith, "the socket stays open while the detach is being stored");
      });
      port.writes.get(0).ok();
      return null;
    })).compose(v -> step(() -> {
      test.verify(() -> {
        assertEquals(List.of("state SUSPECT", "released", "state DETACHED"), port.events);
        assertEquals((short) 1001, socket.closedWith, "closed once store and presence say DETACHED");
      });
      test.completeNow();
      return null;
    }));
  }

  /** Verifies that losing the socket detaches the session, and presence says DETACHED only once the store does. */
  @Test
  void presenceSaysDetachedOnlyOnceTheStoreDoes(VertxTestContext test) {
    step(() -> {
      session.onTransportClosed(socket);
      return null;
    }).compose(v -> step(() -> {
      test.verify(() -> {
        assertTrue(port.writes.get(0).op().detach());
        assertFalse(port.events.contains("state DETACHED"), "not before the store has it");
        assertFalse(session.attached());
      });
      port.writes.get(0).ok();
      return null;
    })).compose(v -> step(() -> {
      test.verify(() -> assertEquals(List.of("released", "state DETACHED"), port.events));
      test.completeNow();
      return null;
    }));
  }
}
