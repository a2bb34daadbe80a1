package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The SDK against a node with {@code --auth jwt}: with a token supplier it renews the credential in the session
 * when the server asks ({@code refresh} → {@code auth}), so a session outlives many short-lived tokens without a
 * break (docs/CLIENT.md "Authentication").
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ClientAuthTest {

  private static final String SECRET = "sdk-test-secret-of-at-least-32-characters";
  /** Each token lives this long; the server asks for a new one 2 s before expiry and closes 0.5 s after it. */
  private static final long TOKEN_SECONDS = 3;
  private static GatewayNode node;

  @BeforeAll
  static void start(VertxTestContext ctx) {
    TestNodes.start(o -> o.setAuth(GatewayOptions.AuthMode.JWT).setJwtSecret(SECRET).setRefreshLeadMs(2_000)
        .setCredentialGraceMs(500)).onComplete(ctx.succeeding(n -> {
          node = n;
          ctx.completeNow();
        }));
  }

  @AfterAll
  static void stop(VertxTestContext ctx) {
    TestNodes.stopAll(List.of(node)).onComplete(ctx.succeedingThenComplete());
  }

  private static String token(Vertx vertx, String sub) {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256")
        .setBuffer(SECRET))).generateToken(new JsonObject().put("sub", sub)
        .put("exp", System.currentTimeMillis() / 1000 + TOKEN_SECONDS), new JWTOptions().setNoTimestamp(true));
  }

  @Test
  void aTokenSupplierKeepsTheSessionAliveAcrossShortLivedTokens(Vertx vertx, VertxTestContext ctx) {
    AtomicInteger issued = new AtomicInteger();
    TetherClient client = TetherClient.create(vertx, new TetherClientOptions()
        .setUrl("ws://127.0.0.1:" + node.port() + "/ws").setClientId("sdk-renewing")
        .setTokenSupplier(() -> {
          issued.incrementAndGet();
          return Future.succeededFuture(token(vertx, "sdk-renewing"));
        }));
    ClientWatch watch = ClientWatch.watch(client);
    long outlive = System.currentTimeMillis() + 3 * TOKEN_SECONDS * 1000;
    client.connect()
        // Three token lifetimes: without renewal the server would have closed the socket twice by now.
        .compose(v -> vertx.timer(Math.max(1, outlive - System.currentTimeMillis())))
        .compose(v -> client.request("demo.echo", new JsonObject().put("still", "here")))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          assertEquals("here", ((JsonObject) reply).getString("still"));
          assertEquals(List.of(SessionEvent.Kind.STARTED), watch.kinds(), "one session, never resumed: "
              + watch.events);
          assertTrue(watch.states.stream().noneMatch(s -> s == ConnectionState.RECONNECTING),
              "no break: " + watch.states);
          assertTrue(issued.get() >= 3, "the hello's token and at least two renewals: " + issued.get());
          client.close().onComplete(x -> ctx.completeNow());
        })));
  }

  @Test
  void aRefusedCredentialFailsConnectWithUnauthorizedAndItsReason(Vertx vertx, VertxTestContext ctx) {
    TetherClient client = TetherClient.create(vertx, new TetherClientOptions()
        .setUrl("ws://127.0.0.1:" + node.port() + "/ws").setClientId("sdk-refused").setToken("not-a-jwt"));
    client.connect().onComplete(ctx.failing(e -> ctx.verify(() -> {
      TetherException t = (TetherException) e;
      assertEquals("unauthorized", t.code(), t.getMessage());
      assertEquals("invalid_token", t.reason());
      client.close().onComplete(x -> ctx.completeNow());
    })));
  }
}
