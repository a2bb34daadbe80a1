package io.tether.bench.abuse;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What one socket can send: frames too big, garbage and binary before hello, floods of frames and requests, too
 * many subscriptions, oversized presence attrs. The attackers use sessions of their own (valid tokens for
 * clientIds that are not the witnesses').
 */
final class FrameAttacks extends Attacks {

  private static final List<String> REFUSING = List.of("too_large", "not_allowed", "bad_frame", "rate_limited");

  FrameAttacks(Target target, AbuseConfig config, Jwts jwts, List<Witness> witnesses) {
    super(target, config, jwts, witnesses);
  }

  @Override
  List<Attack> attacks() {
    return List.of(
        new Attack("frame above --max-frame-bytes", this::oversized),
        new Attack("garbage and binary frames before hello", this::garbage),
        new Attack("frame flood (--max-frames-per-second)", () -> flood(false)),
        new Attack("request flood (--max-requests-per-second)", () -> flood(true)),
        new Attack("subscriptions beyond --max-subscriptions", this::subscriptions),
        new Attack("presence attrs beyond --max-attrs-bytes/-keys", this::attrs));
  }

  /** A frame of max-frame-bytes + 1 KiB (under the 4x cut-off) in an established session: too_large, close 1009. */
  private Future<Outcome> oversized() {
    int tries = 5;
    String pad = "x".repeat(config.maxFrameBytes + 1024);
    return count(tries, 5, i -> session(null, "mallory-big-" + i).compose(p -> {
      p.sendText("{\"type\":\"ping\",\"ack\":0,\"pad\":\"" + pad + "\"}");
      return within(p.nextOrClose("error", "pong").compose(e -> !"too_large".equals(Probe.errorCode(e))
          ? p.close().map(false) : p.closed().map(code -> code == 1009)), ANSWER_MS, "too_large");
    })).map(refused -> Outcome.of(tries, refused, null));
  }

  /** Not JSON, JSON that is no frame, and a binary frame, each as the first frame: fatal error, 1008, no session. */
  private Future<Outcome> garbage() {
    int tries = 9;
    return count(tries, 9, i -> Probe.open(target, src(), config.origin).compose(p -> {
      if (!p.open()) {
        return Future.succeededFuture(false);
      }
      switch (i % 3) {
        case 0:
          p.sendText("not json {{{" + Jwts.random(16));
          break;
        case 1:
          p.sendText("{\"type\":\"request\",\"seq\":1,\"stream\":1,\"address\":\"demo.echo\",\"body\":{}}");
          break;
        default:
          p.sendBinary(Buffer.buffer(Jwts.random(64)));
      }
      return within(p.nextOrClose("error", "welcome").compose(e -> Probe.errorCode(e) == null ? p.close().map(false)
          : p.closed().map(code -> code == 1008)), ANSWER_MS, "error");
    })).map(refused -> Outcome.of(tries, refused, null));
  }

  /**
   * Three sessions each send frames (acks) or demo.echo requests at 20x the configured rate for up to 8 s. Refused
   * (documented, PROTOCOL §12): a {@code rate_limited} error, then a fatal close 1008 once the client stayed over
   * the rate for the node's {@code rateLimitCloseAfterMs} (scripts/abuse.sh sets 2 s on its own node; the default 5 s
   * also fits in the 8 s).
   */
  private Future<Outcome> flood(boolean requests) {
    int limit = requests ? config.maxRequestsPerSecond : config.maxFramesPerSecond;
    if (limit <= 0) {
      return Future.succeededFuture(Outcome.skip("limit not given to the runner"));
    }
    int tries = 3;
    return count(tries, 3, i -> session(null, "mallory-flood-" + (requests ? "r" : "f") + i)
        .compose(p -> flooded(p, requests, limit)))
        .map(refused -> Outcome.of(tries, refused, null));
  }

  private Future<Boolean> flooded(Probe p, boolean requests, int limit) {
    Promise<Boolean> result = Promise.promise();
    boolean[] limited = {false};
    p.ws.textMessageHandler(text -> {
      JsonObject f = new JsonObject(text);
      String code = "error".equals(f.getString("type")) ? f.getString("code")
          : "response".equals(f.getString("type")) && f.getJsonObject("error") != null
              ? f.getJsonObject("error").getString("code") : null;
      if ("rate_limited".equals(code)) {
        limited[0] = true;
      }
    });
    // At most 50 requests open at a time (the node's maxPendingRequests is 100 by default): a refusal then is the
    // rate limit's, not the pending limit's.
    int perTick = Math.max(1, Math.min(requests ? 50 : 500, limit * 20 / 100));
    long[] seq = {0};
    long end = System.currentTimeMillis() + 8_000;
    long timer = target.vertx.setPeriodic(100, id -> {
      if (p.ws.isClosed() || System.currentTimeMillis() > end) {
        target.vertx.cancelTimer(id);
        if (!p.ws.isClosed()) {
          p.close();
        }
        return;
      }
      for (int k = 0; k < perTick; k++) {
        if (requests) {
          seq[0]++;
          p.sendText("{\"type\":\"request\",\"seq\":" + seq[0] + ",\"stream\":" + (2 * seq[0] - 1)
              + ",\"address\":\"demo.echo\",\"body\":{}}");
        } else {
          p.sendText("{\"type\":\"ack\",\"ack\":0}");
        }
      }
    });
    p.closed().onComplete(ar -> {
      target.vertx.cancelTimer(timer);
      result.tryComplete(limited[0] && ar.result() == 1008);
    });
    return result.future();
  }

  /** max-subscriptions + 10 subscribes; each beyond the limit must get an error naming it (refSeq). */
  private Future<Outcome> subscriptions() {
    if (config.maxSubscriptions <= 0) {
      return Future.succeededFuture(Outcome.skip("limit not given to the runner"));
    }
    int extra = 10;
    int total = config.maxSubscriptions + extra;
    return session(null, "mallory-subs").compose(p -> {
      Promise<Integer> done = Promise.promise();
      int[] refused = {0};
      p.ws.textMessageHandler(text -> {
        JsonObject f = new JsonObject(text);
        if ("error".equals(f.getString("type")) && f.getLong("refSeq", 0L) > config.maxSubscriptions
            && REFUSING.contains(f.getString("code"))) {
          refused[0]++;
        }
        Long ack = "ack".equals(f.getString("type")) ? f.getLong("ack") : null;
        if (ack != null && ack >= total) {
          done.tryComplete(refused[0]);
        }
      });
      p.closed().onComplete(ar -> done.tryComplete(refused[0]));
      for (int s = 1; s <= total; s++) {
        p.sendText("{\"type\":\"subscribe\",\"seq\":" + s + ",\"topic\":\"abuse/sub-" + s + "\",\"version\":0}");
      }
      return within(done.future(), ANSWER_MS, "ack of the subscribes").eventually(p::close);
    }).map(refused -> Outcome.of(extra, refused, null));
  }

  /** hello with attrs twice max-attrs-bytes, hello with twice max-attrs-keys keys, ping with oversized attrs. */
  private Future<Outcome> attrs() {
    if (config.maxAttrsBytes <= 0 || config.maxAttrsKeys <= 0) {
      return Future.succeededFuture(Outcome.skip("limit not given to the runner"));
    }
    JsonObject big = new JsonObject().put("blob", "y".repeat(2 * config.maxAttrsBytes));
    JsonObject many = new JsonObject();
    for (int k = 0; k < 2 * config.maxAttrsKeys; k++) {
      many.put("k" + k, k);
    }
    int tries = 3;
    return count(tries, 3, i -> {
      if (i < 2) {
        String id = "mallory-attrs-" + i;
        JsonObject hello = Probe.hello(id, jwts.valid(id)).put("attrs", i == 0 ? big : many);
        return Probe.open(target, src(), config.origin).compose(p -> {
          p.send(hello);
          return within(p.nextOrClose("error", "welcome").map(e -> REFUSING.contains(Probe.errorCode(e))),
              ANSWER_MS, "attrs").eventually(p::close);
        });
      }
      return session(null, "mallory-attrs-ping").compose(p -> {
        // The pong answers the ping: an error about its attrs comes before it, or not at all.
        p.send(new JsonObject().put("type", "ping").put("ack", 0).put("attrs", big));
        return within(p.nextOrClose("error", "pong").map(e -> REFUSING.contains(Probe.errorCode(e))),
            ANSWER_MS, "attrs on ping").eventually(p::close);
      });
    }).map(refused -> Outcome.of(tries, refused, null));
  }
}
