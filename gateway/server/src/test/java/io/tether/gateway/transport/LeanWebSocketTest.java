package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link LeanWebSocket} on real sockets: on this Vert.x version the swap applies (a Vert.x upgrade that removes what it
 * replaces fails here, so the 4 KB per socket it saves is not lost unnoticed), and a socket that got it still writes
 * in order and still tells a full write queue and its drain.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class LeanWebSocketTest {

  /** Verifies that the swap applies to an accepted WebSocket on this Vert.x version. */
  @Test
  void theSwapAppliesOnThisVertxVersion(Vertx vertx, VertxTestContext ctx) {
    Promise<Boolean> applied = Promise.promise();
    serve(vertx, ws -> applied.complete(LeanWebSocket.apply(ws)))
        .compose(server -> connect(vertx, server))
        .compose(client -> applied.future())
        .map(ok -> {
          assertTrue(LeanWebSocket.available(), "this Vert.x version has what LeanWebSocket replaces");
          assertTrue(ok, "the accepted socket got the direct write path");
          return null;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a socket with the direct write path delivers every frame, in order. */
  @Test
  void framesArriveInOrderAfterTheSwap(Vertx vertx, VertxTestContext ctx) {
    int n = 2_000;
    serve(vertx, ws -> {
      assertTrue(LeanWebSocket.apply(ws));
      for (int i = 0; i < n; i++) {
        ws.writeTextMessage("m" + i);
      }
    }).compose(server -> connect(vertx, server)).compose(client -> {
      List<String> got = new ArrayList<>();
      Promise<List<String>> all = Promise.promise();
      client.textMessageHandler(text -> {
        got.add(text);
        if (got.size() == n) {
          all.complete(got);
        }
      });
      return all.future();
    }).map(got -> {
      for (int i = 0; i < n; i++) {
        assertEquals("m" + i, got.get(i));
      }
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a socket with the direct write path still reports a full write queue while its client does not read,
   * and calls its drain handler once the client reads again.
   */
  @Test
  void aFullWriteQueueIsReportedAndDrainsAfterTheSwap(Vertx vertx, VertxTestContext ctx) {
    Promise<WebSocket> clientSide = Promise.promise();
    Promise<Integer> filled = Promise.promise();
    Promise<Void> drained = Promise.promise();
    String chunk = "x".repeat(32 * 1024);
    serve(vertx, ws -> {
      assertTrue(LeanWebSocket.apply(ws));
      clientSide.future().onSuccess(client -> {
        int written = 0;
        while (!ws.writeQueueFull() && written < 100_000) {
          ws.writeTextMessage(chunk);
          written++;
        }
        ws.drainHandler(v -> drained.tryComplete());
        filled.complete(written);
        client.handler(b -> { });
        client.resume();
      });
    }).compose(server -> connect(vertx, server)).compose(client -> {
      client.pause();
      clientSide.complete(client);
      return filled.future();
    }).compose(written -> {
      assertTrue(written < 100_000, "the write queue filled up after " + written + " frames");
      return drained.future();
    }).onComplete(ctx.succeedingThenComplete());
  }

  private static Future<HttpServer> serve(Vertx vertx, io.vertx.core.Handler<ServerWebSocket> handler) {
    return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setStrictThreadMode(true)
            .setMaxWebSocketFrameSize(64 * 1024).setMaxWebSocketMessageSize(64 * 1024))
        .webSocketHandler(handler).listen(0);
  }

  private static Future<WebSocket> connect(Vertx vertx, HttpServer server) {
    WebSocketClient client = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions()
        .setMaxFrameSize(64 * 1024).setMaxMessageSize(64 * 1024));
    return client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.actualPort())
        .setURI("/"));
  }
}
