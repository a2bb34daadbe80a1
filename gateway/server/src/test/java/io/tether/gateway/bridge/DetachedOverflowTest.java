package io.tether.gateway.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A detached session whose buffer overflows has expired (docs/PROTOCOL.md §3): senders hear at once that it is gone,
 * with the reason, and do not wait for acks that will never come.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class DetachedOverflowTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setBufferMaxFrames(1000));
  private static GatewayNode node;

  /** Completes (inner future) when {@code clientId}'s presence becomes DETACHED; outer: the listener is registered. */
  private static Future<Future<Void>> detached(String clientId) {
    Promise<Void> seen = Promise.promise();
    MessageConsumer<JsonObject> consumer = node.vertx().eventBus().consumer(GatewayApi.PRESENCE_EVENTS);
    consumer.handler(m -> {
      if (clientId.equals(m.body().getString("clientId")) && "DETACHED".equals(m.body().getString("state"))
          && seen.tryComplete()) {
        consumer.unregister();
      }
    });
    return consumer.completion().map(v -> seen.future());
  }

  /** A client that said hello and then lost its socket: its session is detached, with an empty buffer. */
  private static Future<Void> detachedClient(Vertx vertx, String clientId) {
    return detached(clientId).compose(event -> WireClient.connect(vertx, node.port())
        .compose(c -> c.hello(clientId).compose(w -> c.close()))
        .compose(v -> event));
  }

  /**
   * Verifies that once a detached session has overflowed, a send to it fails at once as not retryable
   * ({@code no_session}, naming the overflow), and so does the next one.
   */
  @Test
  void sendsToADetachedSessionThatOverflowedFailAtOnceAsGone(Vertx vertx, VertxTestContext ctx) {
    String clientId = "ovf-send";
    JsonObject send = new JsonObject().put("clientId", clientId).put("bodies",
        new JsonArray(Collections.nCopies(1000, new JsonObject().put("x", 1))));
    detachedClient(vertx, clientId)
        .compose(v -> node.vertx().eventBus().request(GatewayApi.SEND, send)) // fills the 1000-frame buffer
        .compose(v -> node.vertx().eventBus().request(GatewayApi.SEND, new JsonObject().put("clientId", clientId)
            .put("body", 1001)).transform(first -> node.vertx().eventBus().request(GatewayApi.SEND,
                new JsonObject().put("clientId", clientId).put("body", 1002)).transform(second -> {
                  ctx.verify(() -> {
                    for (var ar : List.of(first, second)) {
                      assertTrue(ar.failed(), "the session is gone: " + ar.result());
                      ReplyException e = (ReplyException) ar.cause();
                      assertEquals(BackendFailure.NO_SESSION, BackendFailure.of(e), e.getMessage());
                      assertTrue(e.getMessage().contains("overflow"), e.getMessage());
                      assertEquals(false, BackendFailure.of(e).retryable());
                    }
                  });
                  return Future.succeededFuture();
                })))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that demo.push of more pushes than a detached client's buffer holds answers promptly with the overflow
   * (it used to retry a "buffer full" answer until the gateway's 30 s request timeout).
   */
  @Test
  void demoPushToADetachedClientBeyondItsBufferAnswersWithTheOverflow(Vertx vertx, VertxTestContext ctx) {
    String target = "ovf-demo-target";
    detachedClient(vertx, target)
        .compose(v -> WireClient.connect(vertx, node.port()))
        .compose(caller -> caller.hello("ovf-demo-caller").compose(w -> {
          long seq = caller.nextSeq();
          Future<JsonObject> response = caller.nextMatching("the demo.push response",
              f -> "response".equals(f.getString("type")));
          caller.send(new JsonObject().put("type", "request").put("seq", seq).put("stream", 2 * seq - 1)
              .put("address", "demo.push").put("body", new JsonObject().put("count", 1100).put("to", target)));
          return response;
        }))
        .onComplete(ctx.succeeding(resp -> ctx.verify(() -> {
          assertEquals(false, resp.getBoolean("ok"), resp.encode());
          assertTrue(resp.getJsonObject("error").getString("message").contains("overflow"), resp.encode());
          ctx.completeNow();
        })));
  }
}
