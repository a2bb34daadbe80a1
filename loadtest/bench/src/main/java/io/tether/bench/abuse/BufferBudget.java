package io.tether.bench.abuse;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Sessions that never ack, and a backend that keeps sending to them (/api/send with the run's key): each session
 * stays under its own {@code bufferMaxBytes}, together they exceed {@code --node-buffer-max-bytes}. Every send once
 * the node holds its budget must be refused with a retryable status (409, 429 or 503), and what was accepted is
 * still delivered.
 */
final class BufferBudget {

  private static final int BODY_BYTES = 8 * 1024;

  private final LimitAttacks on;
  private final AbuseConfig config;

  BufferBudget(LimitAttacks on) {
    this.on = on;
    this.config = on.config;
  }

  Future<Outcome> run() {
    if (config.nodeBufferMaxBytes <= 0 || config.bufferMaxBytes <= 0) {
      return Future.succeededFuture(Outcome.skip("--node-buffer-max-bytes/--buffer-max-bytes not given to the runner"));
    }
    if (config.apiKey == null) {
      return Future.succeededFuture(Outcome.skip("no --api-key: nothing sends to the sessions"));
    }
    long perSession = config.bufferMaxBytes * 3 / 4;
    int sessions = (int) Math.min(64, 2 * config.nodeBufferMaxBytes / perSession + 1);
    int sendsEach = (int) (perSession / BODY_BYTES);
    List<Probe> held = new ArrayList<>();
    Future<Void> opened = Future.succeededFuture();
    for (int i = 0; i < sessions; i++) {
      String id = "mallory-noack-" + i;
      opened = opened.compose(v -> on.session(null, id).map(p -> {
        held.add(p);
        return null;
      }));
    }
    String body = "{\"pad\":\"" + "z".repeat(BODY_BYTES) + "\"}";
    long[] sent = {0};
    boolean[] full = {false};
    int[] counts = new int[4]; // tried (past the budget), refused (past it), refused before it, accepted
    Future<Void> chain = opened;
    for (int round = 0; round < sendsEach; round++) {
      for (int i = 0; i < sessions; i++) {
        String id = "mallory-noack-" + i;
        chain = chain.compose(v -> on.send(id, body).map(a -> {
          // The node counts whole frames (body and JSON envelope), the runner only bodies: the budget is spent once a
          // send was refused past half of it (a refusal before half is not the budget's), and from then on, with no
          // acks coming, every send must be refused.
          boolean retryable = a.status() == 409 || a.status() == 429 || a.status() == 503;
          if (retryable && sent[0] > config.nodeBufferMaxBytes / 2) {
            full[0] = true;
          }
          boolean past = full[0];
          if (a.status() == 200) {
            sent[0] += BODY_BYTES;
            counts[3]++;
          }
          if (past) {
            counts[0]++;
            counts[1] += retryable ? 1 : 0;
          } else if (retryable) {
            counts[2]++; // refused before half the budget held: not the budget's doing
          }
          return null;
        }));
      }
    }
    return chain.compose(v -> delivered(held, counts[3]))
        // An accepted send that never arrived counts as an attempt that was not refused: the run fails.
        .map(delivered -> Outcome.of(counts[0] + counts[3] - delivered + counts[2], counts[1], String.format(
            "%d sessions, %d sends accepted (%d delivered), %d refused before half of %d bytes", sessions, counts[3],
            delivered, counts[2], config.nodeBufferMaxBytes)))
        .eventually(() -> on.within(LimitAttacks.byeAll(held), Attacks.ANSWER_MS, "bye").otherwiseEmpty());
  }

  /** Waits (up to 10 s) until the sessions received every accepted push; completes with how many they did. */
  private Future<Integer> delivered(List<Probe> held, int accepted) {
    long deadline = System.currentTimeMillis() + Attacks.ANSWER_MS;
    return Future.future(p -> {
      long[] id = new long[1];
      id[0] = on.target.vertx.setPeriodic(50, t -> {
        int n = 0;
        for (Probe probe : held) {
          n += (int) probe.frames().stream().filter(f -> "push".equals(f.getString("type"))).count();
        }
        if (n >= accepted || System.currentTimeMillis() > deadline) {
          on.target.vertx.cancelTimer(id[0]);
          p.complete(n);
        }
      });
    });
  }
}
