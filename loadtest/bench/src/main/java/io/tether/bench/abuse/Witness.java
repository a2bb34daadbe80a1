package io.tether.bench.abuse;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A well-behaved session that the attacks must not touch: valid JWT, a {@code demo.echo} request every
 * {@code intervalMs}, every response checked (right stream, ok, in time), server seqs contiguous, acks and pongs
 * sent. Anything else it sees (an error, bye, reconnect, a push nobody sent it, a close, a late or missing response,
 * a gap or a duplicate) is a problem: {@link #problems()} counts them. State is touched only on its event loop.
 */
final class Witness {

  /** A response later than this is a problem (the node is hurt, even if it answers eventually). */
  static final long RESPONSE_DEADLINE_MS = 5_000;

  final String clientId;
  private final Target target;
  private final String token;
  private final String origin;
  private final long intervalMs;
  private final AtomicInteger problems = new AtomicInteger();
  private volatile String firstProblem;
  private volatile String sessionId;
  private volatile long answered;
  private Probe probe;
  private Context ctx;
  private long seq;
  private long lastServerSeq;
  private long timer = -1;
  private boolean stopped;
  /** Requests sent and not answered yet: {seq, sentAt}. */
  private final Deque<long[]> open = new ArrayDeque<>();

  Witness(Target target, String clientId, String token, String origin, long intervalMs) {
    this.target = target;
    this.clientId = clientId;
    this.token = token;
    this.origin = origin;
    this.intervalMs = intervalMs;
  }

  /** Connects and says hello; completes with the welcome, fails if there is none. */
  Future<Void> start() {
    return Probe.open(target, null, origin).compose(p -> {
      if (!p.open()) {
        return Future.failedFuture("witness " + clientId + ": upgrade refused with HTTP " + p.status);
      }
      probe = p;
      ctx = target.vertx.getOrCreateContext();
      Future<JsonObject> welcome = p.next("welcome");
      p.send(Probe.hello(clientId, token));
      return welcome.map(w -> {
        sessionId = w.getString("sessionId");
        p.ws.textMessageHandler(this::onText);
        p.closed().onComplete(ar -> {
          if (!stopped) {
            problem("socket closed by the node (code " + ar.result() + ")");
          }
        });
        timer = target.vertx.setPeriodic(intervalMs, id -> tick());
        return null;
      });
    });
  }

  String sessionId() {
    return sessionId;
  }

  int problems() {
    return problems.get();
  }

  String firstProblem() {
    return firstProblem;
  }

  /** Responses received so far (for the summary). */
  long answered() {
    return answered;
  }

  /** Completes once every request sent before this call has been answered, or a problem has been counted. */
  Future<Void> settled() {
    return Future.future(p -> ctx.runOnContext(v -> {
      long upTo = seq;
      long deadline = System.currentTimeMillis() + RESPONSE_DEADLINE_MS + intervalMs;
      long[] id = new long[1];
      id[0] = target.vertx.setPeriodic(20, t -> {
        boolean done = open.isEmpty() || open.peekFirst()[0] > upTo;
        if (done || stopped || problems.get() > 0 || System.currentTimeMillis() > deadline) {
          target.vertx.cancelTimer(id[0]);
          p.tryComplete();
        }
      });
    }));
  }

  Future<Void> stop() {
    return Future.<Void>future(p -> ctx.runOnContext(v -> {
      stopped = true;
      target.vertx.cancelTimer(timer);
      if (probe.ws.isClosed()) {
        p.complete();
      } else {
        probe.sendText("{\"type\":\"bye\"}");
        probe.closed().onComplete(ar -> p.tryComplete());
      }
    }));
  }

  private void tick() {
    if (stopped || probe.ws.isClosed()) {
      return;
    }
    long now = System.currentTimeMillis();
    long[] oldest = open.peekFirst();
    if (oldest != null && now - oldest[1] > RESPONSE_DEADLINE_MS) {
      problem("no response to request seq " + oldest[0] + " after " + (now - oldest[1]) + " ms");
      open.pollFirst();
    }
    seq++;
    open.addLast(new long[] {seq, now});
    probe.sendText("{\"type\":\"request\",\"seq\":" + seq + ",\"stream\":" + (2 * seq - 1)
        + ",\"address\":\"demo.echo\",\"body\":{\"n\":" + seq + "}}");
  }

  private void onText(String text) {
    JsonObject f = new JsonObject(text);
    String type = f.getString("type", "");
    Long s = f.getLong("seq");
    if (s != null && s > 0) {
      if (s <= lastServerSeq) {
        problem("duplicate server seq " + s + " (last " + lastServerSeq + ")");
        return;
      }
      if (s != lastServerSeq + 1) {
        problem("gap: expected server seq " + (lastServerSeq + 1) + ", got " + s);
      }
      lastServerSeq = s;
      probe.sendText("{\"type\":\"ack\",\"ack\":" + s + "}");
    }
    switch (type) {
      case "response":
        onResponse(f);
        break;
      case "ping":
        probe.sendText("{\"type\":\"pong\",\"ack\":" + lastServerSeq + "}");
        break;
      case "ack":
      case "pong":
      case "refresh":
        break;
      default:
        problem("unexpected frame: " + abbreviate(text));
    }
  }

  private void onResponse(JsonObject f) {
    long stream = f.getLong("stream", -1L);
    long[] head = open.peekFirst();
    if (head == null || stream != 2 * head[0] - 1) {
      problem("response on stream " + stream + " that no open request holds (expected "
          + (head == null ? "none" : String.valueOf(2 * head[0] - 1)) + ")");
      return;
    }
    open.pollFirst();
    if (!Boolean.TRUE.equals(f.getBoolean("ok"))) {
      problem("request failed: " + abbreviate(f.encode()));
      return;
    }
    answered++;
  }

  private void problem(String what) {
    if (problems.incrementAndGet() == 1) {
      firstProblem = what;
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }
}
