package io.tether.bench.rr;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Owns the connections of one event loop, grouped by target, and sends their requests on an open-loop schedule:
 * the k-th request of a round is due at {@code start + k / rate}, whatever the answers do, and goes to the
 * group's connections in turn. The schedule runs on nanosecond timers ({@code vertx.timer(…, NANOSECONDS)}, Netty's
 * scheduler) rather than the 1 ms periodic timer, so the client's own timer granularity does not add up to 1 ms
 * to every latency. A late timer is no excuse: every request is timed from when it was due (and the lateness is
 * reported separately, as the client's lag). Other threads reach the worker only through its methods, which hop
 * onto its event loop.
 */
final class RrWorker extends VerticleBase {

  private static final long ACK_FLUSH_MS = 20;
  private static final long PING_MS = 10_000;
  private static final long EXPIRE_SWEEP_MS = 100;
  private static final int CONNECT_BATCH = 50;

  /** The connections of one target on this worker, and the round being measured on them. */
  static final class Group {
    final List<RrConnection> connections = new ArrayList<>();
    RoundStats stats = new RoundStats();
    long timeoutNanos = TimeUnit.SECONDS.toNanos(5);
    /** When the last frame of any kind arrived from this target: a backlog still draining keeps it recent. */
    long lastFrameNanos = System.nanoTime();
  }

  private final Map<Integer, Group> groups = new HashMap<>();
  private WebSocketClient client;

  @Override
  public Future<?> start() {
    client = vertx.createWebSocketClient(new WebSocketClientOptions()
      .setMaxConnections(Integer.MAX_VALUE)
      .setMaxFrameSize(64 * 1024)
      .setMaxMessageSize(256 * 1024));
    vertx.setPeriodic(ACK_FLUSH_MS, id -> groups.values().forEach(g -> g.connections.forEach(RrConnection::flushAck)));
    vertx.setPeriodic(PING_MS, id -> groups.values().forEach(g -> g.connections.forEach(RrConnection::ping)));
    vertx.setPeriodic(EXPIRE_SWEEP_MS, id -> {
      long now = System.nanoTime();
      groups.values().forEach(g -> g.connections.forEach(c -> c.expireOlderThan(now - g.timeoutNanos)));
    });
    return Future.succeededFuture();
  }

  Future<Void> open(int target, WebSocketConnectOptions options, List<String> clientIds, String address) {
    return call(() -> {
      Group group = groups.computeIfAbsent(target, t -> new Group());
      Future<Void> chain = Future.succeededFuture();
      for (int from = 0; from < clientIds.size(); from += CONNECT_BATCH) {
        List<String> batch = clientIds.subList(from, Math.min(from + CONNECT_BATCH, clientIds.size()));
        chain = chain.compose(v -> Future.all(batch.stream()
          .map(id -> client.connect(options).compose(ws -> {
            RrConnection c = new RrConnection(ws, id, address, group);
            group.connections.add(c);
            return c.hello();
          })).toList()).mapEmpty());
      }
      return chain;
    });
  }

  /**
   * Starts a round on {@code target}: {@code count} requests, the k-th due at {@code firstNanos + k · intervalNanos}.
   * Completes when the last one has been sent (not answered).
   */
  Future<Void> runRound(int target, long firstNanos, double intervalNanos, long count, long timeoutNanos) {
    return call(() -> {
      Group group = groups.get(target);
      group.stats = new RoundStats();
      group.timeoutNanos = timeoutNanos;
      Promise<Void> sent = Promise.promise();
      if (group.connections.isEmpty() || count == 0) {
        sent.complete();
      } else {
        new Schedule(group, firstNanos, intervalNanos, count, sent).fire();
      }
      return sent.future();
    });
  }

  /** Requests of {@code target} still awaiting an answer on this worker. */
  Future<Integer> outstanding(int target) {
    return call(() -> Future.succeededFuture(
      groups.get(target).connections.stream().mapToInt(RrConnection::outstanding).sum()));
  }

  /** Nanoseconds since the last frame from {@code target} arrived on this worker. */
  Future<Long> quietNanos(int target) {
    return call(() -> Future.succeededFuture(System.nanoTime() - groups.get(target).lastFrameNanos));
  }

  /** Counts what is still unanswered as timeouts, and returns a copy of the round's figures. */
  Future<RoundStats> finish(int target) {
    return call(() -> {
      Group group = groups.get(target);
      group.connections.forEach(RrConnection::expireAll);
      RoundStats done = group.stats;
      group.stats = new RoundStats(); // answers arriving later are matched to nothing (their slot is free)
      return Future.succeededFuture(done);
    });
  }

  Future<Void> byeAll() {
    return call(() -> Future.join(groups.values().stream().flatMap(g -> g.connections.stream())
      .map(RrConnection::bye).toList()).mapEmpty());
  }

  private <T> Future<T> call(Supplier<Future<T>> action) {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(result));
    return result.future();
  }

  /** The open-loop send schedule of one round on one group. */
  private final class Schedule {
    private final Group group;
    private final long firstNanos;
    private final double intervalNanos;
    private final long count;
    private final Promise<Void> done;
    private long next;

    Schedule(Group group, long firstNanos, double intervalNanos, long count, Promise<Void> done) {
      this.group = group;
      this.firstNanos = firstNanos;
      this.intervalNanos = intervalNanos;
      this.count = count;
      this.done = done;
    }

    private long due(long k) {
      return firstNanos + (long) (k * intervalNanos);
    }

    void fire() {
      long now = System.nanoTime();
      int n = group.connections.size();
      while (next < count && due(next) - now <= 0) {
        long intended = due(next);
        group.stats.recordLag(now - intended);
        group.connections.get((int) (next % n)).send(intended);
        next++;
      }
      if (next >= count) {
        done.complete();
        return;
      }
      long wait = due(next) - System.nanoTime();
      vertx.timer(Math.max(1, wait), TimeUnit.NANOSECONDS).onComplete(t -> fire());
    }
  }
}
