package io.tether.gateway.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.api.GatewayApi;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The demo backend's retry rule (docs/PROTOCOL.md §8, §9) against a scripted {@code gateway.send}: a fake one level
 * below the demo, which is the thing under test. A retryable failure ({@link BackendFailure#retryable()}) is tried
 * again with the same idempotency key; a final one ends the demo.push at once. The real gateway behind
 * {@code gateway.send} is covered by EventBusBridgeTest and the e2e fault suite.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class DemoBackendTest {

  /** Every gateway.send the demo made, in order. */
  private final List<JsonObject> sends = new ArrayList<>();

  /** Deploys the demo beside a gateway.send that answers the n-th call (from 0) with {@code failureOfCall.apply(n)} (null: success). */
  private Future<String> deploy(Vertx vertx, Function<Integer, ReplyException> failureOfCall) {
    vertx.eventBus().<JsonObject>consumer(GatewayApi.SEND, m -> {
      sends.add(m.body());
      ReplyException failure = failureOfCall.apply(sends.size() - 1);
      if (failure != null) {
        m.fail(failure.failureCode(), failure.getMessage());
      } else {
        m.reply(new JsonObject().put("seq", sends.size()));
      }
    });
    return vertx.deployVerticle(new DemoBackend(true));
  }

  private static Future<Message<JsonObject>> demoPush(Vertx vertx, JsonObject body) {
    return vertx.eventBus().request("demo.push", body, new DeliveryOptions()
        .addHeader(GatewayApi.HEADER_SESSION_ID, "session-1")
        .addHeader(GatewayApi.HEADER_REQUEST_ID, "session-1/7"));
  }

  /** Verifies that every push of a demo.push carries the request's tag, so a client can tell two requests apart. */
  @Test
  void demoPushPutsTheRequestsTagInEveryPush(Vertx vertx, VertxTestContext ctx) {
    deploy(vertx, n -> null)
        .compose(id -> demoPush(vertx, new JsonObject().put("count", 3).put("tag", 42)))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          assertEquals(new JsonObject().put("sent", 3), reply.body());
          assertEquals(1, sends.size());
          JsonObject send = sends.get(0);
          assertEquals("session-1", send.getString("sessionId"));
          assertEquals(new JsonArray()
              .add(new JsonObject().put("n", 1).put("tag", 42))
              .add(new JsonObject().put("n", 2).put("tag", 42))
              .add(new JsonObject().put("n", 3).put("tag", 42)), send.getJsonArray("bodies"));
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that a batch whose store write failed ({@code internal}, retryable: it may have been applied, e.g. in a
   * split) is sent again with the same id, and the demo.push succeeds; before, the demo gave up and the client saw
   * an error while the pushes it had been told failed could still arrive.
   */
  @Test
  void demoPushSendsABatchAgainWithItsIdAfterAStoreFailure(Vertx vertx, VertxTestContext ctx) {
    deploy(vertx, n -> n == 0 ? BackendFailure.INTERNAL.toReply("session store unavailable") : null)
        .compose(id -> demoPush(vertx, new JsonObject().put("count", 2)))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          assertEquals(new JsonObject().put("sent", 2), reply.body());
          assertEquals(2, sends.size(), "the failed batch is sent once more");
          assertEquals("session-1/7/1", sends.get(0).getString("id"));
          assertEquals(sends.get(0), sends.get(1), "the same batch, with the same idempotency key");
          ctx.completeNow();
        })));
  }

  /** Verifies that a failure the API marks final (the session is gone) ends the demo.push at once, with its code. */
  @Test
  void demoPushStopsAtAFinalFailure(Vertx vertx, VertxTestContext ctx) {
    deploy(vertx, n -> BackendFailure.NO_SESSION.toReply("session-1 expired (overflow)"))
        .compose(id -> demoPush(vertx, new JsonObject().put("count", 2)))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          ReplyException re = assertInstanceOf(ReplyException.class, e);
          assertEquals(BackendFailure.NO_SESSION.code(), re.failureCode());
          assertEquals(1, sends.size(), "not tried again");
          ctx.completeNow();
        })));
  }
}
