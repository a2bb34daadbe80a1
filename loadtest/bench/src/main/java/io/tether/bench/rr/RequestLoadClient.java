package io.tether.bench.rr;

import io.tether.bench.Args;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Open-loop request/response load for scripts/bench-request.sh. C connections per target send {@code request}
 * frames to one address (default {@code demo.echo}) at a fixed offered total rate, spread evenly over the
 * connections and never waiting for answers; each latency runs from the request's intended send time to its
 * response (coordinated-omission corrected) into an HdrHistogram. Several comma-separated URLs are driven in
 * alternating rounds (A1 B1 A2 B2 …) from this one warm JVM, after warm-up rounds on each, so machine noise and
 * the client's own warm-up fall on every target alike.
 *
 * <pre>
 * --url ws://127.0.0.1:8091/ws[,ws://…] --conns 100 --rates 1000,5000,10000 --rounds 3 --round-s 15
 * [--warmup-s 10] [--warmup-rates 1000,5000] [--timeout-s 5] [--threads 2] [--address demo.echo] [--client-prefix rr]
 * [--profile-target I --profile-rate R]   (one more round on the I-th URL, 0-based, after the measured ones)
 * </pre>
 * Per round and target a {@code RESULT} line; per rate and target a {@code SUMMARY} line with the median over the
 * measured rounds of each percentile and the same percentiles of the rounds' pooled histograms. Before each round a
 * {@code ROUND} line (the script starts a profile on it). Exit status 0 only if every round was clean: no error, no
 * timeout, no gap or duplicate in the server's seqs.
 */
public final class RequestLoadClient {

  private static final Pattern CLIENT_ID_PREFIX = Pattern.compile("[A-Za-z0-9._:@-]{1,100}");
  /** Lets every worker receive its schedule before the first request is due. */
  private static final long START_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  /**
   * After a round, the target must have sent nothing for this long (answers to requests the client already counted
   * as timeouts, acks) before the next round starts, so one target's backlog does not fall into the next round.
   */
  private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  private static final long QUIET_MAX_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final Vertx vertx;
  private final List<RrWorker> workers = new ArrayList<>();
  private final List<String> urls;
  private final int conns;
  private final long timeoutNanos;
  private final boolean[] failed;
  private boolean dirty;

