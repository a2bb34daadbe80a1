package io.tether.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The {@code hello}/{@code welcome} handshake and a first request (docs/PROTOCOL.md §2, §5). */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class HandshakeTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o);
  private static GatewayNode node;


  /** Verifies that welcome carries an unguessable session id and token, the timings and the node id. */
  @Test
  void welcomeCarriesSessionIdTokenTimingsAndNode(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port())
        .compose(c -> c.hello("hs-welcome"))
        .onComplete(ctx.succeeding(welcome -> ctx.verify(() -> {
          assertEquals("welcome", welcome.getString("type"));
          assertTrue(welcome.getString("sessionId").length() >= 22, "session id carries >= 128 bits");
          assertTrue(welcome.getString("resumeToken").length() >= 22, "token carries >= 128 bits");
          assertNotEquals(welcome.getString("sessionId"), welcome.getString("resumeToken"));
          assertEquals(node.options().getHeartbeatMs(), welcome.getLong("heartbeatMs"));
          assertEquals(node.options().getResumeWindowMs(), welcome.getLong("resumeWindowMs"));
          assertEquals(node.nodeId(), welcome.getString("node"));
          ctx.completeNow();
        })));
  }

  /** Verifies that a request to demo.echo comes back as the final response on its stream with the same body. */
  @Test
  void echoRequestIsAnsweredOnItsStream(Vertx vertx, VertxTestContext ctx) {
    JsonObject body = new JsonObject().put("hello", "world").put("n", 7);
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("hs-echo").compose(w -> {
      c.send(new JsonObject().put("type", "request").put("seq", c.nextSeq()).put("stream", 1)
          .put("address", "demo.echo").put("body", body));
      return c.next("response");
    })).onComplete(ctx.succeeding(resp -> ctx.verify(() -> {
      assertEquals(1, resp.getLong("stream"));
      assertEquals(true, resp.getBoolean("ok"));
      assertEquals(true, resp.getBoolean("fin"));
      assertEquals(body, resp.getJsonObject("body"));
      ctx.completeNow();
    })));
  }
}
