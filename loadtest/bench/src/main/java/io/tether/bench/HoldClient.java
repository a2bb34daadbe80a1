package io.tether.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Holds many protocol sessions from one process, for scripts/bench-idle.sh and scripts/bench-storm.sh (method in
 * docs/BENCHMARKS.md "Sessions at scale"). Every session is a {@link ResumeSession}: hello, cumulative acks, pong,
 * a {@code ping} heartbeat every {@link #PING_MS} (staggered over the sessions, so heartbeats do not come in bursts),
 * and, when armed, a resume at once when its socket breaks.
 *
 * <pre>
 * --urls ws://h:p/ws[,…]      session i says hello to urls[i % n]
 * --sessions N [--first K]    clientIds prefix-K … prefix-(K+N-1), so several processes never share one
 * [--sources 127.0.0.2,…]     local addresses to connect from, round robin (each has its own ~28k ephemeral ports)
 * [--connect-rate 2000]       handshakes started per second while ramping; at most --in-flight 400 at once
 * [--pushes 0 --unacked 0]    after the welcome, a demo.push burst; the last U frames are left undelivered so a
 *                             resume has something to replay (and to check)
 * [--storm --failover URLS --mark-file F --storm-timeout-s 60]
 *                             arm every session: a broken socket resumes at once at failover[i % n]; the storm ends
 *                             when every session has resumed (or the timeout); latencies are taken from the epoch
 *                             milliseconds the script wrote to F just before it broke the sockets (kill -9)
 * [--hold-s 0 = until SIGTERM] [--threads 2] [--client-prefix hold] [--progress-ms 2000]
 * </pre>
 * Output: {@code PROGRESS} lines while ramping, {@code READY sessions=… seconds=…}, and with --storm one
 * {@code STORM …} line. Exit status 0 only if every session was welcomed and, with --storm, resumed without a
 * violation.
 */
public final class HoldClient {

  private static final Pattern CLIENT_ID_PREFIX = Pattern.compile("[A-Za-z0-9._:@-]{1,80}");
  /** Below the default heartbeatMs (25 s), so an idle session never turns SUSPECT. */
  static final long PING_MS = 20_000;
  private static final int PING_SLICES = 20;
  private static final int MAX_ATTEMPTS = 5;
  private static final long BYE_WAIT_MS = 5_000;

  private final Vertx vertx;
  private final List<Context> loops = new ArrayList<>();
  /** One client per local address (a client binds one address); held so the GC does not close them. */
  private final List<WebSocketClient> clients = new ArrayList<>();
  private final List<ResumeSession> sessions = new ArrayList<>();
  private final List<WebSocketConnectOptions> targets;
  private final int pushes;
  private final int unacked;
  private final AtomicInteger welcomed = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();
  private final long startNanos = System.nanoTime();
  private final long startEpochMs = System.currentTimeMillis();

  private HoldClient(Args args) throws Exception {
    String prefix = args.string("--client-prefix", "hold");
    if (!CLIENT_ID_PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("--client-prefix must be 1-80 chars of [A-Za-z0-9._:@-]");
    }
    pushes = args.integer("--pushes", 0);
    unacked = args.integer("--unacked", 0);
    if (unacked > 0 && unacked > pushes + 1) {
      throw new IllegalArgumentException("--unacked cannot exceed the frames of a burst (pushes + 1 response)");
    }
    int threads = args.integer("--threads", 2);
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads));
    for (int i = 0; i < threads; i++) {
      ResumeBench.Loop loop = new ResumeBench.Loop();
      vertx.deployVerticle(loop, new DeploymentOptions()).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
      loops.add(loop.ctx());
    }
    for (String source : args.string("--sources", "").split(",")) {
      WebSocketClientOptions options = new WebSocketClientOptions()
        .setMaxConnections(Integer.MAX_VALUE) // the default allows only 50 per server
        .setConnectTimeout(10_000)
        .setMaxFrameSize(64 * 1024)
        .setMaxMessageSize(256 * 1024);
      if (!source.isBlank()) {
        options.setLocalAddress(source.trim());
      }
      clients.add(vertx.createWebSocketClient(options));
    }
    targets = parseUrls(args.string("--urls", "ws://127.0.0.1:8080/ws"));
    List<WebSocketConnectOptions> failover = parseUrls(args.string("--failover", args.string("--urls",
      "ws://127.0.0.1:8080/ws")));
    int first = args.integer("--first", 0);
    int count = args.integer("--sessions", 1000);
    for (int i = 0; i < count; i++) {
      int n = first + i;
      sessions.add(new ResumeSession(prefix + "-" + n, loops.get(i % loops.size()), clients.get(i % clients.size()),
        failover.get(i % failover.size())));
    }
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv, Set.of("--urls", "--sessions", "--first", "--sources", "--connect-rate",
      "--in-flight", "--pushes", "--unacked", "--failover", "--mark-file", "--storm-timeout-s", "--hold-s",
      "--threads", "--client-prefix", "--progress-ms"), Set.of("--storm"));
    HoldClient hold = new HoldClient(args);
    Runtime.getRuntime().addShutdownHook(new Thread(hold::byeAll));
    // Heartbeats from the start: a session welcomed early in a long ramp must not go quiet until it ends.
    hold.vertx.setPeriodic(PING_MS / PING_SLICES, new Pinger(hold.sessions)::tick);
    boolean ok = hold.ramp(args.integer("--connect-rate", 2000), args.integer("--in-flight", 400),
      args.integer("--progress-ms", 2000));
    if (ok && args.has("--storm")) {
      Path mark = Path.of(args.string("--mark-file", "storm.mark"));
      ok = new Storm(hold.sessions, hold.startNanos, hold.startEpochMs)
        .run(mark, args.integer("--storm-timeout-s", 60) * 1000L);
    }
    int holdS = args.integer("--hold-s", 0);
    if (holdS > 0) {
      Thread.sleep(holdS * 1000L);
    } else if (!args.has("--storm")) {
      new CountDownLatch(1).await(); // until SIGTERM; the hook says bye
    }
    System.exit(ok ? 0 : 1);
  }

  /** Opens every session at {@code rate} handshakes per second, at most {@code maxInFlight} at once. */
  private boolean ramp(int rate, int maxInFlight, int progressMs) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(sessions.size());
    AtomicInteger next = new AtomicInteger();
    long tickMs = 50;
    int perTick = Math.max(1, rate * (int) tickMs / 1000);
    long timer = vertx.setPeriodic(tickMs, id -> {
      for (int k = 0; k < perTick && inFlight.get() < maxInFlight; k++) {
        int i = next.getAndIncrement();
        if (i >= sessions.size()) {
          return;
        }
        open(i, 1, done);
      }
    });
    long lastPrinted = 0;
    while (!done.await(100, TimeUnit.MILLISECONDS)) {
      long now = System.nanoTime();
      if (now - lastPrinted >= progressMs * 1_000_000L) {
        lastPrinted = now;
        progress("PROGRESS");
      }
    }
    vertx.cancelTimer(timer);
    progress("RAMPED");
    if (failed.get() > 0) {
      System.out.println("FAILED sessions=" + failed.get() + " (no welcome after " + MAX_ATTEMPTS + " attempts)");
      return false;
    }
    System.out.println(String.format(Locale.ROOT, "READY sessions=%d seconds=%.1f", welcomed.get(), elapsedS()));
    return true;
  }

  private void open(int i, int attempt, CountDownLatch done) {
    inFlight.incrementAndGet();
    ResumeSession s = sessions.get(i);
    Future<Void> ready = s.hello(targets.get(i % targets.size()));
    if (pushes > 0) {
      ready = ready.compose(v -> s.burst(pushes, unacked));
    }
    ready.onComplete(ar -> {
      inFlight.decrementAndGet();
      if (ar.succeeded()) {
        welcomed.incrementAndGet();
        done.countDown();
      } else if (attempt < MAX_ATTEMPTS) {
        // Refused (e.g. 503 at a node's connection limit) or timed out: try again a second later.
        retries.incrementAndGet();
        vertx.setTimer(1_000, id -> open(i, attempt + 1, done));
      } else {
        failed.incrementAndGet();
        done.countDown();
      }
    });
  }

  private void progress(String label) {
    double s = elapsedS();
    System.out.println(String.format(Locale.ROOT, "%s t=%.1fs welcomed=%d/%d inFlight=%d retries=%d failed=%d "
        + "rate=%.0f/s", label, s, welcomed.get(), sessions.size(), inFlight.get(), retries.get(), failed.get(),
      welcomed.get() / Math.max(s, 0.001)));
  }

  private double elapsedS() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private void byeAll() {
    try {
      Future.join(sessions.stream().map(ResumeSession::bye).toList())
        .toCompletionStage().toCompletableFuture().get(BYE_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // Exiting anyway; sessions left behind expire on the server.
    }
  }

  static List<WebSocketConnectOptions> parseUrls(String list) {
    List<WebSocketConnectOptions> out = new ArrayList<>();
    for (String url : list.split(",")) {
      URI uri = URI.create(url.trim());
      if (!"ws".equals(uri.getScheme())) {
        throw new IllegalArgumentException("only ws:// URLs are supported: " + url);
      }
      out.add(new WebSocketConnectOptions().setHost(uri.getHost()).setPort(uri.getPort() == -1 ? 80 : uri.getPort())
        .setURI(uri.getRawPath().isEmpty() ? "/" : uri.getRawPath()));
    }
    return out;
  }

  /** Pings one slice of the sessions per tick, so that each is pinged every {@link #PING_MS}. */
  private static final class Pinger {
    private final List<ResumeSession> sessions;
    private int slice;

    Pinger(List<ResumeSession> sessions) {
      this.sessions = sessions;
    }

    void tick(long id) {
      int s = slice;
      slice = (slice + 1) % PING_SLICES;
      for (int i = s; i < sessions.size(); i += PING_SLICES) {
        sessions.get(i).ping();
      }
    }
  }

  /** Reads the kill time the script wrote; the epoch milliseconds on its first line. */
  static long readMark(Path mark) throws Exception {
    return Long.parseLong(Files.readString(mark).trim().split("\\s+")[0]);
  }
}