  private RequestLoadClient(int threads, List<String> urls, int conns, long timeoutNanos) {
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads));
    this.urls = urls;
    this.conns = conns;
    this.timeoutNanos = timeoutNanos;
    this.failed = new boolean[urls.size()];
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv, Set.of("--url", "--conns", "--rates", "--rounds", "--round-s", "--warmup-s",
      "--warmup-rates", "--timeout-s", "--threads", "--address", "--client-prefix", "--profile-target",
      "--profile-rate"), Set.of());
    String prefix = args.string("--client-prefix", "rr");
    if (!CLIENT_ID_PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("--client-prefix must be 1-100 chars of [A-Za-z0-9._:@-]");
    }
    String address = args.string("--address", "demo.echo");
    if (!address.matches("[A-Za-z0-9._-]{1,200}")) {
      throw new IllegalArgumentException("--address must be a plain event-bus address");
    }
    List<String> urls = List.of(args.string("--url", "ws://127.0.0.1:8091/ws").split(","));
    int threads = args.integer("--threads", 2);
    int[] rates = Arrays.stream(args.string("--rates", "1000,5000,10000").split(",")).mapToInt(Integer::parseInt)
      .toArray();
    RequestLoadClient client = new RequestLoadClient(threads, urls, args.integer("--conns", 100),
      TimeUnit.SECONDS.toNanos(args.integer("--timeout-s", 5)));
    Runtime.getRuntime().addShutdownHook(new Thread(client::byeAll));
    client.deployWorkers(threads);
    client.connectAll(prefix, address);
    int warmupS = args.integer("--warmup-s", 10);
    // A ramp (by default 1000 then 5000 req/s): a cold gateway fed 5000 req/s at once falls seconds behind and
    // spends its warm-up on timeouts.
    for (String warmupRate : args.string("--warmup-rates", "1000,5000").split(",")) {
      for (int t = 0; t < urls.size() && warmupS > 0; t++) {
        if (!client.failed[t]) {
          client.round(t, Integer.parseInt(warmupRate), 0, warmupS);
        }
      }
    }
    for (int rate : rates) {
      client.measureRate(rate, args.integer("--rounds", 3), args.integer("--round-s", 15));
    }
    int profileTarget = args.integer("--profile-target", -1);
    if (profileTarget >= 0 && profileTarget < urls.size() && !client.failed[profileTarget]) {
      // An extra round for a profiler to record (the script starts it on this round's ROUND line): the measured
      // rounds then carry no profiling overhead.
      client.round(profileTarget, args.integer("--profile-rate", 5000), -1, args.integer("--round-s", 15));
    }
    client.byeAll();
    System.exit(client.anyFailed() || client.dirty ? 1 : 0);
  }

  private void deployWorkers(int threads) throws Exception {
    for (int i = 0; i < threads; i++) { // Vert.x assigns event loops round-robin: one worker per loop
      RrWorker worker = new RrWorker();
      await(vertx.deployVerticle(worker, new DeploymentOptions()), 30_000);
      workers.add(worker);
    }
  }

  private void connectAll(String prefix, String address) {
    for (int t = 0; t < urls.size(); t++) {
      String idPrefix = prefix + "-t" + t + "-";
      long start = System.nanoTime();
      List<Future<Void>> opened = new ArrayList<>();
      for (int w = 0; w < workers.size(); w++) {
        List<String> ids = new ArrayList<>();
        for (int i = w; i < conns; i += workers.size()) {
          ids.add(idPrefix + i);
        }
        opened.add(workers.get(w).open(t, connectOptions(urls.get(t)), ids, address));
      }
      try {
        await(Future.all(opened), 60_000);
        System.out.println(String.format(Locale.ROOT, "CONNECTED target=%s conns=%d seconds=%.3f",
          urls.get(t), conns, (System.nanoTime() - start) / 1e9));
      } catch (Exception e) {
        System.out.println("FAILED target=" + urls.get(t) + " phase=connect conns=" + conns + " reason=" + e);
        failed[t] = true;
      }
    }
  }

  private void measureRate(int rate, int rounds, int roundS) throws Exception {
    List<List<RoundStats>> byTarget = new ArrayList<>();
    urls.forEach(u -> byTarget.add(new ArrayList<>()));
    for (int r = 1; r <= rounds; r++) {
      for (int t = 0; t < urls.size(); t++) {
        if (!failed[t]) {
          byTarget.get(t).add(round(t, rate, r, roundS));
        }
      }
    }
    for (int t = 0; t < urls.size(); t++) {
      if (!byTarget.get(t).isEmpty()) {
        System.out.println(summary(urls.get(t), rate, byTarget.get(t)));
      }
    }
  }

  /**
   * One round on one target. Round 0 is a warm-up (printed as WARMUP), round −1 the extra round for a profiler
   * (PROFILED, round=profile): both are kept out of every figure.
   */
  private RoundStats round(int target, int rate, int round, int seconds) throws Exception {
    String label = round == 0 ? "WARMUP" : round < 0 ? "PROFILED" : "RESULT";
    String roundName = round < 0 ? "profile" : Integer.toString(round);
    System.out.println("ROUND target=" + urls.get(target) + " rate=" + rate + " round=" + roundName);
    long first = System.nanoTime() + START_DELAY_NANOS;
    int w = workers.size();
    List<Future<Void>> sent = new ArrayList<>();
    for (int i = 0; i < w; i++) {
      int mine = (conns - i + w - 1) / w; // connections i, i+w, i+2w, …
      double workerRate = (double) rate * mine / conns;
      long count = Math.round(workerRate * seconds);
      // Worker i's k-th request is the (k·w + i)-th of the whole round: due at first + (k·w + i) / rate.
      sent.add(workers.get(i).runRound(target, first + (long) (i * 1e9 / rate), 1e9 / workerRate, count,
        timeoutNanos));
    }
    await(Future.all(sent), seconds * 1000L + 30_000);
    long drainDeadline = System.nanoTime() + timeoutNanos + TimeUnit.SECONDS.toNanos(1);
    while (System.nanoTime() - drainDeadline < 0 && outstanding(target) > 0) {
      Thread.sleep(20);
    }
    RoundStats stats = new RoundStats();
    for (RrWorker worker : workers) {
      stats.add(await(worker.finish(target), 30_000));
    }
    double elapsed = (Math.max(stats.lastResponseNanos, first) - first) / 1e9;
    stats.achieved = elapsed > 0 ? stats.ok / elapsed : 0.0;
    String status = stats.clean() ? "ok" : "errors";
    System.out.println(String.format(Locale.ROOT,
      "%s mode=rr target=%s rate=%d round=%s conns=%d seconds=%d sent=%d ok=%d achieved=%.0f %s lagP99=%s"
        + " errors=%d timeouts=%d gaps=%d dups=%d codes=%s status=%s",
      label, urls.get(target), rate, roundName, conns, seconds, stats.sent, stats.ok,
      stats.achieved, stats.percentiles(), RoundStats.ms(stats.lag, 99),
      stats.errors, stats.timeouts, stats.gaps, stats.dups, stats.codesText(), status));
    if (round > 0) {
      dirty |= !stats.clean();
    }
    awaitQuiet(target);
    return stats;
  }

  /** Medians over the rounds of each figure, and the pooled histogram's percentiles. */
  private static String summary(String url, int rate, List<RoundStats> rounds) {
    RoundStats pooled = new RoundStats();
    rounds.forEach(pooled::add);
    return String.format(Locale.ROOT,
      "SUMMARY target=%s rate=%d rounds=%d medAchieved=%.0f medLagP99=%s medP50=%s medP99=%s medP999=%s"
        + " medMax=%s pooled:%s errors=%d timeouts=%d gaps=%d dups=%d sent=%d ok=%d",
      url, rate, rounds.size(), medianOf(rounds.stream().mapToDouble(r -> r.achieved).toArray()),
      RoundStats.fmt(medianOf(rounds.stream().mapToDouble(r -> r.lag.getValueAtPercentile(99) / 1000.0).toArray())),
      median(rounds, 50), median(rounds, 99), median(rounds, 99.9), median(rounds, 100),
      pooled.percentiles().replace(" ", " pooled:"), pooled.errors, pooled.timeouts, pooled.gaps, pooled.dups,
      pooled.sent, pooled.ok);
  }

  private static String median(List<RoundStats> rounds, double percentile) {
    double[] v = rounds.stream().filter(r -> r.latency.getTotalCount() > 0)
      .mapToDouble(r -> (percentile >= 100 ? r.latency.getMaxValue() : r.latency.getValueAtPercentile(percentile))
        / 1000.0)
      .sorted().toArray();
    return v.length == 0 ? "-" : RoundStats.fmt(medianOf(v));
  }

  /** The middle value, or the mean of the two middle ones; NaN for none. */
  private static double medianOf(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private void awaitQuiet(int target) throws Exception {
    long deadline = System.nanoTime() + QUIET_MAX_NANOS;
    while (System.nanoTime() - deadline < 0) {
      long quiet = Long.MAX_VALUE;
      for (RrWorker worker : workers) {
        quiet = Math.min(quiet, await(worker.quietNanos(target), 10_000));
      }
      if (quiet >= QUIET_NANOS) {
        return;
      }
      Thread.sleep(Math.max(10, (QUIET_NANOS - quiet) / 1_000_000));
    }
    System.out.println("PROBLEM target=" + urls.get(target) + " still sending 30 s after its round");
  }

  private int outstanding(int target) throws Exception {
    int sum = 0;
    for (RrWorker worker : workers) {
      sum += await(worker.outstanding(target), 10_000);
    }
    return sum;
  }

  private boolean anyFailed() {
    for (boolean f : failed) {
      if (f) {
        return true;
      }
    }
    return false;
  }

  private void byeAll() {
    try {
      Future.join(workers.stream().map(RrWorker::byeAll).toList())
        .toCompletionStage().toCompletableFuture().get(3, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Exiting anyway; sessions left behind expire on the server.
    }
  }

  private static <T> T await(Future<T> future, long timeoutMs) throws Exception {
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
