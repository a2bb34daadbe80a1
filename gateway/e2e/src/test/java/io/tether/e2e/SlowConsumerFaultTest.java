package io.tether.e2e;

import static io.tether.e2e.Workload.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.e2e.Workload.Figures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.tether.gateway.testing.FaultTable;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Slow consumers (issue 10): raw WebSocket clients that say {@code hello}, then stop reading their socket (paused:
 * TCP backpressure all the way back to the node) and never ack or ping, while a backend pushes to them through the
 * HTTP API ({@code POST /api/send}). Per PROTOCOL §3: the node holds at most {@code bufferMaxBytes} for each (checked
 * on {@code tether_buffered_bytes}); a send that does not fit is refused with 409 {@code overflow}; after 2 x heartbeat
 * without a frame the node detaches the session, the next send overflows its stored buffer and it expires: 404
 * {@code no_session … (overflow)}, at once and from then on. Heap after a full GC ({@code jcmd GC.run}, then
 * {@code jvm_memory_used_bytes{area="heap"}}) stays flat over the rounds, and a {@link Workload} on the same node sees
 * no error at all.
 */
@ExtendWith({VertxExtension.class, FaultTable.Rows.class})
class SlowConsumerFaultTest {

  private static final boolean FULL = "full".equals(System.getProperty("tether.e2e.faults", "fast"));
  private static final int SLOW = FULL ? 50 : 10;
  private static final int ROUNDS = FULL ? 10 : 3;
  private static final int CLIENTS = FULL ? 100 : 20;
  private static final long HEARTBEAT_MS = 3_000;
  private static final long BUFFER_MAX_BYTES = 256 * 1024;
  /** Bodies per send, each about 1 KiB. */
  private static final int BATCH = 16;
  private static final String FILLER = "x".repeat(1000);

  private static ClusterScript cluster;

