package io.tether.bench;

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
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Owns the connections of one event loop, grouped by target (server URL). One ack timer and one ping
 * timer per worker, not per socket, keep timer overhead flat with thousands of connections. Other
 * threads touch the connections only through this class's methods, which hop onto the worker's event loop.
 */
final class ClientWorker extends VerticleBase {

  /** Cumulative acks for whatever arrived since the last one; PROTOCOL.md §3 lets the receiver batch. */
  private static final long ACK_FLUSH_MS = 20;
  /** Below the default heartbeatMs (25 s), so an idle session never turns SUSPECT. */
  private static final long PING_MS = 20_000;
  /** Connects in flight per worker: bounds the burst of handshakes hitting the server's accept queue. */
  private static final int CONNECT_BATCH = 50;

  private final Map<Integer, List<BenchConnection>> byTarget = new HashMap<>();
  private WebSocketClient client;

  @Override
  public Future<?> start() {
    client = vertx.createWebSocketClient(new WebSocketClientOptions()
      .setMaxConnections(Integer.MAX_VALUE) // the default allows only 50 per server
      .setMaxFrameSize(64 * 1024)
      .setMaxMessageSize(256 * 1024));
    vertx.setPeriodic(ACK_FLUSH_MS, id -> all(BenchConnection::flushAck));
    vertx.setPeriodic(PING_MS, id -> all(BenchConnection::ping));
    return Future.succeededFuture();
  }

  /** Opens one welcomed connection per clientId to {@code target}, {@link #CONNECT_BATCH} at a time. */
  Future<Void> open(int target, WebSocketConnectOptions options, List<String> clientIds) {
    return call(() -> {
      List<BenchConnection> group = byTarget.computeIfAbsent(target, t -> new ArrayList<>());
      Future<Void> chain = Future.succeededFuture();
      for (int from = 0; from < clientIds.size(); from += CONNECT_BATCH) {
        List<String> batch = clientIds.subList(from, Math.min(from + CONNECT_BATCH, clientIds.size()));
        chain = chain.compose(v -> Future.all(batch.stream().map(id -> openOne(options, id, group)).toList()).mapEmpty());
      }
      return chain;
    });
  }

  private Future<Void> openOne(WebSocketConnectOptions options, String clientId, List<BenchConnection> group) {
    return client.connect(options).compose(ws -> {
      BenchConnection connection = new BenchConnection(ws, clientId);
      group.add(connection);
      return connection.hello();
    });
  }

  /** Applies {@code action} to this worker's connections to {@code target}. */
  Future<Void> forEach(int target, Consumer<BenchConnection> action) {
    return call(() -> {
      byTarget.getOrDefault(target, List.of()).forEach(action);
      return Future.succeededFuture();
    });
  }

  /** Sums the current round's counters of this worker's connections to {@code target}. */
  Future<Tally> sum(int target) {
    return call(() -> {
      Tally sum = new Tally();
      byTarget.getOrDefault(target, List.of()).forEach(c -> sum.add(c.tally()));
      return Future.succeededFuture(sum);
    });
  }

  /** Says bye on every connection of this worker. */
  Future<Void> byeAll() {
    return call(() -> Future.join(byTarget.values().stream().flatMap(List::stream).map(BenchConnection::bye).toList())
      .mapEmpty());
  }

  private void all(Consumer<BenchConnection> action) {
    byTarget.values().forEach(group -> group.forEach(action));
  }

  private <T> Future<T> call(Supplier<Future<T>> action) {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(result));
    return result.future();
  }
}
