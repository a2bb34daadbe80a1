package io.tether.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Node.js programs that tests run against a real node (gateway/server/src/test/node, dependencies pinned by its
 * package-lock.json and installed by {@code npm ci} there, as .ci/run does): is Node.js here, are the dependencies
 * installed, and one run of a script whose failure fails the test with the script's output.
 */
public final class NodeScripts {

  /** Where the scripts and their package.json are (relative to the server module). */
  public static final Path DIR = Path.of("src", "test", "node");

  private NodeScripts() {
  }

  /** True if {@code command args} runs and exits 0 within 20 s (e.g. {@code node --version}). */
  public static boolean runs(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Fails unless {@code npm ci} has installed {@code module} for the scripts. */
  public static void requireInstalled(String module) {
    assertTrue(Files.isDirectory(DIR.resolve("node_modules").resolve(module)),
        "run 'npm ci' in gateway/server/src/test/node first (.ci/run does): " + module + " is missing");
  }

  /**
   * Runs {@code node script args} in {@link #DIR} with {@code env} added to its environment (secrets go there, never
   * on a command line, which ps shows), its output in {@code log}; fails the test if it does not end within
   * {@code timeoutS} or exits non-zero. Returns its output.
   */
  public static String run(Path log, long timeoutS, Map<String, String> env, String script, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("node", script));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    boolean exited = p.waitFor(timeoutS, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(exited, script + " did not finish in " + timeoutS + " s: " + output);
    assertEquals(0, p.exitValue(), script + " failed: " + output);
    return output;
  }
}
