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
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --auth jwt} on real nodes (docs/SECURITY.md): one node verifies HS256 with a shared secret and checks
 * {@code iss} and {@code aud}; the other has only public keys, an RSA one from a PEM file (RS256) and an EC one in a
 * JWKS file (ES256). Every forged or unfit token is refused with {@code unauthorized} and close 1008, while a
 * session that holds a valid token on the same node keeps working.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class JwtAuthTest {

  static final TestKeys KEYS = new TestKeys();
  static final String ISSUER = "https://issuer.test";
  static final String AUDIENCE = "tether-test";

  @RegisterExtension
  static final NodeExtension HS = NodeExtension.start(o -> o.setAuth(GatewayOptions.AuthMode.JWT)
      .setJwtSecret(TestKeys.SECRET).setJwtIssuer(ISSUER).setJwtAudience(AUDIENCE));

  @RegisterExtension
  static final NodeExtension RS = NodeExtension.start(o -> o.setAuth(GatewayOptions.AuthMode.JWT)
      .setJwtPublicKey(KEYS.publicKeyPem.toString()).setJwtJwks(KEYS.jwks.toString()));

  /** Claims the HS node accepts: sub, exp in a minute, its issuer and audience. */
  static JsonObject hsClaims(String sub) {
    return TestKeys.claims(sub, 60).put("iss", ISSUER).put("aud", AUDIENCE);
  }

  static Future<WireClient> connect(Vertx vertx, NodeExtension node, String clientId, String token) {
    return WireClient.connect(vertx, node.node().port()).compose(c -> c.hello(clientId, token).map(w -> c));
  }

  static Future<JsonObject> echo(WireClient c) {
    return c.request("demo.echo", new JsonObject());
  }

  /** Sends the hello and completes with [the error frame, the close code]. */
  static Future<Object[]> refusedHello(Vertx vertx, NodeExtension node, String clientId, String token) {
    return WireClient.connect(vertx, node.node().port()).compose(c -> {
      Future<JsonObject> error = c.next("error");
      JsonObject hello = new JsonObject().put("type", "hello").put("clientId", clientId);
      if (token != null) {
        hello.put("token", token);
      }
      c.send(hello);
      return error.compose(e -> c.closed().map(code -> new Object[] {e, code}));
    });
  }

  @Test
  void aValidHs256TokenConnectsAndItsSessionWorks(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, HS, "hs-ok", TestKeys.hs256(vertx, TestKeys.SECRET, hsClaims("hs-ok")))
        .compose(JwtAuthTest::echo)
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertTrue(r.getBoolean("ok"), r.encode());
          ctx.completeNow();
        })));
  }

  @Test
  void aValidRs256TokenFromThePemKeyConnects(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, RS, "rs-ok", TestKeys.rs256(vertx, KEYS.rsa, TestKeys.claims("rs-ok", 60)))
        .compose(JwtAuthTest::echo)
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertTrue(r.getBoolean("ok"), r.encode());
          ctx.completeNow();
        })));
  }

  @Test
  void aValidEs256TokenFromTheJwksConnects(Vertx vertx, VertxTestContext ctx) {
    connect(vertx, RS, "es-ok", KEYS.es256(vertx, TestKeys.claims("es-ok", 60)))
        .compose(JwtAuthTest::echo)
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertTrue(r.getBoolean("ok"), r.encode());
          ctx.completeNow();
        })));
  }

  /** Each case: which node, the clientId of the hello, the token (made with the test's Vert.x), the reason. */
  static Stream<Arguments> refusals() {
    BiFunction<Vertx, String, String> none = (v, id) -> null;
    return Stream.of(
        Arguments.of("no token", "HS", none, AuthRefused.MISSING_TOKEN),
        Arguments.of("bad signature", "HS", (BiFunction<Vertx, String, String>) (v, id) -> TestKeys.tampered(
            TestKeys.hs256(v, TestKeys.SECRET, hsClaims("someone-else")), hsClaims(id)), AuthRefused.INVALID_TOKEN),
        Arguments.of("another secret", "HS", (BiFunction<Vertx, String, String>) (v, id) -> TestKeys.hs256(v,
            "another-secret-of-at-least-32-characters", hsClaims(id)), AuthRefused.INVALID_TOKEN),
        Arguments.of("alg none", "HS", (BiFunction<Vertx, String, String>) (v, id) -> TestKeys.unsigned(hsClaims(id)),
            AuthRefused.INVALID_TOKEN),
        Arguments.of("expired", "HS", (BiFunction<Vertx, String, String>) (v, id) -> TestKeys.hs256(v,
            TestKeys.SECRET, TestKeys.claims(id, -60).put("iss", ISSUER).put("aud", AUDIENCE)),
            AuthRefused.TOKEN_EXPIRED),
        Arguments.of("no exp", "HS", (BiFunction<Vertx, String, String>) (v, id) -> TestKeys.hs256(v,
            TestKeys.SECRET, new JsonObject().put("sub", id).put("iss", ISSUER).put("aud", AUDIENCE)),
            AuthRefused.INVALID_CLAIMS),
        Arguments.of("wrong aud", "HS", (BiFunction<Vertx, String, String>) (v, id) -> TestKeys.hs256(v,
            TestKeys.SECRET, hsClaims(id).put("aud", "another-service")), AuthRefused.INVALID_CLAIMS),
        Arguments.of("wrong iss", "HS", (BiFunction<Vertx, String, String>) (v, id) -> TestKeys.hs256(v,
            TestKeys.SECRET, hsClaims(id).put("iss", "https://evil.test")), AuthRefused.INVALID_CLAIMS),
        Arguments.of("sub differs from clientId", "HS", (BiFunction<Vertx, String, String>) (v, id) ->
            TestKeys.hs256(v, TestKeys.SECRET, hsClaims("someone-else")), AuthRefused.WRONG_CLIENT),
        Arguments.of("HS256 keyed with the RSA public key", "RS", (BiFunction<Vertx, String, String>) (v, id) ->
            KEYS.confused(TestKeys.claims(id, 60)), AuthRefused.INVALID_TOKEN),
        Arguments.of("RS256 signed by another key", "RS", (BiFunction<Vertx, String, String>) (v, id) ->
            TestKeys.rs256(v, KEYS.otherRsa, TestKeys.claims(id, 60)), AuthRefused.INVALID_TOKEN),
        Arguments.of("alg none on the RS node", "RS", (BiFunction<Vertx, String, String>) (v, id) ->
            TestKeys.unsigned(TestKeys.claims(id, 60)), AuthRefused.INVALID_TOKEN));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void aTokenThatDoesNotProveTheClientIdIsRefusedWith1008WhileAnotherSessionKeepsWorking(String name, String node,
      BiFunction<Vertx, String, String> token, String reason, Vertx vertx, VertxTestContext ctx) {
    NodeExtension n = node.equals("HS") ? HS : RS;
    String good = "good-" + reason + "-" + node;
    String goodToken = node.equals("HS") ? TestKeys.hs256(vertx, TestKeys.SECRET, hsClaims(good))
        : TestKeys.rs256(vertx, KEYS.rsa, TestKeys.claims(good, 60));
    connect(vertx, n, good, goodToken).compose(session -> refusedHello(vertx, n, "victim-" + name.hashCode(),
            token.apply(vertx, "victim-" + name.hashCode()))
        .compose(refused -> echo(session).map(r -> new Object[] {refused[0], refused[1], r})))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          JsonObject error = (JsonObject) r[0];
          assertEquals("unauthorized", error.getString("code"), error.encode());
          assertEquals(reason, error.getString("reason"), error.encode());
          assertEquals(Boolean.TRUE, error.getBoolean("fatal"));
          assertEquals((short) 1008, r[1]);
          assertTrue(((JsonObject) r[2]).getBoolean("ok"), "the other session still works");
          ctx.completeNow();
        })));
  }
}
