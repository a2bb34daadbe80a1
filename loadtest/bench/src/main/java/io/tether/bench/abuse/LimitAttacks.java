package io.tether.bench.abuse;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Using up the node: connections beyond {@code --max-connections} (503), a foreign Origin (403), one address's
 * connections and handshake rate (429), sessions beyond {@code --max-sessions} (503), and sessions that never ack
 * against the node's buffer budget (a retryable refusal of the sends).
 */
final class LimitAttacks extends Attacks {

  /** Attempts made once the node is at a limit. */
  private static final int BEYOND = 10;

  LimitAttacks(Target target, AbuseConfig config, Jwts jwts, List<Witness> witnesses) {
    super(target, config, jwts, witnesses);
  }

  @Override
  List<Attack> attacks() {
    return List.of(
        new Attack("connection flood beyond --max-connections", this::connectionFlood),
        new Attack("foreign Origin (--allowed-origins)", this::origin),
        new Attack("connections from one IP (--max-connections-per-ip)", this::perIpConnections),
        new Attack("handshakes from one IP (--max-handshakes-per-ip-per-second)", this::perIpHandshakes),
        new Attack("sessions beyond --max-sessions", this::sessions),
        new Attack("never-acking sessions (--node-buffer-max-bytes)", new BufferBudget(this)::run));
  }

  /**
   * Opens sockets (no hello) until the node answers 503, at most max-connections + 1, then {@link #BEYOND} more while
   * holding them: each of those must be refused with 503.
   */
  private Future<Outcome> connectionFlood() {
    if (config.maxConnections <= 0) {
      return Future.succeededFuture(Outcome.skip("--max-connections not given to the runner"));
    }
    List<Probe> held = new ArrayList<>();
    return fill(held, config.maxConnections + 1, 25, null, () -> Probe.open(target, src(), config.origin), 503)
        .compose(opened -> count(BEYOND, BEYOND, i -> Probe.open(target, src(), config.origin).map(p -> {
          held.add(p);
          return p.status == 503;
        })).map(refused -> Outcome.of(BEYOND, refused, "sockets: " + opened)))
        .eventually(() -> within(closeAll(held), ANSWER_MS, "close").otherwiseEmpty());
  }

  private Future<Outcome> origin() {
    if (config.origin == null) {
      return Future.succeededFuture(Outcome.skip("no --origin: the node's allowed origins are unknown"));
    }
    int tries = BEYOND;
    return count(tries, tries, i -> Probe.open(target, src(), "https://evil-" + i + ".example").map(p -> {
      p.close();
      return p.status == 403;
    })).map(refused -> Outcome.of(tries, refused, null));
  }

  /** One address (127.0.0.200 on a loopback target) opens limit + {@link #BEYOND} sockets and holds them. */
  private Future<Outcome> perIpConnections() {
    if (config.maxConnectionsPerIp <= 0) {
      return Future.succeededFuture(Outcome.skip("--max-connections-per-ip not given to the runner"));
    }
    String ip = target.loopback() ? "127.0.0.200" : null;
    List<Probe> held = new ArrayList<>();
    // Slowly enough for a handshake-rate limit (also 429) not to be what refuses them: half its rate per second.
    int rate = config.maxHandshakesPerIpPerSecond;
    int batch = rate > 0 ? Math.max(1, Math.min(10, rate / 2)) : 10;
    return fill(held, config.maxConnectionsPerIp, batch, rate > 0 ? 1000 : 0, ip,
        () -> Probe.open(target, ip, config.origin), 429)
        .compose(opened -> count(BEYOND, BEYOND, i -> Probe.open(target, ip, config.origin).map(p -> {
          held.add(p);
          return p.status == 429;
        })).map(refused -> Outcome.of(BEYOND, refused, "sockets from one IP: " + opened)))
        .eventually(() -> within(closeAll(held), ANSWER_MS, "close").otherwiseEmpty());
  }

  /**
   * One address (127.0.0.201) starts 3 x limit handshakes at once. Allowed: the limit, plus what the bucket refills
   * while they run; every handshake beyond that allowance must be refused with 429.
   */
  private Future<Outcome> perIpHandshakes() {
    int limit = config.maxHandshakesPerIpPerSecond;
    if (limit <= 0) {
      return Future.succeededFuture(Outcome.skip("--max-handshakes-per-ip-per-second not given to the runner"));
    }
    String ip = target.loopback() ? "127.0.0.201" : null;
    int attempts = 3 * limit;
    long start = System.nanoTime();
    List<Future<Probe>> all = new ArrayList<>();
    for (int i = 0; i < attempts; i++) {
      all.add(Probe.open(target, ip, config.origin));
    }
    return Future.join(all).transform(ar -> {
      double seconds = (System.nanoTime() - start) / 1e9;
      int allowance = (int) Math.ceil(limit * (1 + seconds));
      int refused = 0;
      for (Future<Probe> f : all) {
        Probe p = f.result();
        if (p != null) {
          refused += p.status == 429 ? 1 : 0;
          p.close();
        }
      }
      int tried = Math.max(0, attempts - allowance);
      return Future.succeededFuture(Outcome.of(tried, Math.min(refused, tried), String.format(
          "%d handshakes in %.2f s, allowance %d, %d answered 429", attempts, seconds, allowance, refused)));
    });
  }

