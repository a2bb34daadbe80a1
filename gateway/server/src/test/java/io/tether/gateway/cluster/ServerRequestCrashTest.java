package io.tether.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The documented gap of {@code gateway.request} across a crashed waiting node (docs/ARCHITECTURE.md "What is
 * deliberately not here yet", docs/PROTOCOL.md §8 "crashes and retries"; docs/RELIABILITY.md says why it stays):
 * node A holds the client and waits for its answer; A crashes. What the backend sees: a retryable 503
 * {@code unavailable}, within a second here (loopback; at most the failure-detection time of the network), not a
 * wait for its timeout. What the client sees: it resumes on B and gets the request frame again if it had missed it;
 * its answer to that request is taken (acked) and dropped, since nobody waits for it; the backend's retry (a new
 * {@code gateway.request}) reaches it as a new request, and that answer comes back.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ServerRequestCrashTest {

  /** The backend runs beside node B and talks to B's bridge. */
  private static final DeliveryOptions ON_B = new DeliveryOptions().setLocalOnly(true).setSendTimeout(20_000);
  private static final long ASK_TIMEOUT_MS = 15_000;
  /** What "at once" means here: far below the backend's 15 s timeout; loopback detects the crash in < 1 s. */
  private static final long FAIL_WITHIN_MS = 5_000;

  private GatewayNode a;
  private GatewayNode b;

  @BeforeEach
  void startCluster(VertxTestContext ctx) {
    TestNodes.cluster(2, o -> o).onComplete(ctx.succeeding(nodes -> {
      a = nodes.get(0);
      b = nodes.get(1);
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stopCluster(VertxTestContext ctx) {
    TestNodes.stopAll(java.util.Arrays.asList(b)).onComplete(ctx.succeedingThenComplete());
  }

  private static Future<Void> crash(GatewayNode node) {
    node.hazelcast().getLifecycleService().terminate();
    return node.vertx().close().otherwiseEmpty();
  }

  private Future<Message<Object>> ask(String clientId, String question) {
    return b.vertx().eventBus().request(GatewayApi.REQUEST, new JsonObject().put("clientId", clientId)
        .put("address", "app.question").put("body", new JsonObject().put("q", question))
        .put("timeoutMs", ASK_TIMEOUT_MS), ON_B);
  }

  private static JsonObject answer(WireClient c, JsonObject request, String text) {
    return new JsonObject().put("type", "response").put("seq", c.nextSeq()).put("stream", request.getLong("stream"))
        .put("ok", true).put("body", new JsonObject().put("a", text));
  }

  @Test
  void theBackendGetsA503AtOnceAndItsRetryIsAnsweredAfterTheResume(Vertx vertx, VertxTestContext ctx) {
    String clientId = "ask-across-crash";
    long[] crashedAt = new long[1];
    WireClient.connect(vertx, a.port()).compose(c1 -> c1.hello(clientId).compose(w -> {
      Future<Message<Object>> first = ask(clientId, "first");
      return c1.next("request").compose(req1 -> {
        // the client got the question; before it answers, A (which waits for the answer) crashes
        crashedAt[0] = System.nanoTime();
        return crash(a).compose(v -> first.transform(ar -> {
          long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crashedAt[0]);
          ctx.verify(() -> {
            assertTrue(ar.failed(), "the backend's call cannot succeed: " + ar.result());
            BackendFailure f = BackendFailure.of(ar.cause());
            assertEquals(BackendFailure.UNAVAILABLE, f, "503 unavailable: " + ar.cause().getMessage());
            assertTrue(f.retryable());
            assertTrue(ms < FAIL_WITHIN_MS, "failed " + ms + " ms after the crash");
          });
          System.out.println("ServerRequestCrashTest: the backend's gateway.request failed with "
              + BackendFailure.of(ar.cause()).code() + " " + ar.cause().getMessage() + ", " + ms + " ms after the crash");
          return Future.succeededFuture(req1);
        }));
      }).compose(req1 -> WireClient.connect(vertx, b.port()).compose(c2 -> {
        // resumed as a client that had missed the request frame: it comes again, the same stream
        c2.continueSeqsAfter(c1.lastAllocatedSeq());
        return c2.resume(c1.sessionId(), c1.resumeToken(), 0).compose(resumed -> {
          ctx.verify(() -> assertEquals("resumed", resumed.getString("type"), resumed.encode()));
          return c2.next("request");
        }).compose(again -> {
          ctx.verify(() -> assertEquals(req1.getLong("stream"), again.getLong("stream"), "the same request"));
          JsonObject late = answer(c2, again, "late");
          c2.send(late);
          return c2.nextMatching("the ack of the late answer", f -> "ack".equals(f.getString("type"))
              && f.getLong("ack") >= late.getLong("seq")).map(x -> c2);
        });
      })).compose(c2 -> {
        // the backend's rule: retry (a new question); the resumed client answers it
        Future<Message<Object>> retry = ask(clientId, "retry");
        return c2.next("request").compose(req2 -> {
          c2.send(answer(c2, req2, "on time"));
          return retry;
        }).map(reply -> {
          ctx.verify(() -> {
            Object body = reply.body();
            @SuppressWarnings("unchecked")
            JsonObject got = body instanceof JsonObject j ? j : new JsonObject((java.util.Map<String, Object>) body);
            assertEquals(new JsonObject().put("a", "on time"), got,
                "the retry's answer, not the late one");
            List<JsonObject> errors = c2.received().stream().filter(f -> "error".equals(f.getString("type")))
                .toList();
            assertEquals(List.of(), errors, "the dropped late answer is not an error for the client");
          });
          return (Void) null;
        });
      });
    })).onComplete(ctx.succeedingThenComplete());
  }
}
