package io.tether.gateway.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.LogCapture;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Secrets never reach a log or a metric: everything logged through java.util.logging at every level (the gateway's,
 * Vert.x's, Netty's and Hazelcast's loggers) while a real node starts, serves a client that says hello with a token
 * and resumes, answers the HTTP API and stops, and the node's /metrics text, contain neither the hello token, nor a
 * resume token, nor the API key.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class SecretsNotLoggedTest {

  private static final String API_KEY = "secret-api-key-5f2c9a7e1b3d";
  private static final String HELLO_TOKEN = "secret-hello-token-8d41e0c6a9";
  private final LogCapture capture = new LogCapture();
  private GatewayNode node;

  @BeforeEach
  void captureEverything() {
    capture.start();
  }

  @AfterEach
  void restoreLogging() throws Exception {
    if (node != null) {
      node.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    capture.stop();
  }

  private static Future<String> http(Vertx vertx, HttpMethod method, int port, String path, JsonObject body) {
    HttpClient client = vertx.createHttpClient();
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path)
        .putHeader("Authorization", "Bearer " + API_KEY);
    return client.request(options)
        .compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body.encode())))
        .compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b))
        .eventually(client::close);
  }

  /**
   * Verifies that the hello token, the resume tokens of welcome and resumed, and the API key appear in no log record
   * (any level, any logger) and in no metric, through hello, a resume, a refused resume with the spent token, HTTP
   * API calls and a node stop.
   */
  @Test
  void secretsAppearInNoLogRecordAndNoMetric(Vertx vertx, VertxTestContext ctx) {
    List<String> secrets = new ArrayList<>(List.of(HELLO_TOKEN, API_KEY));
    List<String> answers = new ArrayList<>();
    String[] metrics = {""};
    TestNodes.start(o -> o.setApiKey(API_KEY)).compose(started -> {
      node = started;
      return WireClient.connect(vertx, node.port());
    }).compose(first -> first.hello(new JsonObject().put("type", "hello").put("clientId", "secrets-client")
            .put("token", HELLO_TOKEN))
        .compose(welcome -> {
          secrets.add(welcome.getString("resumeToken"));
          return first.close();
        })
        .compose(v -> WireClient.connect(vertx, node.port()))
        .compose(second -> second.resume(first).compose(resumed -> {
          ctx.verify(() -> assertEquals("resumed", resumed.getString("type"), resumed.encode()));
          secrets.add(resumed.getString("resumeToken"));
          // A wrong token, on a socket of its own: the refusal path must not log it either. (Not the spent one: it
          // stays valid until the client uses the new one, docs/PROTOCOL.md §2, and would take the session over.)
          String wrong = first.resumeToken() + "-wrong";
          secrets.add(wrong);
          return WireClient.connect(vertx, node.port())
              .compose(third -> third.resume(first.sessionId(), wrong, 0))
              .map(refused -> {
                answers.add(refused.encode());
                return second;
              });
        })))
        .compose(second -> http(vertx, HttpMethod.GET, node.managementPort(), "/admin/clients/secrets-client", null)
            .compose(a -> http(vertx, HttpMethod.GET, node.managementPort(), "/api/presence/secrets-client", null)
                .map(b -> {
                  answers.add(a);
                  answers.add(b);
                  return null;
                }))
            .compose(v -> http(vertx, HttpMethod.POST, node.managementPort(), "/api/send",
                new JsonObject().put("clientId", "secrets-client").put("body", new JsonObject().put("n", 1))))
            .compose(sent -> {
              answers.add(sent);
              return second.next("push");
            }))
        .compose(push -> http(vertx, HttpMethod.GET, node.managementPort(), "/metrics", null))
        .compose(scrape -> {
          metrics[0] = scrape;
          GatewayNode stopping = node;
          node = null;
          return stopping.stop();
        })
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          List<String> logged = capture.lines();
          assertTrue(answers.get(0).contains("bad_token"), "the spent token is refused: " + answers.get(0));
          assertTrue(answers.get(1).startsWith("200 "), "admin answered with the key: " + answers.get(1));
          assertTrue(answers.get(2).startsWith("200 "), "api answered with the key: " + answers.get(2));
          assertTrue(answers.get(3).startsWith("200 "), "api send answered with the key: " + answers.get(3));
          assertTrue(metrics[0].startsWith("200 ") && metrics[0].contains("tether_resumes_total"), metrics[0]);
          assertTrue(logged.stream().anyMatch(l -> l.contains("serving ws://")),
              "the capture saw the node's own start line (" + logged.size() + " records)");
          assertTrue(logged.stream().anyMatch(l -> l.contains("FINE")), "records below INFO were captured too");
          assertEquals(5, secrets.size(), "hello token, API key, two resume tokens, a wrong one: " + secrets);
          for (String secret : secrets) {
            assertFalse(metrics[0].contains(secret), "a secret in /metrics: " + secret);
            for (String line : logged) {
              assertFalse(line.contains(secret), "a secret in a log record: " + line);
            }
          }
          ctx.completeNow();
        })));
  }
}
