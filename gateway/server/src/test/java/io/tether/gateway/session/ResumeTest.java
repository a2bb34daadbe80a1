package io.tether.gateway.session;

import io.tether.gateway.api.GatewayApi;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.map.IMap;
import io.tether.gateway.GatewayNode;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.store.ClusterStore;
import io.tether.gateway.store.SessionRecord;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Resuming a session after a disconnect (docs/PROTOCOL.md §2, §3): replay of missed server frames, resending of
 * missed client frames, token rotation, the failure reasons, and takeover of a half-open session.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ResumeTest {

  /** Pushes in the interrupted stream: with its response, 901 unacked frames, within the 1000-frame buffer. */
  private static final int PUSHES = 900;
  /** Seq of the demo.push response, the last frame of the stream (pushes take seqs 1..PUSHES). */
  private static final long LAST = PUSHES + 1;
  private static final short POLICY = 1008;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o);
  private static GatewayNode node;
  /** Nodes with special options started by a single test; stopped after it. */
  private static final List<GatewayNode> extraNodes = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopExtraNodes(VertxTestContext ctx) {
    List<GatewayNode> nodes = List.copyOf(extraNodes);
    extraNodes.clear();
    TestNodes.stopAll(nodes).onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------
  // helpers

  private static Future<GatewayNode> startExtraNode(UnaryOperator<GatewayOptions> customize) {
    return TestNodes.start(customize).onSuccess(extraNodes::add);
  }

  private static JsonObject request(long seq, long stream, String address, JsonObject body) {
    return new JsonObject().put("type", "request").put("seq", seq).put("stream", stream)
        .put("address", address).put("body", body);
  }

  private static boolean isResponseOn(JsonObject f, long stream) {
    return "response".equals(f.getString("type")) && f.getLong("stream", -1L) == stream;
  }

  private static List<JsonObject> reliable(List<JsonObject> frames) {
    return frames.stream().filter(f -> f.getValue("seq") instanceof Number).toList();
  }

  private static String seqs(List<JsonObject> frames) {
    return frames.stream().map(f -> String.valueOf(f.getLong("seq"))).collect(Collectors.joining(",", "[", "]"));
  }

  /**
   * Completes, once registered, with a future of the next presence event of {@code clientId} in {@code state}
   * published on {@code n}'s event bus.
   */
  private static Future<Future<JsonObject>> presenceEvent(GatewayNode n, String clientId, String state) {
    Promise<JsonObject> event = Promise.promise();
    MessageConsumer<JsonObject> consumer = n.vertx().eventBus().consumer("gateway.presence.events");
    consumer.handler(m -> {
      if (clientId.equals(m.body().getString("clientId")) && state.equals(m.body().getString("state"))
          && event.tryComplete(m.body())) {
        consumer.unregister();
      }
    });
    return consumer.completion().map(v -> event.future());
  }

  /** Asserts that {@code answer} is the fatal resume failure with {@code reason} and that the socket then closes 1008. */
  private static Future<Void> expectResumeFailure(VertxTestContext ctx, WireClient c, JsonObject answer,
      String reason) {
    ctx.verify(() -> {
      assertEquals("error", answer.getString("type"), "resume refused with an error: " + answer.encode());
      assertEquals("resume_failed", answer.getString("code"), answer.encode());
      assertEquals(reason, answer.getString("reason"), answer.encode());
      assertEquals(true, answer.getBoolean("fatal"), answer.encode());
    });
    return c.closed().map(code -> {
      ctx.verify(() -> {
        assertEquals(POLICY, code, "socket closed with 1008 after a failed resume");
        assertFalse(c.received().stream().anyMatch(f -> "resumed".equals(f.getString("type"))), c.toString());
      });
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // (a) replay of server frames after an abrupt drop

  /**
   * Verifies that after a socket is dropped mid-stream (no close frame), a resume with lastSeq = the highest seq
   * received replays exactly the frames after it, each once, in order, and the stream then continues to its end
   * on the new socket without duplicates.
   */
  @Test
  void resumeWithHighestSeqReceivedReplaysTheRestOnceInOrderThenTheStreamContinues(Vertx vertx,
      VertxTestContext ctx) {
    dropMidStreamAndResume(vertx, ctx, "rs-drop-highest", h -> h);
  }

  /**
   * Verifies that a resume with a lastSeq smaller than the highest seq received replays every frame after that
   * lastSeq, byte-identical (as parsed and re-encoded JSON) to its first delivery, each once and in order, followed
   * by the rest of the stream.
   */
  @Test
  void resumeWithSmallerLastSeqReplaysFramesAgainIdenticalToTheirFirstDelivery(Vertx vertx, VertxTestContext ctx) {
    dropMidStreamAndResume(vertx, ctx, "rs-drop-smaller", h -> h / 2);
  }

  private void dropMidStreamAndResume(Vertx vertx, VertxTestContext ctx, String clientId, LongUnaryOperator chooseK) {
    long[] hk = new long[2];
    FaultyRelay.start(vertx, node.port()).compose(relay -> WireClient.connect(vertx, relay.port())
        .compose(c1 -> c1.hello(clientId).compose(w -> {
          // No acks from c1: everything it is sent stays buffered on the server.
          Future<JsonObject> firstPush = c1.next("push");
          c1.send(request(c1.nextSeq(), 1, "demo.push", new JsonObject().put("count", PUSHES)));
          return firstPush;
        }).compose(p -> relay.dropAll())
            .compose(v -> c1.closed())
            .compose(status -> {
              // No close frame crossed the relay: no status, or 1006 (abnormal closure) as Vert.x reports it.
              ctx.verify(() -> assertTrue(status == null || status == 1006, "the drop sent no close frame: " + status));
              long h = c1.lastSeq();
              long k = chooseK.applyAsLong(h);
              hk[0] = h;
              hk[1] = k;
              return WireClient.connect(vertx, node.port()).compose(c2 -> {
                c2.autoAck(true).continueSeqsAfter(c1.lastAllocatedSeq());
                return c2.resume(c1.sessionId(), c1.resumeToken(), k).compose(resumed -> {
                  ctx.verify(() -> {
                    assertEquals("resumed", resumed.getString("type"), resumed.encode());
                    assertEquals(c1.sessionId(), resumed.getString("sessionId"));
                    assertEquals(1L, resumed.getLong("lastSeq"), "the server has the one request c1 sent");
                  });
                  Future<JsonObject> end = k >= LAST ? Future.succeededFuture()
                      : c2.nextMatching("the frame with seq " + LAST, f -> f.getLong("seq", -1L) == LAST);
                  return end;
                }).compose(e -> {
                  // A round trip after the end of the stream: anything duplicated would have arrived before it.
                  Future<JsonObject> probe = c2.nextMatching("the probe's response", f -> isResponseOn(f, 3));
                  c2.send(request(c2.nextSeq(), 3, "demo.echo", new JsonObject().put("probe", true)));
                  return probe;
                }).map(probe -> List.of(c1, c2));
              });
            }))
        .eventually(relay::stop))
        .onComplete(ctx.succeeding(clients -> ctx.verify(() -> {
          long h = hk[0];
          long k = hk[1];
          List<JsonObject> first = reliable(clients.get(0).received());
          List<JsonObject> second = reliable(clients.get(1).received());
          assertTrue(h >= 1, "at least one push arrived before the drop");
          assertEquals(LongStream.rangeClosed(1, h).boxed().toList(),
              first.stream().map(f -> f.getLong("seq")).toList(), "first socket: consecutive seqs 1..h");
          List<Long> expected = LongStream.rangeClosed(k + 1, LAST + 1).boxed().toList();
          assertEquals(expected, second.stream().map(f -> f.getLong("seq")).toList(),
              "after resume with lastSeq " + k + " (highest received " + h + "): exactly " + (k + 1) + ".."
                  + (LAST + 1) + " once, in order; got " + seqs(second));
          Map<Long, JsonObject> firstBySeq = new HashMap<>();
          first.forEach(f -> firstBySeq.put(f.getLong("seq"), f));
          for (JsonObject f : second) {
            long seq = f.getLong("seq");
            if (seq <= PUSHES) {
              assertEquals("push", f.getString("type"), f.encode());
              assertEquals(0L, f.getLong("stream"), f.encode());
              assertEquals(new JsonObject().put("n", (int) seq), f.getJsonObject("body"), f.encode());
            } else if (seq == LAST) {
              assertTrue(isResponseOn(f, 1), "the stream ends with its response: " + f.encode());
              assertEquals(new JsonObject().put("sent", PUSHES), f.getJsonObject("body"), f.encode());
            } else {
              assertTrue(isResponseOn(f, 3), "then the probe's response: " + f.encode());
            }
            JsonObject original = firstBySeq.get(seq);
            if (original != null) {
              assertEquals(original.encode(), f.encode(), "replayed frame " + seq + " is identical to the original");
            }
          }
          ctx.completeNow();
        })));
  }

  // ---------------------------------------------------------------------------------------------------------
  // (b) client frames the server missed

  /**
   * Verifies that after a break, resending every client frame above resumed.lastSeq (with original seqs) plus one
   * at or below it gets each request answered exactly once.
   */
  @Test
  void clientFramesResentAfterResumeAreAnsweredExactlyOnce(Vertx vertx, VertxTestContext ctx) {
    List<JsonObject> sent = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      sent.add(request(i, 2L * i - 1, "demo.echo", new JsonObject().put("req", i)));
    }
    JsonObject probe = request(7, 13, "demo.echo", new JsonObject().put("req", 7));
    long[] resumedLastSeq = new long[1];
    FaultyRelay.start(vertx, node.port()).compose(relay -> WireClient.connect(vertx, relay.port())
        .compose(c1 -> c1.hello("rs-client-resend").compose(w -> {
          c1.continueSeqsAfter(6);
          Future<List<JsonObject>> answered = c1.take(3, "response");
          sent.subList(0, 3).forEach(c1::send);
          return answered;
        }).compose(answered -> {
          // The connection is quiet: from now on nothing c1 sends reaches the server.
          relay.blackhole(true);
          return Future.all(sent.subList(3, 6).stream().map(c1::send).toList());
        }).compose(v -> relay.dropAll())
            .compose(v -> c1.closed())
            .compose(v -> {
              relay.blackhole(false);
              return WireClient.connect(vertx, node.port());
            })
            .compose(c2 -> c2.resume(c1).compose(resumed -> {
              ctx.verify(() -> assertEquals("resumed", resumed.getString("type"), resumed.encode()));
              long stored = resumed.getLong("lastSeq");
              resumedLastSeq[0] = stored;
              Future<List<JsonObject>> resentAnswered = c2.take(3, "response");
              sent.stream().filter(f -> f.getLong("seq") > stored).forEach(c2::send);
              c2.send(sent.get(1)); // seq 2: the server has it already
              return resentAnswered;
            }).compose(r -> {
              Future<JsonObject> probeAnswered = c2.nextMatching("the probe's response", f -> isResponseOn(f, 13));
              c2.send(probe);
              return probeAnswered;
            }).map(r -> List.of(c1, c2))))
        .eventually(relay::stop))
        .onComplete(ctx.succeeding(clients -> ctx.verify(() -> {
          assertEquals(3L, resumedLastSeq[0], "resumed.lastSeq: the server stored seqs 1..3, never saw 4..6");
          List<JsonObject> responses = new ArrayList<>();
          clients.forEach(c -> c.received().stream().filter(f -> "response".equals(f.getString("type")))
              .forEach(responses::add));
          for (int i = 1; i <= 7; i++) {
            long stream = 2L * i - 1;
            List<JsonObject> onStream = responses.stream().filter(f -> isResponseOn(f, stream)).toList();
            assertEquals(1, onStream.size(), "request seq " + i + " answered exactly once: " + onStream);
            assertEquals(new JsonObject().put("req", i), onStream.get(0).getJsonObject("body"));
          }
          assertEquals(7, responses.size(), "seven requests, seven responses: " + responses);
          ctx.completeNow();
        })));
  }

  // ---------------------------------------------------------------------------------------------------------
  // (c) token rotation

  /** Verifies that a successful resume rotates the token and that the old token then fails with bad_token. */
  @Test
  void resumeRotatesTheTokenAndTheOldTokenFailsWithBadToken(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c1 -> c1.hello("rs-rotate").compose(w -> c1.close())
        .compose(v -> WireClient.connect(vertx, node.port()))
        .compose(c2 -> c2.resume(c1))
        .compose(resumed -> {
          ctx.verify(() -> {
            assertEquals("resumed", resumed.getString("type"), resumed.encode());
            assertNotNull(resumed.getString("resumeToken"));
            assertTrue(resumed.getString("resumeToken").length() >= 22, "new token carries >= 128 bits");
            assertNotEquals(c1.resumeToken(), resumed.getString("resumeToken"), "the token rotated");
          });
          // The client uses the new token (the old one stays valid only until it does: a resumed answer may be lost).
          return WireClient.connect(vertx, node.port())
              .compose(c4 -> c4.resume(c1.sessionId(), resumed.getString("resumeToken"), 0).compose(again -> {
                ctx.verify(() -> assertEquals("resumed", again.getString("type"), again.encode()));
                return c4.close();
              }))
              .compose(v -> WireClient.connect(vertx, node.port()))
              .compose(c3 -> c3.resume(c1.sessionId(), c1.resumeToken(), 0)
                  .compose(answer -> expectResumeFailure(ctx, c3, answer, "bad_token")));
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------
  // (d) failure reasons

  /** Verifies that resuming a session id the cluster never issued fails with reason unknown and close 1008. */
  @Test
  void resumeOfUnknownSessionFailsWithUnknown(Vertx vertx, VertxTestContext ctx) {
    String sessionId = UUID.randomUUID().toString().replace("-", "");
    WireClient.connect(vertx, node.port())
        .compose(c -> c.resume(sessionId, "some-token-that-was-never-issued", 0)
            .compose(answer -> expectResumeFailure(ctx, c, answer, "unknown")))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a session whose stored state lost frames the client already received (as after two members died
   * at once and the record came back from an older copy) fails to resume with reason lost, instead of resuming with
   * a silent gap; and that it stays unresumable.
   */
  @Test
  void resumeFailsWithLostWhenTheStoreNoLongerHasFramesTheClientReceived(Vertx vertx, VertxTestContext ctx) {
    String clientId = "rs-lost";
    IMap<String, SessionRecord> records = node.hazelcast().getMap(ClusterStore.SESSIONS);
    Promise<Void> detached = Promise.promise();
    MessageConsumer<JsonObject> events = node.vertx().eventBus().consumer(GatewayApi.PRESENCE_EVENTS, m -> {
      if (clientId.equals(m.body().getString("clientId")) && "DETACHED".equals(m.body().getString("state"))) {
        detached.tryComplete();
      }
    });
    WireClient.connect(vertx, node.port()).compose(c1 -> c1.hello(clientId)
        .compose(w -> vertx.executeBlocking(() -> records.get(c1.sessionId())))
        .compose(stale -> {
          Future<Object> sent = Future.succeededFuture();
          for (int i = 1; i <= 3; i++) {
            JsonObject send = new JsonObject().put("clientId", clientId).put("body", new JsonObject().put("i", i));
            sent = sent.compose(x -> node.vertx().eventBus().request("gateway.send", send).map(m -> m.body()));
          }
          return sent.compose(x -> c1.take(3, "push")).compose(pushes -> c1.close()).compose(x -> detached.future())
              .compose(x -> {
                ctx.verify(() -> assertEquals(0, stale.outSeq(), "the copy taken before the pushes"));
                return vertx.executeBlocking(() -> {
                  records.set(c1.sessionId(), stale); // the cluster "restores" a copy that misses frames 1..3
                  return null;
                });
              });
        })
        .compose(x -> WireClient.connect(vertx, node.port()))
        .compose(c2 -> c2.resume(c1.sessionId(), c1.resumeToken(), 3)
            .compose(answer -> expectResumeFailure(ctx, c2, answer, "lost")))
        .compose(x -> WireClient.connect(vertx, node.port()))
        .compose(c3 -> c3.resume(c1.sessionId(), c1.resumeToken(), 0)
            .compose(answer -> expectResumeFailure(ctx, c3, answer, "lost"))))
        .eventually(() -> events.unregister())
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that resuming a real session with a wrong token fails with reason bad_token and close 1008. */
  @Test
  void resumeWithWrongTokenFailsWithBadToken(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c1 -> c1.hello("rs-wrong-token").compose(w -> c1.close())
        .compose(v -> WireClient.connect(vertx, node.port()))
        .compose(c2 -> c2.resume(c1.sessionId(), c1.resumeToken() + "x", 0)
            .compose(answer -> expectResumeFailure(ctx, c2, answer, "bad_token"))))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that resuming after the resume window has passed fails with reason expired and close 1008. */
  @Test
  void resumeAfterTheResumeWindowFailsWithExpired(Vertx vertx, VertxTestContext ctx) {
    String clientId = "rs-expired";
    startExtraNode(o -> o.setResumeWindowMs(1000)).compose(n -> presenceEvent(n, clientId, "DETACHED")
        .compose(detachedEvent -> WireClient.connect(vertx, n.port()).compose(c1 -> c1.hello(clientId)
            .compose(w -> c1.close())
            .compose(v -> detachedEvent)
            // The window is what is under test: wait well past its 1000 ms.
            .compose(e -> vertx.timer(1500))
            .compose(t -> WireClient.connect(vertx, n.port()))
            .compose(c2 -> c2.resume(c1).compose(answer -> expectResumeFailure(ctx, c2, answer, "expired"))))))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that reliable sends to a detached session beyond its buffer bound fail with 404 no_session (the session
   * has expired: not retryable) on the one that
   * overflows, and that the session's resume then fails with reason overflow and close 1008.
   */
  @Test
  void resumeAfterBufferOverflowWhileDetachedFailsWithOverflow(Vertx vertx, VertxTestContext ctx) {
    String clientId = "rs-overflow";
    List<Long> seqs = new ArrayList<>();
    startExtraNode(o -> o.setBufferMaxFrames(10)).compose(n -> presenceEvent(n, clientId, "DETACHED")
        .compose(detachedEvent -> WireClient.connect(vertx, n.port()).compose(c1 -> c1.hello(clientId)
            .compose(w -> c1.close())
            .compose(v -> detachedEvent)
            .compose(e -> {
              Future<Void> chain = Future.succeededFuture();
              for (int i = 1; i <= 10; i++) {
                JsonObject send = new JsonObject().put("sessionId", c1.sessionId()).put("body",
                    new JsonObject().put("i", i));
                chain = chain.compose(v -> n.vertx().eventBus().<JsonObject>request("gateway.send", send)
                    .map(reply -> {
                      seqs.add(reply.body().getLong("seq"));
                      return null;
                    }));
              }
              return chain;
            })
            .compose(v -> n.vertx().eventBus().<JsonObject>request("gateway.send", new JsonObject()
                .put("sessionId", c1.sessionId()).put("body", new JsonObject().put("i", 11)))
                .transform(ar -> {
                  ctx.verify(() -> {
                    assertEquals(LongStream.rangeClosed(1, 10).boxed().toList(), seqs,
                        "the first 10 sends fit the buffer");
                    assertTrue(ar.failed(), "the 11th send overflows the 10-frame buffer: " + ar.result());
                    ReplyException failure = assertInstanceOf(ReplyException.class, ar.cause());
                    assertEquals(404, failure.failureCode(), failure.getMessage());
                    assertTrue(failure.getMessage().startsWith("no_session:")
                        && failure.getMessage().contains("overflow"), "says why: " + failure.getMessage());
                  });
                  return Future.<Void>succeededFuture();
                }))
            .compose(v -> WireClient.connect(vertx, n.port()))
            .compose(c2 -> c2.resume(c1).compose(answer -> expectResumeFailure(ctx, c2, answer, "overflow"))))))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------
  // (e) takeover of a half-open session

  /**
   * Verifies that a resume while the old socket is still open takes the session over: the old socket is closed
   * (1008) without being written to again, and a push sent after the takeover arrives only on the new socket.
   */
  @Test
  void resumeWhileOldSocketIsOpenTakesTheSessionOver(Vertx vertx, VertxTestContext ctx) {
    JsonObject after = new JsonObject().put("after", "takeover");
    int[] oldReceivedBefore = new int[1];
    WireClient.connect(vertx, node.port()).compose(c1 -> c1.autoAck(true).hello("rs-takeover").compose(w -> {
      Future<JsonObject> echoed = c1.next("response");
      c1.send(request(c1.nextSeq(), 1, "demo.echo", new JsonObject().put("before", "takeover")));
      return echoed;
    }).compose(r -> {
      oldReceivedBefore[0] = c1.received().size();
      return WireClient.connect(vertx, node.port());
    }).compose(c2 -> c2.autoAck(true).resume(c1).compose(resumed -> {
      ctx.verify(() -> assertEquals("resumed", resumed.getString("type"), resumed.encode()));
      Future<JsonObject> pushed = c2.next("push");
      return node.vertx().eventBus().<JsonObject>request("gateway.send",
              new JsonObject().put("sessionId", c1.sessionId()).put("body", after))
          .compose(reply -> pushed);
    }).compose(push -> {
      ctx.verify(() -> assertEquals(after, push.getJsonObject("body"), "the push arrives on the new socket"));
      return c1.closed();
    }).map(oldStatus -> {
      ctx.verify(() -> {
        assertEquals(POLICY, oldStatus, "the old socket is closed with 1008");
        List<JsonObject> all = c1.received();
        assertEquals(oldReceivedBefore[0], all.size(), "the old socket got nothing after the takeover: "
            + all.subList(oldReceivedBefore[0], all.size()));
        assertFalse(all.stream().anyMatch(f -> after.equals(f.getJsonObject("body"))), "push not on old socket");
      });
      return null;
    }))).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a takeover in the middle of a stream does not fork it: the new socket gets every frame after its
   * lastSeq exactly once and in order to the end of the stream, the old socket is closed (1008), and anything the
   * old socket still got after that lastSeq is identical to what the new one got under the same seq.
   */
  @Test
  void resumeTakingOverMidStreamContinuesTheStreamWithoutForkingIt(Vertx vertx, VertxTestContext ctx) {
    int pushes = 500;
    long last = pushes + 1;
    long[] claimed = new long[1];
    WireClient.connect(vertx, node.port()).compose(c1 -> c1.hello("rs-takeover-stream").compose(w -> {
      // c1 does not ack, so the server keeps everything it sent c1.
      Future<JsonObject> firstPush = c1.next("push");
      c1.send(request(c1.nextSeq(), 1, "demo.push", new JsonObject().put("count", pushes)));
      return firstPush;
    }).compose(p -> WireClient.connect(vertx, node.port())).compose(c2 -> {
      claimed[0] = c1.lastSeq();
      return c2.autoAck(true).resume(c1).compose(resumed -> {
        ctx.verify(() -> assertEquals("resumed", resumed.getString("type"), resumed.encode()));
        return claimed[0] >= last ? Future.succeededFuture()
            : c2.nextMatching("the frame with seq " + last, f -> f.getLong("seq", -1L) == last);
      }).compose(end -> c1.closed()).compose(oldStatus -> {
        ctx.verify(() -> assertEquals(POLICY, oldStatus, "the old socket is closed with 1008"));
        Future<JsonObject> probe = c2.nextMatching("the probe's response", f -> isResponseOn(f, 3));
        c2.send(request(c2.nextSeq(), 3, "demo.echo", new JsonObject().put("probe", true)));
        return probe;
      }).map(probe -> List.of(c1, c2));
    })).onComplete(ctx.succeeding(clients -> ctx.verify(() -> {
      long k = claimed[0];
      List<JsonObject> old = reliable(clients.get(0).received());
      List<JsonObject> fresh = reliable(clients.get(1).received());
      assertEquals(LongStream.rangeClosed(k + 1, last + 1).boxed().toList(),
          fresh.stream().map(f -> f.getLong("seq")).toList(),
          "new socket after resume with lastSeq " + k + ": each seq once, in order, to the end; got " + seqs(fresh));
      Map<Long, JsonObject> freshBySeq = new HashMap<>();
      fresh.forEach(f -> freshBySeq.put(f.getLong("seq"), f));
      for (JsonObject f : old) {
        long seq = f.getLong("seq");
        if (seq > k) {
          assertNotNull(freshBySeq.get(seq), "old socket got seq " + seq + " that the new session never sent");
          assertEquals(freshBySeq.get(seq).encode(), f.encode(), "seq " + seq + " is the same frame on both");
        }
      }
      ctx.completeNow();
    })));
  }
}
