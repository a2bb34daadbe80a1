package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultTable;
import io.tether.gateway.testing.HeapHistogram;
import io.tether.gateway.testing.StoreCensus;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.tether.protocol.DecodeResult;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.FrameCodec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.RandomGenerator;
import net.jqwik.api.Example;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Malformed input, fuzzed, against a live node (issue 10; docs/RELIABILITY.md "Malformed input and churn"). Each case
 * is a fresh socket that sends random bad input in one of the wrong states — before {@code hello} (garbage, a valid
 * frame that is not a handshake, binary, oversize), after it (malformed JSON, wrong types, frames only a server
 * sends, binary frames, fragmented garbage), oversize messages (whole or in continuation frames) and continuation
 * abuse (a continuation without a first frame, a new message inside a fragmented one). Inputs come from jqwik
 * generators with a printed seed ({@code -Dtether.fuzz.seed} replays a run); the codec itself is the oracle that
 * keeps every "bad" text bad.
 *
 * <p>Checked: each bad socket gets its error (non-fatal ones: exactly one per bad frame, then the socket still
 * answers an echo) or its close; a witness session on the same node never sees an error or a close and every echo
 * of its seq-numbered requests comes back once, in order; the node still takes new sessions; and the test process's
 * used heap after GC (node and clients share it) grows less than 50 MB from a warmed-up baseline, plus what the
 * ended sessions' tombstones (kept 5 min by design) may hold.
 */
class MalformedInputFaultTest {

  private static final boolean FULL = FaultTable.fullMode();
  private static final int CASES = FULL ? 20_000 : 1_500;
  private static final int WORKERS = 6;
  private static final long HEAP_BOUND = 50L * 1024 * 1024;
  /**
   * Each fuzzed session that ended stays as a tombstone for 5 minutes by design (docs/RELIABILITY.md, "Churn"): the
   * bound allows this much heap for each (measured: at most ~650 bytes).
   */
  private static final long TOMBSTONE_BYTES = 2_048;
  private static final int MAX_FRAME = 65_536;
  private static final Set<String> FATAL_CLOSES = Set.of("1002", "1007", "1008", "1009");
  private static final Set<String> NON_FATAL_CODES = Set.of("bad_frame", "unknown_type", "not_allowed");

  private static GatewayNode node;

  private static final FrameCodec ORACLE = new FrameCodec(MAX_FRAME);
  private static Vertx vertx;

  /** jqwik runs this class (its generators need its thread), so the node is started here, not by NodeExtension. */
  @BeforeContainer
  static void start() throws Exception {
    node = await(TestNodes.start(o -> o.setResumeWindowMs(1_000).setHandshakeTimeoutMs(3_000)
        .setMaxFrameBytes(MAX_FRAME)), 60);
    vertx = Vertx.vertx();
  }

