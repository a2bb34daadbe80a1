package io.tether.bench.abuse;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * scripts/abuse.sh's runner (issue 9, docs/SECURITY.md): holds {@code --witnesses} well-behaved JWT sessions on the
 * node, runs every attack one after the other, and prints one table: attack, tried, refused, witnesses harmed.
 * Exit status 0 only when every attack that ran was refused every time and no witness saw a problem (with
 * {@code --strict}, also no row skipped).
 */
public final class AbuseRunner {

  /** One row of the table. */
  public record Row(String attack, int tried, int refused, int harmed, String status, String detail) {
  }

  /** The whole run. */
  public record Report(List<Row> rows, int witnesses, int witnessesHarmed, String summary, int exitCode) {
  }

  /** Held: JUL keeps loggers weakly. Vert.x logs every refused upgrade's pooled connection as evicted. */
  private static final java.util.logging.Logger HTTP_LOG = java.util.logging.Logger.getLogger("io.vertx.core.http");

  private AbuseRunner() {
  }

  public static void main(String[] argv) throws Exception {
    if (argv.length == 2 && argv[0].equals("--write-rsa-public-key")) {
      Jwts.writeRsaPublicKey(Path.of(argv[1]));
      return;
    }
    AbuseConfig config;
    try {
      config = RunnerArgs.parse(argv);
    } catch (IllegalArgumentException e) {
      System.err.println("abuse: " + e.getMessage());
      System.err.println(RunnerArgs.USAGE);
      System.exit(2);
      return;
    }
    Report report = run(config, System.out);
    System.exit(report.exitCode());
  }

  /** Runs every attack against the node {@code config} names; prints progress and the table to {@code out}. */
  public static Report run(AbuseConfig config, PrintStream out) throws Exception {
    HTTP_LOG.setLevel(java.util.logging.Level.SEVERE);
    Vertx vertx = Vertx.vertx();
    try {
      return run(vertx, config, out);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static Report run(Vertx vertx, AbuseConfig config, PrintStream out) throws Exception {
    Target target = new Target(vertx, config.url, config.managementUrl);
    String pem = config.jwtPublicKey == null ? null : Files.readString(Path.of(config.jwtPublicKey));
    Jwts jwts = new Jwts(config.jwtSecret, pem);
    List<Witness> witnesses = new ArrayList<>();
    List<Future<Void>> started = new ArrayList<>();
    for (int i = 0; i < config.witnesses; i++) {
      String id = "witness-" + i;
      Witness w = new Witness(target, id, jwts.valid(id), config.origin, config.intervalMs);
      witnesses.add(w);
      started.add(w.start());
    }
    await(Future.all(started), 30_000);
    out.printf("[abuse] %d witness sessions up on %s, a request every %d ms each%n", witnesses.size(), config.url,
        config.intervalMs);
    List<Attack> attacks = new ArrayList<>();
    attacks.addAll(new AuthAttacks(target, config, jwts, witnesses).attacks());
    attacks.addAll(new HttpAttacks(target, config, jwts, witnesses).attacks());
    attacks.addAll(new FrameAttacks(target, config, jwts, witnesses).attacks());
    attacks.addAll(new LimitAttacks(target, config, jwts, witnesses).attacks());
    List<Row> rows = new ArrayList<>();
    for (Attack a : attacks) {
      rows.add(runOne(a, witnesses, config, out));
    }
    int harmed = (int) witnesses.stream().filter(w -> w.problems() > 0).count();
    long answered = witnesses.stream().mapToLong(Witness::answered).sum();
    List<Future<Void>> stopped = new ArrayList<>();
    for (Witness w : witnesses) {
      stopped.add(w.stop());
    }
    await(Future.join(stopped), 10_000);
    return report(rows, witnesses.size(), harmed, answered, config, out);
  }

  private static Row runOne(Attack a, List<Witness> witnesses, AbuseConfig config, PrintStream out) {
    out.printf("[abuse] %-58s ...%n", a.name());
    int[] before = witnesses.stream().mapToInt(Witness::problems).toArray();
    long t0 = System.nanoTime();
    Outcome o;
    try {
      o = await(a.run().start(), config.attackTimeoutMs);
    } catch (Exception e) {
      o = new Outcome(0, 0, null, "attack failed to run: " + e.getMessage());
    }
    List<Future<Void>> settled = new ArrayList<>();
    for (Witness w : witnesses) {
      settled.add(w.settled());
    }
    try {
      await(Future.join(settled), Witness.RESPONSE_DEADLINE_MS * 3);
    } catch (Exception e) {
      // counted below: a witness that did not settle has a problem recorded, or is reported as harmed here
    }
    int harmed = 0;
    StringBuilder why = new StringBuilder();
    for (int i = 0; i < witnesses.size(); i++) {
      if (witnesses.get(i).problems() > before[i]) {
        harmed++;
        if (why.length() == 0) {
          why.append(witnesses.get(i).clientId).append(": ").append(witnesses.get(i).firstProblem());
        }
      }
    }
    String status = o.skipped() != null ? "skipped (" + o.skipped() + ")"
        : o.tried() > 0 && o.refused() >= o.tried() && harmed == 0 ? "ok" : "FAIL";
    if (o.skipped() != null && harmed > 0) {
      status = "FAIL (" + o.skipped() + ")";
    }
    String detail = o.detail() == null ? "" : o.detail();
    if (harmed > 0) {
      detail = (detail.isEmpty() ? "" : detail + "; ") + why;
    }
    Row row = new Row(a.name(), o.tried(), o.refused(), harmed, status, detail);
    out.printf("[abuse] %-58s tried %4d  refused %4d  harmed %2d  %s%s  (%.1f s)%n", a.name(), row.tried(),
        row.refused(), harmed, status, detail.isEmpty() ? "" : " — " + detail, (System.nanoTime() - t0) / 1e9);
    return row;
  }

  private static Report report(List<Row> rows, int witnesses, int harmed, long answered, AbuseConfig config,
      PrintStream out) {
    int width = rows.stream().mapToInt(r -> r.attack().length()).max().orElse(10);
    String format = "%-" + width + "s | %5s | %7s | %6s | %s%n";
    out.println();
    out.printf(format, "attack", "tried", "refused", "harmed", "result");
    out.println("-".repeat(width) + "-|-------|---------|--------|-------");
    for (Row r : rows) {
      out.printf(format, r.attack(), r.tried(), r.refused(), r.harmed(), r.status()
          + (r.detail().isEmpty() ? "" : " — " + r.detail()));
    }
    long ok = rows.stream().filter(r -> r.status().equals("ok")).count();
    long skipped = rows.stream().filter(r -> r.status().startsWith("skipped")).count();
    long failed = rows.size() - ok - skipped;
    String summary = String.format("%d attacks: %d refused every time, %d failed, %d skipped; %d of %d witness "
        + "sessions harmed (%d witness requests answered)", rows.size(), ok, failed, skipped, harmed, witnesses,
        answered);
    out.println();
    out.println(summary);
    int exit = failed > 0 || harmed > 0 || (config.strict && skipped > 0) ? 1 : 0;
    out.println(exit == 0 ? "RESULT: PASS" : "RESULT: FAIL");
    return new Report(rows, witnesses, harmed, summary, exit);
  }

  static <T> T await(Future<T> f, long ms) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(ms, TimeUnit.MILLISECONDS);
  }
}
