package io.tether.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.TestNodes;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Acceptance 2 of the proxy (docs/PROXY.md): N MiB each way (32 in CI; {@code -Dproxy.stream.mib=256} from
 * {@code scripts/proxy-soak.sh}) between an application and an upstream through {@code tether-proxy} — a separate JVM,
 * run from the test classpath — while the link between the proxy and the node is cut 20 times (resets and stalls):
 * the SHA-256 of what each side received equals that of what the other sent, and the heap after GC of the proxy
 * process and of the node's JVM stays bounded (printed, and asserted against a generous ceiling).
 */
class ProxyByteStreamTest {

  private static final int MIB = Integer.getInteger("proxy.stream.mib", 32);
  private static final long BYTES = MIB * 1024L * 1024L;
  private static final int CUTS = 20;
  private static final int UPSTREAM_PORT = TestNodes.freePort();
  private static final Pattern HEAP = Pattern.compile("up=(\\d+) down=(\\d+) .*heapAfterGcKiB=(\\d+)");

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setUpstreams(List.of("bulk=127.0.0.1:" + UPSTREAM_PORT))
      .setHeartbeatMs(500));
  private static GatewayNode node;

  /** A seeded byte source: the same seed gives the same bytes, hashed as they are produced. */
  static final class Source {
    private final Random random;
    private final MessageDigest digest = sha();
    long produced;

    Source(long seed) {
      random = new Random(seed);
    }

    Buffer next(int max, long total) {
      int n = (int) Math.min(max, total - produced);
      byte[] b = new byte[n];
      random.nextBytes(b);
      digest.update(b);
      produced += n;
      return Buffer.buffer(b);
    }

    private String hash;

    /** The SHA-256 of everything produced (computed once, at the first call). */
    String hash() {
      if (hash == null) {
        hash = HexFormat.of().formatHex(digest.digest());
      }
      return hash;
    }
  }

  static MessageDigest sha() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends {@code total} bytes of {@code source} on {@code s} with backpressure. */
  static void pump(NetSocket s, Source source, long total) {
    while (source.produced < total && !s.writeQueueFull()) {
      s.write(source.next(64 * 1024, total));
    }
    if (source.produced < total) {
      s.drainHandler(v -> pump(s, source, total));
    }
  }

  /** Hashes what {@code s} receives; completes with the hash once {@code total} bytes arrived. */
  static CompletableFuture<String> sink(NetSocket s, long total, AtomicLong received) {
    MessageDigest d = sha();
    CompletableFuture<String> done = new CompletableFuture<>();
    s.handler(b -> {
      d.update(b.getBytes());
      if (received.addAndGet(b.length()) >= total) {
        done.complete(HexFormat.of().formatHex(d.digest()));
      }
    });
    s.exceptionHandler(e -> System.out.println("ProxyByteStreamTest: socket error " + e));
    s.closeHandler(v -> done.completeExceptionally(new IllegalStateException("closed after " + received.get()
        + " of " + total + " bytes")));
    return done;
  }

  @Test
  void bytesEachWayThroughTheProxyAreIdenticalAfterTwentyCutsAndMemoryStaysBounded() throws Exception {
    Vertx vertx = Vertx.vertx();
    ProxyProcess proxy = null;
    try {
      // the upstream: sends its own stream (seed 2) and hashes what it receives
      Source upstreamSends = new Source(2);
      AtomicLong upstreamGot = new AtomicLong();
      CompletableFuture<String> upstreamHash = new CompletableFuture<>();
      vertx.createNetServer().connectHandler(s -> {
        sink(s, BYTES, upstreamGot).whenComplete((h, e) -> {
          if (e == null) {
            upstreamHash.complete(h);
          } else {
            upstreamHash.completeExceptionally(e);
          }
        });
        pump(s, upstreamSends, BYTES);
      }).listen(UPSTREAM_PORT, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      FaultyRelay relay = FaultyRelay.start(vertx, node.port()).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);

      int proxyPort = TestNodes.freePort();
      AtomicLong proxyHeapMaxKiB = new AtomicLong();
      java.util.concurrent.atomic.AtomicReference<String> lastStatus = new java.util.concurrent.atomic.AtomicReference<>();
      proxy = ProxyProcess.start("256m", line -> {
        Matcher m = HEAP.matcher(line);
        if (m.find()) {
          lastStatus.set(line);
          proxyHeapMaxKiB.accumulateAndGet(Long.parseLong(m.group(3)), Math::max);
        } else if (!line.matches("^[A-Z][a-z]{2} \\d.*") && !line.contains("evicted")) {
          System.out.println("  proxy | " + line); // its log messages, without JUL's date lines
        }
      }, "--listen", "127.0.0.1:" + proxyPort, "--gateway", "ws://127.0.0.1:" + relay.port() + "/ws",
          "--upstream", "bulk", "--client-id", "bulk-proxy", "--stats-ms", "500", "--heartbeat-ms", "500");
      proxy.awaitOnline();

      long nodeHeapBefore = Proxy.heapAfterGc();
      AtomicLong nodeHeapMax = new AtomicLong();
      long sampler = vertx.setPeriodic(250, id -> nodeHeapMax.accumulateAndGet(Proxy.heapAfterGc(), Math::max));

      // the application: sends seed 1, hashes what comes back
      Source appSends = new Source(1);
      AtomicLong appGot = new AtomicLong();
      Promise<CompletableFuture<String>> appHash = Promise.promise();
      long start = System.nanoTime();
      // Held in a variable until the end: Vert.x closes an unreachable client's connections when the GC collects it.
      io.vertx.core.net.NetClient app = vertx.createNetClient();
      app.connect(proxyPort, "127.0.0.1").onSuccess(s -> {
        appHash.complete(sink(s, BYTES, appGot));
        pump(s, appSends, BYTES);
      }).onFailure(appHash::fail);

      // 20 cuts, spread over the transfer (one each time another 1/21 of the bytes came back): odd ones reset the
      // connections, even ones stall them for 1.2 s first
      AtomicInteger cuts = new AtomicInteger();
      long cutter = vertx.setPeriodic(50, id -> {
        if (cuts.get() >= CUTS || appGot.get() < (cuts.get() + 1) * (BYTES / (CUTS + 1)) || relay.isBlackholed()) {
          return;
        }
        int n = cuts.incrementAndGet();
        if (n % 2 == 1) {
          relay.dropAll();
        } else {
          relay.blackhole(true);
          vertx.setTimer(1_200, t -> relay.blackhole(false).dropAll());
        }
      });
      String appReceived;
      try {
        appReceived = appHash.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)
            .get(10L * MIB + 120, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new AssertionError("the application's connection: " + e.getCause().getMessage() + "; the upstream had "
            + upstreamGot.get() + " bytes; proxy process alive " + proxy.isAlive() + ", last status " + lastStatus.get(), e);
      }
      String upstreamReceived = upstreamHash.get(60, TimeUnit.SECONDS);
      long ms = (System.nanoTime() - start) / 1_000_000;
      vertx.cancelTimer(cutter);
      vertx.cancelTimer(sampler);
      app.close();
      long nodeGrowthKiB = Math.max(0, nodeHeapMax.get() - nodeHeapBefore) / 1024;
      System.out.println("ProxyByteStreamTest: " + MIB + " MiB each way through tether-proxy in " + ms + " ms ("
          + String.format("%.1f", 2.0 * MIB * 1000 / ms) + " MiB/s both ways together), " + cuts.get()
          + " cuts (resets and 1.2 s stalls); SHA-256 up " + (upstreamReceived.equals(appSends.hash()) ? "identical"
          : "DIFFERENT") + ", down " + (appReceived.equals(upstreamSends.hash()) ? "identical" : "DIFFERENT")
          + "; proxy heap after GC max " + proxyHeapMaxKiB.get() / 1024 + " MiB (-Xmx256m), node JVM heap after GC max +"
          + nodeGrowthKiB / 1024 + " MiB over its start (" + nodeHeapBefore / 1024 / 1024 + " MiB)");
      assertEquals(appSends.hash(), upstreamReceived, "what the upstream received is what the application sent");
      assertEquals(upstreamSends.hash(), appReceived, "what the application received is what the upstream sent");
      assertEquals(CUTS, cuts.get(), "cuts during the transfer");
      assertTrue(proxyHeapMaxKiB.get() > 0, "the proxy printed its heap");
      // Bounded: far below the bytes moved (each side holds at most a window per direction plus socket queues).
      assertTrue(proxyHeapMaxKiB.get() < 64 * 1024, "proxy heap after GC " + proxyHeapMaxKiB.get() + " KiB");
      assertTrue(nodeGrowthKiB < 128 * 1024, "node JVM heap growth " + nodeGrowthKiB + " KiB");
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
