package io.tether.bench.abuse;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** What every group of attacks shares: the target, the run's configuration, tokens and the witnesses. */
abstract class Attacks {

  /** How long an attacker waits for the node's answer to one attempt. */
  static final long ANSWER_MS = 10_000;

  final Target target;
  final AbuseConfig config;
  final Jwts jwts;
  final List<Witness> witnesses;

  private static final java.util.concurrent.atomic.AtomicInteger SOURCES = new java.util.concurrent.atomic.AtomicInteger();

  Attacks(Target target, AbuseConfig config, Jwts jwts, List<Witness> witnesses) {
    this.target = target;
    this.config = config;
    this.jwts = jwts;
    this.witnesses = witnesses;
  }

  abstract List<Attack> attacks();

  /** {@code f}, or a failure after {@code ms}. */
  <T> Future<T> within(Future<T> f, long ms, String what) {
    Promise<T> p = Promise.promise();
    long timer = target.vertx.setTimer(ms, id -> p.tryFail("no answer within " + ms + " ms: " + what));
    f.onComplete(ar -> {
      target.vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        p.tryComplete(ar.result());
      } else {
        p.tryFail(ar.cause());
      }
    });
    return p.future();
  }

  /** Runs {@code tries} attempts, {@code parallel} at a time; counts those that completed with true. */
  Future<Integer> count(int tries, int parallel, IntFunction<Future<Boolean>> attempt) {
    int[] refused = {0};
    Future<Void> chain = Future.succeededFuture();
    for (int start = 0; start < tries; start += parallel) {
      int from = start;
      int to = Math.min(tries, start + parallel);
      chain = chain.compose(v -> {
        List<Future<Boolean>> batch = new ArrayList<>();
        for (int i = from; i < to; i++) {
          batch.add(attempt.apply(i).otherwise(false));
        }
        return Future.join(batch).transform(ar -> {
          for (Future<Boolean> b : batch) {
            if (Boolean.TRUE.equals(b.result())) {
              refused[0]++;
            }
          }
          return Future.succeededFuture();
        });
      });
    }
    return chain.map(v -> refused[0]);
  }

  /**
   * Sends {@code first} on a new socket; true when the node answers an error with {@code code} (any of the codes
   * given) and closes with {@code closeCode}, without a welcome or resumed before it.
   */
  Future<Boolean> refusedWith(String source, JsonObject first, int closeCode, String... codes) {
    return Probe.open(target, source == null ? src() : source, config.origin).compose(p -> {
      if (!p.open()) {
        return Future.succeededFuture(false);
      }
      p.send(first);
      // A welcome or resumed first means the node accepted: not refused (and the socket is closed at once).
      return within(p.nextOrClose("error", "welcome", "resumed").compose(e -> {
        if (!List.of(codes).contains(Probe.errorCode(e))) {
          return p.close().map(false);
        }
        return p.closed().map(code -> code == closeCode);
      }), ANSWER_MS, "refusal of " + first.getString("type")).onFailure(x -> p.close());
    });
  }

  /** A session of the attacker's own (a valid token for {@code clientId}); fails if the node does not welcome it. */
  Future<Probe> session(String source, String clientId) {
    return Probe.open(target, source == null ? src() : source, config.origin).compose(p -> {
      if (!p.open()) {
        return Future.failedFuture("upgrade refused with HTTP " + p.status);
      }
      Future<JsonObject> welcome = p.next("welcome");
      p.send(Probe.hello(clientId, jwts.valid(clientId)));
      return within(welcome, ANSWER_MS, "welcome of " + clientId).map(w -> p);
    });
  }

  /**
   * The next attacker source address: on a loopback target one of 127.0.0.10..73 in turn, so attackers do not share
   * the witnesses' address (127.0.0.1) and per-IP limits see them as the separate clients they stand for.
   */
  String src() {
    return target.source(10, SOURCES.getAndIncrement());
  }

  Witness witness(int i) {
    return witnesses.get(i % witnesses.size());
  }
}
