package io.tether.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tether.loadtest.BrokenGateway.Fault;
import io.gatling.app.Gatling$;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The simulations fail against a broken gateway and pass against a real one. Each simulation runs, small, in this JVM
 * (Gatling's command-line entry point, one run after the other) against {@link BrokenGateway} with one fault, and
 * must exit non-zero with the assertion that should catch that fault false; then against one real gateway node
 * ({@code tether-gateway.jar --demo}, started once for the class) with the same parameters, and must exit 0 with every
 * assertion true.
 *
 * <p>Ports: {@code selftest.portBase} (pom property, 32500) and the three after it. The jar:
 * {@code selftest.gatewayJar} (gateway/server/target/tether-gateway.jar, built before this module by the reactor).
 */
class SimulationSelfTest {

  private static final int PORT_BASE = Integer.getInteger("selftest.portBase", 32500);
  private static final int GATEWAY_PORT = PORT_BASE;
  private static final int BROKEN_PORT = PORT_BASE + 3;
  private static final String GATEWAY_URL = "ws://127.0.0.1:" + GATEWAY_PORT + "/ws";
  private static final String BROKEN_URL = "ws://127.0.0.1:" + BROKEN_PORT + "/ws";
  private static final Path RESULTS = Path.of(System.getProperty("selftest.resultsFolder", "target/gatling-selftest"));

  /**
   * The latency bound where a test is not about latency: the build machine may be busy (these runs share it
   * with the gateway and the rest of the build), and a slow machine must not fail them.
   */
  private static final String LOOSE_BOUND_MS = "3000";

  private static Process gateway;
  private static Path gatewayLog;

  @BeforeAll
  static void startGateway() throws Exception {
    Path jar = Path.of(System.getProperty("selftest.gatewayJar", "../gateway/server/target/tether-gateway.jar"));
    if (!Files.isRegularFile(jar)) {
      fail("no gateway jar at " + jar.toAbsolutePath() + ": build it first (mvn -q -DskipTests package -pl "
          + "gateway/server -am), or run the whole reactor");
    }
    Files.createDirectories(RESULTS);
    gatewayLog = RESULTS.resolve("gateway.log");
    int mgmt = PORT_BASE + 1;
    int hz = PORT_BASE + 2;
    gateway = new ProcessBuilder(javaBin(), "-Xmx256m", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
        "-Dhazelcast.phone.home.enabled=false", "-jar", jar.toString(), "--demo", "--node-id", "selftest",
        "--host", "127.0.0.1", "--port", String.valueOf(GATEWAY_PORT),
        "--management-host", "127.0.0.1", "--management-port", String.valueOf(mgmt),
        "--cluster-host", "127.0.0.1", "--cluster-port", String.valueOf(hz), "--members", "127.0.0.1:" + hz)
        .redirectErrorStream(true).redirectOutput(gatewayLog.toFile()).start();
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt + "/health"))
        .timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) { // the node has no way to tell us it is up but /health
      if (!gateway.isAlive()) fail("the gateway exited at start: " + Files.readString(gatewayLog));
      try {
        if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) break;
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) fail("the gateway is not healthy after 60 s: " + Files.readString(gatewayLog));
      Thread.sleep(100);
    }
  }

  @AfterAll
  static void stopGateway() throws InterruptedException {
    if (gateway != null) {
      gateway.destroy();
      if (!gateway.waitFor(40, TimeUnit.SECONDS)) gateway.destroyForcibly().waitFor();
    }
  }

  // ---- one test per simulation: the broken server fails it where expected, the real node passes it

  @Test
  void holdFailsWhenAPongIsMissing() throws Exception {
    Map<String, String> p = props("users", "4", "rampSeconds", "0", "holdSeconds", "1", "pingMs", "250",
        "timeoutSeconds", "2", "maxP99Ms", LOOSE_BOUND_MS);
    failsOn(HoldSimulation.class, Fault.NO_PONG, p, "pong: count of successful events");
    passes(HoldSimulation.class, p);
  }

  @Test
  void echoFailsOnAWrongBodyAndOnSlowAnswers() throws Exception {
    // 3 requests per user. The broken server's slow answer takes SLOW_MS, above the p99 bound.
    Map<String, String> p = props("users", "4", "rate", "12", "durationSeconds", "1", "rampSeconds", "0",
        "maxP50Ms", LOOSE_BOUND_MS, "maxP99Ms", LOOSE_BOUND_MS,
        "timeoutSeconds", String.valueOf(BrokenGateway.SLOW_MS / 1000 + 2),
        // Gatling counts the rate in whole seconds: over a 1 s run that is coarse.
        "minRatePercent", "30");
    failsOn(EchoSimulation.class, Fault.WRONG_ECHO_BODY, p, "echo response: count of successful events");
    // Every answer right, one in three late: the counts hold, only the percentile catches it.
    List<Verdict> slow = failsOn(EchoSimulation.class, Fault.SLOW_ECHO, p,
        "echo response: 99th percentile of response time");
    assertTrue(verdict(slow, "echo response: count of successful events").ok, "SLOW_ECHO answered wrongly");
    assertTrue(verdict(slow, "Global: count of failed events").ok, "SLOW_ECHO answered wrongly");
    passes(EchoSimulation.class, p);
  }

  @Test
  void pushFailsOnADroppedOrDuplicatedPush() throws Exception {
    Map<String, String> p = props("users", "4", "pushes", "20", "rounds", "2", "rampSeconds", "0",
        "timeoutSeconds", "3", "maxP99Ms", LOOSE_BOUND_MS);
    failsOn(PushSimulation.class, Fault.DROP_PUSH, p, "push frame: count of successful events");
    failsOn(PushSimulation.class, Fault.DUPLICATE_PUSH, p, "push frame: count of successful events");
    passes(PushSimulation.class, p);
  }

  @Test
  void reconnectStormFailsWhenTheReplayMissesAFrame() throws Exception {
    Map<String, String> p = props("users", "6", "pushes", "10", "rampSeconds", "0", "timeoutSeconds", "3",
        "maxP99Ms", LOOSE_BOUND_MS);
    failsOn(ReconnectStormSimulation.class, Fault.REPLAY_SKIPS_FRAME, p, "replay frame: count of successful events");
    passes(ReconnectStormSimulation.class, p);
  }

  // ---- running Gatling

  private static Map<String, String> props(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  /** Runs {@code sim} against a broken server; it must fail, with the assertion {@code caughtBy} false. */
  private static List<Verdict> failsOn(Class<?> sim, Fault fault, Map<String, String> props, String caughtBy)
      throws Exception {
    Run run;
    try (BrokenGateway broken = new BrokenGateway(fault, BROKEN_PORT)) {
      run = gatling(sim, BROKEN_URL, props);
    }
    assertTrue(run.exit != 0, sim.getSimpleName() + " passed against a server with " + fault + ":\n" + run.text());
    assertFalse(verdict(run.verdicts, caughtBy).ok, fault + " was not caught by '" + caughtBy + "':\n" + run.text());
    // The broken server did speak the protocol up to its fault: every session was welcomed.
    assertTrue(verdict(run.verdicts, "welcome: count of successful events").ok,
        "the run failed before " + fault + " could matter:\n" + run.text());
    return run.verdicts;
  }

  /** Runs {@code sim} against the real gateway node; it must pass, every assertion true. */
  private static void passes(Class<?> sim, Map<String, String> props) throws Exception {
    Run run = gatling(sim, GATEWAY_URL, props);
    assertEquals(0, run.exit, sim.getSimpleName() + " failed against the real gateway:\n" + run.text());
    assertTrue(run.verdicts.size() >= 5, "too few assertions evaluated:\n" + run.text());
    for (Verdict v : run.verdicts) assertTrue(v.ok, v.line + "\n" + run.text());
  }

  /** One assertion result as Gatling prints it: "{@code <path>: <what> : true|false (actual : …)}". */
  private record Verdict(String line, String what, boolean ok) {
    private static final Pattern LINE = Pattern.compile("^(.+) : (true|false)( \\(.*\\))?$");

    static Verdict parse(String line) {
      Matcher m = LINE.matcher(line);
      return m.matches() ? new Verdict(line, m.group(1), Boolean.parseBoolean(m.group(2))) : null;
    }
  }

  /** The verdict of the assertion that starts with {@code prefix} (e.g. "pong: count of successful events"). */
  private static Verdict verdict(List<Verdict> verdicts, String prefix) {
    return verdicts.stream().filter(v -> v.what.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("no assertion '" + prefix + "' among "
            + verdicts.stream().map(Verdict::line).collect(Collectors.joining("\n"))));
  }

  private record Run(int exit, List<String> output, List<Verdict> verdicts) {
    String text() {
      return String.join("\n", output);
    }
  }

  /**
   * Runs Gatling in this JVM, as {@code io.gatling.app.Gatling} would from the command line, with {@code props} as
   * system properties for the run (the simulations read them when Gatling instantiates them) and its console output
   * captured, which is where it prints the assertion results.
   */
  private static Run gatling(Class<?> sim, String baseUrl, Map<String, String> props) {
    Map<String, String> all = new LinkedHashMap<>(props);
    all.put("baseUrl", baseUrl);
    all.forEach(System::setProperty);
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit;
    CONSOLE.capture(captured);
    try {
      exit = Gatling$.MODULE$.fromArgs(new String[] {"-s", sim.getName(), "-rf", RESULTS.toString(), "-nr"});
    } finally {
      CONSOLE.capture(null);
      all.keySet().forEach(System::clearProperty);
    }
    List<String> out = captured.toString(StandardCharsets.UTF_8).lines().collect(Collectors.toList());
    List<Verdict> verdicts = out.stream().map(Verdict::parse).filter(v -> v != null).collect(Collectors.toList());
    return new Run(exit, out, verdicts);
  }

  /** System.out, also copied to a buffer while a run is captured. Installed before Gatling (and Scala) first print. */
  private static final Tee CONSOLE = Tee.install();

  private static final class Tee extends OutputStream {
    private final PrintStream original;
    private volatile OutputStream copy;

    private Tee(PrintStream original) {
      this.original = original;
    }

    static Tee install() {
      Tee tee = new Tee(System.out);
      System.setOut(new PrintStream(tee, true, StandardCharsets.UTF_8));
      return tee;
    }

    void capture(OutputStream to) {
      copy = to;
    }

    @Override
    public synchronized void write(int b) {
      original.write(b);
      OutputStream c = copy;
      if (c != null) {
        try {
          c.write(b);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      original.write(b, off, len);
      OutputStream c = copy;
      if (c != null) {
        try {
          c.write(b, off, len);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }

    @Override
    public void flush() {
      original.flush();
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
