package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How the client links a refused {@code subscribe} to its refusal, against a scripted server: by the error's
 * {@code refSeq} (and {@code topic}), never by its message, and without waiting for anything but the ack (the server
 * sends a refusal before the ack that covers the refused seq). The scripted server never answers pings, so a client
 * that waited for a ping barrier would never complete a subscribe here.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class SubscribeRefusalTest {

  private HttpServer server;
  private TetherClient client;

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    (client == null ? Future.succeededFuture() : client.close().otherwiseEmpty())
        .compose(v -> server == null ? Future.succeededFuture() : server.close())
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Starts a server that welcomes the client and hands every later frame to {@code script}; connects a client. */
  private Future<TetherClient> connect(Vertx vertx, List<Throwable> reported,
      BiConsumer<ServerWebSocket, JsonObject> script) {
    server = vertx.createHttpServer().webSocketHandler(ws -> ws.textMessageHandler(text -> {
      JsonObject f = new JsonObject(text);
      if ("hello".equals(f.getString("type"))) {
        ws.writeTextMessage(new JsonObject().put("type", "welcome").put("sessionId", "s1").put("resumeToken", "t1")
            .put("heartbeatMs", 25_000).put("resumeWindowMs", 120_000).put("node", "fake").encode());
      } else if ("bye".equals(f.getString("type"))) {
        ws.close(); // as a gateway does: the client's close() need not wait for its guard
      } else {
        script.accept(ws, f);
      }
    }));
    return server.listen(0, "127.0.0.1").compose(s -> {
      client = TetherClient.create(vertx, new TetherClientOptions()
          .setUrl("ws://127.0.0.1:" + s.actualPort() + "/ws").setClientId("refusals"));
      client.exceptionHandler(reported::add);
      return client.connect().map(client);
    });
  }

  private static String refusal(long refSeq, String topic, String message) {
    JsonObject e = new JsonObject().put("type", "error").put("code", "not_allowed").put("message", message)
        .put("fatal", false).put("refSeq", refSeq);
    return (topic == null ? e : e.put("topic", topic)).encode();
  }

  private static String ack(long n) {
    return new JsonObject().put("type", "ack").put("ack", n).encode();
  }

  /**
   * Verifies that of three subscribes sent together only the one the refusal names by refSeq fails, although the
   * refusal's message names another topic, and that the other two complete on the ack.
   */
  @Test
  void theRefusalNamedByRefSeqFailsThatSubscribeOnly(Vertx vertx, VertxTestContext ctx) {
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    List<Future<Void>> subscribes = new ArrayList<>();
    connect(vertx, reported, (ws, f) -> {
      if ("subscribe".equals(f.getString("type")) && f.getLong("seq") == 3) {
        // A misleading message on purpose: only refSeq and topic may be used to link the refusal.
        ws.writeTextMessage(refusal(2, "t/b", "topic 't/a' is not allowed"));
        ws.writeTextMessage(ack(3));
      }
    }).compose(c -> {
      subscribes.add(c.subscribe("t/a"));
      subscribes.add(c.subscribe("t/b"));
      subscribes.add(c.subscribe("t/c"));
      return Future.join(subscribes).otherwiseEmpty().map(c);
    }).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      assertTrue(subscribes.get(0).succeeded(), "t/a: " + subscribes.get(0).cause());
      TetherException refused = assertInstanceOf(TetherException.class, subscribes.get(1).cause());
      assertEquals("not_allowed", refused.code());
      assertTrue(refused.isRemote());
      assertTrue(subscribes.get(2).succeeded(), "t/c: " + subscribes.get(2).cause());
      assertEquals(List.of("t/a", "t/c"), List.copyOf(c.subscriptions().keySet()));
      assertEquals(List.of(), reported, "a linked refusal is the subscribe's outcome, not reported as well");
      ctx.completeNow();
    })));
  }

  /**
   * Verifies that an error without refSeq (as a server before refSeq sends it, after the ack) is not linked to a
   * subscribe, even though its message names the topic: the subscribe was acked first, so it completes, and the error
   * goes to the exception handler.
   */
  @Test
  void anErrorWithoutRefSeqIsNotLinkedToASubscribe(Vertx vertx, VertxTestContext ctx) {
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    connect(vertx, reported, (ws, f) -> {
      if ("subscribe".equals(f.getString("type"))) {
        ws.writeTextMessage(ack(f.getLong("seq")));
        ws.writeTextMessage(new JsonObject().put("type", "error").put("code", "not_allowed")
            .put("message", "topic 't/x' is not allowed").put("fatal", false).encode());
      } else if ("request".equals(f.getString("type"))) {
        // Answered after the error: once the response is in, the error has been handled.
        ws.writeTextMessage(new JsonObject().put("type", "response").put("seq", 1).put("stream", f.getLong("stream"))
            .put("ok", true).put("body", "done").put("fin", true).encode());
      }
    }).compose(c -> c.subscribe("t/x").compose(v -> c.request("x.after", 1)).map(c))
        .onComplete(ctx.succeeding(c -> ctx.verify(() -> {
          assertTrue(c.subscriptions().containsKey("t/x"));
          assertEquals(1, reported.size(), "reported: " + reported);
          assertEquals("not_allowed", assertInstanceOf(TetherException.class, reported.get(0)).code());
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that a refusal whose refSeq is a subscribe of another topic than the one it names is not linked: the
   * subscribe completes on its ack and the error is reported.
   */
  @Test
  void aRefusalNamingAnotherTopicIsNotLinked(Vertx vertx, VertxTestContext ctx) {
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    connect(vertx, reported, (ws, f) -> {
      if ("subscribe".equals(f.getString("type"))) {
        ws.writeTextMessage(refusal(f.getLong("seq"), "t/other", "no"));
        ws.writeTextMessage(ack(f.getLong("seq")));
      }
    }).compose(c -> c.subscribe("t/mine").map(c)).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      assertTrue(c.subscriptions().containsKey("t/mine"));
      assertEquals(1, reported.size(), "reported: " + reported);
      ctx.completeNow();
    })));
  }
}
