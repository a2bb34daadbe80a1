package io.tether.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One protocol session that outlives its sockets, for scripts/bench-resume.sh. It behaves like a correct client
 * (docs/PROTOCOL.md §2–3): it acks cumulatively, keeps its own reliable frames until the server acks them and resends
 * those above {@code resumed.lastSeq}, and resumes with the highest server seq it has <em>delivered</em>.
 *
 * <p>To have something to replay, a {@link #burst} acks (delivers) only up to {@code unacked} frames short of what
 * arrived, and the rest count as lost with the socket, as frames in a crashed node's buffers would be. A resume must
 * then bring back exactly the frames after the delivered point, once, in order and byte-identical to their first
 * sending; anything else is a violation.
 *
 * <p>All state lives on one event-loop context; the orchestrating thread reads the timestamps only after a future
 * of this session completed (the completion orders the reads after the writes).
 */
final class ResumeSession {

  private static final int MAX_PRINTED_PROBLEMS = 20;
  private static final AtomicInteger printedProblems = new AtomicInteger();

  final String clientId;
  private final Context ctx;
  private final WebSocketClient client;
  /** The load balancer, where resumes go. */
  private final WebSocketConnectOptions lb;

  private String sessionId;
  private String token;
  /** Node of the last welcome/resumed. */
  private String node;

  private WebSocket ws;
  /** Incremented for every socket; events of an older socket are ignored. */
  private int gen;
  /** Ended by bye or by a failed resume: its socket's close is expected. */
  private boolean ended;

  /** Highest server seq received in order. */
  private long lastSeq;
  /** Highest server seq delivered (and acked); a resume asks for everything after it. */
  private long deliveredSeq;
  /** Text of every received frame above {@link #deliveredSeq}, to compare the replay with. */
  private final TreeMap<Long, String> undelivered = new TreeMap<>();
  /** Client reliable frames the server has not acked yet, by seq. */
  private final TreeMap<Long, String> unackedOut = new TreeMap<>();
  private long outSeq;

  private Promise<Void> welcomed;

  private Promise<Void> burst;
  private int burstStream;
  private int burstCount;
  private int burstPushes;
  private int burstUnacked;
  private boolean burstResponded;

  /** A break (or a {@link #drop}) starts a resume cycle while armed. */
  private boolean armed;
  private boolean affinity;
  private long deadlineNanos;
  private Promise<Void> cycle;
  private boolean awaitingResumed;
  private boolean replaying;
  private long replayNext;
  private long replayTo;

  // Measurements of the current cycle (System.nanoTime(); 0 = did not happen).
  long tDecide;
  long tBreak;
  /** The socket that got {@code resumed}: opened (WebSocket handshake done) and the resume written. */
  long tOpened;
  long tResumed;
  long tReplayDone;
  int attempts;
  /** Frames out of order, missing, duplicated or different from the original. */
  int violations;
  /** Replayed frames whose text differed from the first sending (also counted in violations). */
  int replayDiffers;
  int replayed;
  int resent;
  String failure;
  String resumedOn;
  /** Breaks of a session that was not armed, and errors the server sent. */
  int unexpected;

  ResumeSession(String clientId, Context ctx, WebSocketClient client, WebSocketConnectOptions lb) {
    this.clientId = clientId;
    this.ctx = ctx;
    this.client = client;
    this.lb = lb;
  }

  String node() {
    return node;
  }

  boolean broke() {
    return tBreak != 0;
  }

  /** Connects to {@code target} (a node, or the load balancer), says hello and completes on welcome. */
  Future<Void> hello(WebSocketConnectOptions target) {
    return call(() -> client.connect(target).compose(w -> {
      attach(w);
      welcomed = Promise.promise();
      w.writeTextMessage(ClientFrames.hello(clientId));
      return welcomed.future();
    }));
  }

  /**
   * Asks {@code demo.push} for {@code count} reliable pushes and completes when they and the response are in; then
   * delivers (acks) all but the last {@code unacked} frames received.
   */
  Future<Void> burst(int count, int unacked) {
    return call(() -> {
      if (ws == null) {
        return Future.failedFuture("no socket");
      }
      outSeq++;
      burstStream = (int) (2 * outSeq - 1);
      String text = ClientFrames.pushRequest(outSeq, burstStream, count);
      unackedOut.put(outSeq, text);
      burst = Promise.promise();
      burstCount = count;
      burstPushes = 0;
      burstUnacked = unacked;
      burstResponded = false;
      ws.writeTextMessage(text);
      return burst.future();
    });
  }

  /** From now on until the cycle ends, a broken socket is resumed at once through the load balancer. */
  Future<Void> arm(boolean withAffinity, long deadline) {
    return call(() -> {
      startCycle(withAffinity, deadline);
      return Future.succeededFuture();
    });
  }

  /** Completes when the cycle started by a break or {@link #drop} has ended (see {@link #failure}). */
  Future<Void> cycleDone() {
    return call(() -> cycle == null ? Future.failedFuture("not armed") : cycle.future());
  }

  /** Ends a cycle that had no break, so that a later break is not taken for part of it. */
  Future<Void> disarm() {
    return call(() -> {
      if (cycle != null && tBreak == 0 && tDecide == 0) {
        armed = false;
        cycle.tryComplete();
      }
      return Future.succeededFuture();
    });
  }

  /** Gives up a cycle that did not end in time. */
  Future<Void> giveUp(String why) {
    return call(() -> {
      if (cycle != null && !cycle.future().isComplete()) {
        fail(why + " (attempts " + attempts + (awaitingResumed ? ", waiting for resumed" : "")
          + (replaying ? ", replay at " + replayNext + " of " + replayTo : "") + ")");
      }
      return Future.succeededFuture();
    });
  }

  /**
   * A plain socket drop, no crash: the client decides to reconnect ({@link #tDecide}), closes its socket (close
   * frame 1001, no bye) and resumes at once through the load balancer, with the node hint if {@code withAffinity}.
   */
  Future<Void> drop(boolean withAffinity, long deadline) {
    return call(() -> {
      startCycle(withAffinity, deadline);
      tDecide = System.nanoTime();
      WebSocket old = ws;
      gen++;
      ws = null;
      if (old != null) {
        old.close((short) 1001);
      }
      attempt();
      return Future.succeededFuture();
    });
  }

  /** Heartbeat while the orchestrator waits; acks only what was delivered. */
  void ping() {
    ctx.runOnContext(v -> {
      if (ws != null && !awaitingResumed) {
        ws.writeTextMessage(ClientFrames.ping(deliveredSeq));
      }
    });
  }

  /** Ends the session (bye), so the cluster frees it at once. */
  Future<Void> bye() {
    return call(() -> {
      ended = true;
      armed = false;
      WebSocket w = ws;
      ws = null;
      gen++;
      if (w == null) {
        return Future.succeededFuture();
      }
      w.writeTextMessage(ClientFrames.bye());
      return w.close((short) 1000).otherwiseEmpty();
    });
  }

  // ------------------------------------------------------------------------------------------------------------

  private void startCycle(boolean withAffinity, long deadline) {
    armed = true;
    affinity = withAffinity;
    deadlineNanos = deadline;
    cycle = Promise.promise();
    tDecide = tBreak = tOpened = tResumed = tReplayDone = 0;
    attempts = violations = replayDiffers = replayed = resent = 0;
    failure = null;
    resumedOn = null;
  }

  private void attach(WebSocket w) {
    int g = ++gen;
    ws = w;
    w.textMessageHandler(text -> {
      if (g == gen) {
        onText(text);
      }
    });
    w.exceptionHandler(err -> { }); // the close handler follows
    w.closeHandler(v -> {
      if (g == gen) {
        onBroken(w.closeStatusCode());
      }
    });
  }

  private void onBroken(Short code) {
    ws = null;
    gen++;
    if (welcomed != null) {
      welcomed.tryFail("socket closed before welcome (code " + code + ")");
    }
    if (burst != null) {
      burst.tryFail("socket closed during the push burst (code " + code + ")");
    }
    if (ended) {
      return;
    }
    if (!armed || cycle == null || cycle.future().isComplete()) {
      unexpected++;
      problem("socket closed while not armed (code " + code + ")");
      return;
    }
    awaitingResumed = false;
    replaying = false;
    if (tBreak == 0 && tDecide == 0) {
      tBreak = System.nanoTime();
      attempt(); // the first attempt at once
    } else {
      retryLater();
    }
  }

  private void retryLater() {
    ctx.owner().setTimer(50 + ThreadLocalRandom.current().nextInt(51), id -> attempt());
  }

  private void attempt() {
    if (cycle.future().isComplete()) {
      return;
    }
    if (System.nanoTime() > deadlineNanos) {
      fail("no resume before the deadline after " + attempts + " attempts");
      return;
    }
    attempts++;
    String uri = lb.getURI() + "?sid=" + sessionId + (affinity && node != null ? "&node=" + node : "");
    client.connect(new WebSocketConnectOptions(lb).setURI(uri)).onComplete(ar -> {
      if (cycle.future().isComplete()) {
        if (ar.succeeded()) {
          ar.result().close();
        }
        return;
      }
      if (ar.failed()) {
        retryLater();
        return;
      }
      attach(ar.result());
      tOpened = System.nanoTime();
      awaitingResumed = true;
      ws.writeTextMessage(ClientFrames.resume(sessionId, token, deliveredSeq));
    });
  }

  private void onText(String text) {
    JsonObject frame = new JsonObject(text);
    String type = frame.getString("type", "");
    switch (type) {
      case "welcome" -> {
        sessionId = frame.getString("sessionId");
        token = frame.getString("resumeToken");
        node = frame.getString("node");
        welcomed.tryComplete();
        return;
      }
      case "resumed" -> {
        onResumed(frame);
        return;
      }
      case "ack" -> {
        unackedOut.headMap(frame.getLong("ack", 0L), true).clear();
        return;
      }
      case "ping" -> {
        ws.writeTextMessage(ClientFrames.pong(deliveredSeq));
        return;
      }
      case "pong" -> {
        return;
      }
      case "error" -> {
        if ("resume_failed".equals(frame.getString("code"))) {
          ended = true;
          fail("resume_failed: " + frame.getString("reason"));
        } else {
          unexpected++;
          problem(text);
        }
        return;
      }
      case "bye", "reconnect" -> {
        unexpected++;
        problem(text);
        return;
      }
      default -> { }
    }
    Long seq = frame.getLong("seq");
    if (seq != null && seq > 0) {
      onReliable(seq, text, frame);
    }
  }

  private void onResumed(JsonObject frame) {
    if (!awaitingResumed) {
      violations++;
      problem("resumed without a resume: " + frame.encode());
      return;
    }
    awaitingResumed = false;
    if (tResumed == 0) {
      tResumed = System.nanoTime();
    }
    token = frame.getString("resumeToken");
    node = frame.getString("node");
    resumedOn = node;
    // Client frames the store does not have: resend them, in order, with their seqs.
    unackedOut.headMap(frame.getLong("lastSeq", 0L), true).clear();
    for (Map.Entry<Long, String> e : unackedOut.entrySet()) {
      ws.writeTextMessage(e.getValue());
      resent++;
    }
    replayNext = deliveredSeq + 1;
    replayTo = lastSeq;
    replaying = true;
    if (replayNext > replayTo) {
      finishReplay();
    }
  }

  private void onReliable(long seq, String text, JsonObject frame) {
    if (awaitingResumed) {
      violations++;
      problem("seq " + seq + " before resumed");
      return;
    }
    if (replaying) {
      if (seq != replayNext) {
        violations++;
        problem("replay: expected seq " + replayNext + ", got " + seq);
        if (seq < replayNext) {
          return; // a duplicate
        }
      } else if (!text.equals(undelivered.get(seq))) {
        violations++;
        replayDiffers++;
        problem("replayed seq " + seq + " differs: " + text + " (first sent as " + undelivered.get(seq) + ")");
      }
      replayed++;
      replayNext = seq + 1;
      lastSeq = Math.max(lastSeq, seq);
      if (replayNext > replayTo) {
        finishReplay();
      }
      return;
    }
    if (seq <= lastSeq) {
      violations++;
      problem("duplicate seq " + seq + " (last " + lastSeq + ")");
      return;
    }
    if (seq != lastSeq + 1) {
      violations++;
      problem("gap: expected seq " + (lastSeq + 1) + ", got " + seq);
    }
    lastSeq = seq;
    undelivered.put(seq, text);
    if (burst == null || burst.future().isComplete()) {
      return;
    }
    String type = frame.getString("type");
    if ("push".equals(type) && frame.getInteger("stream", -1) == 0) {
      burstPushes++;
    } else if ("response".equals(type) && frame.getInteger("stream", -1) == burstStream) {
      burstResponded = true;
      if (!frame.getBoolean("ok", false)) {
        burst.tryFail("request failed: " + text);
        return;
      }
    }
    if (burstResponded && burstPushes >= burstCount) {
      deliver(Math.max(deliveredSeq, lastSeq - burstUnacked));
      burst.tryComplete();
    }
  }

  private void finishReplay() {
    replaying = false;
    tReplayDone = System.nanoTime();
    deliver(lastSeq);
    armed = false;
    cycle.tryComplete();
  }

  private void deliver(long upTo) {
    deliveredSeq = upTo;
    undelivered.headMap(upTo, true).clear();
    if (ws != null) {
      ws.writeTextMessage(ClientFrames.ack(upTo));
    }
  }

  private void fail(String why) {
    failure = why;
    armed = false;
    awaitingResumed = false;
    replaying = false;
    problem(why);
    cycle.tryComplete();
  }

  private void problem(String what) {
    if (printedProblems.incrementAndGet() <= MAX_PRINTED_PROBLEMS) {
      System.out.println("PROBLEM " + clientId + " (session " + (sessionId == null ? "-" : sessionId.substring(0, 6))
        + ", node " + node + "): " + what);
    }
  }

  private <T> Future<T> call(Supplier<Future<T>> action) {
    Promise<T> result = Promise.promise();
    ctx.runOnContext(v -> action.get().onComplete(result));
    return result.future();
  }
}
