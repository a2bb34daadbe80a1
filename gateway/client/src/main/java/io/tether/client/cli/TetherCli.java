package io.tether.client.cli;

import io.tether.client.ClientErrorCode;
import io.tether.client.ConnectionState;
import io.tether.client.PrefetchOptions;
import io.tether.client.Reply;
import io.tether.client.SessionEvent;
import io.tether.client.TetherClient;
import io.tether.client.TetherClientOptions;
import io.tether.client.TetherException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Command-line client of the Tether gateway, for trying it out and for scripts:
 * <pre>
 *   java -jar tether-cli.jar --url ws://127.0.0.1:8080/ws --client-id alice [--attrs '{"app":"cli"}']
 *       [--cacheable 'demo.echo,demo.related'] [--store ~/.tether/alice] [--prefetch 'demo.echo={"q":1}' …]
 * </pre>
 * It connects, then reads one command per line from standard input:
 * {@code request <address> [json]}, {@code cached <address> [json]}, {@code subscribe <topic> [version]},
 * {@code unsubscribe <topic>}, {@code prefetch <address> [json]}, {@code stats}, {@code state}, {@code help},
 * {@code quit}. End of input acts as {@code quit}, after
 * outstanding commands have finished. {@code --cacheable} and {@code --store} turn on the SDK's offline cache and
 * on-disk store (docs/CLIENT.md): a response answered from the cache is printed with {@code "fromCache":true}.
 * {@code --prefetch address=json} (repeatable; {@code --prefetch-idle-ms}, {@code --prefetch-refresh-ms}) declares
 * reads to prefetch while idle (docs/CLIENT.md "Prefetch"); {@code stats} prints the cache's hit rate.
 *
 * <p>Output, one line each: {@code < {json}} for every frame-level event from the server (push, notify, server
 * request, response to a request), {@code > {json}} for the automatic answer to a server request, {@code * …} for
 * connection/session changes, and plain text for command results. Problems go to standard error as
 * {@code error: …}. Exit status: 0 after {@code quit}/end of input, 1 when the connection fails or the server ends
 * the session, 2 for bad options.
 */
public final class TetherCli {

  static final String USAGE = "usage: tether-cli [--url ws://127.0.0.1:8080/ws] [--client-id ID] [--attrs JSON]"
      + " [--answer JSON] [--cacheable PATTERN,…] [--store DIR] [--prefetch ADDRESS=JSON]… [--prefetch-idle-ms MS]"
      + " [--prefetch-refresh-ms MS] [--help]   (then commands on stdin: request <address> [json]"
      + " | cached <address> [json] | prefetch <address> [json] | subscribe <topic> [version] | unsubscribe <topic>"
      + " | stats | state | help | quit)";

  private static final String HELP = String.join(System.lineSeparator(),
      "commands:",
      "  request <address> [json]     send a request (body defaults to {}); prints '< {response}'",
      "                               (offline: queued, or answered from the cache with \"fromCache\":true)",
      "  cached <address> [json]      print the cached response to that request, without asking the server",
      "  subscribe <topic> [version]  follow a topic (version: what you have, default 0); notifies print as '< {…}'",
      "  unsubscribe <topic>          stop following a topic",
      "  prefetch <address> [json]    prefetch that read while idle (address must be --cacheable); prints when cached",
      "  stats                        the cache's hits and misses while offline, hit rate, what prefetch did",
      "  state                        connection state, session, node, seqs, subscriptions",
      "  help                         this text",
      "  quit                         end the session (bye) and exit");

  private static final Object END_OF_INPUT = new Object();
  /** A command line whose body could not be read (the error is printed already). */
  private static final Object INVALID = new Object();
  private static final Object SESSION_ENDED = new Object();
  /** How long quit/end of input waits for outstanding commands. */
  private static final long DRAIN_TIMEOUT_MS = 65_000;

  private final PrintStream out;
  private final PrintStream err;
  private final TetherClient client;
  private final Object answer;
  private final List<Future<?>> outstanding = new ArrayList<>();
  private volatile boolean quitting;

  private TetherCli(TetherClient client, Object answer, PrintStream out, PrintStream err) {
    this.client = client;
    this.answer = answer;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(run(args, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
        System.out, System.err));
  }

