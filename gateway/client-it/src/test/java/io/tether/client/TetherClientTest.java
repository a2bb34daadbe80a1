package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Java client SDK ({@link TetherClient}) against real gateway nodes: requests, pushes, server requests,
 * topics, heartbeats, and surviving breaks by resume (same session) or re-sync (new session).
 *
 * <p>Two nodes: {@link #node} with default timings (topics limited to {@code prices/*}), and {@link #fastNode} with a
 * 200 ms heartbeat and the shortest resume window (1 s), for the tests where those deadlines are the behaviour.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class TetherClientTest {

  /** Short enough to see several heartbeats in a test, long enough not to trip on a busy 2-core CI machine. */
  private static final long FAST_HEARTBEAT_MS = 500;
  private static final long FAST_RESUME_WINDOW_MS = 1000;

  private static GatewayNode node;
  private static GatewayNode fastNode;

  private final List<TetherClient> clients = new ArrayList<>();
  private final List<FaultyRelay> relays = new ArrayList<>();
  private final List<HttpServer> fakes = new ArrayList<>();

  @BeforeAll
  static void startNodes(VertxTestContext ctx) {
    TestNodes.start(o -> o.setAllowedTopics(List.of("prices/*")))
        .compose(n -> {
          node = n;
          return TestNodes.start(o -> o.setHeartbeatMs(FAST_HEARTBEAT_MS).setResumeWindowMs(FAST_RESUME_WINDOW_MS));
        })
        .onComplete(ctx.succeeding(n -> {
          fastNode = n;
          ctx.completeNow();
        }));
  }

  @AfterAll
  static void stopNodes(VertxTestContext ctx) {
    List<GatewayNode> all = new ArrayList<>();
    all.add(node);
    all.add(fastNode);
    TestNodes.stopAll(all).onComplete(ctx.succeedingThenComplete());
  }

  @AfterEach
  void closeClients(VertxTestContext ctx) {
    List<Future<Void>> closing = new ArrayList<>();
    clients.forEach(c -> closing.add(c.close().recover(t -> Future.succeededFuture())));
    relays.forEach(r -> closing.add(r.stop().recover(t -> Future.succeededFuture())));
    fakes.forEach(f -> closing.add(f.close().recover(t -> Future.succeededFuture())));
    Future.join(closing).onComplete(ar -> ctx.completeNow());
  }

  private TetherClient client(Vertx vertx, int port, String clientId, UnaryOperator<TetherClientOptions> customize) {
    TetherClientOptions options = new TetherClientOptions()
        .setUrl("ws://127.0.0.1:" + port + "/ws")
        .setClientId(clientId)
        .setAttrs(new JsonObject().put("app", "sdk-test"));
    TetherClient c = TetherClient.create(vertx, customize.apply(options));
    clients.add(c);
    return c;
  }

  private Future<FaultyRelay> relay(Vertx vertx, int port) {
    return FaultyRelay.start(vertx, port).onSuccess(relays::add);
  }

  /** What a scripted fake gateway does with each frame it receives on its {@code conn}-th socket (0-based). */
  private interface Script {
    void onFrame(int conn, ServerWebSocket ws, JsonObject frame);
  }

  /**
   * A scripted stand-in for a gateway, for client behaviour a real node does not produce on demand (duplicates,
   * partial acks). Records the texts received per socket in {@code texts}.
   */
  private Future<Integer> fakeGateway(Vertx vertx, List<List<String>> texts, Script script) {
    AtomicInteger sockets = new AtomicInteger();
    HttpServer server = vertx.createHttpServer().webSocketHandler(ws -> {
      int conn = sockets.getAndIncrement();
      List<String> mine = new CopyOnWriteArrayList<>();
      texts.add(mine);
      ws.textMessageHandler(text -> {
        mine.add(text);
        script.onFrame(conn, ws, new JsonObject(text));
      });
    });
    fakes.add(server);
    return server.listen(0, "127.0.0.1").map(HttpServer::actualPort);
  }

  private static JsonObject welcome(String sessionId, String token) {
    return new JsonObject().put("type", "welcome").put("sessionId", sessionId).put("resumeToken", token)
        .put("heartbeatMs", 25_000).put("resumeWindowMs", 120_000).put("node", "fake");
  }

  private static JsonObject push(long seq) {
    return new JsonObject().put("type", "push").put("seq", seq).put("stream", 0)
        .put("body", new JsonObject().put("n", seq));
  }

  private static List<Integer> oneTo(int n) {
    return IntStream.rangeClosed(1, n).boxed().collect(Collectors.toList());
  }

  // ---------------------------------------------------------------------------------------------------------

  /** Verifies that connect says hello, reports the new session, and a demo.echo request completes with its body. */
  @Test
  void connectsAndEchoRequestCompletesWithTheBody(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = client(vertx, node.port(), "sdk-echo", o -> o);
    List<SessionEvent> events = new CopyOnWriteArrayList<>();
    List<ConnectionState> states = new CopyOnWriteArrayList<>();
    c.sessionHandler(events::add).stateHandler(states::add);
    JsonObject body = new JsonObject().put("hello", "world").put("n", 7);
    c.connect()
        .compose(v -> c.request("demo.echo", body))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          assertEquals(body, reply);
          assertEquals(ConnectionState.ONLINE, c.state());
          assertEquals(List.of(ConnectionState.CONNECTING, ConnectionState.ONLINE), states);
          assertEquals(1, events.size());
          assertEquals(SessionEvent.Kind.STARTED, events.get(0).kind());
          assertEquals(c.sessionId(), events.get(0).sessionId());
          assertEquals(node.nodeId(), c.node());
          assertEquals(node.options().getHeartbeatMs(), c.heartbeatMs(), "the server's heartbeat is used");
          ctx.completeNow();
        })));
  }

  /** Verifies that a request the server refuses fails with a TetherException carrying the server's code. */
  @Test
  void refusedRequestFailsWithTheServersErrorCode(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = client(vertx, node.port(), "sdk-refused", o -> o);
    c.connect()
        .compose(v -> c.request("not.allowed.here", new JsonObject()))
        .onComplete(ctx.failing(t -> ctx.verify(() -> {
          TetherException e = assertInstanceOf(TetherException.class, t);
          assertEquals("not_allowed", e.code());
          assertTrue(e.isRemote());
          assertTrue(e.detail().contains("not.allowed.here"), e.detail());
          assertEquals(ConnectionState.ONLINE, c.state(), "a refused request leaves the session usable");
          ctx.completeNow();
        })));
  }

  /** Verifies that 300 pushes from demo.push reach the push handler once each, in order, before the response. */
  @Test
  void pushesArriveOnceInOrder(Vertx vertx, VertxTestContext ctx) {
    int count = 300;
    TetherClient c = client(vertx, node.port(), "sdk-push", o -> o);
    List<Integer> seen = new ArrayList<>();
    c.pushHandler(p -> seen.add(p.bodyAsJsonObject().getInteger("n")));
    c.connect()
        .compose(v -> c.requestJson("demo.push", new JsonObject().put("count", count)))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          assertEquals(count, reply.getInteger("sent"));
          // The response has a higher seq than every push, so all of them were delivered before it.
          assertEquals(oneTo(count), seen);
          assertTrue(c.lastReceivedSeq() >= count + 1);
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that a connection cut mid-stream (TCP reset, no close frame) is resumed automatically and the
   * application sees every push exactly once, in order, on the same session.
   */
  @Test
  void cutMidStreamIsResumedAndEveryPushIsSeenOnceInOrder(Vertx vertx, VertxTestContext ctx) {
    int count = 600;
    int cutAt = 150;
    List<Integer> seen = new ArrayList<>();
    List<SessionEvent> events = new CopyOnWriteArrayList<>();
    List<ConnectionState> states = new CopyOnWriteArrayList<>();
    relay(vertx, node.port()).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), "sdk-cut", o -> o.setReconnectInitialDelayMs(20));
      c.sessionHandler(events::add).stateHandler(states::add);
      c.pushHandler(p -> {
        int n = p.bodyAsJsonObject().getInteger("n");
        seen.add(n);
        if (n == cutAt) {
          relay.dropAll();
        }
      });
      return c.connect().compose(v -> {
        String session = c.sessionId();
        return c.requestJson("demo.push", new JsonObject().put("count", count))
            .map(reply -> {
              assertEquals(count, reply.getInteger("sent"));
              assertEquals(session, c.sessionId(), "the same session continues");
              return c;
            });
      });
    }).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      assertEquals(oneTo(count), seen, "every push once, in order");
      assertTrue(states.contains(ConnectionState.RECONNECTING), "states: " + states);
      assertEquals(ConnectionState.ONLINE, c.state());
      List<SessionEvent.Kind> kinds = events.stream().map(SessionEvent::kind).toList();
      assertEquals(SessionEvent.Kind.STARTED, kinds.get(0));
      assertTrue(kinds.contains(SessionEvent.Kind.RESUMED), "events: " + kinds);
      assertFalse(kinds.contains(SessionEvent.Kind.RESYNCED), "events: " + kinds);
      ctx.completeNow();
    })));
  }

  /** Verifies that a server-initiated request (demo.ask) is answered with what the request handler returns. */
  @Test
  void serverRequestIsAnsweredByTheRequestHandler(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = client(vertx, node.port(), "sdk-ask", o -> o);
    List<ServerRequest> asked = new CopyOnWriteArrayList<>();
    c.requestHandler(r -> {
      asked.add(r);
      return Future.succeededFuture(new JsonObject().put("answer", r.bodyAsJsonObject().getString("q") + "!"));
    });
    c.connect()
        .compose(v -> c.request("demo.ask", new JsonObject().put("body", new JsonObject().put("q", "why"))))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          assertEquals(new JsonObject().put("answer", "why!"), reply);
          assertEquals(1, asked.size());
          assertEquals("demo.question", asked.get(0).address());
          assertEquals(0, asked.get(0).stream() % 2, "server requests use even streams");
          ctx.completeNow();
        })));
  }

  /** Verifies that a subscription gets the topic's latest value at once and later changes as notifications. */
  @Test
  void subscriptionReceivesLatestValueThenChanges(Vertx vertx, VertxTestContext ctx) {
    String topic = "prices/sdk-" + System.nanoTime();
    TetherClient c = client(vertx, node.port(), "sdk-topic", o -> o);
    List<Notification> notes = new CopyOnWriteArrayList<>();
    Promise<Void> first = Promise.promise();
    Promise<Void> latest = Promise.promise();
    c.notifyHandler(n -> {
      notes.add(n);
      first.tryComplete();
      if (n.version() == 2) {
        latest.tryComplete();
      }
    });
    c.connect()
        .compose(v -> c.request("demo.publish", new JsonObject().put("topic", topic).put("body", 1)))
        .compose(v -> c.subscribe(topic, 0))
        .compose(v -> first.future())
        .compose(v -> c.request("demo.publish", new JsonObject().put("topic", topic).put("body", 2)))
        .compose(v -> latest.future())
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          // The value at subscribe time comes at once, then the change.
          assertEquals(List.of(1L, 2L), notes.stream().map(Notification::version).toList());
          assertEquals(List.of(1, 2), notes.stream().map(Notification::body).toList());
          assertEquals(2L, c.subscriptions().get(topic), "the last version received is remembered");
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that a refused subscribe fails with not_allowed, and only that one: four subscribes are sent together
   * (allowed, refused, allowed, refused), so the refusals arrive while the allowed ones wait for their acks too. Each
   * refusal names its subscribe by seq (refSeq), which is how the client links them: a client that linked a refusal
   * to another pending subscribe, or completed subscribes on their ack alone, fails here.
   */
  @Test
  void subscribingToARefusedTopicFailsWithNotAllowed(Vertx vertx, VertxTestContext ctx) {
    String allowedA = "prices/sdk-a-" + System.nanoTime();
    String allowedB = "prices/sdk-b-" + System.nanoTime();
    TetherClient c = client(vertx, node.port(), "sdk-topic-refused", o -> o);
    List<Future<Void>> subscribes = new ArrayList<>();
    c.connect()
        .compose(v -> {
          // One turn of the client's context: the four frames go out back to back.
          subscribes.add(c.subscribe(allowedA, 0));
          subscribes.add(c.subscribe("secrets/all", 0));
          subscribes.add(c.subscribe(allowedB, 0));
          subscribes.add(c.subscribe("secrets/more", 0));
          return Future.join(subscribes).otherwiseEmpty();
        })
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertTrue(subscribes.get(0).succeeded(), "allowed topic: " + subscribes.get(0).cause());
          assertTrue(subscribes.get(2).succeeded(), "allowed topic: " + subscribes.get(2).cause());
          for (int i : new int[] {1, 3}) {
            TetherException e = assertInstanceOf(TetherException.class, subscribes.get(i).cause());
            assertEquals("not_allowed", e.code());
            assertTrue(e.isRemote());
          }
          assertEquals(List.of(allowedA, allowedB), List.copyOf(c.subscriptions().keySet()),
              "only the allowed topics are followed");
          assertEquals(ConnectionState.ONLINE, c.state());
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that an idle client keeps its session alive with pings: after 6 heartbeats without application
   * traffic (the server drops clients silent for 2) it is still ONLINE on the same connection.
   */
  @Test
  void idleClientStaysOnlineThanksToHeartbeats(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = client(vertx, fastNode.port(), "sdk-idle", o -> o);
    List<ConnectionState> states = new CopyOnWriteArrayList<>();
    c.stateHandler(states::add);
    c.connect()
        .compose(v -> vertx.timer(6 * FAST_HEARTBEAT_MS)) // the elapsed time is the behaviour under test
        .compose(v -> fastNode.vertx().eventBus().<JsonObject>request("gateway.presence",
            new JsonObject().put("clientId", "sdk-idle")))
        .onComplete(ctx.succeeding(presence -> ctx.verify(() -> {
          assertEquals(FAST_HEARTBEAT_MS, c.heartbeatMs());
          assertEquals(List.of(ConnectionState.CONNECTING, ConnectionState.ONLINE), states);
          assertEquals("ONLINE", presence.body().getString("state"));
          assertEquals(c.sessionId(), presence.body().getString("sessionId"));
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that a path that silently stops delivering is detected by the client's heartbeat (2 x heartbeatMs
   * without a frame), and that the client then reconnects and resumes the same session.
   */
  @Test
  void silentPathIsDetectedByHeartbeatAndResumed(Vertx vertx, VertxTestContext ctx) {
    List<SessionEvent> events = new CopyOnWriteArrayList<>();
    Promise<Void> resumed = Promise.promise();
    relay(vertx, node.port()).compose(relay -> {
      // The node's heartbeat is 25 s: only the client's own (150 ms) can notice the silence this fast.
      TetherClient c = client(vertx, relay.port(), "sdk-silent", o -> o.setHeartbeatMs(150)
          .setReconnectInitialDelayMs(20));
      c.stateHandler(s -> {
        if (s == ConnectionState.RECONNECTING) {
          relay.blackhole(false); // the path heals once the client has noticed
        }
      });
      c.sessionHandler(e -> {
        events.add(e);
        if (e.kind() == SessionEvent.Kind.RESUMED) {
          resumed.tryComplete();
        }
      });
      return c.connect().map(v -> {
        relay.blackhole(true);
        return c;
      });
    }).compose(c -> {
      String session = c.sessionId();
      long cutAt = System.nanoTime();
      return resumed.future()
          .compose(v -> c.request("demo.echo", "after"))
          .map(reply -> {
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
            assertEquals("after", reply);
            assertEquals(session, c.sessionId());
            // Silence since the last frame heard (up to one heartbeat before the cut) must reach 2 heartbeats.
            assertTrue(elapsedMs >= 150, "dead only after 2 heartbeats of silence, was " + elapsedMs + " ms");
            return null;
          });
    }).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertEquals(List.of(SessionEvent.Kind.STARTED, SessionEvent.Kind.RESUMED),
          events.stream().map(SessionEvent::kind).toList());
      ctx.completeNow();
    })));
  }

  /**
   * Verifies that when the session cannot be resumed (it expired while the client was cut off), the client starts
   * a new session, reports it as RESYNCED with the reason, and works on the new session.
   */
  @Test
  void expiredSessionIsReplacedByANewOneAndReportedAsResynced(Vertx vertx, VertxTestContext ctx) {
    String clientId = "sdk-resync";
    Promise<SessionEvent> resynced = Promise.promise();
    List<SessionEvent> events = new CopyOnWriteArrayList<>();
    String[] firstSession = new String[1];
    relay(vertx, fastNode.port()).compose(relay -> {
      TetherClient c = client(vertx, relay.port(), clientId, o -> o.setConnectTimeoutMs(300)
          .setReconnectInitialDelayMs(20).setReconnectMaxDelayMs(200));
      c.sessionHandler(e -> {
        events.add(e);
        if (e.kind() == SessionEvent.Kind.RESYNCED) {
          resynced.tryComplete(e);
        }
      });
      // Keep the client away from the node until the node has expired its detached session.
      MessageConsumer<JsonObject> presence = fastNode.vertx().eventBus().consumer("gateway.presence.events", m -> {
        JsonObject ev = m.body();
        if (clientId.equals(ev.getString("clientId")) && "CLOSED".equals(ev.getString("state"))
            && ev.getString("sessionId").equals(firstSession[0])) {
          relay.blackhole(false);
        }
      });
      return presence.completion()
          .compose(v -> c.connect())
          .compose(v -> c.request("demo.echo", "before"))
          .compose(v -> {
            firstSession[0] = c.sessionId();
            relay.blackhole(true);
            return relay.dropAll();
          })
          .compose(v -> resynced.future())
          .compose(event -> c.request("demo.echo", "after").map(reply -> {
            assertEquals("after", reply);
            return event;
          }))
          .eventually(presence::unregister)
          .map(event -> {
            assertEquals(firstSession[0], event.previousSessionId());
            assertNotNull(event.sessionId());
            assertNotEquals(firstSession[0], event.sessionId());
            assertEquals(c.sessionId(), event.sessionId());
            assertTrue(List.of("expired", "unknown").contains(event.reason()), "reason " + event.reason());
            assertEquals(0, event.lostRequests());
            assertEquals(1, c.lastSentSeq(), "seqs restarted with the new session");
            assertEquals(ConnectionState.ONLINE, c.state());
            return null;
          });
    }).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertEquals(List.of(SessionEvent.Kind.STARTED, SessionEvent.Kind.RESYNCED),
          events.stream().map(SessionEvent::kind).toList());
      ctx.completeNow();
    })));
  }

  /**
   * Verifies that replayed frames (seq already received) are dropped before the application but acked again, and
   * that acks are cumulative (against a scripted gateway that sends duplicates on purpose).
   */
  @Test
  void duplicateFramesAreDroppedButAckedAgain(Vertx vertx, VertxTestContext ctx) {
    List<List<String>> texts = new CopyOnWriteArrayList<>();
    List<Long> acks = new CopyOnWriteArrayList<>();
    List<Integer> seen = new CopyOnWriteArrayList<>();
    Promise<Void> done = Promise.promise();
    int[] stage = {0};
    fakeGateway(vertx, texts, (conn, ws, f) -> {
      String type = f.getString("type");
      if ("hello".equals(type)) {
        ws.writeTextMessage(welcome("s1", "t1").encode());
        ws.writeTextMessage(push(1).encode());
        ws.writeTextMessage(push(2).encode());
      } else if ("ack".equals(type)) {
        long ack = f.getLong("ack");
        acks.add(ack);
        if (stage[0] == 0 && ack == 2) {
          stage[0] = 1; // replay both: the client must not deliver them again, but must ack again
          ws.writeTextMessage(push(1).encode());
          ws.writeTextMessage(push(2).encode());
        } else if (stage[0] == 1 && ack == 2) {
          stage[0] = 2;
          ws.writeTextMessage(push(3).encode());
        } else if (stage[0] == 2 && ack == 3) {
          done.tryComplete();
        }
      }
    }).compose(port -> {
      TetherClient c = client(vertx, port, "sdk-dups", o -> o);
      c.pushHandler(p -> seen.add(p.bodyAsJsonObject().getInteger("n")));
      return c.connect();
    }).compose(v -> done.future()).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertEquals(List.of(1, 2, 3), seen, "each push once");
      assertEquals(List.of(2L, 2L, 3L), acks, "cumulative acks, and the replay acked again");
      ctx.completeNow();
    })));
  }

  /**
   * Verifies that after a break the client resumes with its last received seq and resends, in order and with
   * their original seqs and bytes, exactly its frames the server did not store (resumed.lastSeq), and that the
   * requests then complete (against a scripted gateway that stores only the first of two requests).
   */
  @Test
  void resumeResendsExactlyTheFramesTheServerDidNotStore(Vertx vertx, VertxTestContext ctx) {
    List<List<String>> texts = new CopyOnWriteArrayList<>();
    List<JsonObject> resumes = new CopyOnWriteArrayList<>();
    fakeGateway(vertx, texts, (conn, ws, f) -> {
      String type = f.getString("type");
      if (conn == 0 && "hello".equals(type)) {
        ws.writeTextMessage(welcome("s1", "t1").encode());
        ws.writeTextMessage(push(1).encode());
      } else if (conn == 0 && "request".equals(type) && f.getLong("seq") == 2) {
        // "Stored" only the first request, then the connection breaks.
        ws.writeTextMessage(new JsonObject().put("type", "ack").put("ack", 1).encode());
        ws.close();
      } else if (conn == 1 && "resume".equals(type)) {
        resumes.add(f);
        ws.writeTextMessage(new JsonObject().put("type", "resumed").put("sessionId", "s1").put("resumeToken", "t2")
            .put("lastSeq", 1).put("node", "fake").encode());
      } else if (conn == 1 && "request".equals(type)) {
        // The resent request: answer both (the first one was "stored" before the break).
        ws.writeTextMessage(new JsonObject().put("type", "response").put("seq", 2).put("stream", 1).put("ok", true)
            .put("body", "one").put("fin", true).encode());
        ws.writeTextMessage(new JsonObject().put("type", "response").put("seq", 3).put("stream", 3).put("ok", true)
            .put("body", "two").put("fin", true).encode());
      }
    }).compose(port -> {
      TetherClient c = client(vertx, port, "sdk-resend", o -> o.setReconnectInitialDelayMs(10));
      return c.connect().compose(v -> Future.all(c.request("x.one", 1), c.request("x.two", 2)))
          .map(all -> {
            assertEquals(List.of("one", "two"), all.list());
            assertEquals(ConnectionState.ONLINE, c.state());
            assertEquals("s1", c.sessionId());
            return null;
          });
    }).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertEquals(1, resumes.size());
      assertEquals("s1", resumes.get(0).getString("sessionId"));
      assertEquals("t1", resumes.get(0).getString("resumeToken"));
      assertEquals(1L, resumes.get(0).getLong("lastSeq"), "the client had received push 1");
      List<String> firstRequests = texts.get(0).stream().filter(t -> t.contains("\"request\"")).toList();
      List<String> resent = texts.get(1).stream().filter(t -> t.contains("\"request\"")).toList();
      assertEquals(2, firstRequests.size());
      assertEquals(List.of(firstRequests.get(1)), resent, "only seq 2 again, byte for byte");
      assertEquals(2L, new JsonObject(resent.get(0)).getLong("seq"));
      ctx.completeNow();
    })));
  }

  /** Verifies that close says bye: the server marks the client CLOSED and the client refuses further requests. */
  @Test
  void closeEndsTheSessionOnTheServer(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = client(vertx, node.port(), "sdk-close", o -> o);
    List<SessionEvent> events = Collections.synchronizedList(new ArrayList<>());
    c.sessionHandler(events::add);
    c.connect()
        .compose(v -> c.close())
        .compose(v -> node.vertx().eventBus().<JsonObject>request("gateway.presence",
            new JsonObject().put("clientId", "sdk-close")))
        .onComplete(ctx.succeeding(presence -> ctx.verify(() -> {
          assertEquals("CLOSED", presence.body().getString("state"));
          assertEquals(ConnectionState.CLOSED, c.state());
          assertEquals(SessionEvent.Kind.ENDED, events.get(events.size() - 1).kind());
          c.request("demo.echo", 1).onComplete(ctx.failing(t -> ctx.verify(() -> {
            assertEquals(TetherException.CLOSED, assertInstanceOf(TetherException.class, t).code());
            ctx.completeNow();
          })));
        })));
  }
}