  @AfterContainer
  static void stop() throws Exception {
    if (vertx != null) {
      await(vertx.close(), 20);
    }
    if (node != null) {
      await(node.stop(), 60);
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return await(f, 20);
  }

  private static <T> T await(Future<T> f, int seconds) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------------------------------------------------
  // generators

  /** Text that the codec refuses with something other than too_large: malformed or wrongly typed frames. */
  private static Arbitrary<String> badText() {
    Arbitrary<String> soup = Arbitraries.of("{", "}", "[", "]", ":", ",", "\"type\"", "\"request\"", "\"seq\"",
        "\"body\"", "\"stream\"", "\"address\"", "\"attrs\"", "1", "-1", "1e400", "99999999999999999999999", "true",
        "null", "\"x\"", "\"", "\\", " ").list().ofMaxSize(40).map(l -> String.join("", l));
    Arbitrary<String> wrongType = Arbitraries.of("seq", "stream", "address", "ack", "topic", "version", "attrs")
        .flatMap(field -> Arbitraries.of("\"1\"", "-5", "1.5", "true", "[]", "{}", "1e400", "12345678901234567890123")
            .map(v -> "{\"type\":\"" + (field.equals("ack") ? "ack" : field.equals("attrs") ? "ping"
                : field.equals("topic") || field.equals("version") ? "subscribe" : "request")
                + "\",\"seq\":1,\"stream\":1,\"address\":\"demo.echo\",\"topic\":\"t\",\"ack\":0,\"" + field + "\":"
                + v + "}"));
    Arbitrary<String> deep = Arbitraries.integers().between(65, 10_000)
        .map(n -> "{\"type\":\"push\",\"body\":" + "[".repeat(n) + "]".repeat(n) + "}");
    Arbitrary<String> unknownType = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(30)
        .map(t -> "{\"type\":\"x" + t + "\"}");
    Arbitrary<String> any = Arbitraries.strings().ofMaxLength(200);
    return Arbitraries.oneOf(soup, wrongType, deep, unknownType, any).filter(t -> {
      DecodeResult r = ORACLE.decode(t);
      return r instanceof DecodeResult.Failure && ((DecodeResult.Failure) r).code() != ErrorCode.TOO_LARGE;
    });
  }

  /** Frames only a server sends, with no seq (so none uses up a client seq): each is a non-fatal not_allowed. */
  private static Arbitrary<String> serverOnly() {
    return Arbitraries.of(
        "{\"type\":\"welcome\",\"sessionId\":\"s\",\"resumeToken\":\"r\"}",
        "{\"type\":\"resumed\",\"sessionId\":\"s\",\"resumeToken\":\"r\",\"lastSeq\":0}",
        "{\"type\":\"reconnect\",\"reason\":\"shutdown\"}",
        "{\"type\":\"push\",\"body\":{\"volatile\":true}}");
  }

  /** A valid frame that is not {@code hello} or {@code resume}: before the handshake, handshake_required. */
  private static Arbitrary<String> notAHandshake() {
    return Arbitraries.of("{\"type\":\"ping\"}", "{\"type\":\"ack\",\"ack\":0}",
        "{\"type\":\"request\",\"seq\":1,\"stream\":1,\"address\":\"demo.echo\",\"body\":{}}",
        "{\"type\":\"subscribe\",\"seq\":1,\"topic\":\"t\"}", "{\"type\":\"bye\"}", "{\"type\":\"auth\",\"token\":\"t\"}");
  }

  /** One piece of bad input and what the socket must answer. */
  private static final class Bad {
    final String what;
    final Function<WireClient, Future<Void>> send;
    final long frames;
    /**
     * Refused by the WebSocket layer itself (framing abuse, a frame over 4 x maxFrameBytes): it fails the connection
     * with a close frame (1002, 1009) that the client may never read: the server closes while the client is still
     * writing, the unread bytes make its TCP stack reset, and the client sees an abnormal close (1006).
     */
    final boolean framing;

    Bad(String what, long frames, Function<WireClient, Future<Void>> send) {
      this(what, frames, false, send);
    }

    Bad(String what, long frames, boolean framing, Function<WireClient, Future<Void>> send) {
      this.what = what;
      this.framing = framing;
      this.frames = frames;
      this.send = send;
    }
  }

  private static Bad text(String t) {
    return new Bad("text of " + t.length() + " chars", 1, c -> c.sendText(t));
  }

  private static Bad binary(byte[] b) {
    return new Bad("binary", 1, c -> c.sendBinary(Buffer.buffer(b)));
  }

  /** {@code t} in {@code parts} WebSocket frames: a non-final text frame, then continuations. */
  private static Bad fragmented(String t, int parts) {
    return new Bad("fragmented", parts, c -> {
      int step = Math.max(1, t.length() / parts);
      Future<Void> last = null;
      for (int i = 0; i < parts; i++) {
        int from = Math.min(t.length(), i * step);
        int to = i == parts - 1 ? t.length() : Math.min(t.length(), from + step);
        String piece = t.substring(from, to);
        boolean fin = i == parts - 1;
        last = c.sendFrame(i == 0 ? WebSocketFrame.textFrame(piece, fin)
            : WebSocketFrame.continuationFrame(Buffer.buffer(piece), fin));
      }
      return last;
    });
  }

  /** A bad input after hello that must draw exactly one non-fatal error. */
  private static Arbitrary<Bad> nonFatalBad() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, badText().map(MalformedInputFaultTest::text)),
        net.jqwik.api.Tuple.of(2, serverOnly().map(MalformedInputFaultTest::text)),
        net.jqwik.api.Tuple.of(2, Arbitraries.bytes().array(byte[].class).ofMaxSize(300)
            .map(MalformedInputFaultTest::binary)),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(2, 5)
            .flatMap(parts -> badText().map(t -> fragmented(t, parts)))));
  }

  private static Arbitrary<Bad> oversize() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(MAX_FRAME + 1, 4 * MAX_FRAME)
            .map(n -> text("{\"type\":\"push\",\"body\":\"" + "x".repeat(n) + "\"}"))),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(4 * MAX_FRAME + 1, 5 * MAX_FRAME)
            .map(n -> new Bad("text of " + n + " chars, over 4 x maxFrameBytes", 1, true,
                c -> c.sendText("x".repeat(n))))),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(2, 8)
            .map(parts -> fragmented("y".repeat(MAX_FRAME + 10), parts))));
  }

  private static Arbitrary<Bad> continuationAbuse() {
    return Arbitraries.of(
        new Bad("lone continuation", 1, true, c -> c.sendFrame(WebSocketFrame.continuationFrame(
            Buffer.buffer("{\"type\":\"ping\"}"), true))),
        new Bad("text inside a fragmented message", 2, true, c -> {
          c.sendFrame(WebSocketFrame.textFrame("{\"type\":", false));
          return c.sendFrame(WebSocketFrame.textFrame("{\"type\":\"ping\"}", true));
        }),
        new Bad("binary continuation of text", 2, true, c -> {
          c.sendFrame(WebSocketFrame.textFrame("{\"type\":", false));
          return c.sendFrame(WebSocketFrame.binaryFrame(Buffer.buffer("\"ping\"}"), true));
        }));
  }

  // ---------------------------------------------------------------------------------------------------------
  // the cases

  private enum Kind { BEFORE_HELLO, AFTER_HELLO, OVERSIZE, CONTINUATION }

  private static final class Totals {
    final AtomicLong frames = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong closes = new AtomicLong();
    final AtomicLong sockets = new AtomicLong();
  }

  /** One case: a kind, the bad input of a fresh socket, and its number (for the client id). */
  private static final class Case {
    final Kind kind;
    final List<Bad> bad;
    final int n;

    Case(Kind kind, List<Bad> bad, int n) {
      this.kind = kind;
      this.bad = bad;
      this.n = n;
    }
  }

  /**
   * The generators, made once per run: jqwik memoizes generators for the length of a property, so making new ones
   * for every case would grow the test's own heap and blur the node's figure.
   */
  private static final class Generators {
    final RandomGenerator<Bad> beforeHello = Arbitraries.oneOf(badText().map(MalformedInputFaultTest::text),
        notAHandshake().map(MalformedInputFaultTest::text),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(100).map(MalformedInputFaultTest::binary),
        oversize(), continuationAbuse()).generator(1000);
    final RandomGenerator<Bad> nonFatal = nonFatalBad().generator(1000);
    final RandomGenerator<Bad> oversize = oversize().generator(1000);
    final RandomGenerator<Bad> continuation = continuationAbuse().generator(1000);
  }

  /** Draws one case. jqwik's generators run only on its own thread: cases are drawn there, then run by workers. */
  private static Case draw(Generators g, Random random, int n) {
    Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
    List<Bad> bad = new ArrayList<>();
    switch (kind) {
      case BEFORE_HELLO:
        bad.add(g.beforeHello.next(random).value());
        break;
      case AFTER_HELLO:
        for (int i = 1 + random.nextInt(8); i > 0; i--) {
          bad.add(g.nonFatal.next(random).value());
        }
        break;
      case OVERSIZE:
        bad.add(g.oversize.next(random).value());
        break;
      default:
        bad.add(g.continuation.next(random).value());
    }
    return new Case(kind, bad, n);
  }

  /** Runs one case on a fresh socket and checks its answer. */
  private static void runCase(Case cs, String clientId, Totals totals) throws Exception {
    WireClient c = await(WireClient.connect(vertx, node.port()));
    totals.sockets.incrementAndGet();
    if (cs.kind != Kind.BEFORE_HELLO) {
      await(c.hello(clientId));
    }
    if (cs.kind != Kind.AFTER_HELLO) {
      Bad bad = cs.bad.get(0);
      bad.send.apply(c);
      expectFatal(c, bad, totals);
      return;
    }
    long frames = 0;
    List<String> what = new ArrayList<>();
    for (Bad bad : cs.bad) {
      bad.send.apply(c);
      frames += bad.frames;
      what.add(bad.what);
    }
    int k = cs.bad.size();
    List<JsonObject> errors = await(c.take(k, "error"));
    for (JsonObject e : errors) {
      assertTrue(NON_FATAL_CODES.contains(e.getString("code")) && !e.getBoolean("fatal"),
          "a non-fatal error for " + what + ": " + e.encode());
    }
    echo(c); // the offending session itself carries on
    long allErrors = c.received().stream().filter(f -> "error".equals(f.getString("type"))).count();
    assertEquals(k, allErrors, "one error per bad frame " + what + ": " + c);
    totals.frames.addAndGet(frames + 1);
    totals.errors.addAndGet(k);
    await(c.send(new JsonObject().put("type", "bye")));
    await(c.closed());
  }

  /** The socket is closed with a protocol close code, after a fatal error frame if one came. */
  private static void expectFatal(WireClient c, Bad bad, Totals totals) throws Exception {
    Short status = await(c.closed());
    assertTrue(status != null && FATAL_CLOSES.contains(status.toString()) || bad.framing && status == null
        || bad.framing && status == 1006,
        bad.what + ": closed with " + status + ", " + c);
    for (JsonObject f : c.received()) {
      if ("error".equals(f.getString("type"))) {
        assertTrue(f.getBoolean("fatal"), bad.what + ": the error before a close is fatal: " + f.encode());
        totals.errors.incrementAndGet();
      }
    }
    totals.frames.addAndGet(bad.frames);
    totals.closes.incrementAndGet();
  }

  /** A demo.echo round trip: the response on the request's stream carries the same body. */
  private static void echo(WireClient c) throws Exception {
    long seq = c.nextSeq();
    long stream = 2 * seq - 1;
    JsonObject body = new JsonObject().put("probe", UUID.randomUUID().toString());
    Future<JsonObject> response = c.nextMatching("the echo response on stream " + stream,
        f -> "response".equals(f.getString("type")) && Long.valueOf(stream).equals(f.getLong("stream")));
    c.send(new JsonObject().put("type", "request").put("seq", seq).put("stream", stream).put("address", "demo.echo")
        .put("body", body));
    JsonObject resp = await(response);
    assertEquals(true, resp.getBoolean("ok"), resp.encode());
    assertEquals(body, resp.getJsonObject("body"), resp.encode());
  }

  private static void runCases(Generators g, int from, int to, Random random, Totals totals) throws Exception {
    List<Case> cases = new ArrayList<>();
    for (int n = from; n < to; n++) {
      cases.add(draw(g, random, n));
    }
    ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
    try {
      List<java.util.concurrent.Future<?>> work = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++) {
        int worker = w;
        work.add(pool.submit(() -> {
          for (int i = worker; i < cases.size(); i += WORKERS) {
            // ids from a pool per worker, as devices reconnect: presence keeps one record per id, not per case
            runCase(cases.get(i), "fuzz-" + worker + "-" + (i / WORKERS) % 32, totals);
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : work) {
        f.get(10, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Waits until the store holds no live session but the witness: fuzzed sockets that detached expire after the 1 s
   * resume window (the sweep is run here rather than waited for). Ended sessions stay as tombstones (5 min, by
   * design) and are counted apart.
   */
  private static StoreCensus awaitOnlyWitnessLeft() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      StoreCensus census = StoreCensus.of(node);
      if (census.liveSessions() <= 1 && census.livePresence() <= 1 && node.services().localSessionCount() <= 1) {
        return census;
      }
      assertTrue(System.nanoTime() < deadline, "sessions left: " + census);
      await(node.services().expireDetached());
      TimeUnit.MILLISECONDS.sleep(100); // the interval of a poll of the condition above, not a stand-in for it
    }
  }

  @Example
  void fuzzedInputInEveryWrongStateHarmsNoOtherSessionAndNoHeap() throws Exception {
    long seed = Long.getLong("tether.fuzz.seed", System.nanoTime());
    System.out.println("MalformedInputFaultTest: seed " + seed + " (-Dtether.fuzz.seed=" + seed + " replays), "
        + CASES + " cases, " + (FULL ? "full" : "fast"));
    WireClient witness = await(WireClient.connect(vertx, node.port()));
    await(witness.hello("fuzz-witness"));
    witness.autoAck(true);
    echo(witness);
    Totals totals = new Totals();
    int warmup = Math.min(300, CASES / 5);
    Random random = new Random(seed);
    Generators g = new Generators();
    runCases(g, 0, warmup, random, totals); // the JIT, pools and buffers settle before the baseline
    echo(witness);
    StoreCensus baseline = awaitOnlyWitnessLeft();
    long before = HeapHistogram.usedAfterGc();
    HeapHistogram histogramBefore = HeapHistogram.take();
    int batches = 10;
    int echoes = 2;
    long started = System.nanoTime();
    for (int b = 0; b < batches; b++) {
      int from = warmup + (CASES - warmup) * b / batches;
      int to = warmup + (CASES - warmup) * (b + 1) / batches;
      runCases(g, from, to, random, totals);
      echo(witness);
      echoes++;
    }
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    StoreCensus end = awaitOnlyWitnessLeft();
    long after = HeapHistogram.usedAfterGc();
    System.out.print("MalformedInputFaultTest: " + HeapHistogram.take().growthSince(histogramBefore, 12));

    // the node still takes new sessions, and the witness saw nothing of the fuzzing
    WireClient late = await(WireClient.connect(vertx, node.port()));
    await(late.hello("fuzz-late"));
    echo(late);
    echo(witness);
    echoes++;
    List<JsonObject> seen = witness.received();
    long witnessErrors = seen.stream().filter(f -> "error".equals(f.getString("type"))).count();
    long responses = seen.stream().filter(f -> "response".equals(f.getString("type"))).count();
    List<Long> seqs = new ArrayList<>();
    seen.stream().filter(f -> f.getValue("seq") != null).forEach(f -> seqs.add(f.getLong("seq")));
    boolean contiguous = true;
    for (int i = 0; i < seqs.size(); i++) {
      contiguous &= seqs.get(i) == i + 1;
    }
    assertEquals(0, witnessErrors, "the witness got no error: " + witness);
    assertFalse(witness.closed().isComplete(), "the witness is still connected");
    assertEquals(echoes, responses, "every witness echo answered once");
    assertTrue(contiguous, "the witness's stream is seq 1..n: " + seqs);

    long growth = after - before;
    System.out.printf("MalformedInputFaultTest: %d cases (%d sockets) in %d ms after %d warm-up; %d bad frames sent, "
            + "%d errors, %d closes; witness %d echoes, 0 errors; used heap after GC %.1f MB -> %.1f MB (%+.1f MB)%n",
        CASES - warmup, totals.sockets.get(), elapsedMs, warmup, totals.frames.get(), totals.errors.get(),
        totals.closes.get(), echoes, before / 1e6, after / 1e6, growth / 1e6);
    System.out.println("MalformedInputFaultTest: store before " + baseline + "; after " + end + "; "
        + Math.max(0, end.tombstones() - baseline.tombstones()) + " new tombstones");
    long tombstones = Math.max(0, end.tombstones() - baseline.tombstones());
    boolean heapOk = growth < HEAP_BOUND + tombstones * TOMBSTONE_BYTES;
    String heapFailure = "used heap after GC grew by " + growth / 1e6 + " MB with " + tombstones + " new tombstones";
    String row = FaultTable.tsv("malformed input, fuzzed", "1 witness session, echo per batch",
        totals.frames.get() + " bad frames on " + totals.sockets.get() + " sockets: before hello, after hello, oversize, continuation abuse",
        1 + (int) totals.sockets.get(), totals.frames.get(), echoes - responses, Math.max(0, responses - echoes), 0,
        contiguous ? 0 : 1, -1, -1);
    // jqwik runs this class, not JUnit Jupiter, so FaultTable.Rows cannot watch it: the heap check goes in the row.
    FaultTable.record(heapOk ? row : FaultTable.failed(row, new AssertionError(heapFailure)));
    assertTrue(heapOk, heapFailure);
  }
}
