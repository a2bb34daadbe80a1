package io.tether.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.testing.LogCapture;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With {@code --auth jwt}, neither the JWT secret nor any token — accepted, refused, sent in the session to renew
 * the credential, or refused there — appears in anything logged at any level or in /metrics.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class JwtSecretsNotLoggedTest {

  private final LogCapture capture = new LogCapture().start();
  private GatewayNode node;

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    capture.stop();
  }

  @Test
  void tokensAndTheSecretAppearInNoLogRecordAndNoMetric(Vertx vertx, VertxTestContext ctx) {
    String good = TestKeys.hs256(vertx, TestKeys.SECRET, TestKeys.claims("quiet", 60));
    String renewed = TestKeys.hs256(vertx, TestKeys.SECRET, TestKeys.claims("quiet", 120));
    String forged = TestKeys.tampered(good, TestKeys.claims("quiet", 3600));
    String foreign = TestKeys.hs256(vertx, TestKeys.SECRET, TestKeys.claims("someone-else", 60));
    List<String> secrets = new ArrayList<>(List.of(TestKeys.SECRET, good, renewed, forged, foreign));
    List<JsonObject> answers = new ArrayList<>();
    String[] metrics = {""};
    TestNodes.start(o -> o.setAuth(GatewayOptions.AuthMode.JWT).setJwtSecret(TestKeys.SECRET)).compose(n -> {
      node = n;
      return WireClient.connect(vertx, node.port());
    }).compose(c -> c.hello(new JsonObject().put("type", "hello").put("clientId", "quiet").put("token", good))
        .compose(w -> {
          Future<JsonObject> ok = c.next("auth_ok");
          c.send(new JsonObject().put("type", "auth").put("token", renewed));
          return ok;
        })
        .compose(ok -> {
          answers.add(ok);
          Future<JsonObject> refused = c.next("error");
          c.send(new JsonObject().put("type", "auth").put("token", foreign));
          return refused;
        })
        .compose(refused -> {
          answers.add(refused);
          return WireClient.connect(vertx, node.port());
        })
        .compose(attacker -> {
          Future<JsonObject> error = attacker.next("error");
          attacker.send(new JsonObject().put("type", "hello").put("clientId", "quiet").put("token", forged));
          return error;
        }))
        .compose(error -> {
          answers.add(error);
          return vertx.createHttpClient().request(io.vertx.core.http.HttpMethod.GET, node.managementPort(),
              "127.0.0.1", "/metrics").compose(r -> r.send()).compose(r -> r.body());
        })
        .onComplete(ctx.succeeding(scrape -> ctx.verify(() -> {
          metrics[0] = scrape.toString();
          assertEquals("auth_ok", answers.get(0).getString("type"));
          assertEquals(AuthRefused.WRONG_CLIENT, answers.get(1).getString("reason"));
          assertEquals(AuthRefused.INVALID_TOKEN, answers.get(2).getString("reason"));
          assertTrue(metrics[0].contains("tether_auth_total"), "the auth outcomes are counted");
          List<String> logged = capture.lines();
          assertTrue(logged.stream().anyMatch(l -> l.contains("FINE")), "records below INFO were captured too");
          for (String secret : secrets) {
            assertFalse(metrics[0].contains(secret), "a secret in /metrics");
            for (String line : logged) {
              assertFalse(line.contains(secret), "a token or the secret in a log record: " + line);
            }
          }
          ctx.completeNow();
        })));
  }
}
