package io.tether.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Acceptance 3 of the proxy (docs/PROXY.md): a break longer than the release window gives the application an EOF
 * within the window + 1 s, and the node closes the upstream connection; the application closing its connection
 * closes the upstream connection.
 */
class ProxyReleaseTest {

  @RegisterExtension
  static final Upstream ECHO = new Upstream();
  private static final long RELEASE_MS = 1_500;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setUpstreams(List.of(ECHO.entry("echo")))
      .setHeartbeatMs(400).setStreamReleaseMs(RELEASE_MS));
  private static GatewayNode node;
  private static final Vertx VERTX = Vertx.vertx();
  /** One client for the applications' connections, held: Vert.x closes an unreachable client's connections on GC. */
  private static final io.vertx.core.net.NetClient APPS = VERTX.createNetClient();


  @AfterAll
  static void stop() throws Exception {
    VERTX.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Connects an application to the proxy and waits for its first echo: the stream and C are open. */
  private static NetSocket connectedApp(Proxy proxy, CompletableFuture<Long> eofAt) throws Exception {
    CompletableFuture<NetSocket> echoed = new CompletableFuture<>();
    APPS.connect(proxy.port(), "127.0.0.1").onSuccess(s -> {
      s.handler(b -> echoed.complete(s));
      s.closeHandler(v -> eofAt.complete(System.nanoTime()));
      s.write(Buffer.buffer("ping"));
    }).onFailure(echoed::completeExceptionally);
    try {
      return echoed.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no echo through the proxy within 10 s; " + proxy.status(), e);
    }
  }

  @Test
  void aBreakLongerThanTheWindowGivesTheApplicationAnEofWithinTheWindowPlusOneSecond() throws Exception {
    FaultyRelay relay = FaultyRelay.start(VERTX, node.port()).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    Proxy proxy = ProxyHarness.start(VERTX, new ProxyOptions().setListen("127.0.0.1", 0).setUpstream("echo")
        .setGateway("ws://127.0.0.1:" + relay.port() + "/ws").setClientId("release-proxy")
        .setReleaseAfterMs(RELEASE_MS));
    int before = ECHO.connections.size();
    CompletableFuture<Long> eofAt = new CompletableFuture<>();
    connectedApp(proxy, eofAt);
    NetSocket upstream = ECHO.connections.get(before);
    // The network goes away for good: the relay stops (connections reset, nothing accepted any more).
    long cut = System.nanoTime();
    relay.stop();
    long eofMs = (eofAt.get(RELEASE_MS + 5_000, TimeUnit.MILLISECONDS) - cut) / 1_000_000;
    ByteStreamTest.waitFor(VERTX, () -> ECHO.closed.contains(upstream), 10_000).toCompletionStage()
        .toCompletableFuture().get(15, TimeUnit.SECONDS);
    long upstreamClosedMs = (System.nanoTime() - cut) / 1_000_000;
    System.out.println("ProxyReleaseTest: release window " + RELEASE_MS + " ms; the application saw EOF " + eofMs
        + " ms after the network went away; the node had closed the upstream connection by " + upstreamClosedMs
        + " ms");
    assertTrue(eofMs <= RELEASE_MS + 1_000, "EOF after " + eofMs + " ms, window " + RELEASE_MS);
    assertTrue(eofMs >= RELEASE_MS - 100, "EOF came before the window (" + eofMs + " ms): the break was not masked");
    assertEquals(1, proxy.released());
    proxy.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void theApplicationClosingItsConnectionClosesTheUpstreamConnection() throws Exception {
    Proxy proxy = ProxyHarness.start(VERTX, new ProxyOptions().setListen("127.0.0.1", 0).setUpstream("echo")
        .setGateway("ws://127.0.0.1:" + node.port() + "/ws").setClientId("closing-proxy"));
    int before = ECHO.connections.size();
    NetSocket app = connectedApp(proxy, new CompletableFuture<>());
    NetSocket upstream = ECHO.connections.get(before);
    long closedAt = System.nanoTime();
    app.close();
    ByteStreamTest.waitFor(VERTX, () -> ECHO.closed.contains(upstream), 10_000).toCompletionStage()
        .toCompletableFuture().get(15, TimeUnit.SECONDS);
    System.out.println("ProxyReleaseTest: the upstream connection closed " + (System.nanoTime() - closedAt) / 1_000_000
        + " ms after the application closed its own");
    assertEquals(0, proxy.connections());
    proxy.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
