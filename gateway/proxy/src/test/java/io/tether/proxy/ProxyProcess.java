package io.tether.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code tether-proxy} as its own JVM, run from the test classpath ({@link ProxyMain}): what a user runs, with a heap
 * of its own to measure. Its output lines go to {@code lines}; {@link #online()} completes at the first status line
 * that says the session is up (start it with {@code --stats-ms}).
 */
final class ProxyProcess implements AutoCloseable {

  private final Process process;
  private final CompletableFuture<Void> online = new CompletableFuture<>();
  private final Thread reader;

  private ProxyProcess(Process process, Consumer<String> lines) {
    this.process = process;
    this.reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.contains("state=ONLINE")) {
            online.complete(null);
          }
          lines.accept(line);
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "proxy-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code java -Xmx<heap> … ProxyMain <args>}. */
  static ProxyProcess start(String heap, Consumer<String> lines, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heap, "-cp", System.getProperty("java.class.path"), ProxyMain.class.getName()));
    command.addAll(List.of(args));
    return new ProxyProcess(new ProcessBuilder(command).redirectErrorStream(true).start(), lines);
  }

  /** Waits until the proxy's session is up: from then on, cuts of its link are breaks of a session. */
  void awaitOnline() throws Exception {
    online.get(30, TimeUnit.SECONDS);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Stops the process (SIGTERM) and waits until the reader has passed on its last lines (it reads to the end). */
  @Override
  public void close() throws Exception {
    process.destroy();
    process.waitFor(10, TimeUnit.SECONDS);
    reader.join(5_000);
  }
}
