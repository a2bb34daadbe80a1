package io.tether.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.TestNodes;
import io.vertx.core.Vertx;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 1 of the proxy (docs/PROXY.md): an unmodified TCP program, Debian's {@code redis-cli}, runs a long
 * scripted session against a real {@code redis-server} through {@code tether-proxy} while the link between the proxy
 * and the node is cut again and again (resets, stalls, blackholes); every reply is checked, in order. Needs
 * redis-server and redis-cli on the PATH ({@code .ci/run} installs them); skipped without.
 */
class RedisThroughProxyTest {

  private static final int REDIS_PORT = TestNodes.freePort();

  @org.junit.jupiter.api.extension.RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setUpstreams(List.of("redis=127.0.0.1:" + REDIS_PORT))
      .setHeartbeatMs(400));
  private static GatewayNode node;
  private static Process redis;

  @BeforeAll
  static void startRedis() throws Exception {
    Assumptions.assumeTrue(onPath("redis-server") && onPath("redis-cli"),
        "redis-server and redis-cli are not installed (apt-get install redis-server redis-tools)");
    redis = new ProcessBuilder("redis-server", "--port", String.valueOf(REDIS_PORT), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no").redirectErrorStream(true).redirectOutput(new File("target/redis.log"))
        .start();
    for (int i = 0; i < 100; i++) {
      Process ping = new ProcessBuilder("redis-cli", "-p", String.valueOf(REDIS_PORT), "ping").start();
      if (ping.waitFor(5, TimeUnit.SECONDS) && new String(ping.getInputStream().readAllBytes()).trim().equals("PONG")) {
        return;
      }
      Thread.sleep(50); // redis-server is starting: poll its port (no event to wait on from another process)
    }
    throw new IllegalStateException("redis-server did not start; see target/redis.log");
  }

  @AfterAll
  static void stopRedis() throws Exception {
    if (redis != null) {
      redis.destroy();
      redis.waitFor(10, TimeUnit.SECONDS);
    }
  }

  static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void everyReplyOfALongRedisSessionIsCorrectAndInOrderWhileTheLinkIsCut(@TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      FaultyRelay relay = FaultyRelay.start(vertx, node.port()).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      Proxy proxy = ProxyHarness.start(vertx, new ProxyOptions().setListen("127.0.0.1", 0).setUpstream("redis")
          .setGateway("ws://127.0.0.1:" + relay.port() + "/ws").setClientId("redis-cli-proxy"));
      // The workload: 1200 rounds of SET, INCR, GET, with a 40 kB value every 50 rounds; each reply is known.
      List<String> commands = new ArrayList<>();
      List<String> expected = new ArrayList<>();
      for (int i = 1; i <= 1200; i++) {
        String value = "v" + i + "-" + Long.toHexString(i * 0x9E3779B97F4A7C15L);
        commands.add("SET key:" + i + " " + value);
        expected.add("OK");
        commands.add("INCR counter:" + REDIS_PORT);
        expected.add(String.valueOf(i));
        commands.add("GET key:" + i);
        expected.add(value);
        if (i % 50 == 0) {
          commands.add("SET big:" + i + " " + "x".repeat(40_000) + i);
          expected.add("OK");
          commands.add("STRLEN big:" + i);
          expected.add(String.valueOf(40_000 + String.valueOf(i).length()));
        }
      }
      Path script = dir.resolve("workload.txt");
      Files.write(script, commands, StandardCharsets.UTF_8);
      Path out = dir.resolve("replies.txt");
      // Cuts while redis-cli runs: a reset, then a stall (blackhole) longer than two heartbeats, and again.
      AtomicInteger cuts = new AtomicInteger();
      long timer = vertx.setPeriodic(700, id -> {
        int n = cuts.incrementAndGet();
        if (n % 2 == 1) {
          relay.dropAll();
        } else {
          relay.blackhole(true);
          vertx.setTimer(1_000, t -> relay.blackhole(false).dropAll());
        }
      });
      long start = System.nanoTime();
      Process cli = new ProcessBuilder("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(proxy.port()))
          .redirectInput(script.toFile()).redirectOutput(out.toFile()).redirectErrorStream(true).start();
      assertTrue(cli.waitFor(150, TimeUnit.SECONDS), "redis-cli did not finish");
      vertx.cancelTimer(timer);
      long ms = (System.nanoTime() - start) / 1_000_000;
      List<String> replies = Files.readAllLines(out, StandardCharsets.UTF_8);
      String firstWrong = ProxyHarness.firstDifference(replies, expected);
      System.out.println("RedisThroughProxyTest: " + commands.size() + " commands through tether-proxy in " + ms
          + " ms, " + cuts.get() + " cuts of the link (resets and stalls), replies " + replies.size()
          + ", first wrong " + firstWrong + "; proxy " + proxy.status());
      assertEquals(0, cli.exitValue(), "redis-cli exit status");
      assertEquals("none", firstWrong, "the first wrong reply");
      assertEquals(expected.size(), replies.size(), "every command got its reply");
      assertTrue(cuts.get() >= 4, "the link was cut " + cuts.get() + " times during the session");
      assertEquals(0, proxy.released(), "no connection was released: every break was shorter than the window");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
