package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Against a scripted fake server (no gateway needed): a resume connects with {@code sid} and {@code node} in the
 * query, appended to the URL's own query; the wiretap sees every frame as sent, replays included, while the
 * application sees each push once.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class ResumeUrlAndWiretapTest {

  private HttpServer server;
  private TetherClient client;

  @AfterEach
  void tearDown(Vertx vertx, VertxTestContext ctx) {
    (client == null ? io.vertx.core.Future.succeededFuture() : client.close().otherwiseEmpty())
        .compose(v -> server == null ? io.vertx.core.Future.succeededFuture() : server.close())
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void resumeCarriesSessionAndNodeAndTheWiretapSeesReplays(Vertx vertx, VertxTestContext ctx) {
    List<String> uris = new ArrayList<>();
    List<JsonObject> tapped = new ArrayList<>();
    List<Object> pushes = new ArrayList<>();
    server = vertx.createHttpServer().webSocketHandler(ws -> {
      uris.add(ws.uri());
      ws.textMessageHandler(text -> onClientFrame(ws, new JsonObject(text)));
    });
    server.listen(0, "127.0.0.1").compose(s -> {
      client = TetherClient.create(vertx, new TetherClientOptions()
          .setUrl("ws://127.0.0.1:" + s.actualPort() + "/ws?tenant=a%20b")
          .setClientId("tap-1")
          .setReconnectInitialDelayMs(10)
          .setReconnectMaxDelayMs(20));
      client.inboundFrameHandler(tapped::add);
      client.pushHandler(p -> {
        pushes.add(((JsonObject) p.body()).getValue("n"));
        if (pushes.size() == 2) {
          ctx.verify(() -> {
            assertEquals(List.of(1, 2), pushes, "the application sees each push once");
            assertEquals(2, uris.size());
            assertEquals("/ws?tenant=a%20b", uris.get(0), "hello goes to the configured URL");
            assertEquals("/ws?tenant=a%20b&sid=s%2B1&node=node-7", uris.get(1), "resume adds sid and node");
            List<Object> seqs = new ArrayList<>();
            for (JsonObject f : tapped) {
              if (f.containsKey("seq")) {
                seqs.add(f.getValue("seq"));
              }
            }
            assertEquals(List.of(1, 1, 2), seqs, "the wiretap sees the replay of seq 1 before de-duplication");
            assertEquals("welcome", tapped.get(0).getString("type"));
            assertTrue(tapped.stream().anyMatch(f -> "resumed".equals(f.getString("type"))));
          });
          ctx.completeNow();
        }
      });
      return client.connect();
    }).onFailure(ctx::failNow);
  }

  @Test
  void resumeAfterReconnectDoesNotAskForTheLeavingNode(Vertx vertx, VertxTestContext ctx) {
    List<String> uris = new ArrayList<>();
    server = vertx.createHttpServer().webSocketHandler(ws -> {
      uris.add(ws.uri());
      ws.textMessageHandler(text -> {
        JsonObject frame = new JsonObject(text);
        switch (frame.getString("type")) {
          case "hello" -> {
            ws.writeTextMessage(new JsonObject().put("type", "welcome").put("sessionId", "s1").put("resumeToken", "t1")
                .put("heartbeatMs", 25000).put("resumeWindowMs", 120000).put("node", "node-1").encode());
            ws.writeTextMessage(new JsonObject().put("type", "reconnect").put("reason", "shutdown").encode());
          }
          case "resume" -> ws.writeTextMessage(new JsonObject().put("type", "resumed").put("sessionId", "s1")
              .put("resumeToken", "t2").put("lastSeq", 0).put("node", "node-2").encode());
          case "bye" -> ws.close();
          default -> { }
        }
      });
    });
    server.listen(0, "127.0.0.1").compose(s -> {
      client = TetherClient.create(vertx, new TetherClientOptions()
          .setUrl("ws://127.0.0.1:" + s.actualPort() + "/ws").setClientId("tap-2"));
      client.sessionHandler(e -> {
        if (e.kind() == SessionEvent.Kind.RESUMED) {
          ctx.verify(() -> {
            assertEquals(List.of("/ws", "/ws?sid=s1"), uris, "no node=node-1: that node is shutting down");
            assertEquals("node-2", client.node());
          });
          ctx.completeNow();
        }
      });
      return client.connect();
    }).onFailure(ctx::failNow);
  }

  /** Connection 1: welcome, push 1, then drop the socket. Connection 2: resumed, replay push 1 anyway, push 2. */
  private static void onClientFrame(ServerWebSocket ws, JsonObject frame) {
    switch (frame.getString("type")) {
      case "hello" -> {
        ws.writeTextMessage(new JsonObject().put("type", "welcome").put("sessionId", "s+1").put("resumeToken", "t1")
            .put("heartbeatMs", 25000).put("resumeWindowMs", 120000).put("node", "node-7").encode());
        ws.writeTextMessage(push(1));
        ws.close();
      }
      case "resume" -> {
        ws.writeTextMessage(new JsonObject().put("type", "resumed").put("sessionId", "s+1").put("resumeToken", "t2")
            .put("lastSeq", 0).put("node", "node-8").encode());
        ws.writeTextMessage(push(1)); // a replay the client already has: dropped by the client, seen by the tap
        ws.writeTextMessage(push(2));
      }
      case "bye" -> ws.close();
      default -> { }
    }
  }

  private static String push(int seq) {
    return new JsonObject().put("type", "push").put("seq", seq).put("stream", 0)
        .put("body", new JsonObject().put("n", seq)).encode();
  }
}