  @BeforeAll
  static void startCluster() {
    cluster = ClusterScript.started("--heartbeat-ms " + HEARTBEAT_MS + " --buffer-max-bytes " + BUFFER_MAX_BYTES, 1);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.downQuickly();
    }
  }

  /** What one slow consumer's backend saw. */
  private static final class Slow {
    final String clientId;
    WebSocket ws;
    long acceptedBytes;
    long accepted409;
    String firstGone;
    long goneAfterMs = -1;

    Slow(String clientId) {
      this.clientId = clientId;
    }
  }

  @Test
  @Timeout(value = 400, timeUnit = TimeUnit.SECONDS)
  void slowConsumersAreBoundedRefusedThenExpired(Vertx vertx) {
    Management mgmt = new Management(vertx, cluster);
    WebSocketClient raw = vertx.createWebSocketClient();
    Workload w = new Workload(vertx, cluster.url(), "beside", CLIENTS, 300);
    List<Long> heap = new ArrayList<>();
    long maxBuffered = 0;
    long refusals = 0;
    long expired = 0;
    List<Long> goneMs = new ArrayList<>();
    try {
      await(w.start(), 60, CLIENTS + " clients to connect");
      await(w.iterations(1), 60, "one round of traffic from every client");
      heap.add(heapAfterGc(mgmt));
      for (int round = 1; round <= ROUNDS; round++) {
        List<Slow> slow = new ArrayList<>();
        for (int i = 0; i < SLOW; i++) {
          Slow s = new Slow("slow-" + round + "-" + i);
          s.ws = await(connectAndStopReading(raw, s.clientId), 20, "slow consumer " + s.clientId + " to say hello");
          slow.add(s);
        }
        // Fill each to its bound, all at once (well within 2 x heartbeat): sends accepted until the first 409.
        await(Future.all(slow.stream().map(s -> fill(mgmt, s)).toList()), 60, "the backend to fill them");
        for (Slow s : slow) {
          refusals += s.accepted409;
        }
        String scrape = await(mgmt.metrics(1), 10, "/metrics");
        long buffered = (long) Management.sample(scrape, "tether_buffered_bytes");
        maxBuffered = Math.max(maxBuffered, buffered);
        System.out.printf("round %d: %d slow consumers full; accepted per session %s bytes; tether_buffered_bytes=%d%n",
            round, SLOW, slow.stream().map(s -> s.acceptedBytes).toList(), buffered);
        for (Slow s : slow) {
          assertTrue(s.acceptedBytes <= BUFFER_MAX_BYTES, s.clientId + ": " + s.acceptedBytes + " bytes accepted");
        }
        // The node buffers at most bufferMaxBytes per slow session (plus the workload's few unacked frames).
        assertTrue(buffered <= SLOW * BUFFER_MAX_BYTES + 512 * 1024, "tether_buffered_bytes " + buffered);
        // No ack, no ping: detached after 2 x heartbeat; the next send overflows the stored buffer: 404, overflow.
        long t0 = System.nanoTime();
        List<Future<Void>> gone = new ArrayList<>();
        for (Slow s : slow) {
          gone.add(untilGone(vertx, mgmt, s, t0));
        }
        await(Future.all(gone), 60, "every slow consumer's session to expire (overflow)");
        for (Slow s : slow) {
          assertTrue(s.firstGone.contains("overflow"), s.clientId + ": " + s.firstGone);
          assertTrue(s.acceptedBytes <= BUFFER_MAX_BYTES, s.clientId + ": " + s.acceptedBytes + " bytes accepted");
          goneMs.add(s.goneAfterMs);
          expired++;
          // From then on, at once and for good.
          Management.Answer again = await(mgmt.send(1, push(1).put("clientId", s.clientId)), 10, "a later send");
          assertEquals(404, again.status(), "a send to an expired session: " + again.body());
          s.ws.close();
        }
        heap.add(heapAfterGc(mgmt));
        System.out.println("round " + round + ": expired after " + goneMs + " ms; heap after GC " + heap);
      }
      await(w.iterations(1), 60, "a last round of traffic");
      await(w.stop(), 60, "every request to be answered");
      Figures f = w.figures(List.of(), p -> true);
      System.out.println(f.summary("slowConsumersAreBoundedRefusedThenExpired"));
      long first = heap.get(1);
      long last = heap.get(heap.size() - 1);
      goneMs.sort(Long::compare);
      FaultRow row = new FaultRow("slow consumer (stops reading, never acks)", CLIENTS + " SDK clients beside "
          + ROUNDS + " x " + SLOW + " paused raw sockets, 1 node", refusals + " sends refused 409, " + expired
          + " expired (404 overflow); buffered max " + maxBuffered / 1024 + " KiB (bound " + SLOW + " x "
          + BUFFER_MAX_BYTES / 1024 + " KiB); heap after GC " + heap.get(0) / 1048576 + " -> " + first / 1048576
          + " -> " + last / 1048576 + " MiB", (int) (f.sessions + (long) ROUNDS * SLOW), f.frames,
          f.missingPushes + f.unanswered, f.duplicates + f.duplicatePushes + f.duplicateResponses, expired, f.gaps,
          goneMs.get(goneMs.size() / 2), goneMs.get((int) Math.min(goneMs.size() - 1, goneMs.size() * 0.99)));
      row.record();
      assertTrue(refusals > 0, "no full buffer refused a send with 409");
      assertTrue(last <= first + Math.max(8L << 20, first / 10), "heap after GC grew: " + heap);
      assertEquals(0, f.errors, "the sessions beside the slow consumers got errors " + f.errorCodes);
      assertEquals(0, f.gaps, "seq gaps on the wire");
      assertEquals(0, f.duplicates, "duplicate seqs");
      assertEquals(0, f.unanswered, "unanswered requests " + f.unansweredCodes);
      assertEquals(f.requests, f.responses, "one response per request");
      assertEquals(0, f.missingPushes, "pushes missing");
      assertEquals(0, f.resyncs + f.ended, "sessions beside re-synced or ended");
    } finally {
      quietly(w.close(), "the clients to close");
      quietly(raw.close(), "the raw client to close");
      quietly(mgmt.close(), "the management client to close");
    }
  }

  /** Cleanup that must not hide the test's own failure. */
  private static void quietly(Future<?> f, String what) {
    try {
      await(f, 10, what);
    } catch (AssertionError e) {
      System.out.println("cleanup: " + e.getMessage());
    }
  }

  private static JsonObject push(int n) {
    JsonArray bodies = new JsonArray();
    for (int i = 0; i < n; i++) {
      bodies.add(new JsonObject().put("filler", FILLER));
    }
    return new JsonObject().put("bodies", bodies);
  }

  /** Connects straight to node-1, says hello, and once welcomed stops reading for good. */
  private static Future<WebSocket> connectAndStopReading(WebSocketClient raw, String clientId) {
    return raw.connect(cluster.nodePort(1), "127.0.0.1", "/ws").compose(ws -> {
      Promise<WebSocket> welcomed = Promise.promise();
      ws.textMessageHandler(text -> {
        if ("welcome".equals(new JsonObject(text).getString("type"))) {
          ws.pause();
          welcomed.tryComplete(ws);
        }
      });
      ws.writeTextMessage(new JsonObject().put("type", "hello").put("clientId", clientId).encode());
      return welcomed.future();
    });
  }

  /** Sends batches until the first 409 (the buffer is full), counting the bytes accepted. */
  private static Future<Void> fill(Management mgmt, Slow s) {
    JsonObject send = push(BATCH).put("clientId", s.clientId);
    return mgmt.send(1, send).compose(a -> {
      if (a.status() == 200) {
        s.acceptedBytes += BATCH * (FILLER.length() + 12L);
        return fill(mgmt, s);
      }
      if (a.status() == 409 && a.body().contains("overflow")) {
        s.accepted409++;
        return Future.succeededFuture();
      }
      if (a.status() == 404 && a.body().contains("overflow")) {
        // Detached while being filled (the socket closed under the full buffer) and overflowed: gone, with reason.
        s.firstGone = a.body();
        s.goneAfterMs = 0;
        return Future.succeededFuture();
      }
      return Future.failedFuture("unexpected answer while filling " + s.clientId + ": " + a.status() + " " + a.body());
    });
  }

  /**
   * One small send every 100 ms (409 while attached and full; once detached, accepted into what room the stored
   * buffer has left) until the first 404: the session expired. Records the answer and when it came.
   */
  private static Future<Void> untilGone(Vertx vertx, Management mgmt, Slow s, long t0) {
    if (s.firstGone != null) {
      return Future.succeededFuture();
    }
    return mgmt.send(1, push(1).put("clientId", s.clientId)).compose(a -> {
      if (a.status() == 404) {
        s.firstGone = a.body();
        s.goneAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        return Future.succeededFuture();
      }
      if (a.status() == 200) {
        s.acceptedBytes += FILLER.length() + 12L; // room left in the stored buffer after detaching
      } else if (a.status() != 409) {
        return Future.failedFuture(s.clientId + ": a send to a full session answered " + a.status() + " " + a.body());
      }
      return vertx.timer(100).compose(x -> untilGone(vertx, mgmt, s, t0));
    });
  }

  /** node-1's used heap right after a full GC ({@code jcmd <pid> GC.run}), from its /metrics. */
  private static long heapAfterGc(Management mgmt) {
    try {
      Process p = new ProcessBuilder("jcmd", String.valueOf(cluster.pid("node-1")), "GC.run")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("jcmd GC.run failed: " + out);
      }
    } catch (java.io.IOException e) {
      throw new AssertionError("jcmd: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    String scrape = await(mgmt.metrics(1), 10, "/metrics");
    Matcher m = Pattern.compile("^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\}\\s+(\\S+)", Pattern.MULTILINE)
        .matcher(scrape);
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return (long) sum;
  }
}
