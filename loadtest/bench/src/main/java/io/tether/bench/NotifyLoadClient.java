package io.tether.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Load client for scripts/bench-notify.sh: topic fan-out (PROTOCOL.md §6). Per target, S subscriber sockets
 * (hello, {@code subscribe {topic, version 0}}, cumulative acks every 100 frames and on a 20 ms timer) and one
 * publisher socket that sends P {@code demo.publish {"topic","body"}} requests pipelined with at most
 * {@code --window} outstanding. Several comma-separated URLs are driven round by round in turn (A1 B1 A2 B2 …).
 *
 * <p>A round is timed from just before the first publish to the moment the last subscriber has received the
 * round's final version (the highest version in the publish responses). Per round it prints
 * {@code RESULT mode=notify … publishesPerSec=… notifiesPerSec=… violations=… skipped=… status=…}:
 * notifiesPerSec is the notifies received by all subscribers per second; violations counts versions not above the
 * subscriber's previous one, server seq gaps and duplicates, errors and unexpected closes; skipped counts versions a
 * subscriber never saw (the gateway may skip only when a notify could not be buffered).
 *
 * <pre>
 * --url ws://…/ws[|ws://…][,ws://…] [--metrics http://…/metrics[|…][,…]] [--subscribers 500]
 * [--publishes 2000] [--rounds 4] [--window 64] [--topic bench/t] [--timeout-s 120] [--client-prefix notify]
 * [--threads 2] [--settle-ms 500]
 * </pre>
 *
 * <p>A target may be a cluster: its node URLs separated by '|'; subscribers are spread over them in turn and the
 * publisher is on the first. With {@code --metrics} (per target, in the same order; nodes separated by '|', "-" for
 * none) each RESULT also gives the store operations the target's nodes issued during the round
 * ({@code tether_store_operations_total}, read before the round and {@code --settle-ms} after its end so the trims
 * that the round's last acks cause are counted): {@code storeOps}, {@code flushOps}, {@code sessionWrites} (session batches written, {@code tether_store_flush_duration}:
 * a gateway without tether_store_operations, e.g. an older jar, issued one operation per session write) and each per
 * publish.
 *
 * <pre>
 * </pre>
 */
public final class NotifyLoadClient {

  private static final long ACK_FLUSH_MS = 20;
  private static final long PING_MS = 10_000;
  private static final int CONNECT_BATCH = 50;
  private static final int MAX_PRINTED_PROBLEMS = 10;
  private static final AtomicInteger printedProblems = new AtomicInteger();

  private final Vertx vertx;
  private final List<Context> loops = new ArrayList<>();
  private final List<WebSocketClient> clients = new ArrayList<>();
  /** subscribers.get(target).get(loop) */
  private final List<List<List<NotifySubscriber>>> subscribers = new ArrayList<>();
  private final List<NotifyPublisher> publishers = new ArrayList<>();
  private final List<String> urls;
  private final String topic;
  private final long timeoutMs;
  private final boolean[] failed;
  private final List<StoreOps> storeOps = new ArrayList<>();
  private long settleMs;
  private boolean dirty;

