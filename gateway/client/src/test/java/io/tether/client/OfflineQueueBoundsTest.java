package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request queue and the outbound buffer at their bounds, the offline start, and queued writes in the on-disk
 * store, against no server or a scripted one (the real-node behaviour is in gateway/client-it: Offline*Test).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class OfflineQueueBoundsTest {

  private final List<TetherClient> clients = new ArrayList<>();
  private HttpServer server;

  @AfterEach
  void tearDown(Vertx vertx, VertxTestContext ctx) {
    List<Future<?>> all = new ArrayList<>();
    clients.forEach(c -> all.add(c.close().otherwiseEmpty()));
    if (server != null) {
      all.add(server.close());
    }
    Future.join(all).onComplete(ar -> ctx.completeNow());
  }

  private TetherClient client(Vertx vertx, TetherClientOptions options) {
    TetherClient c = TetherClient.create(vertx, options);
    clients.add(c);
    return c;
  }

  /** Verifies that requests made while OFFLINE are queued up to maxQueuedRequests and the next fails QUEUE_FULL. */
  @Test
  void requestBeyondTheQueueBoundFailsFastWithQueueFull(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = client(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:1/ws").setClientId("q-full")
        .setMaxQueuedRequests(2));
    Future<Object> first = c.request("app.write", 1);
    Future<Object> second = c.request("app.write", 2);
    c.request("app.write", 3).onComplete(ctx.failing(t -> ctx.verify(() -> {
      TetherException e = assertInstanceOf(TetherException.class, t);
      assertEquals(TetherException.QUEUE_FULL, e.code());
      assertFalse(e.isRemote());
      assertEquals(2, c.queuedRequests());
      assertFalse(first.isComplete() || second.isComplete(), "nothing queued is dropped");
      assertEquals(ConnectionState.OFFLINE, c.state());
      ctx.completeNow();
    })));
  }

  /** Verifies that while ONLINE a request that does not fit the unacknowledged-frames bound fails BUFFER_FULL. */
  @Test
  void onlineRequestBeyondTheOutboundBoundFailsFastWithBufferFull(Vertx vertx, VertxTestContext ctx) {
    server = vertx.createHttpServer().webSocketHandler(ws -> ws.textMessageHandler(text -> {
      if ("hello".equals(new JsonObject(text).getString("type"))) {
        ws.writeTextMessage(welcome()); // and never an ack
      }
    }));
    server.listen(0, "127.0.0.1").compose(s -> {
      TetherClient c = client(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:" + s.actualPort() + "/ws")
          .setClientId("b-full").setMaxOutboundFrames(2));
      return c.connect().map(v -> c);
    }).onComplete(ctx.succeeding(c -> {
      c.request("app.write", 1);
      c.request("app.write", 2);
      c.request("app.write", 3).onComplete(ctx.failing(t -> ctx.verify(() -> {
        assertEquals(TetherException.BUFFER_FULL, assertInstanceOf(TetherException.class, t).code());
        assertEquals(2, c.unackedFrames());
        assertEquals(0, c.queuedRequests(), "while ONLINE a full buffer is back-pressure, not a reason to queue");
        ctx.completeNow();
      })));
    }));
  }

  /**
   * Verifies that a client whose first connect fails keeps the requests made meanwhile and sends them, in order,
   * once a later connect() succeeds.
   */
  @Test
  void requestsMadeBeforeAFailedFirstConnectAreSentInOrderByTheNextConnect(Vertx vertx, VertxTestContext ctx) {
    AtomicInteger sockets = new AtomicInteger();
    List<JsonObject> requests = new CopyOnWriteArrayList<>();
    server = vertx.createHttpServer().webSocketHandler(ws -> {
      int n = sockets.getAndIncrement();
      ws.textMessageHandler(text -> {
        JsonObject f = new JsonObject(text);
        if ("hello".equals(f.getString("type"))) {
          if (n == 0) {
            ws.close(); // the first connect fails
          } else {
            ws.writeTextMessage(welcome());
          }
        } else if ("request".equals(f.getString("type"))) {
          requests.add(f);
          ws.writeTextMessage(new JsonObject().put("type", "response").put("seq", requests.size())
              .put("stream", f.getLong("stream")).put("ok", true).put("body", f.getValue("body")).put("fin", true)
              .encode());
        }
      });
    });
    server.listen(0, "127.0.0.1").compose(s -> {
      TetherClient c = client(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:" + s.actualPort() + "/ws")
          .setClientId("late"));
      return c.connect().transform(ar -> {
        assertTrue(ar.failed(), "the first connect fails");
        assertEquals(ConnectionState.OFFLINE, c.state());
        Future<Object> a = c.request("app.write", "a");
        Future<Object> b = c.request("app.write", "b");
        return c.connect().compose(v -> Future.all(a, b));
      });
    }).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
      assertEquals(List.of("a", "b"), all.list());
      assertEquals(List.of(1L, 2L), requests.stream().map(f -> f.getLong("seq")).toList());
      assertEquals(List.of("a", "b"), requests.stream().map(f -> f.getValue("body")).toList());
      ctx.completeNow();
    })));
  }

  /**
   * Verifies that connect() called from the state handler when a first connect has just failed (OFFLINE) is a new
   * attempt of its own: it is not failed with the earlier attempt's error, and it succeeds.
   */
  @Test
  void connectFromTheStateHandlerIsNotFailedByTheAttemptThatJustFailed(Vertx vertx, VertxTestContext ctx) {
    AtomicInteger sockets = new AtomicInteger();
    server = vertx.createHttpServer().webSocketHandler(ws -> {
      int n = sockets.getAndIncrement();
      ws.textMessageHandler(text -> {
        if (n == 0) {
          ws.close(); // the first connect fails
        } else if ("hello".equals(new JsonObject(text).getString("type"))) {
          ws.writeTextMessage(welcome());
        }
      });
    });
    server.listen(0, "127.0.0.1").onComplete(ctx.succeeding(s -> {
      TetherClient c = client(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:" + s.actualPort() + "/ws")
          .setClientId("again"));
      c.stateHandler(state -> {
        if (state == ConnectionState.OFFLINE && sockets.get() == 1) {
          c.connect().onComplete(ctx.succeeding(v -> ctx.verify(() -> {
            assertEquals(ConnectionState.ONLINE, c.state());
            ctx.completeNow();
          })));
        }
      });
      c.connect().onComplete(ctx.failing(t -> ctx.verify(() ->
          assertEquals(TetherException.CONNECT_FAILED, assertInstanceOf(TetherException.class, t).code()))));
    }));
  }

  /**
   * Verifies that queued writes are in the store's writes.json, in order, and that a new client on the store starts
   * with them queued; a queued read (cacheable address) is not stored.
   */
  @Test
  void queuedWritesAreStoredAndRestoredByTheNextClient(Vertx vertx, VertxTestContext ctx, @TempDir Path dir) {
    TetherClientOptions options = new TetherClientOptions().setUrl("ws://127.0.0.1:1/ws").setClientId("stored")
        .setStoreDir(dir.toString()).setCacheableAddresses(List.of("app.read*"));
    TetherClient first = client(vertx, options);
    first.request("app.write", new JsonObject().put("n", 1));
    first.request("app.read", new JsonObject().put("q", 1)); // a read: not cached, so queued, but never stored
    first.request("app.write", new JsonObject().put("n", 2));
    first.flushStore().compose(v -> {
      JsonObject file = readJson(dir.resolve("writes.json"));
      ctx.verify(() -> assertEquals(new JsonArray()
          .add(new JsonObject().put("address", "app.write").put("body", new JsonObject().put("n", 1)).put("stream", 1))
          .add(new JsonObject().put("address", "app.write").put("body", new JsonObject().put("n", 2)).put("stream", 5)),
          file.getJsonArray("writes")));
      return first.close();
    }).compose(v -> {
      ctx.verify(() -> assertTrue(readJson(dir.resolve("writes.json")).getJsonArray("writes").size() == 2,
          "closing keeps the queued writes in the store"));
      TetherClient second = client(vertx, options);
      return second.ready().map(x -> second);
    }).onComplete(ctx.succeeding(second -> ctx.verify(() -> {
      assertEquals(2, second.queuedRequests());
      assertFalse(Files.exists(dir.resolve("writes.json.tmp")), "no temporary file is left behind");
      ctx.completeNow();
    })));
  }

  /** Verifies that a client pointed at another client id's store neither uses nor overwrites it. */
  @Test
  void storeOfAnotherClientIdIsNeitherUsedNorOverwritten(Vertx vertx, VertxTestContext ctx, @TempDir Path dir) {
    TetherClient alice = client(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:1/ws").setClientId("alice")
        .setStoreDir(dir.toString()));
    alice.request("app.write", "from alice");
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    alice.flushStore().compose(v -> alice.close()).compose(v -> {
      TetherClient bob = client(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:1/ws").setClientId("bob")
          .setStoreDir(dir.toString()));
      bob.exceptionHandler(reported::add);
      bob.request("app.write", "from bob");
      return bob.flushStore().map(x -> bob);
    }).onComplete(ctx.succeeding(bob -> ctx.verify(() -> {
      assertEquals(1, bob.queuedRequests(), "only its own write");
      JsonObject file = readJson(dir.resolve("writes.json"));
      assertEquals("alice", file.getString("clientId"));
      assertEquals("from alice", file.getJsonArray("writes").getJsonObject(0).getString("body"));
      assertTrue(reported.stream().anyMatch(t -> t.getMessage().contains("belongs to client 'alice'")),
          "reported: " + reported);
      ctx.completeNow();
    })));
  }

  private static JsonObject readJson(Path file) {
    try {
      return new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String welcome() {
    return new JsonObject().put("type", "welcome").put("sessionId", "s1").put("resumeToken", "t1")
        .put("heartbeatMs", 25_000).put("resumeWindowMs", 120_000).put("node", "fake").encode();
  }
}
