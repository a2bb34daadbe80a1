package io.tether.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tether.client.ConnectionState;
import io.tether.client.SessionEvent;
import io.tether.client.TetherClient;
import io.tether.client.TetherClientOptions;
import io.tether.client.TetherException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Many {@link TetherClient}s with traffic both ways, and the books to prove that nothing was lost or duplicated.
 *
 * <p>Each client loops: {@code demo.push {"count":k}} (k reliable pushes, then the response), {@code demo.echo},
 * {@code demo.ask} (the server asks the client {@code demo.question}; the client's answer comes back as the
 * response), then a pause. Its wiretap records every reliable frame's seq as it arrives on the wire: they must be
 * exactly 1..n. Every client request must get exactly one response frame (an error response counts, and is
 * counted).
 *
 * <p>Threading: each {@link Probe}'s books are written on its client's context; the test thread reads them under
 * the probe's lock.
 */
final class Workload {

  private final Vertx vertx;
  private final List<Probe> probes = new ArrayList<>();
  private final long thinkMs;
  /** Pushes per demo.push: 0 cycles through 1..4 (short requests); more makes every demo.push a long run. */
  private final int pushes;
  private volatile boolean stopping;
  private final long startedAt = System.nanoTime();
  /** When the fault was triggered (System.nanoTime), 0 before: requests in flight then are timed to their answer. */
  private volatile long triggeredAt;
  /** For each request sent before the trigger and answered after it: milliseconds from the trigger to the answer. */
  private final List<Long> inFlightAnswerMs = new ArrayList<>();
  /** Requests sent and not answered (or failed) yet, across all clients. */
  private final AtomicInteger outstanding = new AtomicInteger();
  /** A few failed requests, for the report: when, which address, what. */
  private final List<String> failureSamples = new ArrayList<>();
  private int mismatchReports;

  Workload(Vertx vertx, String url, String prefix, int clients, long thinkMs) {
    this(vertx, url, prefix, clients, thinkMs, 0);
  }

  Workload(Vertx vertx, String url, String prefix, int clients, long thinkMs, int pushes) {
    this.vertx = vertx;
    this.thinkMs = thinkMs;
    this.pushes = pushes;
    for (int i = 0; i < clients; i++) {
      probes.add(new Probe(i, TetherClient.create(vertx, new TetherClientOptions()
          .setUrl(url)
          .setClientId(prefix + "-" + i)
          // Backoff as an application would set it for fast failover: first retry within 250 ms, at most 2 s apart.
          .setReconnectInitialDelayMs(250)
          .setReconnectMaxDelayMs(2_000)
          // Longer than the gateway's backend timeout (30 s): a request is answered by the server, or it is lost.
          .setRequestTimeoutMs(60_000))));
    }
  }

  List<Probe> probes() {
    return probes;
  }

  List<Probe> on(String node) {
    return probes.stream().filter(p -> node.equals(p.client.node())).toList();
  }

  /** Sessions per node, as the clients know it. */
  Map<String, Long> distribution() {
    return new TreeMap<>(probes.stream().collect(Collectors.groupingBy(p -> String.valueOf(p.client.node()),
        Collectors.counting())));
  }

  /**
   * Connects every client, {@value #CONNECT_BATCH} at a time (a cold cluster on a small machine takes a while for
   * its first hellos), and starts each one's traffic loop once it is connected.
   */
  Future<Void> start() {
    Future<Void> done = Future.succeededFuture();
    for (int from = 0; from < probes.size(); from += CONNECT_BATCH) {
      List<Probe> batch = probes.subList(from, Math.min(probes.size(), from + CONNECT_BATCH));
      done = done.compose(v -> Future.all(batch.stream()
          .map(p -> p.client.connect().onSuccess(x -> p.next())).toList()).mapEmpty());
    }
    return done;
  }

  private static final int CONNECT_BATCH = 25;

