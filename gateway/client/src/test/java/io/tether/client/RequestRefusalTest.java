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
 * A request the server refuses with an {@code error} naming it by {@code refSeq} (a full buffer or a wrong stream,
 * docs/PROTOCOL.md §7) fails with that error, against a scripted server, instead of waiting for a response that will
 * never come.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class RequestRefusalTest {

  private HttpServer server;
  private TetherClient client;

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    (client == null ? Future.succeededFuture() : client.close().otherwiseEmpty())
        .compose(v -> server == null ? Future.succeededFuture() : server.close())
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void aRequestNamedByAnErrorsRefSeqFailsWithItsCode(Vertx vertx, VertxTestContext ctx) {
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    server = vertx.createHttpServer().webSocketHandler(ws -> ws.textMessageHandler(text -> {
      JsonObject f = new JsonObject(text);
      if ("hello".equals(f.getString("type"))) {
        ws.writeTextMessage(new JsonObject().put("type", "welcome").put("sessionId", "s1").put("resumeToken", "t1")
            .put("heartbeatMs", 25_000).put("resumeWindowMs", 120_000).put("node", "fake").encode());
      } else if ("request".equals(f.getString("type"))) {
        long seq = f.getLong("seq");
        ws.writeTextMessage(new JsonObject().put("type", "error").put("code", "rate_limited")
            .put("message", "refused").put("fatal", false).put("refSeq", seq).encode());
        ws.writeTextMessage(new JsonObject().put("type", "ack").put("ack", seq).encode());
      } else if ("bye".equals(f.getString("type"))) {
        ws.close();
      }
    }));
    server.listen(0, "127.0.0.1").compose(s -> {
      client = TetherClient.create(vertx, new TetherClientOptions()
          .setUrl("ws://127.0.0.1:" + s.actualPort() + "/ws").setClientId("refused-requests")
          .setRequestTimeoutMs(15_000));
      client.exceptionHandler(reported::add);
      return client.connect();
    }).compose(v -> client.request("x.any", 1)).onComplete(ctx.failing(e -> ctx.verify(() -> {
      TetherException t = assertInstanceOf(TetherException.class, e);
      assertEquals("rate_limited", t.code());
      assertTrue(t.isRemote());
      assertEquals(List.of(), reported, "the refusal is the request's outcome, not reported as well");
      ctx.completeNow();
    })));
  }
}
