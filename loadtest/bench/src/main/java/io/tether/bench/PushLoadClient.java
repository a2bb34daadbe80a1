package io.tether.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Load client for scripts/bench-push.sh. Push mode: N connections per target each ask {@code demo.push}
 * for M reliable pushes; one {@code RESULT} line per round and target. Idle mode: hold N welcomed
 * sessions for heap measurements. Several comma-separated URLs are driven round by round in turn
 * (A1 B1 A2 B2 …) from one warm JVM, so load-generator noise and warm-up hit every target alike.
 *
 * <pre>
 * push: --url ws://127.0.0.1:8080/ws[,ws://…] --conns 100 --count 2000 [--rounds 1] [--timeout-s 120]
 * idle: --idle --url … --conns 2000 [--hold-s 0 = until killed]
 * both: [--client-prefix bench] [--threads 2]
 * </pre>
 * The timeout bounds each phase (connecting one target, one round on one target); a target that fails to
 * connect or times out is dropped and the others go on. Exit status is 0 only if every round of every
 * target completed without errors, gaps or duplicates.
 */
public final class PushLoadClient {

  private static final Pattern CLIENT_ID_PREFIX = Pattern.compile("[A-Za-z0-9._:@-]{1,100}");
  private static final long BYE_WAIT_MS = 3_000;

  private final Vertx vertx;
  private final List<ClientWorker> workers = new ArrayList<>();
  private final List<String> urls;
  private final int conns;
  private final long timeoutMs;
  /** A target that could not connect or timed out is not driven any more; the others go on being measured. */
  private final boolean[] failed;
  /** Set by any round with errors, gaps or duplicates: its figure is reported, but the run is not clean. */
  private boolean dirty;

  private PushLoadClient(int threads, List<String> urls, int conns, long timeoutMs) {
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads));
    this.urls = urls;
    this.failed = new boolean[urls.size()];
    this.conns = conns;
    this.timeoutMs = timeoutMs;
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv,
      Set.of("--url", "--conns", "--count", "--rounds", "--timeout-s", "--hold-s", "--client-prefix", "--threads"),
      Set.of("--idle"));
    String prefix = args.string("--client-prefix", "bench");
    if (!CLIENT_ID_PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("--client-prefix must be 1-100 chars of [A-Za-z0-9._:@-]");
    }
    List<String> urls = List.of(args.string("--url", "ws://127.0.0.1:8080/ws").split(","));
    int threads = args.integer("--threads", 2);
    PushLoadClient client = new PushLoadClient(threads, urls, args.integer("--conns", 100),
      args.integer("--timeout-s", 120) * 1000L);
    // Also on Ctrl-C / SIGTERM: a gateway then frees the sessions at once instead of keeping them resumable.
    Runtime.getRuntime().addShutdownHook(new Thread(client::byeAll));
    client.deployWorkers(threads);
    client.connectAll(prefix);
    if (args.has("--idle")) {
      if (client.anyFailed()) {
        System.exit(1);
      }
      System.out.println("READY conns=" + client.conns * urls.size());
      client.hold(args.integer("--hold-s", 0));
    } else {
      client.pushRounds(args.integer("--rounds", 1), args.integer("--count", 2000));
    }
    System.exit(client.anyFailed() || client.dirty ? 1 : 0);
  }

  private void deployWorkers(int threads) throws Exception {
    // One worker per event loop (Vert.x assigns event loops round-robin), so each thread owns a share.
    for (int i = 0; i < threads; i++) {
      ClientWorker worker = new ClientWorker();
      await(vertx.deployVerticle(worker, new DeploymentOptions()));
      workers.add(worker);
    }
  }

  private void connectAll(String prefix) {
    for (int t = 0; t < urls.size(); t++) {
      // Distinct clientIds per target, in case two URLs reach the same cluster.
      String idPrefix = urls.size() == 1 ? prefix + "-" : prefix + "-t" + t + "-";
      long start = System.nanoTime();
      List<Future<Void>> opened = new ArrayList<>();
      for (int w = 0; w < workers.size(); w++) {
        List<String> ids = new ArrayList<>();
        for (int i = w; i < conns; i += workers.size()) {
          ids.add(idPrefix + i);
        }
        opened.add(workers.get(w).open(t, connectOptions(urls.get(t)), ids));
      }
      try {
        await(Future.all(opened));
        System.out.println(String.format(Locale.ROOT, "CONNECTED target=%s conns=%d seconds=%.3f",
          urls.get(t), conns, (System.nanoTime() - start) / 1e9));
      } catch (Exception e) {
        System.out.println("FAILED target=" + urls.get(t) + " phase=connect conns=" + conns + " reason=" + e);
        fail(t);
      }
    }
  }

  private void pushRounds(int rounds, int count) throws Exception {
    for (int r = 1; r <= rounds; r++) {
      for (int t = 0; t < urls.size(); t++) {
        if (!failed[t] && !pushRound(t, new Round(r, count, conns))) {
          fail(t);
        }
      }
    }
  }

  private void fail(int target) {
    failed[target] = true;
    // Stop its traffic so it does not disturb the targets still being measured.
    for (ClientWorker worker : workers) {
      worker.forEach(target, BenchConnection::bye);
    }
  }

  private boolean anyFailed() {
    for (boolean f : failed) {
      if (f) {
        return true;
      }
    }
    return false;
  }

  /** @return false if the round timed out */
  private boolean pushRound(int target, Round round) throws Exception {
    long start = System.nanoTime();
    for (ClientWorker worker : workers) {
      worker.forEach(target, c -> c.startRound(round));
    }
    boolean finished = round.await(timeoutMs);
    long end = finished ? round.lastDoneNanos() : System.nanoTime();
    Tally tally = new Tally();
    for (ClientWorker worker : workers) {
      tally.add(await(worker.sum(target)));
    }
    double seconds = (end - start) / 1e9;
    String status = !finished ? "timeout" : tally.clean() ? "ok" : "errors";
    System.out.println(String.format(Locale.ROOT,
      "RESULT mode=push target=%s round=%d conns=%d perConn=%d delivered=%d seconds=%.3f msgsPerSec=%.0f"
        + " errors=%d gaps=%d dups=%d status=%s",
      urls.get(target), round.seq, conns, round.count, tally.delivered, seconds, tally.delivered / seconds,
      tally.errors, tally.gaps, tally.dups, status));
    dirty |= !tally.clean();
    return finished;
  }

  private void hold(int holdS) throws InterruptedException {
    if (holdS > 0) {
      Thread.sleep(holdS * 1000L);
    } else {
      new CountDownLatch(1).await();
    }
  }

  private void byeAll() {
    try {
      Future.join(workers.stream().map(ClientWorker::byeAll).toList())
        .toCompletionStage().toCompletableFuture().get(BYE_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // Exiting anyway; sessions left behind simply expire on the server.
    }
  }

  private <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private static WebSocketConnectOptions connectOptions(String url) {
    URI uri = URI.create(url);
    if (!"ws".equals(uri.getScheme())) {
      throw new IllegalArgumentException("only ws:// URLs are supported: " + url);
    }
    return new WebSocketConnectOptions()
      .setHost(uri.getHost())
      .setPort(uri.getPort() == -1 ? 80 : uri.getPort())
      .setURI(uri.getRawPath().isEmpty() ? "/" : uri.getRawPath());
  }
}
