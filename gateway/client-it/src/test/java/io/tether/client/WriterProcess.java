package io.tether.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@link StoreWriterMain} in its own JVM, started with the test classpath: the tests talk to it through its stdin
 * and stdout and kill it with {@link #kill()} ({@code Process.destroyForcibly()}: SIGKILL on Linux, no shutdown
 * hook, no {@code close()}, nothing flushed).
 */
final class WriterProcess {

  private record Waiter(String prefix, Promise<String> promise) {
  }

  private final Process process;
  private final Writer stdin;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();

  private WriterProcess(Process process) {
    this.process = process;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readLines, "writer-process-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts the process: a client of {@code url} with its store in {@code dir}, writing to {@code address}. */
  static WriterProcess start(String url, Path dir, String clientId, String address) {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx96m",
        "-cp", System.getProperty("java.class.path"), StoreWriterMain.class.getName(), url, dir.toString(), clientId,
        address);
    try {
      return new WriterProcess(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void readLines() {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        // session ids are never logged in full
        System.out.println("[writer process] " + (line.startsWith("ONLINE ") ? line.substring(0,
            Math.min(line.length(), 13)) + "…" : line));
        lines.add(line);
        synchronized (waiters) {
          for (Waiter w : List.copyOf(waiters)) {
            if (line.startsWith(w.prefix())) {
              waiters.remove(w);
              w.promise().tryComplete(line);
            }
          }
        }
      }
    } catch (IOException e) {
      // the process was killed
    }
    synchronized (waiters) {
      waiters.forEach(w -> w.promise().tryFail("the writer process ended before printing '" + w.prefix() + "'; "
          + "its output: " + lines));
      waiters.clear();
    }
  }

  /** The first line starting with {@code prefix} from now on, or one printed already. */
  Future<String> line(String prefix) {
    Promise<String> p = Promise.promise();
    synchronized (waiters) {
      for (String l : lines) {
        if (l.startsWith(prefix)) {
          return Future.succeededFuture(l);
        }
      }
      waiters.add(new Waiter(prefix, p));
    }
    return p.future();
  }

  /** Sends one command line. */
  void command(String line) {
    try {
      stdin.write(line + "\n");
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends {@code send from to} and completes with the {@code SENT} line. */
  Future<String> send(int from, int to) {
    Future<String> sent = line("SENT " + to + " ");
    command("send " + from + " " + to);
    return sent;
  }

  /** SIGKILL, and waits (on the calling thread: call it from a worker or the test thread) until the process is gone. */
  void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the writer process did not die");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  List<String> lines() {
    return lines;
  }
}
