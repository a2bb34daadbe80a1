package io.tether.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --auth backend} on real nodes: the demo backend's example authenticator (on {@code gateway.auth}) grants
 * {@code demo:<clientId>} tokens and refuses others; a node whose authenticator never answers refuses within its
 * {@code authTimeoutMs} with reason {@code unavailable}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class BackendAuthTest {

  static final String SILENT = "test.auth.silent";
  static final long TIMEOUT_MS = 500;

  @RegisterExtension
  static final NodeExtension DEMO = NodeExtension.start(o -> o.setAuth(GatewayOptions.AuthMode.BACKEND));

  @RegisterExtension
  static final NodeExtension SILENT_NODE = NodeExtension.start(o -> o.setAuth(GatewayOptions.AuthMode.BACKEND)
      .setAuthAddress(SILENT).setAuthTimeoutMs(TIMEOUT_MS));

  static Future<JsonObject> hello(Vertx vertx, NodeExtension node, String clientId, String token) {
    return WireClient.connect(vertx, node.node().port()).compose(c -> {
      Future<JsonObject> answer = c.nextOf("welcome", "error");
      c.send(new JsonObject().put("type", "hello").put("clientId", clientId).put("token", token));
      return answer;
    });
  }

  @Test
  void theDemoAuthenticatorGrantsADemoToken(Vertx vertx, VertxTestContext ctx) {
    hello(vertx, DEMO, "carol", "demo:carol").onComplete(ctx.succeeding(f -> ctx.verify(() -> {
      assertEquals("welcome", f.getString("type"), f.encode());
      ctx.completeNow();
    })));
  }

  @Test
  void theDemoAuthenticatorRefusesATokenItDoesNotKnow(Vertx vertx, VertxTestContext ctx) {
    hello(vertx, DEMO, "carol", "password123").onComplete(ctx.succeeding(f -> ctx.verify(() -> {
      assertEquals("unauthorized", f.getString("code"), f.encode());
      assertEquals(AuthRefused.REFUSED, f.getString("reason"));
      assertTrue(f.getBoolean("fatal"));
      ctx.completeNow();
    })));
  }

  @Test
  void theDemoAuthenticatorRefusesATokenForAnotherClient(Vertx vertx, VertxTestContext ctx) {
    hello(vertx, DEMO, "mallory", "demo:carol").onComplete(ctx.succeeding(f -> ctx.verify(() -> {
      assertEquals("unauthorized", f.getString("code"), f.encode());
      ctx.completeNow();
    })));
  }

  @Test
  void anAuthenticatorThatDoesNotAnswerRefusesWithinTheTimeout(Vertx vertx, VertxTestContext ctx) {
    // Registered, so the request waits (a missing handler would fail at once): it never replies.
    SILENT_NODE.node().vertx().eventBus().consumer(SILENT, m -> { })
        .completion()
        .compose(v -> {
          long started = System.nanoTime();
          return hello(vertx, SILENT_NODE, "dave", "anything")
              .map(f -> f.put("elapsedMs", (System.nanoTime() - started) / 1_000_000));
        })
        .onComplete(ctx.succeeding(f -> ctx.verify(() -> {
          assertEquals("unauthorized", f.getString("code"), f.encode());
          assertEquals(AuthRefused.UNAVAILABLE, f.getString("reason"));
          long elapsed = f.getLong("elapsedMs");
          System.out.println("silent authenticator: refused after " + elapsed + " ms (timeout " + TIMEOUT_MS + ")");
          assertTrue(elapsed >= TIMEOUT_MS, "not before the timeout: " + elapsed);
          ctx.completeNow();
        })));
  }
}
