package io.tether.gateway.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The event-bus integration for backends (docs/PROTOCOL.md §8): gateway.send, gateway.request, gateway.publish and
 * gateway.presence; client requests forwarded to backend consumers with their headers and failure mapping; and the
 * demo backend's related resources and server-initiated requests (§5, §9). The test acts as the backend on the node's
 * own clustered event bus.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class EventBusBridgeTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAllowedAddresses(List.of("test.*")));
  private static GatewayNode node;


  // ---------------------------------------------------------------------------------------------------------
  // helpers

  private static EventBus bus() {
    return node.vertx().eventBus();
  }

  private static Future<JsonObject> ask(String address, Object message) {
    return bus().<JsonObject>request(address, message).map(Message::body);
  }

  /** The failure of an event-bus request that must fail. */
  private static Future<ReplyException> failure(String address, Object message) {
    return bus().request(address, message).transform(ar -> {
      if (ar.succeeded()) {
        return Future.failedFuture(new AssertionError(address + " " + message + " should have failed, replied "
            + ar.result().body()));
      }
      assertInstanceOf(ReplyException.class, ar.cause(), String.valueOf(ar.cause()));
      return Future.succeededFuture((ReplyException) ar.cause());
    });
  }

  private static Future<WireClient> session(Vertx vertx, String clientId) {
    return WireClient.connect(vertx, node.port()).compose(c -> c.hello(clientId).map(w -> c));
  }

  /** A unique client id, so tests never see each other's sessions. */
  private static String clientId(String name) {
    return "eb-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static JsonObject request(long seq, long stream, String address, Object body) {
    return new JsonObject().put("type", "request").put("seq", seq).put("stream", stream).put("address", address)
        .put("body", body);
  }

  /** Sends a client request on a fresh odd stream and completes with its final response. */
  private static Future<JsonObject> call(WireClient c, String address, Object body) {
    long seq = c.nextSeq();
    long stream = 2 * seq - 1;
    Future<JsonObject> response = c.nextMatching("the response on stream " + stream,
        f -> "response".equals(f.getString("type")) && Long.valueOf(stream).equals(f.getLong("stream")));
    return c.send(request(seq, stream, address, body)).compose(v -> response);
  }

  private static Future<Void> assertResponseError(Future<JsonObject> response, String code) {
    return response.map(resp -> {
      assertEquals(false, resp.getBoolean("ok"), resp.encode());
      assertEquals(true, resp.getBoolean("fin"), resp.encode());
      assertEquals(code, resp.getJsonObject("error").getString("code"), resp.encode());
      return null;
    });
  }

  /** Completes when presence reports {@code clientId} DETACHED (listening starts now). */
  private static Future<Void> awaitDetached(String clientId) {
    Promise<Void> detached = Promise.promise();
    MessageConsumer<JsonObject> events = bus().consumer("gateway.presence.events", m -> {
      if (clientId.equals(m.body().getString("clientId")) && "DETACHED".equals(m.body().getString("state"))) {
        detached.tryComplete();
      }
    });
    return detached.future().eventually(events::unregister);
  }

  /** Registers a test backend consumer and waits until the cluster knows it. */
  private static <T> Future<MessageConsumer<T>> consumer(String address, io.vertx.core.Handler<Message<T>> h) {
    MessageConsumer<T> consumer = bus().consumer(address, h);
    return consumer.completion().map(v -> consumer);
  }

  // ---------------------------------------------------------------------------------------------------------
  // gateway.send

  /** Verifies that gateway.send by clientId arrives as a push with the next seq, and the reply names that seq. */
  @Test
  void sendByClientIdArrivesAsPushWithNextSeq(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("send-client");
    session(vertx, id).compose(c -> ask("gateway.send", new JsonObject().put("clientId", id)
            .put("body", new JsonObject().put("k", 1)))
        .compose(reply -> {
          assertEquals(new JsonObject().put("seq", 1), reply, "reply to the first send");
          return c.next("push");
        })
        .compose(push -> {
          assertEquals(1L, push.getLong("seq"), push.encode());
          assertEquals(0L, push.getLong("stream"), push.encode());
          assertEquals(new JsonObject().put("k", 1), push.getJsonObject("body"), push.encode());
          return ask("gateway.send", new JsonObject().put("clientId", id).put("body", new JsonObject().put("k", 2)));
        })
        .compose(reply -> {
          assertEquals(new JsonObject().put("seq", 2), reply, "reply to the second send");
          return c.next("push");
        })
        .map(push -> {
          assertEquals(2L, push.getLong("seq"), push.encode());
          assertEquals(new JsonObject().put("k", 2), push.getJsonObject("body"), push.encode());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a send repeated with the same idempotency key (a retry after a lost reply) is answered with the
   * first one's seq and delivers nothing again: the next send without a key gets the very next seq.
   */
  @Test
  void sendRepeatedWithTheSameIdIsDeliveredOnce(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("send-idempotent");
    JsonObject send = new JsonObject().put("clientId", id).put("id", "batch-1")
        .put("bodies", new JsonArray().add(1).add(2));
    session(vertx, id).compose(c -> ask("gateway.send", send)
        .compose(first -> ask("gateway.send", send).map(second -> List.of(first, second)))
        .compose(replies -> ask("gateway.send", new JsonObject().put("clientId", id).put("body", 3))
            .map(third -> {
              assertEquals(new JsonObject().put("seq", 2), replies.get(0));
              assertEquals(new JsonObject().put("seq", 2), replies.get(1), "the retry gets the first send's seq");
              assertEquals(new JsonObject().put("seq", 3), third, "nothing was delivered for the retry");
              return null;
            }))
        .compose(x -> c.take(3, "push"))
        .map(pushes -> {
          assertEquals(List.of(1, 2, 3), pushes.stream().map(p -> p.getInteger("body")).toList());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that the idempotency keys are part of the session: a retry reaching the session while it is detached
   * (buffered in the store), and after it resumed on a new connection, is still recognised.
   */
  @Test
  void sendIdsAreRememberedWhileDetachedAndAfterResume(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("send-idempotent-resume");
    JsonObject attached = new JsonObject().put("clientId", id).put("id", "while-attached").put("body", "a");
    session(vertx, id).compose(c1 -> ask("gateway.send", attached)
        .compose(r -> c1.next("push"))
        .compose(p -> {
          Future<Void> detached = awaitDetached(id);
          return c1.close().compose(x -> detached);
        })
        .compose(x -> ask("gateway.send", new JsonObject().put("sessionId", c1.sessionId()).put("id", "while-detached")
            .put("body", "b")))
        .compose(detached -> ask("gateway.send", new JsonObject().put("sessionId", c1.sessionId())
            .put("id", "while-detached").put("body", "b")).map(again -> {
              assertEquals(detached, again, "a retry while detached is not appended again");
              return null;
            }))
        .compose(x -> WireClient.connect(vertx, node.port()))
        .compose(c2 -> c2.resume(c1).compose(resumed -> c2.next("push"))
            .compose(replayed -> ask("gateway.send", attached).compose(retried ->
                ask("gateway.send", new JsonObject().put("clientId", id).put("body", "c")).compose(next ->
                    c2.next("push").map(p -> {
                      assertEquals("b", replayed.getString("body"));
                      assertEquals(new JsonObject().put("seq", 1), retried, "the new owner knows the old key");
                      assertEquals(new JsonObject().put("seq", 3), next);
                      assertEquals("c", p.getString("body"), "nothing else came between: " + c2.received());
                      return null;
                    }))))))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that gateway.send by sessionId arrives as a push with the next seq, and the reply names that seq. */
  @Test
  void sendBySessionIdArrivesAsPushWithNextSeq(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("send-session");
    session(vertx, id).compose(c -> call(c, "demo.echo", new JsonObject())  // server seq 1: the response
        .compose(resp -> ask("gateway.send", new JsonObject().put("sessionId", c.sessionId())
            .put("body", new JsonObject().put("to", "session"))))
        .compose(reply -> {
          assertEquals(new JsonObject().put("seq", 2), reply, "the push follows the response");
          return c.next("push");
        })
        .map(push -> {
          assertEquals(2L, push.getLong("seq"), push.encode());
          assertEquals(new JsonObject().put("to", "session"), push.getJsonObject("body"), push.encode());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a qos 0 send arrives as a volatile push without seq, and the reply has seq 0. */
  @Test
  void volatileSendArrivesWithoutSeq(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("send-qos0");
    session(vertx, id).compose(c -> ask("gateway.send", new JsonObject().put("clientId", id).put("qos", 0)
            .put("body", new JsonObject().put("v", true)))
        .compose(reply -> {
          assertEquals(0L, reply.getLong("seq"), reply.encode());
          return c.next("push");
        })
        .compose(push -> {
          assertFalse(push.containsKey("seq"), "a volatile push has no seq: " + push.encode());
          assertEquals(new JsonObject().put("v", true), push.getJsonObject("body"), push.encode());
          // The volatile push consumed no seq: the next reliable one is 1.
          return ask("gateway.send", new JsonObject().put("clientId", id).put("body", new JsonObject()));
        })
        .map(reply -> {
          assertEquals(1L, reply.getLong("seq"), reply.encode());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a batch ({@code bodies}) arrives as pushes in order with consecutive seqs. */
  @Test
  void batchArrivesInOrder(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("send-batch");
    JsonArray bodies = new JsonArray();
    for (int n = 1; n <= 5; n++) {
      bodies.add(new JsonObject().put("n", n));
    }
    session(vertx, id).compose(c -> ask("gateway.send", new JsonObject().put("clientId", id).put("bodies", bodies))
        .compose(reply -> {
          assertEquals(5L, reply.getLong("seq"), "the reply names the last seq: " + reply.encode());
          return c.take(5, "push");
        })
        .map(pushes -> {
          for (int i = 0; i < 5; i++) {
            assertEquals(i + 1L, pushes.get(i).getLong("seq"), pushes.toString());
            assertEquals(new JsonObject().put("n", i + 1), pushes.get(i).getJsonObject("body"), pushes.toString());
          }
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that gateway.send to a client that has no session fails with 404. */
  @Test
  void sendToUnknownClientFails404(VertxTestContext ctx) {
    failure("gateway.send", new JsonObject().put("clientId", clientId("nobody")).put("body", new JsonObject()))
        .map(e -> {
          assertEquals(404, e.failureCode(), e.getMessage());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that gateway.send without a body fails with 400 naming the field. */
  @Test
  void sendWithoutBodyFails400(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("send-nobody");
    session(vertx, id).compose(c -> failure("gateway.send", new JsonObject().put("clientId", id)))
        .map(e -> {
          assertEquals(400, e.failureCode(), e.getMessage());
          assertTrue(e.getMessage().contains("body"), e.getMessage());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a gateway.send message that is not a JSON object fails with 400. */
  @Test
  void sendMessageThatIsNotAnObjectFails400(VertxTestContext ctx) {
    failure("gateway.send", "push this please")
        .map(e -> {
          assertEquals(400, e.failureCode(), e.getMessage());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that gateway.send with qos 5 fails with 400 naming the field. */
  @Test
  void sendWithInvalidQosFails400(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("send-qos5");
    session(vertx, id).compose(c -> failure("gateway.send",
            new JsonObject().put("clientId", id).put("qos", 5).put("body", new JsonObject()))
        .map(e -> {
          assertEquals(400, e.failureCode(), e.getMessage());
          assertTrue(e.getMessage().contains("qos"), e.getMessage());
          return c;
        }))
        .compose(c -> c.unread())
        .map(unread -> {
          assertTrue(unread.stream().noneMatch(f -> "push".equals(f.getString("type"))), "nothing pushed: " + unread);
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a push on a stream that is not an open request stream of the client fails with 400. */
  @Test
  void pushOnStreamThatIsNotOpenFails400(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("send-stream");
    session(vertx, id).compose(c -> call(c, "demo.echo", new JsonObject())  // stream 1 opened and answered
        .compose(resp -> failure("gateway.send", new JsonObject().put("clientId", id).put("stream", 1)
            .put("resource", "late").put("body", new JsonObject())))
        .compose(e -> {
          assertEquals(400, e.failureCode(), "stream 1 is already answered: " + e.getMessage());
          return failure("gateway.send", new JsonObject().put("clientId", id).put("stream", 7)
              .put("resource", "x").put("body", new JsonObject()));
        })
        .map(e -> {
          assertEquals(400, e.failureCode(), "stream 7 was never opened: " + e.getMessage());
          return null;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------
  // gateway.request

  /** Verifies that gateway.request reaches the client as a request on an even stream and replies its answer. */
  @Test
  void requestReachesClientOnEvenStreamAndRepliesItsAnswer(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("req-ok");
    session(vertx, id).compose(c -> {
      Future<JsonObject> reply = ask("gateway.request", new JsonObject().put("clientId", id)
          .put("address", "app.question").put("body", new JsonObject().put("q", "size?")));
      return c.next("request").compose(req -> {
        long stream = req.getLong("stream");
        assertEquals(0, stream % 2, "server-initiated requests use even streams: " + req.encode());
        assertTrue(stream > 0, req.encode());
        assertEquals("app.question", req.getString("address"), req.encode());
        assertEquals(new JsonObject().put("q", "size?"), req.getJsonObject("body"), req.encode());
        assertTrue(req.getLong("seq") >= 1, "a server request is reliable: " + req.encode());
        assertEquals(2 * req.getLong("seq"), stream, "stream = 2 x seq: " + req.encode());
        c.send(new JsonObject().put("type", "response").put("seq", c.nextSeq()).put("stream", stream)
            .put("ok", true).put("body", new JsonObject().put("a", 42)).put("fin", true));
        return reply;
      });
    }).map(body -> {
      assertEquals(new JsonObject().put("a", 42), body);
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a client answering a gateway.request with ok:false makes the backend's request fail. */
  @Test
  void clientErrorAnswerFailsTheBackendRequest(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("req-err");
    session(vertx, id).compose(c -> {
      Future<ReplyException> failed = failure("gateway.request", new JsonObject().put("clientId", id)
          .put("address", "app.question").put("body", new JsonObject()));
      return c.next("request").compose(req -> {
        c.send(new JsonObject().put("type", "response").put("seq", c.nextSeq()).put("stream", req.getLong("stream"))
            .put("ok", false).put("error", new JsonObject().put("code", "declined").put("message", "not today"))
            .put("fin", true));
        return failed;
      });
    }).map(e -> {
      assertTrue(e.getMessage().contains("declined"), "the failure carries the client's error: " + e.getMessage());
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that gateway.request fails when the client does not answer within timeoutMs. */
  @Test
  void requestFailsWhenClientDoesNotAnswerInTime(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("req-timeout");
    long[] sentAt = new long[1];
    session(vertx, id).compose(c -> {
      sentAt[0] = System.nanoTime();
      Future<ReplyException> failed = failure("gateway.request", new JsonObject().put("clientId", id)
          .put("address", "app.question").put("body", new JsonObject()).put("timeoutMs", 300));
      // The client receives the request and never answers it.
      return c.next("request").compose(req -> failed);
    }).map(e -> {
      long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt[0]);
      assertEquals(504, e.failureCode(), e.getMessage());
      assertTrue(elapsed >= 250 && elapsed < 10_000, "failed after " + elapsed + " ms, timeout 300 ms");
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------
  // gateway.publish and subscriptions

  /** Verifies that gateway.publish numbers one topic's versions 1, 2, 3. */
  @Test
  void publishReturnsConsecutiveVersions(VertxTestContext ctx) {
    String topic = "eb/versions/" + UUID.randomUUID();
    ask("gateway.publish", new JsonObject().put("topic", topic).put("body", new JsonObject().put("p", 1)))
        .compose(r1 -> {
          assertEquals(1L, r1.getLong("version"), r1.encode());
          return ask("gateway.publish", new JsonObject().put("topic", topic).put("body", new JsonObject().put("p", 2)));
        })
        .compose(r2 -> {
          assertEquals(2L, r2.getLong("version"), r2.encode());
          return ask("gateway.publish", new JsonObject().put("topic", topic).put("body", new JsonObject().put("p", 3)));
        })
        .map(r3 -> {
          assertEquals(3L, r3.getLong("version"), r3.encode());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that subscribing with version 0 to a topic published twice notifies version 2 with the latest body. */
  @Test
  void subscribeWithVersionZeroIsNotifiedOfLatestAtOnce(Vertx vertx, VertxTestContext ctx) {
    String topic = "eb/latest/" + UUID.randomUUID();
    String id = clientId("sub-zero");
    ask("gateway.publish", new JsonObject().put("topic", topic).put("body", new JsonObject().put("price", 10)))
        .compose(r -> ask("gateway.publish", new JsonObject().put("topic", topic)
            .put("body", new JsonObject().put("price", 11))))
        .compose(r -> session(vertx, id))
        .compose(c -> {
          c.send(new JsonObject().put("type", "subscribe").put("seq", c.nextSeq()).put("topic", topic)
              .put("version", 0));
          return c.next("notify");
        })
        .map(notify -> {
          assertEquals(topic, notify.getString("topic"), notify.encode());
          assertEquals(2L, notify.getLong("version"), notify.encode());
          assertEquals(new JsonObject().put("price", 11), notify.getJsonObject("body"), notify.encode());
          assertEquals(1L, notify.getLong("seq"), "notify is reliable: " + notify.encode());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that subscribing with the current version brings no notify until the next publish. */
  @Test
  void subscribeWithCurrentVersionIsNotNotifiedUntilNextPublish(Vertx vertx, VertxTestContext ctx) {
    String topic = "eb/current/" + UUID.randomUUID();
    String id = clientId("sub-current");
    WireClient[] client = new WireClient[1];
    ask("gateway.publish", new JsonObject().put("topic", topic).put("body", new JsonObject().put("price", 10)))
        .compose(r -> ask("gateway.publish", new JsonObject().put("topic", topic)
            .put("body", new JsonObject().put("price", 11))))
        .compose(r -> session(vertx, id))
        .compose(c -> {
          client[0] = c;
          long seq = c.nextSeq();
          Future<JsonObject> ack = c.nextMatching("the ack of the subscribe",
              f -> "ack".equals(f.getString("type")) && f.getLong("ack") >= seq);
          c.send(new JsonObject().put("type", "subscribe").put("seq", seq).put("topic", topic).put("version", 2));
          return ack;
        })
        // A full request round trip after the subscribe took effect: a catch-up notify would have come by now.
        .compose(ack -> call(client[0], "demo.echo", new JsonObject()))
        .compose(resp -> {
          List<JsonObject> early = client[0].received().stream()
              .filter(f -> "notify".equals(f.getString("type"))).toList();
          assertEquals(List.of(), early, "no notify for the version the client already has");
          return ask("gateway.publish", new JsonObject().put("topic", topic)
              .put("body", new JsonObject().put("price", 12)));
        })
        .compose(r -> {
          assertEquals(3L, r.getLong("version"), r.encode());
          return client[0].next("notify");
        })
        .map(notify -> {
          assertEquals(3L, notify.getLong("version"), "the first notify is the new publish: " + notify.encode());
          assertEquals(new JsonObject().put("price", 12), notify.getJsonObject("body"), notify.encode());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------
  // gateway.presence

  /** Verifies that gateway.presence for a client the cluster has never seen fails with 404. */
  @Test
  void presenceOfUnknownClientFails404(VertxTestContext ctx) {
    failure("gateway.presence", new JsonObject().put("clientId", clientId("ghost")))
        .map(e -> {
          assertEquals(404, e.failureCode(), e.getMessage());
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------
  // demo backend: related resources and server-initiated requests

  /** Verifies that demo.related pushes resources a then b on the request's stream before the final response. */
  @Test
  void relatedResourcesArriveOnTheRequestStreamBeforeTheResponse(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("related");
    session(vertx, id).compose(c -> {
      long seq = c.nextSeq();
      long stream = 2 * seq - 1;
      Predicate<JsonObject> onStream = f -> Long.valueOf(stream).equals(f.getLong("stream"))
          && ("push".equals(f.getString("type")) || "response".equals(f.getString("type")));
      List<JsonObject> list = new ArrayList<>();
      c.send(request(seq, stream, "demo.related", new JsonObject().put("id", 7)));
      Future<Void> frames = Future.succeededFuture();
      for (int i = 0; i < 3; i++) {
        frames = frames.compose(v -> c.nextMatching("a push or response on stream " + stream, onStream))
            .map(f -> {
              list.add(f);
              return null;
            });
      }
      return frames.map(v -> {
        JsonObject a = list.get(0);
        JsonObject b = list.get(1);
        JsonObject resp = list.get(2);
        assertEquals("push", a.getString("type"), list.toString());
        assertEquals(stream, a.getLong("stream"), a.encode());
        assertEquals("a", a.getString("resource"), a.encode());
        assertEquals(7, a.getJsonObject("body").getInteger("id"), a.encode());
        assertEquals("push", b.getString("type"), list.toString());
        assertEquals(stream, b.getLong("stream"), b.encode());
        assertEquals("b", b.getString("resource"), b.encode());
        assertEquals("response", resp.getString("type"), "the response comes last: " + list);
        assertEquals(stream, resp.getLong("stream"), resp.encode());
        assertEquals(true, resp.getBoolean("ok"), resp.encode());
        assertEquals(true, resp.getBoolean("fin"), resp.encode());
        assertEquals(new JsonObject().put("id", 7), resp.getJsonObject("body"), resp.encode());
        assertTrue(a.getLong("seq") < b.getLong("seq") && b.getLong("seq") < resp.getLong("seq"), list.toString());
        return null;
      });
    }).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that demo.ask asks the client demo.question and answers with the client's reply. */
  @Test
  void askForwardsTheClientsAnswer(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("ask");
    session(vertx, id).compose(c -> {
      long seq = c.nextSeq();
      long stream = 2 * seq - 1;
      Future<JsonObject> response = c.nextMatching("the response on stream " + stream,
          f -> "response".equals(f.getString("type")) && Long.valueOf(stream).equals(f.getLong("stream")));
      c.send(request(seq, stream, "demo.ask", new JsonObject().put("body", new JsonObject().put("q", "colour?"))));
      return c.next("request").compose(question -> {
        assertEquals("demo.question", question.getString("address"), question.encode());
        assertEquals(0, question.getLong("stream") % 2, "server request on an even stream: " + question.encode());
        assertEquals(new JsonObject().put("q", "colour?"), question.getJsonObject("body"), question.encode());
        c.send(new JsonObject().put("type", "response").put("seq", c.nextSeq())
            .put("stream", question.getLong("stream")).put("ok", true)
            .put("body", new JsonObject().put("a", "blue")).put("fin", true));
        return response;
      });
    }).map(resp -> {
      assertEquals(true, resp.getBoolean("ok"), resp.encode());
      assertEquals(new JsonObject().put("a", "blue"), resp.getJsonObject("body"), resp.encode());
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------
  // client requests to backends

  /** Verifies that a forwarded client request carries the clientId, sessionId and requestId headers. */
  @Test
  void forwardedRequestCarriesGatewayHeaders(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("headers");
    String address = "test.headers." + UUID.randomUUID();
    Promise<MultiMap> headers = Promise.promise();
    MessageConsumer<?>[] registered = new MessageConsumer<?>[1];
    WireClient[] client = new WireClient[1];
    long[] requestSeq = new long[1];
    EventBusBridgeTest.<JsonObject>consumer(address, m -> {
      headers.tryComplete(m.headers());
      m.reply(new JsonObject().put("seen", m.body()));
    })
        .compose(consumer -> {
          registered[0] = consumer;
          return session(vertx, id);
        })
        .compose(c -> {
          client[0] = c;
          return call(c, "demo.echo", new JsonObject()); // so that the test request has seq 2
        })
        .compose(echo -> {
          requestSeq[0] = client[0].lastAllocatedSeq() + 1;
          return call(client[0], address, new JsonObject().put("x", 1));
        })
        .compose(resp -> {
          assertEquals(true, resp.getBoolean("ok"), resp.encode());
          assertEquals(new JsonObject().put("seen", new JsonObject().put("x", 1)), resp.getJsonObject("body"));
          return headers.future();
        })
        .map(h -> {
          String sessionId = client[0].sessionId();
          assertEquals(id, h.get("gateway.clientId"), h.toString());
          assertEquals(sessionId, h.get("gateway.sessionId"), h.toString());
          assertEquals(sessionId + ":" + requestSeq[0], h.get("gateway.requestId"), h.toString());
          return null;
        })
        .eventually(() -> registered[0] == null ? Future.succeededFuture() : registered[0].unregister())
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a backend failing with 403 becomes a response error not_allowed. */
  @Test
  void backendFailure403BecomesNotAllowed(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("fail403");
    String address = "test.forbidden." + UUID.randomUUID();
    MessageConsumer<?>[] registered = new MessageConsumer<?>[1];
    EventBusBridgeTest.<JsonObject>consumer(address, m -> m.fail(403, "no"))
        .compose(consumer -> {
          registered[0] = consumer;
          return session(vertx, id);
        })
        .compose(c -> assertResponseError(call(c, address, new JsonObject()), "not_allowed"))
        .eventually(() -> registered[0] == null ? Future.succeededFuture() : registered[0].unregister())
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a request to an allowed address with no consumer is answered with no_handler. */
  @Test
  void requestToAllowedAddressWithoutConsumerIsNoHandler(Vertx vertx, VertxTestContext ctx) {
    String id = clientId("nohandler");
    session(vertx, id)
        .compose(c -> assertResponseError(call(c, "test.nobody.home." + UUID.randomUUID(), new JsonObject()),
            "no_handler"))
        .onComplete(ctx.succeedingThenComplete());
  }
}