  /** Runs the CLI to completion and returns its exit status. */
  static int run(String[] args, BufferedReader in, PrintStream out, PrintStream err) {
    TetherClientOptions options = new TetherClientOptions();
    PrefetchOptions prefetch = new PrefetchOptions();
    Object answer = new JsonObject().put("answer", "from cli");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        out.println(USAGE);
        return 0;
      }
      String value;
      int eq = a.indexOf('=');
      String name = a.startsWith("--") && eq > 0 ? a.substring(0, eq) : a;
      if (eq > 0 && a.startsWith("--")) {
        value = a.substring(eq + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        err.println("error: option " + a + " needs a value");
        err.println(USAGE);
        return 2;
      }
      try {
        switch (name) {
          case "--url" -> options.setUrl(value);
          case "--client-id" -> options.setClientId(value);
          case "--attrs" -> options.setAttrs(new JsonObject(value));
          case "--answer" -> answer = Json.decodeValue(value);
          case "--cacheable" -> options.setCacheableAddresses(List.of(value.split(",")));
          case "--store" -> options.setStoreDir(value);
          case "--prefetch" -> {
            int at = value.indexOf('=');
            prefetch.addEntry(at < 0 ? value : value.substring(0, at),
                at < 0 ? new JsonObject() : Json.decodeValue(value.substring(at + 1)));
          }
          case "--prefetch-idle-ms" -> prefetch.setIdleMs(Long.parseLong(value));
          case "--prefetch-refresh-ms" -> prefetch.setRefreshMs(Long.parseLong(value));
          default -> {
            err.println("error: unknown option " + name);
            err.println(USAGE);
            return 2;
          }
        }
      } catch (DecodeException e) {
        err.println("error: " + name + " is not valid JSON: " + firstLine(e.getMessage()));
        return 2;
      } catch (ClassCastException e) {
        err.println("error: " + name + " must be a JSON object");
        return 2;
      } catch (NumberFormatException e) {
        err.println("error: " + name + " must be a whole number of milliseconds, got '" + value + "'");
        return 2;
      }
    }
    options.setPrefetch(prefetch);
    if (options.getClientId() == null) {
      options.setClientId("cli-" + UUID.randomUUID().toString().substring(0, 8));
    }
    TetherClient client;
    Vertx vertx = Vertx.vertx();
    try {
      client = TetherClient.create(vertx, options);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println(USAGE);
      vertx.close();
      return 2;
    }
    try {
      return new TetherCli(client, answer, out, err).session(in, options);
    } finally {
      await(vertx.close(), 5_000);
    }
  }

  private int session(BufferedReader in, TetherClientOptions options) {
    CompletableFuture<String> endedByServer = new CompletableFuture<>();
    client.pushHandler(p -> print("< " + p.toJson().encode()))
        .notifyHandler(n -> print("< " + n.toJson().encode()))
        .requestHandler(r -> {
          print("< " + r.toJson().encode());
          print("> " + new JsonObject().put("type", "response").put("stream", r.stream()).put("ok", true)
              .put("body", answer).encode());
          return Future.succeededFuture(answer);
        })
        .stateHandler(s -> {
          if (s != ConnectionState.CLOSED) {
            print("* state " + s);
          }
        })
        .sessionHandler(e -> {
          switch (e.kind()) {
            case STARTED -> print("* session started on node " + e.node());
            case RESUMED -> print("* session resumed on node " + e.node());
            case RESYNCED -> print("* session lost (" + e.reason() + "): new session on node " + e.node()
                + ", " + e.lostRequests() + " request(s) failed; state must be re-synced");
            case ENDED -> {
              if (!quitting) {
                print("* session ended by the server: " + e.reason());
                endedByServer.complete(e.reason());
              }
            }
          }
        })
        .exceptionHandler(t -> err.println("error: " + t.getMessage()));

    try {
      await(client.connect(), options.getConnectTimeoutMs() + 5_000);
    } catch (Exception e) {
      err.println("error: " + message(e));
      return 1;
    }

    // Standard input is read on a daemon thread, so that the session ending (bye from the server) is noticed even
    // while a read blocks; lines, end of input and the end of the session meet in one queue.
    LinkedBlockingQueue<Object> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try {
        String line;
        while ((line = in.readLine()) != null) {
          lines.add(line);
        }
      } catch (IOException e) {
        err.println("error: reading standard input failed: " + e.getMessage());
      }
      lines.add(END_OF_INPUT);
    }, "tether-cli-stdin");
    reader.setDaemon(true);
    reader.start();
    endedByServer.thenRun(() -> lines.add(SESSION_ENDED));
    while (true) {
      Object next;
      try {
        next = lines.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (next == SESSION_ENDED) {
        return 1;
      }
      if (next == END_OF_INPUT || !command(((String) next).strip())) {
        break;
      }
    }
    quitting = true;
    drain();
    try {
      await(client.close(), 5_000);
    } catch (Exception e) {
      err.println("error: closing failed: " + message(e));
    }
    return 0;
  }

  /** Runs one command line; false to quit. */
  private boolean command(String line) {
    if (line.isEmpty() || line.startsWith("#")) {
      return true;
    }
    String[] parts = line.split("\\s+", 3);
    String cmd = parts[0];
    switch (cmd) {
      case "quit", "exit", "bye" -> {
        return false;
      }
      case "help", "?" -> print(HELP);
      case "state" -> printState();
      case "request" -> request(parts, line);
      case "cached" -> cached(parts, line);
      case "prefetch" -> prefetch(parts, line);
      case "stats" -> print("cache " + client.cacheStats());
      case "subscribe" -> subscribe(parts, line);
      case "unsubscribe" -> unsubscribe(parts);
      default -> err.println("error: unknown command '" + cmd + "' (try help)");
    }
    return true;
  }

  /**
   * The body of a {@code request}/{@code cached} line: the rest of the line after the address, spaces included
   * ({@code {}} if none); {@link #INVALID} after printing why it cannot be read.
   */
  private Object body(String[] parts, String line, String usage) {
    if (parts.length < 2) {
      err.println("error: usage: " + usage);
      return INVALID;
    }
    String address = parts[1];
    if (parts.length <= 2) {
      return new JsonObject();
    }
    String json = line.substring(line.indexOf(address) + address.length()).strip();
    try {
      return Json.decodeValue(json);
    } catch (DecodeException e) {
      err.println("error: the request body is not valid JSON: " + firstLine(e.getMessage()));
      return INVALID;
    }
  }

  private void cached(String[] parts, String line) {
    Object body = body(parts, line, "cached <address> [json]");
    if (body == INVALID) {
      return;
    }
    Reply r = client.cached(parts[1], body);
    if (r == null) {
      print("not cached");
    } else {
      print("< " + new JsonObject().put("type", "response").put("address", parts[1]).put("ok", true)
          .put("body", r.body()).put("fromCache", true).put("receivedAt", r.receivedAt())
          .put("resources", new JsonObject(new java.util.LinkedHashMap<>(r.resources()))).encode());
    }
  }

  private void prefetch(String[] parts, String line) {
    Object body = body(parts, line, "prefetch <address> [json]");
    if (body == INVALID) {
      return;
    }
    String what = parts[1] + " " + Json.encode(body);
    // Not tracked: quit does not wait for a prefetch (offline it would wait for the network).
    client.prefetch(parts[1], body).onComplete(ar -> {
      if (ar.succeeded()) {
        print("ok prefetched " + what);
      } else if (!quitting) {
        err.println("error: prefetch " + what + " failed: " + message(ar.cause()));
      }
    });
  }

  private void request(String[] parts, String line) {
    Object body = body(parts, line, "request <address> [json]");
    if (body == INVALID) {
      return;
    }
    String address = parts[1];
    track(client.requestEx(address, body).onComplete(ar -> {
      JsonObject response = new JsonObject().put("type", "response").put("address", address);
      if (ar.succeeded()) {
        response.put("ok", true).put("body", ar.result().body());
        if (ar.result().fromCache()) {
          response.put("fromCache", true);
        }
      } else {
        Throwable t = ar.cause();
        String code = t instanceof TetherException te ? te.code() : ClientErrorCode.UNKNOWN.code();
        String msg = t instanceof TetherException te ? te.detail() : t.getMessage();
        response.put("ok", false).put("error", new JsonObject().put("code", code).put("message", msg));
      }
      print("< " + response.encode());
    }));
  }

  private void subscribe(String[] parts, String line) {
    if (parts.length < 2) {
      err.println("error: usage: subscribe <topic> [version]");
      return;
    }
    String topic = parts[1];
    long version = 0;
    if (parts.length > 2) {
      try {
        version = Long.parseLong(parts[2].strip());
        if (version < 0) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        err.println("error: the version must be a non-negative integer, got '" + parts[2].strip() + "'");
        return;
      }
    }
    long v = version;
    track(client.subscribe(topic, version).onComplete(ar -> {
      if (ar.succeeded()) {
        print("ok subscribed " + topic + " (version " + v + ")");
      } else {
        err.println("error: subscribe " + topic + " failed: " + message(ar.cause()));
      }
    }));
  }

  private void unsubscribe(String[] parts) {
    if (parts.length < 2) {
      err.println("error: usage: unsubscribe <topic>");
      return;
    }
    String topic = parts[1];
    track(client.unsubscribe(topic).onComplete(ar -> {
      if (ar.succeeded()) {
        print("ok unsubscribed " + topic);
      } else {
        err.println("error: unsubscribe " + topic + " failed: " + message(ar.cause()));
      }
    }));
  }

  private void printState() {
    String id = client.sessionId();
    Map<String, Long> subs = client.subscriptions();
    print("state " + client.state()
        + " client=" + client.options().getClientId()
        + " session=" + (id == null ? "none" : id.substring(0, Math.min(6, id.length())) + "…")
        + " node=" + client.node()
        + " heartbeatMs=" + client.heartbeatMs()
        + " lastReceivedSeq=" + client.lastReceivedSeq()
        + " lastSentSeq=" + client.lastSentSeq()
        + " unacked=" + client.unackedFrames()
        + " queued=" + client.queuedRequests()
        + " cached=" + client.cachedResponses()
        + " subscriptions=" + new JsonObject(new java.util.LinkedHashMap<>(subs)).encode());
  }

  private synchronized void track(Future<?> f) {
    outstanding.removeIf(Future::isComplete);
    outstanding.add(f);
  }

  /** Waits until every command in flight has finished (its result printed). */
  private void drain() {
    List<Future<?>> all;
    synchronized (this) {
      all = new ArrayList<>(outstanding);
    }
    try {
      await(Future.join(all), DRAIN_TIMEOUT_MS);
    } catch (Exception e) {
      // each failure was printed by its command
    }
  }

  private void print(String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  private static <T> T await(Future<T> f, long timeoutMs) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out after " + timeoutMs + " ms", e);
    }
  }

  private static String message(Throwable t) {
    return t instanceof TetherException te ? te.code() + (te.detail() == null ? "" : ": " + te.detail())
        : String.valueOf(t.getMessage());
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable input";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
