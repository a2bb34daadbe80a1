package io.tether.proxy;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.TestNodes;
import io.tether.proxy.ProxyByteStreamTest.Source;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Acceptance 4 of the proxy: throughput through {@code tether-proxy} (its own JVM) and a node, against a direct TCP
 * connection to the same upstream, in the same run (scripts/bench-proxy.sh; skipped unless {@code -Dproxy.bench=true}).
 * Each run moves {@code proxy.bench.mib} MiB each way at once; the table goes to stdout for docs/BENCHMARKS.md.
 */
class ProxyThroughputBench {

  private static final int MIB = Integer.getInteger("proxy.bench.mib", 64);
  private static final long BYTES = MIB * 1024L * 1024L;
  private static final int UPSTREAM_PORT = TestNodes.freePort();

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setUpstreams(List.of("bulk=127.0.0.1:" + UPSTREAM_PORT)));
  private static GatewayNode node;

  /** Moves BYTES each way between an application connecting to {@code port} and the upstream; returns ms. */
  private static long transfer(io.vertx.core.net.NetClient client, int port) throws Exception {
    Source appSends = new Source(11);
    AtomicLong got = new AtomicLong();
    CompletableFuture<String> done = new CompletableFuture<>();
    long start = System.nanoTime();
    client.connect(port, "127.0.0.1").onSuccess(s -> {
      ProxyByteStreamTest.sink(s, BYTES, got).whenComplete((h, e) -> {
        if (e == null) {
          done.complete(h);
        } else {
          done.completeExceptionally(e);
        }
        s.close();
      });
      ProxyByteStreamTest.pump(s, appSends, BYTES);
    }).onFailure(done::completeExceptionally);
    done.get(600, TimeUnit.SECONDS);
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Test
  void throughputThroughTheProxyAgainstADirectConnection() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("proxy.bench"), "a benchmark: scripts/bench-proxy.sh runs it");
    Vertx vertx = Vertx.vertx();
    ProxyProcess proxy = null;
    try {
      vertx.createNetServer().connectHandler(s -> {
        ProxyByteStreamTest.sink(s, BYTES, new AtomicLong());
        ProxyByteStreamTest.pump(s, new Source(12), BYTES);
      }).listen(UPSTREAM_PORT, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      int proxyPort = TestNodes.freePort();
      // Held until the end: Vert.x closes an unreachable client's connections when the GC collects it.
      io.vertx.core.net.NetClient apps = vertx.createNetClient();
      proxy = ProxyProcess.start("512m", line -> { }, "--listen", "127.0.0.1:" + proxyPort,
          "--gateway", "ws://127.0.0.1:" + node.port() + "/ws", "--upstream", "bulk", "--stats-ms", "1000");
      proxy.awaitOnline();
      transfer(apps, UPSTREAM_PORT); // warm-up of both paths
      transfer(apps, proxyPort);
      long[] direct = new long[3];
      long[] proxied = new long[3];
      for (int i = 0; i < 3; i++) {
        direct[i] = transfer(apps, UPSTREAM_PORT);
        proxied[i] = transfer(apps, proxyPort);
      }
      double d = best(direct);
      double x = best(proxied);
      System.out.println("| path | " + MIB + " MiB each way, best of 3 (ms) | MiB/s (both ways together) |");
      System.out.println("|---|---|---|");
      System.out.printf("| direct TCP to the upstream | %.0f | %.1f |%n", d, 2 * MIB * 1000 / d);
      System.out.printf("| tether-proxy → node → upstream | %.0f | %.1f |%n", x, 2 * MIB * 1000 / x);
      System.out.printf("| ratio proxy / direct | | %.3f |%n", d / x);
      System.out.println("all runs direct " + java.util.Arrays.toString(direct) + " ms, proxied "
          + java.util.Arrays.toString(proxied) + " ms");
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static double best(long[] runs) {
    long b = Long.MAX_VALUE;
    for (long r : runs) {
      b = Math.min(b, r);
    }
    return b;
  }
}
