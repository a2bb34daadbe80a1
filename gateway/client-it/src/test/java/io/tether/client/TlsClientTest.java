package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.SelfSignedCert;
import io.tether.gateway.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK over {@code wss://} against a real node serving TLS itself ({@code tlsCert}/{@code tlsKey}) with a
 * self-signed certificate the test makes: trusted through {@code trustedCertPath}, and refused without it (the SDK
 * never trusts everything).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class TlsClientTest {

  @TempDir
  static Path dir;
  private static SelfSignedCert cert;
  private static GatewayNode node;
  private final List<TetherClient> clients = new ArrayList<>();

  @BeforeAll
  static void startTlsNode() throws Exception {
    cert = SelfSignedCert.create(dir);
    node = TestNodes.start(o -> o.setTlsCert(cert.cert().toString()).setTlsKey(cert.key().toString()))
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) {
      node.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  @AfterEach
  void closeClients(VertxTestContext ctx) {
    List<Future<Void>> closing = new ArrayList<>();
    clients.forEach(c -> closing.add(c.close().recover(t -> Future.succeededFuture())));
    Future.join(closing).onComplete(ar -> ctx.completeNow());
  }

  private TetherClient client(Vertx vertx, String clientId, String trustedCertPath) {
    TetherClient c = TetherClient.create(vertx, new TetherClientOptions()
        .setUrl("wss://localhost:" + node.port() + "/ws")
        .setClientId(clientId)
        .setTrustedCertPath(trustedCertPath)
        .setMaxReconnectAttempts(0)
        .setConnectTimeoutMs(5_000));
    clients.add(c);
    return c;
  }

  /** Verifies that with the node's certificate as trusted, the SDK connects over wss:// and a request is answered. */
  @Test
  void theSdkConnectsOverWssWithATrustedCertificate(Vertx vertx, VertxTestContext ctx) {
    TetherClient c = client(vertx, "tls-sdk", cert.cert().toString());
    c.connect()
        .compose(v -> c.requestJson("demo.echo", new JsonObject().put("over", "tls")))
        .onComplete(ctx.succeeding(body -> ctx.verify(() -> {
          assertEquals("tls", body.getString("over"));
          ctx.completeNow();
        })));
  }

  /** Verifies that without trusting the self-signed certificate the connection fails: no trust-all by default. */
  @Test
  void anUntrustedCertificateIsRefused(Vertx vertx, VertxTestContext ctx) {
    client(vertx, "tls-untrusted", null).connect()
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertTrue(causedByTls(e), "the failure is the certificate check: " + e);
          ctx.completeNow();
        })));
  }

  private static boolean causedByTls(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return true;
      }
    }
    return false;
  }
}
