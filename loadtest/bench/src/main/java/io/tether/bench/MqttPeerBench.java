package io.tether.bench;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * MQTT peer for scripts/bench-peers.sh, against a broker such as Mosquitto 2.
 *
 * <p>Push mode: N subscribers, each a persistent session ({@code cleanSession=false}, fixed client id)
 * subscribed with QoS 1 to its own topic; P publishers publish M QoS-1 messages {@code {"n":k}} to every
 * topic, interleaved over their topics, with at most W unacknowledged publishes each (PUBACK from the
 * broker frees a slot). The clock runs from the first publish to the moment the last subscriber has its
 * M-th message. Subscribers check that n runs 1, 2, 3, … per round and count {@code gaps} (a message the
 * broker dropped, e.g. because a queue limit was hit) and {@code dups} (QoS 1 redelivery). The client
 * PUBACKs every received message (Vert.x's auto-ack), as at-least-once requires.
 *
 * <p>Idle mode: K subscribers as above, connected and subscribed, then only keep-alive pings; prints
 * {@code READY conns=K} and holds until killed.
 *
 * <pre>
 * push: --port 1883 --conns 100 --count 2000 [--rounds 1] [--publishers 4] [--window 1000]
 * idle: --idle --port 1883 --conns 2000
 * both: [--host 127.0.0.1] [--client-prefix mqtt] [--timeout-s 120] [--threads 2]
 * </pre>
 * Output lines have the format of {@link PushLoadClient}'s, so the same script code summarises both; RESULT lines
 * also carry {@code clientCpuS}, this client's CPU in the round (to tell a saturated client from a saturated broker).
 */
public final class MqttPeerBench {

  private static final int CONNECT_CONCURRENCY = 200;
  /** Held: JUL keeps loggers weakly, and a collected one would lose the level (an INFO line per connection). */
  private static final java.util.logging.Logger MQTT_LOG = java.util.logging.Logger.getLogger("io.vertx.mqtt");

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final String prefix;
  private final long timeoutMs;
  /** Held so the GC cleaner does not close their NetClients (STACK.md, Vert.x 5 traps). */
  private final List<Subscriber> subscribers = new ArrayList<>();
  private final List<Publisher> publishers = new ArrayList<>();

  private MqttPeerBench(int threads, String host, int port, String prefix, long timeoutMs) {
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads));
    this.host = host;
    this.port = port;
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
  }

  public static void main(String[] argv) throws Exception {
    MQTT_LOG.setLevel(java.util.logging.Level.WARNING);
    Args args = Args.parse(argv,
      Set.of("--host", "--port", "--conns", "--count", "--rounds", "--publishers", "--window",
        "--client-prefix", "--timeout-s", "--threads"),
      Set.of("--idle"));
    MqttPeerBench bench = new MqttPeerBench(args.integer("--threads", 2), args.string("--host", "127.0.0.1"),
      args.integer("--port", 1883), args.string("--client-prefix", "mqtt"), args.integer("--timeout-s", 120) * 1000L);
    int conns = args.integer("--conns", 100);
    boolean ok = bench.connectSubscribers(conns);
    if (!ok) {
      System.exit(1);
    }
    if (args.has("--idle")) {
      System.out.println("READY conns=" + conns);
      Thread.currentThread().join(); // until killed
    }
    ok = bench.connectPublishers(args.integer("--publishers", 4), args.integer("--window", 1000));
    int rounds = args.integer("--rounds", 1);
    int count = args.integer("--count", 2000);
    for (int r = 1; ok && r <= rounds; r++) {
      ok = bench.round(r, count);
    }
    System.exit(ok ? 0 : 1);
  }

  private String target() {
    return "mqtt://" + host + ":" + port;
  }

  /** Connects and subscribes N persistent sessions, at most {@link #CONNECT_CONCURRENCY} at a time. */
  private boolean connectSubscribers(int conns) throws InterruptedException {
    long start = System.nanoTime();
    Semaphore slots = new Semaphore(CONNECT_CONCURRENCY);
    AtomicInteger ready = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    for (int i = 0; i < conns; i++) {
      if (!slots.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS)) {
        break;
      }
      Subscriber s = new Subscriber(prefix + "-s" + i, prefix + "/" + i);
      subscribers.add(s);
      s.start().onComplete(ar -> {
        slots.release();
        if (ar.succeeded()) {
          int n = ready.incrementAndGet();
          if (n % 2000 == 0) {
            System.out.println("PROGRESS connected=" + n);
          }
        } else if (failures.incrementAndGet() <= 5) {
          System.out.println("PROBLEM connect " + s.clientId + ": " + ar.cause());
        }
      });
    }
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (ready.get() + failures.get() < conns && System.currentTimeMillis() < deadline) {
      Thread.sleep(20); // a progress poll of the main thread, not synchronisation between event loops
    }
    if (ready.get() < conns) {
      System.out.println("FAILED target=" + target() + " phase=connect conns=" + conns + " ready=" + ready.get()
        + " failures=" + failures.get());
      return false;
    }
    System.out.println(String.format(Locale.ROOT, "CONNECTED target=%s conns=%d seconds=%.3f", target(), conns,
      (System.nanoTime() - start) / 1e9));
    return true;
  }

  private boolean connectPublishers(int count, int window) throws Exception {
    int n = Math.min(count, subscribers.size());
    for (int p = 0; p < n; p++) {
      List<String> topics = new ArrayList<>();
      for (int i = p; i < subscribers.size(); i += n) {
        topics.add(subscribers.get(i).topic);
      }
      publishers.add(new Publisher(prefix + "-p" + p, topics, window));
    }
    List<Future<Void>> started = new ArrayList<>();
    publishers.forEach(p -> started.add(p.start()));
    try {
      Future.all(started).toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      System.out.println("FAILED target=" + target() + " phase=connect-publishers reason=" + e);
      return false;
    }
  }

  private boolean round(int r, int count) throws Exception {
    AtomicInteger remaining = new AtomicInteger(subscribers.size());
    Promise<Long> lastReceived = Promise.promise();
    List<Future<Void>> prepared = new ArrayList<>();
    subscribers.forEach(s -> prepared.add(s.prepare(count, remaining, lastReceived)));
    Future.all(prepared).toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    long start = System.nanoTime();
    long cpuStart = processCpuNanos();
    List<Future<Void>> sent = new ArrayList<>();
    publishers.forEach(p -> sent.add(p.send(count)));
    String status = "ok";
    long end;
    try {
      end = lastReceived.future().toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
      Future.all(sent).toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      end = System.nanoTime();
      status = "timeout";
    }
    long delivered = 0;
    long gaps = 0;
    long dups = 0;
    long errors = 0;
    for (Subscriber s : subscribers) {
      delivered += s.received;
      gaps += s.gaps;
      dups += s.dups;
      errors += s.closed ? 1 : 0;
    }
    for (Publisher p : publishers) {
      errors += p.errors;
    }
    if (status.equals("ok") && (errors > 0 || gaps > 0 || dups > 0)) {
      status = "dirty";
    }
    double seconds = (end - start) / 1e9;
    double clientCpu = (processCpuNanos() - cpuStart) / 1e9;
    System.out.println(String.format(Locale.ROOT,
      "RESULT mode=push target=%s round=%d conns=%d perConn=%d delivered=%d seconds=%.3f msgsPerSec=%.0f"
        + " errors=%d gaps=%d dups=%d status=%s clientCpuS=%.3f",
      target(), r, subscribers.size(), count, delivered, seconds, delivered / seconds, errors, gaps, dups, status,
      clientCpu));
    return status.equals("ok");
  }

  /** CPU time of this load client, so a reader can tell whether the client rather than the broker was saturated. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
      .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private MqttClient client(String clientId, boolean cleanSession, int maxInflight) {
    MqttClientOptions options = new MqttClientOptions()
      .setClientId(clientId)
      .setCleanSession(cleanSession)
      .setKeepAliveInterval(60)
      .setMaxInflightQueue(maxInflight);
    options.setAutoAck(true); // PUBACK every QoS-1 message on receipt (it returns void, so not chained)
    return MqttClient.create(vertx, options);
  }

  /** A persistent session with one QoS-1 subscription; its counters are touched only on its context. */
  private final class Subscriber {
    final String clientId;
    final String topic;
    final Context context = vertx.getOrCreateContext(); // from the main thread: a new one, round-robin
    MqttClient client;
    int count;
    int expected;
    long received;
    long gaps;
    long dups;
    boolean closed;
    AtomicInteger remaining;
    Promise<Long> lastReceived;

    Subscriber(String clientId, String topic) {
      this.clientId = clientId;
      this.topic = topic;
    }

    Future<Void> start() {
      Promise<Void> subscribed = Promise.promise();
      context.runOnContext(v -> {
        client = client(clientId, false, 1000);
        client.publishHandler(msg -> onMessage(msg.payload()));
        client.subscribeCompletionHandler(ack -> subscribed.tryComplete());
        client.closeHandler(x -> closed = true);
        client.connect(port, host)
          .compose(ack -> client.subscribe(topic, MqttQoS.AT_LEAST_ONCE.value()))
          .onFailure(subscribed::tryFail);
      });
      return subscribed.future();
    }

    Future<Void> prepare(int count, AtomicInteger remaining, Promise<Long> lastReceived) {
      Promise<Void> done = Promise.promise();
      context.runOnContext(v -> {
        this.count = count;
        this.expected = 1;
        this.received = 0;
        this.gaps = 0;
        this.dups = 0;
        this.remaining = remaining;
        this.lastReceived = lastReceived;
        done.complete();
      });
      return done.future();
    }

    private void onMessage(Buffer payload) {
      int n = parseN(payload);
      if (n < expected) {
        dups++;
        return;
      }
      if (n > expected) {
        gaps += n - expected;
      }
      received++;
      expected = n + 1;
      if (n == count && remaining != null && remaining.decrementAndGet() == 0) {
        lastReceived.tryComplete(System.nanoTime());
      }
    }
  }

  /** {@code {"n":123}} → 123; -1 for anything else (counted as a duplicate, so it cannot pass unnoticed). */
  static int parseN(Buffer payload) {
    int n = 0;
    int len = payload.length();
    int i = 5;
    if (len < 7 || payload.getByte(len - 1) != '}') {
      return -1;
    }
    for (; i < len - 1; i++) {
      byte b = payload.getByte(i);
      if (b < '0' || b > '9') {
        return -1;
      }
      n = n * 10 + (b - '0');
    }
    return n;
  }

  /** Publishes to its topics with at most {@code window} publishes awaiting PUBACK. */
  private final class Publisher {
    final String clientId;
    final List<String> topics;
    final int window;
    final Context context = vertx.getOrCreateContext();
    MqttClient client;
    long total;
    long sent;
    long acked;
    int inflight;
    long errors;
    Promise<Void> allAcked;

    Publisher(String clientId, List<String> topics, int window) {
      this.clientId = clientId;
      this.topics = topics;
      this.window = window;
    }

    Future<Void> start() {
      Promise<Void> connected = Promise.promise();
      context.runOnContext(v -> {
        client = client(clientId, true, window);
        client.publishCompletionHandler(id -> {
          inflight--;
          acked++;
          if (acked == total && allAcked != null) {
            allAcked.tryComplete();
          } else {
            pump();
          }
        });
        client.closeHandler(x -> errors++);
        client.connect(port, host).<Void>mapEmpty().onComplete(connected);
      });
      return connected.future();
    }

    Future<Void> send(int count) {
      Promise<Void> done = Promise.promise();
      context.runOnContext(v -> {
        total = (long) count * topics.size();
        sent = 0;
        acked = 0;
        allAcked = done;
        pump();
      });
      return done.future();
    }

    private void pump() {
      int t = topics.size();
      while (inflight < window && sent < total) {
        int n = (int) (sent / t) + 1;
        String topic = topics.get((int) (sent % t));
        sent++;
        inflight++;
        client.publish(topic, Buffer.buffer("{\"n\":" + n + "}"), MqttQoS.AT_LEAST_ONCE, false, false)
          .onFailure(e -> {
            errors++;
            inflight--;
            allAcked.tryFail(e);
          });
      }
    }
  }
}
