package io.tether.bench.abuse;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The node-wide buffer budget's memory (issue 9, docs/BENCHMARKS.md "Node buffer budget"): {@code sessions} sessions
 * that never ack, and a backend ({@code /api/send} with the run's key) that sends each of them {@code bodyBytes}
 * pushes until the node refuses or each session has had {@code perSession} bytes. Prints one line
 * {@code BUDGET accepted=… refusedNodeFull=… refusedOther=… bufferedBytes=…}; scripts/bench-budget.sh measures the
 * node's heap around it. The sessions stay open until stdin closes, so the heap can be measured while they hold.
 *
 * <p>Usage: {@code BudgetMemoryBench <ws url> <management url> <sessions> <bodyBytes> <perSessionBytes>}; the JWT
 * secret and API key in {@code ABUSE_JWT_SECRET} / {@code ABUSE_API_KEY}.
 */
public final class BudgetMemoryBench {

  private BudgetMemoryBench() {
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    Target target = new Target(vertx, args[0], args[1]);
    int sessions = Integer.parseInt(args[2]);
    int bodyBytes = Integer.parseInt(args[3]);
    long perSession = Long.parseLong(args[4]);
    Jwts jwts = new Jwts(System.getenv("ABUSE_JWT_SECRET"), null);
    String apiKey = System.getenv("ABUSE_API_KEY");
    List<Probe> held = new ArrayList<>();
    Future<Void> opened = Future.succeededFuture();
    for (int i = 0; i < sessions; i++) {
      String id = "budget-" + i;
      opened = opened.compose(v -> Probe.open(target, null, null).compose(p -> {
        Future<JsonObject> welcome = p.next("welcome");
        p.send(Probe.hello(id, jwts.valid(id)));
        held.add(p);
        return welcome.mapEmpty();
      }));
    }
    String body = "{\"pad\":\"" + "m".repeat(bodyBytes) + "\"}";
    long[] counts = new long[3]; // accepted, refused node full, refused otherwise
    // One sender per session, all at once; each stops at its first refusal or at perSession bytes.
    Future<Void> chain = opened.compose(v -> {
      List<Future<Void>> senders = new ArrayList<>();
      for (int i = 0; i < sessions; i++) {
        senders.add(sendUntilRefused(target, apiKey, "budget-" + i, body, bodyBytes, perSession, 0, counts));
      }
      return Future.all(senders).mapEmpty();
    });
    chain.compose(v -> target.call(HttpMethod.GET, "/metrics", null, null)).onComplete(ar -> {
      long buffered = ar.failed() ? -1 : metric(ar.result().body(), "tether_buffered_bytes");
      System.out.printf("BUDGET sessions=%d accepted=%d acceptedBytes=%d refusedNodeFull=%d refusedOther=%d "
          + "bufferedBytes=%d%n", sessions, counts[0], counts[0] * bodyBytes, counts[1], counts[2], buffered);
      System.out.flush();
    });
    // Hold the sessions (never acking) until the script has measured the heap and closes stdin.
    while (System.in.read() >= 0) {
      // keep reading
    }
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  private static Future<Void> sendUntilRefused(Target target, String apiKey, String clientId, String body,
      int bodyBytes, long perSession, long sent, long[] counts) {
    if (sent >= perSession) {
      return Future.succeededFuture();
    }
    return target.call(HttpMethod.POST, "/api/send", apiKey, "{\"clientId\":\"" + clientId + "\",\"body\":" + body
        + "}").compose(a -> {
          if (a.status() == 200) {
            counts[0]++;
            return sendUntilRefused(target, apiKey, clientId, body, bodyBytes, perSession, sent + bodyBytes, counts);
          }
          counts[a.body().contains("node is full") ? 1 : 2]++;
          return Future.succeededFuture();
        });
  }

  static long metric(String text, String name) {
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return -1;
  }
}
