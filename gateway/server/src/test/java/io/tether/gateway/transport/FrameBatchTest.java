package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link FrameBatch} on a real node and a real client: the frames of one batch, framed by the node into one buffer,
 * are read back by Vert.x's WebSocket client (which checks every frame header) byte for byte and in order, across the
 * three payload-length forms of RFC 6455 (7, 16 and 64 bits), with multi-byte UTF-8, and across the buffer's spill.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class FrameBatchTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setMaxFrameBytes(100_000)
      .setBufferMaxBytes(16L * 1024 * 1024));

  /** Verifies that a batch whose frames straddle the 125/126-byte length boundary arrives intact and in order. */
  @Test
  void framesAroundTheSevenBitLengthBoundaryArriveIntact(Vertx vertx, VertxTestContext ctx) {
    List<String> pads = new ArrayList<>();
    for (int n = 60; n <= 100; n++) {
      pads.add("a".repeat(n));
    }
    sendAndCompare(vertx, "batch-7bit", pads).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that multi-byte UTF-8 (2, 3 and 4 bytes a character) is framed by its byte length, not its chars. */
  @Test
  void multiByteTextIsFramedByItsUtf8Length(Vertx vertx, VertxTestContext ctx) {
    List<String> pads = new ArrayList<>();
    for (int n = 15; n <= 35; n++) {
      pads.add("é".repeat(n));
      pads.add("€".repeat(n));
      pads.add("😀".repeat(n / 2) + "x");
    }
    sendAndCompare(vertx, "batch-utf8", pads).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that frames around the 65 535/65 536-byte boundary (16- and 64-bit lengths), a 2 MB batch that spills
   * the buffer several times, arrive intact and in order.
   */
  @Test
  void largeFramesAroundTheSixteenBitLengthBoundaryArriveIntact(Vertx vertx, VertxTestContext ctx) {
    List<String> pads = new ArrayList<>();
    for (int n = 65_470; n <= 65_510; n++) {
      pads.add("b".repeat(n));
    }
    sendAndCompare(vertx, "batch-16bit", pads).onComplete(ctx.succeedingThenComplete());
  }

  /** Sends {@code pads} as one gateway.send batch (one store write) and checks what the client reads. */
  private static Future<Void> sendAndCompare(Vertx vertx, String clientId, List<String> pads) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(200_000)
        .setMaxMessageSize(200_000));
    WebSocketConnectOptions target = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(NODE.node().port())
        .setURI(WireClient.PATH);
    JsonArray bodies = new JsonArray();
    pads.forEach(p -> bodies.add(new JsonObject().put("p", p)));
    List<String> got = new ArrayList<>();
    Promise<Void> all = Promise.promise();
    return client.connect(target).compose(ws -> WireClient.hello(ws, clientId).compose(v -> {
      ws.textMessageHandler(text -> {
        JsonObject f = new JsonObject(text);
        if ("push".equals(f.getString("type"))) {
          got.add(f.getJsonObject("body").getString("p"));
          ws.writeTextMessage(new JsonObject().put("type", "ack").put("ack", f.getLong("seq")).encode());
          if (got.size() == pads.size()) {
            all.tryComplete();
          }
        }
      });
      ws.closeHandler(c -> all.tryFail("socket closed after " + got.size() + " frames: " + ws.closeStatusCode()));
      return NODE.node().vertx().eventBus().request("gateway.send", new JsonObject().put("clientId", clientId)
          .put("bodies", bodies)).compose(r -> all.future());
    }).map(v -> {
      assertEquals(pads, got, "every frame byte for byte, in order");
      return (Void) null;
    }).eventually(() -> ws.close()));
  }
}
