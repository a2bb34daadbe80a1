package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeScripts;
import io.tether.gateway.testing.SelfSignedCert;
import io.tether.gateway.testing.TestNodes;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with {@code tlsCert}/{@code tlsKey} serves {@code wss://} on its client port (docs/OPERATIONS.md "TLS"),
 * checked with a client that is not Vert.x: Node.js with the {@code ws} package (src/test/node, installed by
 * {@code npm ci} there, as .ci/run does), trusting only the test's self-signed certificate. Skipped only when there
 * is no {@code node} command; the test fails whenever the Node.js client fails.
 */
class TlsNodeClientTest {

  @TempDir
  static Path dir;
  private static SelfSignedCert cert;
  private static GatewayNode node;

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

  /** Verifies that a Node.js ws client gets a welcome and a demo.echo response over wss:// with the cert as CA. */
  @Test
  void aNodeJsWsClientTalksToTheNodeOverWss() throws Exception {
    assumeTrue(NodeScripts.runs("node", "--version"), "no node command: the Node.js TLS client cannot run");
    NodeScripts.requireInstalled("ws");
    String output = NodeScripts.run(dir.resolve("node-client.log"), 30, Map.of(), "tls-client.mjs",
        "wss://localhost:" + node.port() + "/ws", cert.cert().toString());
    assertTrue(output.contains("welcome ") && output.contains("echo "), output);
  }
}
