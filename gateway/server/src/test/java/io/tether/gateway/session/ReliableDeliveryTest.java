package io.tether.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Reliable frames: gapless seqs in order, and dropping of duplicate client frames (docs/PROTOCOL.md §3). */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ReliableDeliveryTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o);
  private static GatewayNode node;


  private static JsonObject request(long seq, long stream, String address, JsonObject body) {
    return new JsonObject().put("type", "request").put("seq", seq).put("stream", stream)
        .put("address", address).put("body", body);
  }

  private static boolean isResponseOn(JsonObject f, long stream) {
    return "response".equals(f.getString("type")) && f.getLong("stream", -1L) == stream;
  }

  /**
   * Verifies that 1000 reliable pushes from demo.push arrive in order, with strictly consecutive seqs and bodies
   * n=1..1000, and that the request's response {"sent":1000} arrives after all of them, with the next seq.
   */
  @Test
  void thousandReliablePushesArriveInOrderWithConsecutiveSeqsBeforeTheResponse(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c -> c.autoAck(true).hello("rd-push-1000").compose(w -> {
      var response = c.nextMatching("the response on stream 1", f -> isResponseOn(f, 1));
      c.send(request(c.nextSeq(), 1, "demo.push", new JsonObject().put("count", 1000)));
      return response.map(r -> c);
    })).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      List<JsonObject> reliable = c.received().stream()
          .filter(f -> "push".equals(f.getString("type")) || "response".equals(f.getString("type")))
          .toList();
      assertEquals(1001, reliable.size(), "1000 pushes and one response, nothing else reliable: " + reliable.size());
      long firstSeq = reliable.get(0).getLong("seq");
      assertEquals(1L, firstSeq, "the first reliable server frame of a session has seq 1");
      for (int i = 0; i < 1000; i++) {
        JsonObject push = reliable.get(i);
        assertEquals("push", push.getString("type"), "frame " + i + " is a push: " + push.encode());
        assertEquals(firstSeq + i, push.getLong("seq"), "push seqs are strictly consecutive: " + push.encode());
        assertEquals(0L, push.getLong("stream"), "pushes go on stream 0: " + push.encode());
        assertEquals(new JsonObject().put("n", i + 1), push.getJsonObject("body"), "bodies in order");
      }
      JsonObject response = reliable.get(1000);
      assertTrue(isResponseOn(response, 1), "the response comes after every push: " + response.encode());
      assertEquals(firstSeq + 1000, response.getLong("seq"), "the response takes the next seq, no gap");
      assertEquals(true, response.getBoolean("ok"));
      assertEquals(true, response.getBoolean("fin"));
      assertEquals(new JsonObject().put("sent", 1000), response.getJsonObject("body"));
      ctx.completeNow();
    })));
  }

  /**
   * Verifies that a client frame sent twice with the same seq reaches the backend once: the server answers the
   * duplicate with an {@code ack} of its position and no second response, and the next response frame is the one
   * for the following request.
   */
  @Test
  void duplicateClientFrameIsDroppedAndAnsweredWithAnAck(Vertx vertx, VertxTestContext ctx) {
    JsonObject first = request(1, 1, "demo.echo", new JsonObject().put("i", "first"));
    JsonObject second = request(2, 3, "demo.echo", new JsonObject().put("i", "second"));
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("rd-duplicate").compose(w -> {
      var firstAck = c.next("ack");
      var firstResponse = c.next("response");
      c.send(first);
      return firstAck.compose(a -> firstResponse).compose(r1 -> {
        ctx.verify(() -> assertTrue(isResponseOn(r1, 1), "first response: " + r1.encode()));
        // Every ack of the original has been taken: the next ack can only answer the duplicate.
        var duplicateAck = c.next("ack");
        c.send(first);
        return duplicateAck;
      }).compose(dupAck -> {
        ctx.verify(() -> assertEquals(1L, dupAck.getLong("ack"), "the duplicate is acked with the position 1: "
            + dupAck.encode()));
        var nextResponse = c.next("response");
        c.send(second);
        return nextResponse;
      }).map(r2 -> {
        ctx.verify(() -> {
          assertTrue(isResponseOn(r2, 3), "the next response answers seq 2 (stream 3), not the duplicate: "
              + r2.encode());
          assertEquals(new JsonObject().put("i", "second"), r2.getJsonObject("body"));
        });
        return c;
      });
    })).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      long onStream1 = c.received().stream().filter(f -> isResponseOn(f, 1)).count();
      assertEquals(1, onStream1, "exactly one response for the duplicated request: " + c.received());
      long responses = c.received().stream().filter(f -> "response".equals(f.getString("type"))).count();
      assertEquals(2, responses, "two requests, two responses: " + c.received());
      ctx.completeNow();
    })));
  }
}
