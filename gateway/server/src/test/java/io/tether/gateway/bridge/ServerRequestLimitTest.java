package io.tether.gateway.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The per-session bound on server-initiated requests (docs/PROTOCOL.md §8). */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ServerRequestLimitTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setMaxPendingRequests(1));
  private static GatewayNode node;

  private static Future<Object> ask(String clientId, int n) {
    return node.vertx().eventBus().request("gateway.request", new JsonObject().put("clientId", clientId)
        .put("address", "q").put("body", new JsonObject().put("n", n)).put("timeoutMs", 10_000)).map(m -> m.body());
  }

  /**
   * Verifies that, with maxPendingRequests = 1, a second server-initiated request to a client that has not
   * answered the first fails at once with 429, and that answering the first frees the slot.
   */
  @Test
  void requestBeyondTheOpenLimitFailsUntilTheClientAnswers(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("limit-1").compose(w -> {
      Future<Object> first = ask("limit-1", 1);
      return c.next("request").compose(req -> ask("limit-1", 2).transform(second -> {
        ctx.verify(() -> {
          ReplyException refused = assertInstanceOf(ReplyException.class, second.cause());
          assertEquals(429, refused.failureCode());
        });
        c.send(new JsonObject().put("type", "response").put("seq", c.nextSeq()).put("stream", req.getLong("stream"))
            .put("ok", true).put("body", new JsonObject().put("answer", 1)));
        return first;
      })).compose(answer -> {
        Future<Object> third = ask("limit-1", 3);
        return c.next("request").compose(req -> {
          c.send(new JsonObject().put("type", "response").put("seq", c.nextSeq())
              .put("stream", req.getLong("stream")).put("ok", true).put("body", new JsonObject().put("answer", 3)));
          return third;
        }).map(thirdAnswer -> new Object[] {answer, thirdAnswer});
      });
    })).onComplete(ctx.succeeding(answers -> ctx.verify(() -> {
      assertEquals(new JsonObject().put("answer", 1), answers[0]);
      assertEquals(new JsonObject().put("answer", 3), answers[1]);
      ctx.completeNow();
    })));
  }
}
