package io.tether.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With authentication on, a session belongs to whoever holds the credential of its clientId (docs/SECURITY.md): a
 * client without it cannot replace, resume or end another's session; backends learn the proven identity from a
 * header, can narrow what a client may call through the token, and can kick a client.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class IdentityTest {

  static final String WHOAMI = "test.whoami";

  @RegisterExtension
  static final NodeExtension REPLACE = NodeExtension.start(o -> o.setAuth(GatewayOptions.AuthMode.JWT)
      .setJwtSecret(TestKeys.SECRET).setAllowedAddresses(List.of("test.*")));

  @RegisterExtension
  static final NodeExtension REFUSE = NodeExtension.start(o -> o.setAuth(GatewayOptions.AuthMode.JWT)
      .setJwtSecret(TestKeys.SECRET).setDuplicateClient(GatewayOptions.DuplicateClient.REFUSE));

  @BeforeAll
  static void backend() throws Exception {
    // A backend that answers with the identity headers the gateway forwarded.
    REPLACE.node().vertx().eventBus().consumer(WHOAMI, m -> m.reply(new JsonObject()
            .put("clientId", m.headers().get(GatewayApi.HEADER_CLIENT_ID))
            .put("principal", m.headers().get(GatewayApi.HEADER_PRINCIPAL))))
        .completion().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static String token(Vertx vertx, String sub) {
    return TestKeys.hs256(vertx, TestKeys.SECRET, TestKeys.claims(sub, 60));
  }

  static Future<WireClient> connect(Vertx vertx, NodeExtension node, String clientId, String token) {
    return WireClient.connect(vertx, node.node().port()).compose(c -> c.hello(clientId, token).map(w -> c));
  }

  /** Sends {@code hello} and completes with the first answer, welcome or error. */
  static Future<JsonObject> attempt(Vertx vertx, NodeExtension node, String clientId, String token) {
    return WireClient.connect(vertx, node.node().port()).compose(c -> {
      Future<JsonObject> answer = c.nextOf("welcome", "error");
      JsonObject hello = new JsonObject().put("type", "hello").put("clientId", clientId);
      c.send(token == null ? hello : hello.put("token", token));
      return answer;
    });
  }

  static Future<JsonObject> request(WireClient c, String address) {
    return c.request(address, new JsonObject());
  }

  /** Fails if {@code victim} received a {@code bye} or an error: its session was not disturbed. */
  static void assertUndisturbed(WireClient victim) {
    assertFalse(victim.received().stream().anyMatch(f -> "bye".equals(f.getString("type"))
        || "error".equals(f.getString("type"))), "the victim saw: " + victim.received());
  }

  @Test
  void aHelloWithAnotherClientsTokenCannotReplaceTheSession(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, REPLACE, "victim-1", token(vertx, "victim-1"))
        .compose(victim -> attempt(vertx, REPLACE, "victim-1", token(vertx, "mallory"))
            .compose(answer -> request(victim, "demo.echo").map(r -> new Object[] {answer, r, victim})))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          JsonObject answer = (JsonObject) r[0];
          assertEquals("unauthorized", answer.getString("code"), answer.encode());
          assertEquals(AuthRefused.WRONG_CLIENT, answer.getString("reason"));
          assertTrue(((JsonObject) r[1]).getBoolean("ok"));
          assertUndisturbed((WireClient) r[2]);
          ctx.completeNow();
        })));
  }

  @Test
  void aHelloWithoutATokenCannotReplaceTheSession(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, REPLACE, "victim-2", token(vertx, "victim-2"))
        .compose(victim -> attempt(vertx, REPLACE, "victim-2", null)
            .compose(answer -> request(victim, "demo.echo").map(r -> new Object[] {answer, r, victim})))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(AuthRefused.MISSING_TOKEN, ((JsonObject) r[0]).getString("reason"));
          assertTrue(((JsonObject) r[1]).getBoolean("ok"));
          assertUndisturbed((WireClient) r[2]);
          ctx.completeNow();
        })));
  }

  @Test
  void aResumeWithoutTheResumeTokenIsRefused(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, REPLACE, "victim-3", token(vertx, "victim-3"))
        .compose(victim -> WireClient.connect(vertx, REPLACE.node().port())
            .compose(thief -> thief.resume(victim.sessionId(), "guessed-token", 0))
            .compose(answer -> request(victim, "demo.echo").map(r -> new Object[] {answer, r, victim})))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          JsonObject answer = (JsonObject) r[0];
          assertEquals("resume_failed", answer.getString("code"), answer.encode());
          assertEquals("bad_token", answer.getString("reason"));
          assertTrue(((JsonObject) r[1]).getBoolean("ok"));
          assertUndisturbed((WireClient) r[2]);
          ctx.completeNow();
        })));
  }

  @Test
  void aResumeWhoseFreshTokenIsForAnotherClientIsRefused(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, REPLACE, "victim-4", token(vertx, "victim-4"))
        .compose(victim -> victim.close().map(victim))
        .compose(victim -> WireClient.connect(vertx, REPLACE.node().port()).compose(other -> {
          Future<JsonObject> answer = other.nextOf("resumed", "error");
          other.send(new JsonObject().put("type", "resume").put("sessionId", victim.sessionId())
              .put("resumeToken", victim.resumeToken()).put("lastSeq", victim.lastSeq())
              .put("token", token(vertx, "mallory")));
          return answer;
        }))
        .onComplete(ctx.succeeding(answer -> ctx.verify(() -> {
          assertEquals("unauthorized", answer.getString("code"), answer.encode());
          assertEquals(AuthRefused.WRONG_CLIENT, answer.getString("reason"));
          ctx.completeNow();
        })));
  }

  @Test
  void theSameClientWithItsOwnTokenReplacesItsOlderSession(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, REPLACE, "moving", token(vertx, "moving")).compose(old -> {
      Future<JsonObject> bye = old.next("bye");
      return connect(vertx, REPLACE, "moving", token(vertx, "moving")).compose(fresh -> bye);
    }).onComplete(ctx.succeeding(bye -> ctx.verify(() -> {
      assertEquals("replaced", bye.getString("reason"));
      ctx.completeNow();
    })));
  }

  @Test
  void withPolicyRefuseASecondHelloIsRefusedWhileTheFirstSessionIsLive(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, REFUSE, "single", token(vertx, "single"))
        .compose(first -> attempt(vertx, REFUSE, "single", token(vertx, "single"))
            .compose(answer -> request(first, "demo.echo").map(r -> new Object[] {answer, r, first})))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          JsonObject answer = (JsonObject) r[0];
          assertEquals("not_allowed", answer.getString("code"), answer.encode());
          assertEquals(AuthRefused.DUPLICATE_CLIENT, answer.getString("reason"));
          assertTrue(((JsonObject) r[1]).getBoolean("ok"));
          assertUndisturbed((WireClient) r[2]);
          ctx.completeNow();
        })));
  }

  @Test
  void aKickEndsTheSessionAndItsResumeIsRefused(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, REPLACE, "kicked-1", token(vertx, "kicked-1")).compose(c -> {
      Future<JsonObject> bye = c.next("bye");
      return REPLACE.node().vertx().eventBus().request(GatewayApi.KICK, new JsonObject().put("clientId", "kicked-1"))
          .compose(reply -> bye.map(b -> new Object[] {reply.body(), b}))
          .compose(r -> WireClient.connect(vertx, REPLACE.node().port())
              .compose(again -> again.resume(c.sessionId(), c.resumeToken(), c.lastSeq()))
              .map(answer -> new Object[] {r[0], r[1], answer}));
    }).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertEquals(Boolean.TRUE, ((JsonObject) r[0]).getBoolean("kicked"));
      assertEquals("kicked", ((JsonObject) r[1]).getString("reason"));
      JsonObject answer = (JsonObject) r[2];
      assertEquals("resume_failed", answer.getString("code"), answer.encode());
      ctx.completeNow();
    })));
  }

  @Test
  void forwardedRequestsCarryTheAuthenticatedPrincipal(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, REPLACE, "alice", token(vertx, "alice"))
        .compose(c -> request(c, WHOAMI))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertTrue(r.getBoolean("ok"), r.encode());
          assertEquals("alice", r.getJsonObject("body").getString("principal"));
          ctx.completeNow();
        })));
  }

  @Test
  void theTokensAddressesNarrowWhatTheClientMayCall(Vertx vertx, VertxTestContext ctx) {
    JsonObject claims = TestKeys.claims("narrow", 60).put(JwtAuthenticator.CLAIM, new JsonObject()
        .put("addresses", new JsonArray().add("demo.*")));
    connect(vertx, REPLACE, "narrow", TestKeys.hs256(vertx, TestKeys.SECRET, claims))
        .compose(c -> request(c, "demo.echo").compose(echo -> request(c, WHOAMI).map(w -> new JsonObject[] {echo, w})))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertTrue(r[0].getBoolean("ok"), "demo.* is granted: " + r[0].encode());
          assertFalse(r[1].getBoolean("ok"), "test.whoami is not: " + r[1].encode());
          assertEquals("not_allowed", r[1].getJsonObject("error").getString("code"));
          ctx.completeNow();
        })));
  }

  @Test
  void theTokensTopicsNarrowWhatTheClientMayFollow(Vertx vertx, VertxTestContext ctx) {
    JsonObject claims = TestKeys.claims("reader", 60).put(JwtAuthenticator.CLAIM, new JsonObject()
        .put("topics", new JsonArray().add("public.*")));
    connect(vertx, REPLACE, "reader", TestKeys.hs256(vertx, TestKeys.SECRET, claims)).compose(c -> {
      long seq = c.nextSeq();
      Future<JsonObject> error = c.next("error");
      c.send(new JsonObject().put("type", "subscribe").put("seq", seq).put("topic", "private.salaries"));
      return error;
    }).onComplete(ctx.succeeding(e -> ctx.verify(() -> {
      assertEquals("not_allowed", e.getString("code"), e.encode());
      assertEquals("private.salaries", e.getString("topic"));
      ctx.completeNow();
    })));
  }
}
