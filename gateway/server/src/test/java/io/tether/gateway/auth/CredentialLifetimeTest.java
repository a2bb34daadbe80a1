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
 * A credential's lifetime in a session (docs/PROTOCOL.md §2 "Credential lifetime"): {@code refresh} before it
 * expires, {@code auth} renews it in place, and without a renewal the socket closes at expiry + grace with
 * {@code credential_expired}; the session then resumes only with a fresh token. Tokens here live 3 s.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class CredentialLifetimeTest {

  static final long LEAD_MS = 2_000;
  static final long GRACE_MS = 500;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAuth(GatewayOptions.AuthMode.JWT)
      .setJwtSecret(TestKeys.SECRET).setRefreshLeadMs(LEAD_MS).setCredentialGraceMs(GRACE_MS));

  static String token(Vertx vertx, String sub, long seconds) {
    return TestKeys.hs256(vertx, TestKeys.SECRET, TestKeys.claims(sub, seconds));
  }

  static Future<WireClient> connect(Vertx vertx, String clientId, String token) {
    return WireClient.connect(vertx, NODE.node().port()).compose(c -> c.hello(clientId, token).map(w -> c));
  }

  static Future<JsonObject> echo(WireClient c) {
    return c.request("demo.echo", new JsonObject());
  }

  /** Completes once the wall clock is past {@code epochMs}: the deadline under test is the clock itself. */
  static Future<Void> after(Vertx vertx, long epochMs) {
    long wait = epochMs - System.currentTimeMillis();
    return wait <= 0 ? Future.succeededFuture() : vertx.timer(wait).mapEmpty();
  }

  @Test
  void theServerAsksForARefreshBeforeTheCredentialExpires(Vertx vertx, VertxTestContext ctx) {
    String t = token(vertx, "r-1", 3);
    connect(vertx, "r-1", t).compose(c -> c.next("refresh"))
        .onComplete(ctx.succeeding(refresh -> ctx.verify(() -> {
          long expiresAt = refresh.getLong("expiresAt");
          assertTrue(expiresAt > System.currentTimeMillis(), "announced before expiry: " + refresh.encode());
          ctx.completeNow();
        })));
  }

  @Test
  void anAuthFrameRenewsTheCredentialAndTheSessionOutlivesTheOldExpiry(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, "r-2", token(vertx, "r-2", 3)).compose(c -> c.next("refresh").compose(refresh -> {
      Future<JsonObject> ok = c.next("auth_ok");
      c.send(new JsonObject().put("type", "auth").put("token", token(vertx, "r-2", 120)));
      return ok.compose(a -> after(vertx, refresh.getLong("expiresAt") + GRACE_MS + 1_500))
          .compose(v -> echo(c))
          .map(r -> new Object[] {c, r});
    })).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      WireClient c = (WireClient) r[0];
      assertTrue(((JsonObject) r[1]).getBoolean("ok"));
      assertTrue(c.received().stream().noneMatch(f -> "error".equals(f.getString("type"))), c.received().toString());
      ctx.completeNow();
    })));
  }

  @Test
  void anAuthFrameForAnotherClientIsRefusedAndTheSessionGoesOn(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, "r-3", token(vertx, "r-3", 60)).compose(c -> {
      Future<JsonObject> error = c.next("error");
      c.send(new JsonObject().put("type", "auth").put("token", token(vertx, "someone-else", 60)));
      return error.compose(e -> echo(c).map(r -> new JsonObject[] {e, r}));
    }).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertEquals("unauthorized", r[0].getString("code"), r[0].encode());
      assertEquals(AuthRefused.WRONG_CLIENT, r[0].getString("reason"));
      assertEquals(Boolean.FALSE, r[0].getBoolean("fatal"));
      assertTrue(r[1].getBoolean("ok"));
      ctx.completeNow();
    })));
  }

  @Test
  void withoutARenewalTheSocketClosesAtExpiryPlusGrace(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, "r-4", token(vertx, "r-4", 3)).compose(c -> c.next("refresh").compose(refresh -> {
      Future<JsonObject> error = c.next("error");
      return error.compose(e -> c.closed().map(code -> new Object[] {refresh, e, code, System.currentTimeMillis()}));
    })).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      long expiresAt = ((JsonObject) r[0]).getLong("expiresAt");
      JsonObject error = (JsonObject) r[1];
      assertEquals("unauthorized", error.getString("code"), error.encode());
      assertEquals(AuthRefused.CREDENTIAL_EXPIRED, error.getString("reason"));
      assertEquals(Boolean.TRUE, error.getBoolean("fatal"));
      assertEquals((short) 1008, r[2]);
      assertTrue((long) r[3] >= expiresAt + GRACE_MS, "not before expiry + grace");
      ctx.completeNow();
    })));
  }

  @Test
  void aResumeAfterExpiryNeedsAFreshToken(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, "r-5", token(vertx, "r-5", 3)).compose(c -> c.next("error").compose(e -> c.closed())
        .compose(code -> WireClient.connect(vertx, NODE.node().port()))
        .compose(bare -> bare.resume(c.sessionId(), c.resumeToken(), c.lastSeq()))
        .compose(refused -> WireClient.connect(vertx, NODE.node().port()).compose(fresh -> {
          fresh.continueSeqsAfter(c.lastAllocatedSeq());
          Future<JsonObject> answer = fresh.nextOf("resumed", "error");
          fresh.send(new JsonObject().put("type", "resume").put("sessionId", c.sessionId())
              .put("resumeToken", c.resumeToken()).put("lastSeq", c.lastSeq()).put("token", token(vertx, "r-5", 60)));
          return answer.compose(resumed -> echo(fresh).map(r -> new JsonObject[] {refused, resumed, r}));
        })))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals("unauthorized", r[0].getString("code"), r[0].encode());
          assertEquals(AuthRefused.CREDENTIAL_EXPIRED, r[0].getString("reason"));
          assertEquals("resumed", r[1].getString("type"), r[1].encode());
          assertTrue(r[2].getBoolean("ok"));
          ctx.completeNow();
        })));
  }
}
