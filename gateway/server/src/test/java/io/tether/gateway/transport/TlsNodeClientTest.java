package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.SelfSignedCert;
import io.tether.gateway.testing.TestNodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  private static final Path NODE_DIR = Path.of("src", "test", "node");

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

  private static boolean hasNode() {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** Verifies that a Node.js ws client gets a welcome and a demo.echo response over wss:// with the cert as CA. */
  @Test
  void aNodeJsWsClientTalksToTheNodeOverWss() throws Exception {
    assumeTrue(hasNode(), "no node command: the Node.js TLS client cannot run");
    assertTrue(Files.isDirectory(NODE_DIR.resolve("node_modules").resolve("ws")),
        "run 'npm ci' in gateway/server/src/test/node first (.ci/run does)");
    Path log = dir.resolve("node-client.log");
    Process p = new ProcessBuilder(List.of("node", "tls-client.mjs",
        "wss://localhost:" + node.port() + "/ws", cert.cert().toString()))
        .directory(NODE_DIR.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean exited = p.waitFor(30, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(exited, "the Node.js client did not finish in 30 s: " + output);
    assertEquals(0, p.exitValue(), "the Node.js client failed: " + output);
    assertTrue(output.contains("welcome ") && output.contains("echo "), output);
  }
}