  /** Completes when every client has completed {@code n} more loop iterations from now. */
  Future<Void> iterations(int n) {
    List<Future<Void>> all = new ArrayList<>();
    for (Probe p : probes) {
      all.add(p.afterIterations(n));
    }
    return Future.all(all).mapEmpty();
  }

  /** Stops the traffic: completes when every loop has finished its iteration (every request answered or failed). */
  Future<Void> stop() {
    stopping = true;
    return Future.all(probes.stream().map(p -> p.stopped.future()).toList()).mapEmpty();
  }

  Future<Void> close() {
    return Future.join(probes.stream().map(p -> p.client.close()).toList()).mapEmpty();
  }

  static <T> T await(Future<T> f, long seconds, String what) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("timed out after " + seconds + " s waiting for " + what);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for " + what);
    }
  }

  /** One client and its books. */
  final class Probe {
    final int index;
    final TetherClient client;
    final Promise<Void> stopped = Promise.promise();

    // Wire level (wiretap), per session: seqs of reliable frames, responses per client stream.
    private long lastSeq;
    private long frames;
    private long gaps;
    private long duplicates;
    private long reconnectFrames;
    private long reconnectFrameAt;
    private final Map<Long, Integer> responsesByStream = new HashMap<>();
    private long errorResponses;
    private final Map<String, Integer> errorCodes = new TreeMap<>();
    private long questions;

    // Application level.
    private long requests;
    private long unanswered;
    private final Map<String, Integer> unansweredCodes = new TreeMap<>();
    private long pushesReceived;
    /** Highest {@code n} of the current demo.push (its pushes carry n = 1..count, in order, before its response). */
    private long batchMaxN;
    /** The tag of the current demo.push (its loop iteration): each of its pushes carries it. */
    private long batchTag = -1;
    /** Recent demo.push calls answered with an error (their tag → highest n seen): their pushes may still come. */
    private final Map<Long, Long> failedBatches = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
        return size() > 32;
      }
    };
    private long duplicatePushes;
    private long missingPushes;
    private boolean mismatchReported;
    private long answerMismatches;
    private long iterationsDone;
    private final List<long[]> iterationWaiters = new ArrayList<>();
    private final List<Promise<Void>> iterationPromises = new ArrayList<>();
    private long k;

    // Sessions.
    private String firstSessionId;
    private long resumes;
    private long resyncs;
    private final List<String> resyncReasons = new ArrayList<>();
    private long ended;
    private final List<String> exceptions = new ArrayList<>();
    private Promise<Resume> nextResume;
    private long armedAt;
    /** The last frames seen on the wire (for the report of a mismatch). */
    private final java.util.ArrayDeque<String> recent = new java.util.ArrayDeque<>();

    Probe(int index, TetherClient client) {
      this.index = index;
      this.client = client;
      client.inboundFrameHandler(this::onWire);
      client.pushHandler(push -> {
        synchronized (this) {
          if (push.stream() != 0 || push.isVolatile()) {
            return;
          }
          pushesReceived++;
          JsonObject body = push.bodyAsJsonObject();
          long n = body.getLong("n", -1L);
          long tag = body.getLong("tag", -1L);
          if (tag == batchTag) {
            if (n <= batchMaxN) {
              duplicatePushes++;
              mismatch("push n=" + n + " again (this demo.push already delivered n=1.." + batchMaxN + ")");
            } else if (n != batchMaxN + 1) {
              missingPushes += n - batchMaxN - 1;
              mismatch("push n=" + n + " where n=" + (batchMaxN + 1) + " was expected");
            }
            batchMaxN = Math.max(batchMaxN, n);
          } else if (failedBatches.containsKey(tag)) {
            // A demo.push answered with an error may still have delivered (some of) its pushes: the outcome of a
            // failed call is unknown. They arrive late, but still once each and in order.
            long max = failedBatches.get(tag);
            if (n <= max) {
              duplicatePushes++;
              mismatch("push n=" + n + " of failed demo.push " + tag + " again (it delivered n=1.." + max + ")");
            } else if (n != max + 1) {
              missingPushes += n - max - 1;
              mismatch("push n=" + n + " of failed demo.push " + tag + " where n=" + (max + 1) + " was expected");
            }
            failedBatches.put(tag, Math.max(max, n));
          } else {
            duplicatePushes++;
            mismatch("push n=" + n + " of demo.push " + tag + ", which was already answered with all its pushes");
          }
        }
      });
      client.requestHandler(req -> Future.succeededFuture(new JsonObject().put("answer", req.body())));
      client.sessionHandler(this::onSession);
      client.exceptionHandler(t -> {
        synchronized (this) {
          if (exceptions.size() < 20) {
            exceptions.add(String.valueOf(t.getMessage()));
          }
        }
      });
    }

    private synchronized void onWire(JsonObject frame) {
      String type = frame.getString("type");
      if (!"pong".equals(type) && !"ping".equals(type) && !"ack".equals(type)) {
        if (recent.size() == 16) {
          recent.removeFirst();
        }
        recent.addLast(String.format("+%.3fs %s", (System.nanoTime() - startedAt) / 1e9, frame.encode()));
      }
      if ("welcome".equals(type)) {
        lastSeq = 0; // a new session numbers from 1
        return;
      }
      if ("reconnect".equals(type)) {
        reconnectFrames++;
        reconnectFrameAt = System.nanoTime();
        return;
      }
      Object s = frame.getValue("seq");
      if (!(s instanceof Number)) {
        return;
      }
      long seq = ((Number) s).longValue();
      if (seq <= lastSeq) {
        duplicates++;
        return;
      }
      if (seq != lastSeq + 1) {
        gaps += seq - lastSeq - 1;
      }
      lastSeq = seq;
      frames++;
      long stream = frame.getLong("stream", 0L);
      if ("response".equals(type) && stream % 2 == 1) {
        responsesByStream.merge(stream, 1, Integer::sum);
        if (!frame.getBoolean("ok", false)) {
          errorResponses++;
          JsonObject error = frame.getJsonObject("error");
          errorCodes.merge(error == null ? "?" : error.getString("code", "?"), 1, Integer::sum);
        }
      } else if ("request".equals(type)) {
        questions++;
      }
    }

    private void onSession(SessionEvent e) {
      Promise<Resume> waiting = null;
      Resume resume = null;
      synchronized (this) {
        switch (e.kind()) {
          case STARTED -> firstSessionId = e.sessionId();
          case RESUMED -> {
            resumes++;
            if (nextResume != null) {
              long now = System.nanoTime();
              resume = new Resume(e.node(), now - armedAt, reconnectFrameAt > armedAt ? now - reconnectFrameAt : -1);
              waiting = nextResume;
              nextResume = null;
            }
          }
          case RESYNCED -> {
            resyncs++;
            resyncReasons.add(String.valueOf(e.reason()));
            waiting = nextResume;
            nextResume = null;
          }
          case ENDED -> ended++;
          default -> { }
        }
      }
      if (waiting != null) {
        if (resume != null) {
          waiting.tryComplete(resume);
        } else {
          waiting.tryFail(new AssertionError("client " + index + " could not resume: re-synced (" + e.reason()
              + ")"));
        }
      }
    }

    /**
     * What the client saw of its session, for the per-session report of a fault case: {@code resumed contiguous}
     * (it resumed at least once and every stream stayed 1..n), {@code untouched} (never had to resume), {@code failed
     * with reason R} (the server refused the resume with {@code resume_failed} R and a new session started), or
     * {@code SILENT GAP} (a seq was skipped on the wire: what must never happen).
     */
    synchronized String outcome() {
      String streams = (gaps > 0 ? "SILENT GAP (" + gaps + " seqs skipped)" : "contiguous")
          + (unanswered > 0 ? "; " + unanswered + " requests failed " + unansweredCodes : "")
          + (duplicatePushes > 0 ? "; " + duplicatePushes + " pushes twice" : "")
          + (missingPushes > 0 ? "; " + missingPushes + " pushes missing" : "");
      if (resyncs > 0) {
        return "failed with reason " + String.join(",", resyncReasons) + " (new session, " + streams + ")";
      }
      return (resumes > 0 ? "resumed " : "untouched, ") + streams;
    }

    synchronized long gaps() {
      return gaps;
    }

    synchronized long resyncs() {
      return resyncs;
    }

    synchronized List<String> resyncReasons() {
      return new ArrayList<>(resyncReasons);
    }

    synchronized long resumes() {
      return resumes;
    }

    /**
     * Completes on this client's next RESUMED after {@code t0} (System.nanoTime), with how long it took from
     * {@code t0} and from the {@code reconnect} frame (if one arrived after {@code t0}). Fails on a re-sync.
     */
    synchronized Future<Resume> nextResume(long t0) {
      armedAt = t0;
      nextResume = Promise.promise();
      return nextResume.future();
    }

    synchronized Future<Void> afterIterations(int n) {
      Promise<Void> p = Promise.promise();
      iterationWaiters.add(new long[] {iterationsDone + n});
      iterationPromises.add(p);
      if (stopping) {
        p.complete();
      }
      return p.future();
    }

    /** One loop iteration: push, echo, ask; then a pause; until stopped. */
    void next() {
      if (stopping) {
        stopped.tryComplete();
        return;
      }
      long iteration;
      synchronized (this) {
        iteration = ++k;
      }
      int count = pushes > 0 ? pushes : 1 + (int) (iteration % 4);
      JsonObject tag = new JsonObject().put("client", index).put("k", iteration);
      synchronized (this) {
        batchTag = iteration;
        batchMaxN = 0;
      }
      call("demo.push", new JsonObject().put("count", count).put("tag", iteration)).onComplete(ar -> {
        synchronized (this) {
          // The pushes precede their response on the wire: all of them must be in already. After an error
          // response, how many were sent is unknown: the rest may still come, late.
          if (ar.succeeded() && batchMaxN < count) {
            missingPushes += count - batchMaxN;
            mismatch("demo.push answered " + ar.result() + " after only n=1.." + batchMaxN);
          }
          if (ar.failed()) {
            failedBatches.put(iteration, batchMaxN);
          }
          batchTag = -1;
          batchMaxN = 0;
        }
      }).transform(ar -> call("demo.echo", tag)).onComplete(ar -> {
        if (ar.succeeded() && !tag.equals(ar.result())) {
          synchronized (this) {
            answerMismatches++;
          }
        }
      }).transform(ar -> call("demo.ask", new JsonObject().put("body", tag))).onComplete(ar -> {
        if (ar.succeeded() && !new JsonObject().put("answer", tag).equals(ar.result())) {
          synchronized (this) {
            answerMismatches++;
          }
        }
        List<Promise<Void>> done = new ArrayList<>();
        synchronized (this) {
          iterationsDone++;
          for (int i = iterationWaiters.size() - 1; i >= 0; i--) {
            if (iterationWaiters.get(i)[0] <= iterationsDone) {
              iterationWaiters.remove(i);
              done.add(iterationPromises.remove(i));
            }
          }
        }
        done.forEach(Promise::tryComplete);
        long pause = thinkMs / 2 + ThreadLocalRandom.current().nextLong(thinkMs + 1);
        vertx.setTimer(Math.max(1, pause), id -> next());
      });
    }

    /** Called under the lock: reports the first mismatch of at most 3 clients, with the frames before it. */
    private void mismatch(String what) {
      synchronized (failureSamples) {
        if (!mismatchReported && mismatchReports < 3) {
          mismatchReported = true;
          mismatchReports++;
          failureSamples.add(String.format("+%.3fs client %d: %s; its last frames:%n      %s",
              (System.nanoTime() - startedAt) / 1e9, index, what, String.join("\n      ", recent)));
        }
      }
    }

    private Future<Object> call(String address, Object body) {
      synchronized (this) {
        requests++;
      }
      long sentAt = System.nanoTime();
      outstanding.incrementAndGet();
      return client.request(address, body).onComplete(ar -> {
        outstanding.decrementAndGet();
        long trigger = triggeredAt;
        if (trigger != 0 && sentAt < trigger) {
          synchronized (inFlightAnswerMs) {
            inFlightAnswerMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - trigger));
          }
        }
      }).onFailure(t -> {
        synchronized (failureSamples) {
          if (failureSamples.size() < 12) {
            failureSamples.add(String.format("+%.1fs client %d %s: %s", (System.nanoTime() - startedAt) / 1e9,
                index, address, t.getMessage()));
          }
        }
        if (!(t instanceof TetherException te) || !te.isRemote()) {
          synchronized (this) {
            unanswered++;
            unansweredCodes.merge(t instanceof TetherException te ? te.code() : t.getClass().getSimpleName(), 1,
                Integer::sum);
          }
        }
      });
    }
  }

  /** A session move: where to, and how long from the trigger and from the {@code reconnect} frame (-1: none). */
  record Resume(String node, long sinceTriggerNanos, long sinceReconnectFrameNanos) {
  }

  /** The books of every client, summed, plus the recovery times of moved sessions. */
  static final class Figures {
    long sessions;
    long moved;
    final List<Long> recoveryMs = new ArrayList<>();
    /** Requests in flight when the fault was triggered: ms from the trigger to their answer (or failure). */
    final List<Long> inFlightMs = new ArrayList<>();
    long frames;
    long requests;
    long responses;
    long errors;
    final Map<String, Integer> errorCodes = new TreeMap<>();
    long unanswered;
    final Map<String, Integer> unansweredCodes = new TreeMap<>();
    long duplicateResponses;
    long gaps;
    long duplicates;
    long pushes;
    long duplicatePushes;
    long missingPushes;
    long answerMismatches;
    long questions;
    long resumes;
    long resyncs;
    long ended;
    long reconnectFrames;
    long notOnline;
    final List<String> exceptions = new ArrayList<>();

    long percentile(double q) {
      return percentile(recoveryMs, q);
    }

    static long percentile(List<Long> values, double q) {
      if (values.isEmpty()) {
        return -1;
      }
      List<Long> sorted = values.stream().sorted().toList();
      int i = (int) Math.ceil(q * sorted.size()) - 1;
      return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    long max() {
      return recoveryMs.stream().mapToLong(Long::longValue).max().orElse(-1);
    }

    long inFlightMax() {
      return inFlightMs.stream().mapToLong(Long::longValue).max().orElse(-1);
    }


    /**
     * The books of a case in which nothing may be lost or duplicated: every stream seq 1..n with no gap and no
     * repeat, every request answered (but {@code excusedUnanswered}: requests failed with a reason the case allows),
     * no request answered twice, every push of an answered demo.push delivered, none twice. {@code context} ends
     * each message (logs to read).
     */
    void assertNothingLostOrDuplicated(long excusedUnanswered, String context) {
      assertEquals(0, gaps, "seq gaps on the wire" + context);
      assertEquals(0, duplicates, "duplicate seqs on the wire" + context);
      assertEquals(0, unanswered - excusedUnanswered,
          "requests without a response " + unansweredCodes + context);
      assertEquals(0, duplicateResponses, "requests answered more than once"
          + context);
      assertEquals(0, missingPushes, "pushes missing (demo.push answered, some of "
          + "its pushes never came)" + context);
      assertEquals(0, duplicatePushes, "pushes delivered twice, each with its own seq"
          + context);
    }
    String summary(String name) {
      return String.format("E2E %s: sessions=%d moved=%d recovery p50=%d p99=%d max=%d ms, frames=%d pushes=%d "
              + "questions=%d requests=%d responses=%d errors=%d%s unanswered=%d%s gaps=%d duplicates=%d "
              + "duplicateResponses=%d duplicatePushes=%d missingPushes=%d answerMismatches=%d resumes=%d resyncs=%d "
              + "reconnectFrames=%d inFlightAtTrigger=%d answered p50=%d p99=%d max=%d ms after it",
          name, sessions, moved, percentile(0.5), percentile(0.99), max(), frames, pushes, questions, requests,
          responses, errors, errorCodes.isEmpty() ? "" : errorCodes.toString(), unanswered,
          unansweredCodes.isEmpty() ? "" : unansweredCodes.toString(), gaps, duplicates, duplicateResponses,
          duplicatePushes, missingPushes, answerMismatches, resumes, resyncs, reconnectFrames, inFlightMs.size(),
          percentile(inFlightMs, 0.5), percentile(inFlightMs, 0.99), inFlightMax());
    }
  }

  /** Prints the failed requests on their timeline (fault moments marked), if any request failed. */
  void printFailures() {
    List<String> samples = failureSamples();
    if (samples.stream().anyMatch(s -> !s.contains(" --- "))) {
      System.out.println("first failed requests (timeline):");
      samples.forEach(s -> System.out.println("  " + s));
    }
  }

  /** Waits (bounded) for the moves; those that did not happen are simply missing from the result. */
  static List<Resume> settle(List<Future<Resume>> moving, long seconds, String what) {
    try {
      await(Future.join(moving), seconds, what);
    } catch (AssertionError e) {
      System.out.println("not all settled: " + e.getMessage());
    }
    List<Resume> done = new ArrayList<>();
    for (Future<Resume> f : moving) {
      if (f.succeeded()) {
        done.add(f.result());
      } else if (f.failed()) {
        System.out.println(f.cause().getMessage());
      }
    }
    return done;
  }

  /** Requests sent and not answered yet. */
  int outstanding() {
    return outstanding.get();
  }

  /** The fault happens now: from here, requests already sent are timed to their answer (see Figures#inFlight). */
  void trigger(String what) {
    mark(what + " (" + outstanding.get() + " requests in flight)");
    triggeredAt = System.nanoTime();
  }

  /** Marks a moment in the failure samples' timeline. */
  void mark(String what) {
    synchronized (failureSamples) {
      failureSamples.add(String.format("+%.1fs --- %s", (System.nanoTime() - startedAt) / 1e9, what));
    }
  }

  List<String> failureSamples() {
    synchronized (failureSamples) {
      return new ArrayList<>(failureSamples);
    }
  }

  Figures figures(List<Resume> moves, Predicate<Probe> filter) {
    Figures f = new Figures();
    for (Resume r : moves) {
      f.recoveryMs.add(TimeUnit.NANOSECONDS.toMillis(r.sinceTriggerNanos()));
    }
    f.moved = moves.size();
    synchronized (inFlightAnswerMs) {
      f.inFlightMs.addAll(inFlightAnswerMs);
    }
    for (Probe p : probes) {
      if (!filter.test(p)) {
        continue;
      }
      synchronized (p) {
        f.sessions++;
        f.frames += p.frames;
        f.requests += p.requests;
        for (int n : p.responsesByStream.values()) {
          f.responses += n;
          if (n > 1) {
            f.duplicateResponses += n - 1;
          }
        }
        f.errors += p.errorResponses;
        p.errorCodes.forEach((c, n) -> f.errorCodes.merge(c, n, Integer::sum));
        f.unanswered += p.unanswered;
        p.unansweredCodes.forEach((c, n) -> f.unansweredCodes.merge(c, n, Integer::sum));
        f.gaps += p.gaps;
        f.duplicates += p.duplicates;
        f.pushes += p.pushesReceived;
        f.duplicatePushes += p.duplicatePushes;
        f.missingPushes += p.missingPushes;
        f.answerMismatches += p.answerMismatches;
        f.questions += p.questions;
        f.resumes += p.resumes;
        f.resyncs += p.resyncs;
        f.ended += p.ended;
        f.reconnectFrames += p.reconnectFrames;
        if (p.client.state() != ConnectionState.ONLINE) {
          f.notOnline++;
        }
        for (String e : p.exceptions) {
          if (f.exceptions.size() < 10) {
            f.exceptions.add("client " + p.index + ": " + e);
          }
        }
      }
    }
    return f;
  }
}
