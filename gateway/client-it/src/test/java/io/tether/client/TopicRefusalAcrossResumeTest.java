package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A refused subscribe whose refusal was lost in a break still fails after the SDK resumes (docs/PROTOCOL.md §7,
 * docs/CLIENT.md "Topics"): the relay drops the connection exactly when the node's refusal passes, so the client
 * never reads it; it resumes, the server says it has the subscribe's seq ({@code resumed.lastSeq}), and the subscribe
 * must not be taken as accepted: the server repeats the refusal before its ack and the SDK waits for that ack.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class TopicRefusalAcrossResumeTest {

  private static GatewayNode node;

  @BeforeAll
  static void start(VertxTestContext ctx) {
    TestNodes.start(o -> o.setAllowedTopics(List.of("prices/*"))).onComplete(ctx.succeeding(n -> {
      node = n;
      ctx.completeNow();
    }));
  }

  @AfterAll
  static void stop(VertxTestContext ctx) {
    node.stop().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void aSubscribeWhoseRefusalWasLostInABreakFailsAfterTheResume(Vertx vertx, VertxTestContext ctx) {
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    List<SessionEvent> events = new CopyOnWriteArrayList<>();
    FaultyRelay.start(vertx, node.port()).compose(relay -> {
      TetherClient c = TetherClient.create(vertx, new TetherClientOptions()
          .setUrl("ws://127.0.0.1:" + relay.port() + "/ws").setClientId("sdk-refusal-lost"));
      c.exceptionHandler(reported::add);
      c.sessionHandler(events::add);
      return c.connect()
          .compose(v -> c.subscribe("prices/ok", 0))
          .compose(v -> {
            relay.dropWhenServerSends("\"refSeq\"");
            return c.subscribe("secrets/x", 0).map("accepted").recover(e -> Future.succeededFuture(
                e instanceof TetherException t ? t.code() : e.toString()));
          })
          .map(outcome -> {
            ctx.verify(() -> {
              assertEquals("not_allowed", outcome, "the refused subscribe fails, although its refusal was lost");
              assertTrue(events.stream().anyMatch(e -> e.kind() == SessionEvent.Kind.RESUMED),
                  "the break was resumed: " + events);
              assertFalse(c.subscriptions().containsKey("secrets/x"), "not followed: " + c.subscriptions());
              assertTrue(c.subscriptions().containsKey("prices/ok"), "still followed: " + c.subscriptions());
              assertEquals(List.of(), reported, "the refusal is the subscribe's outcome, not reported as well");
            });
            return c;
          })
          .compose(TetherClient::close)
          .compose(v -> relay.stop());
    }).onComplete(ctx.succeedingThenComplete());
  }
}