  private NotifyLoadClient(int threads, List<String> urls, String topic, long timeoutMs) {
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads));
    this.urls = urls;
    this.topic = topic;
    this.timeoutMs = timeoutMs;
    this.failed = new boolean[urls.size()];
    for (int i = 0; i < threads; i++) {
      Context ctx = vertx.getOrCreateContext(); // round-robin over the event loops
      loops.add(ctx);
      WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxConnections(Integer.MAX_VALUE).setMaxFrameSize(64 * 1024).setMaxMessageSize(256 * 1024));
      clients.add(client);
    }
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv, Set.of("--url", "--subscribers", "--publishes", "--rounds", "--window", "--topic",
      "--timeout-s", "--client-prefix", "--threads", "--metrics", "--settle-ms"), Set.of());
    List<String> urls = List.of(args.string("--url", "ws://127.0.0.1:8080/ws").split(","));
    NotifyLoadClient c = new NotifyLoadClient(args.integer("--threads", 2), urls, args.string("--topic", "bench/t"),
      args.integer("--timeout-s", 120) * 1000L);
    String[] metrics = args.string("--metrics", "").split(",", -1);
    for (int t = 0; t < urls.size(); t++) {
      c.storeOps.add(new StoreOps(t < metrics.length ? metrics[t] : null));
    }
    c.settleMs = args.integer("--settle-ms", 500);
    Runtime.getRuntime().addShutdownHook(new Thread(c::byeAll));
    c.connectAll(args.string("--client-prefix", "notify"), args.integer("--subscribers", 500));
    c.rounds(args.integer("--rounds", 4), args.integer("--publishes", 2000), args.integer("--window", 64),
      args.integer("--subscribers", 500));
    System.exit(c.anyFailed() || c.dirty ? 1 : 0);
  }

  private void connectAll(String prefix, int subs) throws Exception {
    for (int t = 0; t < urls.size(); t++) {
      String idPrefix = prefix + "-t" + t + "-";
      List<WebSocketConnectOptions> nodes = Arrays.stream(urls.get(t).split("\\|"))
        .map(NotifyLoadClient::connectOptions).toList();
      long start = System.nanoTime();
      List<List<NotifySubscriber>> perLoop = new ArrayList<>();
      List<Future<Void>> opened = new ArrayList<>();
      for (int w = 0; w < loops.size(); w++) {
        List<NotifySubscriber> group = new ArrayList<>();
        perLoop.add(group);
        List<Integer> ids = new ArrayList<>();
        for (int i = w; i < subs; i += loops.size()) {
          ids.add(i);
        }
        int loop = w;
        opened.add(call(loops.get(w), () -> {
          Future<Void> chain = Future.succeededFuture();
          for (int from = 0; from < ids.size(); from += CONNECT_BATCH) {
            List<Integer> batch = ids.subList(from, Math.min(from + CONNECT_BATCH, ids.size()));
            chain = chain.compose(v -> Future.all(batch.stream().map(i -> clients.get(loop)
              .connect(nodes.get(i % nodes.size()))
              .compose(ws -> {
                NotifySubscriber s = new NotifySubscriber(ws, idPrefix + i);
                group.add(s);
                return s.subscribe(topic);
              })).toList()).mapEmpty());
          }
          return chain;
        }));
      }
      subscribers.add(perLoop);
      NotifyPublisher publisher = new NotifyPublisher(topic);
      publishers.add(publisher);
      try {
        await(Future.all(opened));
        await(call(loops.get(0), () -> clients.get(0).connect(nodes.get(0)).compose(ws -> publisher.open(ws, idPrefix + "pub"))));
        System.out.println(String.format(Locale.ROOT, "CONNECTED target=%s subscribers=%d seconds=%.3f",
          urls.get(t), subs, (System.nanoTime() - start) / 1e9));
      } catch (Exception e) {
        System.out.println("FAILED target=" + urls.get(t) + " phase=connect reason=" + e);
        fail(t);
      }
    }
    for (int w = 0; w < loops.size(); w++) { // one ack timer and one ping timer per loop, not per socket
      int loop = w;
      loops.get(w).runOnContext(v -> {
        vertx.setPeriodic(ACK_FLUSH_MS, id -> eachOnLoop(loop, NotifySubscriber::flushAck));
        vertx.setPeriodic(PING_MS, id -> {
          eachOnLoop(loop, NotifySubscriber::ping);
          if (loop == 0) {
            publishers.forEach(NotifyPublisher::ping);
          }
        });
      });
    }
    // A gateway registers a new subscription's node listener asynchronously; let it settle before timing.
    Thread.sleep(1500);
  }

  /** Runs on loop {@code w}; the lists are complete before the timers start. */
  private void eachOnLoop(int w, java.util.function.Consumer<NotifySubscriber> action) {
    for (List<List<NotifySubscriber>> perLoop : subscribers) {
      perLoop.get(w).forEach(action);
    }
  }

  private void rounds(int rounds, int publishes, int window, int subs) throws Exception {
    for (int r = 1; r <= rounds; r++) {
      for (int t = 0; t < urls.size(); t++) {
        if (!failed[t] && !round(t, r, publishes, window, subs)) {
          fail(t);
        }
      }
    }
  }

  /** @return false if the round timed out */
  private boolean round(int t, int number, int publishes, int window, int subs) throws Exception {
    NotifyRound round = new NotifyRound(number, publishes, subs);
    for (int w = 0; w < loops.size(); w++) {
      List<NotifySubscriber> group = subscribers.get(t).get(w);
      await(call(loops.get(w), () -> {
        group.forEach(s -> s.startRound(round));
        return Future.succeededFuture();
      }));
    }
    NotifyPublisher publisher = publishers.get(t);
    StoreOps ops = storeOps.get(t);
    long[] opsBefore = ops.enabled() ? ops.read() : null;
    round.start = System.nanoTime();
    loops.get(0).runOnContext(v -> publisher.startRound(round, window, () -> {
      // The final version is known: let every subscriber that already has it finish.
      for (int w = 0; w < loops.size(); w++) {
        List<NotifySubscriber> group = subscribers.get(t).get(w);
        loops.get(w).runOnContext(x -> group.forEach(NotifySubscriber::checkDone));
      }
    }));
    boolean finished = round.subsDone.await(timeoutMs, TimeUnit.MILLISECONDS) && round.publishDone != 0;
    long end = finished ? round.lastDone.get() : System.nanoTime();
    long received = 0;
    long violations = 0;
    long skipped = 0;
    long notReached = 0;
    for (int w = 0; w < loops.size(); w++) {
      List<NotifySubscriber> group = subscribers.get(t).get(w);
      long[] sums = await(call(loops.get(w), () -> {
        long[] s = new long[4];
        for (NotifySubscriber sub : group) {
          s[0] += sub.received;
          s[1] += sub.violations;
          s[2] += sub.skipped;
          s[3] += sub.done ? 0 : 1;
        }
        return Future.succeededFuture(s);
      }));
      received += sums[0];
      violations += sums[1];
      skipped += sums[2];
      notReached += sums[3];
    }
    violations += round.publishErrors.get();
    double seconds = (end - round.start) / 1e9;
    double pubSeconds = ((round.publishDone == 0 ? System.nanoTime() : round.publishDone) - round.start) / 1e9;
    String status = !finished ? "timeout" : violations == 0 ? "ok" : "violations";
    String opsFields = "";
    if (opsBefore != null) {
      Thread.sleep(settleMs);
      long[] opsAfter = ops.read();
      long total = opsBefore[0] < 0 || opsAfter[0] < 0 ? -1 : opsAfter[0] - opsBefore[0];
      long flushes = opsBefore[1] < 0 || opsAfter[1] < 0 ? -1 : opsAfter[1] - opsBefore[1];
      long writes = opsBefore[2] < 0 || opsAfter[2] < 0 ? -1 : opsAfter[2] - opsBefore[2];
      opsFields = String.format(Locale.ROOT, " storeOps=%d flushOps=%d sessionWrites=%d storeOpsPerPublish=%.1f"
        + " flushOpsPerPublish=%.1f sessionWritesPerPublish=%.1f", total, flushes, writes, (double) total / publishes,
        (double) flushes / publishes, (double) writes / publishes);
    }
    System.out.println(String.format(Locale.ROOT,
      "RESULT mode=notify target=%s round=%d subscribers=%d publishes=%d finalVersion=%d pubSeconds=%.3f"
        + " publishesPerSec=%.0f received=%d seconds=%.3f notifiesPerSec=%.0f violations=%d skipped=%d"
        + " notReached=%d status=%s%s",
      urls.get(t), number, subs, publishes, round.finalVersion, pubSeconds, publishes / pubSeconds, received, seconds,
      received / seconds, violations, skipped, notReached, status, opsFields));
    dirty |= violations != 0;
    return finished;
  }

  private void fail(int t) {
    failed[t] = true;
    for (int w = 0; w < loops.size(); w++) {
      if (subscribers.size() > t) {
        List<NotifySubscriber> group = subscribers.get(t).get(w);
        loops.get(w).runOnContext(v -> group.forEach(NotifySubscriber::bye));
      }
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

  private void byeAll() {
    try {
      List<Future<Void>> all = new ArrayList<>();
      for (List<List<NotifySubscriber>> perTarget : subscribers) {
        for (int w = 0; w < loops.size(); w++) {
          List<NotifySubscriber> group = perTarget.get(w);
          all.add(call(loops.get(w), () -> Future.join(group.stream().map(NotifySubscriber::bye).toList()).mapEmpty()));
        }
      }
      for (NotifyPublisher p : publishers) {
        all.add(call(loops.get(0), p::bye));
      }
      Future.join(all).toCompletionStage().toCompletableFuture().get(3, TimeUnit.SECONDS);
    } catch (Exception e) {
      // exiting anyway
    }
  }

  private <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private static <T> Future<T> call(Context ctx, Supplier<Future<T>> action) {
    Promise<T> result = Promise.promise();
    ctx.runOnContext(v -> action.get().onComplete(result));
    return result.future();
  }

  private static WebSocketConnectOptions connectOptions(String url) {
    URI uri = URI.create(url);
    if (!"ws".equals(uri.getScheme())) {
      throw new IllegalArgumentException("only ws:// URLs are supported: " + url);
    }
    return new WebSocketConnectOptions().setHost(uri.getHost()).setPort(uri.getPort() == -1 ? 80 : uri.getPort())
      .setURI(uri.getRawPath().isEmpty() ? "/" : uri.getRawPath());
  }

  static void problem(String who, String what) {
    if (printedProblems.incrementAndGet() <= MAX_PRINTED_PROBLEMS) {
      System.out.println("PROBLEM " + who + ": " + what);
    }
  }
}