  /** Sessions (valid tokens) until the node answers 503, at most max-sessions + 1; then {@link #BEYOND} more. */
  private Future<Outcome> sessions() {
    if (config.maxSessions <= 0) {
      return Future.succeededFuture(Outcome.skip("--max-sessions not given to the runner"));
    }
    List<Probe> held = new ArrayList<>();
    int[] n = {0};
    return fill(held, config.maxSessions + 1, 10, null, () -> sessionOrStatus("mallory-sess-" + n[0]++), 503)
        .compose(opened -> count(BEYOND, BEYOND, i -> sessionOrStatus("mallory-sess-" + n[0]++).map(p -> {
          held.add(p);
          return p.status == 503;
        })).map(refused -> Outcome.of(BEYOND, refused, "attacker sessions: " + opened)))
        .eventually(() -> within(byeAll(held), ANSWER_MS, "bye").otherwiseEmpty());
  }

  /** A probe with a welcomed session, or the refused upgrade's status. */
  private Future<Probe> sessionOrStatus(String clientId) {
    return Probe.open(target, src(), config.origin).compose(p -> {
      if (!p.open()) {
        return Future.succeededFuture(p);
      }
      Future<JsonObject> welcome = p.next("welcome");
      p.send(Probe.hello(clientId, jwts.valid(clientId)));
      return within(welcome, ANSWER_MS, "welcome").map(w -> p).otherwise(p);
    });
  }

  /**
   * Opens with {@code open}, {@code parallel} at a time, into {@code held} until one is refused with {@code status}
   * or {@code max} were opened; completes with how many were open then, and why it stopped.
   */
  private Future<String> fill(List<Probe> held, int max, int parallel, String ip,
      java.util.function.Supplier<Future<Probe>> open, int status) {
    return fill(held, max, parallel, 0, ip, open, status);
  }

  /** {@code pauseMs} between batches: paced under a handshake-rate limit, which also answers 429. */
  private Future<String> fill(List<Probe> held, int max, int parallel, long pauseMs, String ip,
      java.util.function.Supplier<Future<Probe>> open, int status) {
    List<Future<Probe>> batch = new ArrayList<>();
    for (int i = 0; i < parallel; i++) {
      batch.add(open.get());
    }
    return Future.join(batch).transform(ar -> {
      boolean refused = false;
      for (Future<Probe> f : batch) {
        if (f.result() != null) {
          held.add(f.result());
          refused |= f.result().status == status;
        }
      }
      int opened = (int) held.stream().filter(Probe::open).count();
      if (refused) {
        return Future.succeededFuture(opened + " open at the first " + status);
      }
      if (opened >= max) {
        return Future.succeededFuture("no " + status + " with " + opened + " open");
      }
      return pauseMs == 0 ? fill(held, max, parallel, 0, ip, open, status)
          : target.vertx.timer(pauseMs).compose(t -> fill(held, max, parallel, pauseMs, ip, open, status));
    });
  }

  static Future<Void> closeAll(List<Probe> held) {
    List<Future<Void>> all = new ArrayList<>();
    for (Probe p : held) {
      all.add(p.close());
    }
    return Future.join(all).mapEmpty();
  }

  /** Ends the sessions at once (bye), so they leave nothing resumable behind. */
  static Future<Void> byeAll(List<Probe> held) {
    for (Probe p : held) {
      p.sendText("{\"type\":\"bye\"}");
    }
    List<Future<Integer>> all = new ArrayList<>();
    for (Probe p : held) {
      all.add(p.closed());
    }
    return Future.join(all).mapEmpty();
  }

  /** The management API, with the run's key, for the buffer-budget attack's sends. */
  Future<Target.Answer> send(String clientId, String bodyJson) {
    return target.call(HttpMethod.POST, "/api/send", config.apiKey,
        "{\"clientId\":\"" + clientId + "\",\"qos\":1,\"body\":" + bodyJson + "}");
  }
}
