package io.tether.client;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The application a test kills: a client with an on-disk store, in its own JVM ({@link WriterProcess} starts it with
 * the test classpath). Arguments: {@code url storeDir clientId address}. It connects and then follows commands on
 * stdin, one a line; it reports on stdout, one line each:
 * <ul>
 *   <li>at start: {@code ONLINE <sessionId>} once connected (or {@code FAILED <reason>}); {@code STATE <state>} at
 *       every state change, {@code PROBLEM <message>} for what goes to the exception handler;</li>
 *   <li>{@code send <from> <to>}: requests {@code {"n":i}} to the address for each i, without waiting for responses,
 *       then waits until the store is written ({@code flushStore()}: by then every frame numbered is on disk and was
 *       handed to the socket) and prints {@code SENT <to> unacked=<n> queued=<n>}.</li>
 * </ul>
 * Reconnects are slow on purpose (60 s): a connection the test cuts stays cut until the process is killed.
 */
public final class StoreWriterMain {

  private StoreWriterMain() {
  }

  public static void main(String[] args) throws IOException {
    String url = args[0];
    String dir = args[1];
    String clientId = args[2];
    String address = args[3];
    Vertx vertx = Vertx.vertx();
    TetherClient client = TetherClient.create(vertx, new TetherClientOptions().setUrl(url).setClientId(clientId)
        .setStoreDir(dir).setReconnectInitialDelayMs(60_000).setReconnectMaxDelayMs(60_000).setRequestTimeoutMs(0));
    client.stateHandler(s -> out("STATE " + s));
    client.exceptionHandler(t -> out("PROBLEM " + t.getMessage()));
    client.connect().onComplete(ar -> out(ar.succeeded() ? "ONLINE " + client.sessionId()
        : "FAILED " + ar.cause().getMessage()));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] cmd = line.trim().split(" ");
      if (cmd[0].equals("send")) {
        int from = Integer.parseInt(cmd[1]);
        int to = Integer.parseInt(cmd[2]);
        for (int i = from; i <= to; i++) {
          client.request(address, new JsonObject().put("n", i));
        }
        client.flushStore().onComplete(ar -> out("SENT " + to + " unacked=" + client.unackedFrames() + " queued="
            + client.queuedRequests() + (ar.failed() ? " store failed: " + ar.cause().getMessage() : "")));
      }
    }
  }

  private static synchronized void out(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
