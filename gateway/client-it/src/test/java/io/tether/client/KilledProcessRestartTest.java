package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across an application restart (issue 12, item 6; docs/CLIENT.md "Sessions across a restart"): a client
 * process ({@link StoreWriterMain}, its own JVM) sends writes with an on-disk store and is killed with SIGKILL right
 * after; a client on the same store in this JVM then resumes the stored session, and the backend here counts each
 * write by its {@code gateway.requestId} and by its body: each exactly once.
 *
 * <p>The killed process talks to the node through a {@link FaultyRelay}, which decides what the break looks like.
 * The restarted client connects straight to the node. After the resume it sends a marker on the same session: the
 * resent writes go before it (seq order), so once the marker is answered nothing resent is still on its way.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class KilledProcessRestartTest {

  private static final int WRITES = 20;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAllowedAddresses(List.of("test.*")));
  private static GatewayNode node;

  private final RestartResources opened = new RestartResources();

  @AfterEach
  void cleanUp(Vertx vertx, VertxTestContext ctx) {
    opened.release(vertx).onComplete(ar -> ctx.completeNow());
  }

  /** What reached the backend: by {@code gateway.requestId}, and by the body's {@code n}; it answers each. */
  private static final class Backend {
    final Map<String, Integer> byRequestId = new ConcurrentHashMap<>();
    final Map<Integer, Integer> byBody = new ConcurrentHashMap<>();
    final List<JsonObject> markers = new CopyOnWriteArrayList<>();

    int received() {
      return byBody.values().stream().mapToInt(Integer::intValue).sum();
    }

    void assertEachOnce(int writes) {
      Map<Integer, Integer> once = IntStream.rangeClosed(1, writes).boxed()
          .collect(Collectors.toMap(i -> i, i -> 1));
      assertEquals(once, byBody, "each write's body exactly once");
      assertEquals(writes, byRequestId.size(), "one request id per write");
      assertTrue(byRequestId.values().stream().allMatch(c -> c == 1), "each request id once: " + byRequestId);
    }
  }

  private Future<Backend> backend(String address) {
    Backend b = new Backend();
    MessageConsumer<JsonObject> consumer = node.vertx().eventBus().consumer(address, m -> {
      JsonObject body = m.body();
      if (body.containsKey("marker")) {
        b.markers.add(body);
      } else {
        b.byRequestId.merge(m.headers().get("gateway.requestId"), 1, Integer::sum);
        b.byBody.merge(body.getInteger("n"), 1, Integer::sum);
      }
      m.reply(new JsonObject().put("ok", true));
    });
    opened.add(consumer);
    return consumer.completion().map(v -> b);
  }

  private Future<FaultyRelay> relay(Vertx vertx) {
    return FaultyRelay.start(vertx, node.port()).onSuccess(opened::add);
  }

  private WriterProcess writer(FaultyRelay relay, Path dir, String clientId, String address) {
    WriterProcess p = WriterProcess.start("ws://127.0.0.1:" + relay.port() + "/ws", dir, clientId, address);
    opened.add(p);
    return p;
  }

  /** SIGKILL, off the event loop; completes once the process is gone. */
  private static Future<Void> kill(Vertx vertx, WriterProcess p) {
    return vertx.executeBlocking(() -> {
      p.kill();
      return null;
    });
  }

  /** The client that restarts on the store, straight to the node; what it reports is collected. */
  private TetherClient restarted(Vertx vertx, Path dir, String clientId, List<Throwable> reported) {
    TetherClient c = TetherClient.create(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:" + node.port()
        + "/ws").setClientId(clientId).setStoreDir(dir.toString()).setReconnectInitialDelayMs(20)
        .setReconnectMaxDelayMs(200));
    c.exceptionHandler(reported::add);
    opened.add(c);
    return c;
  }

  private static JsonObject storedSession(Path dir) {
    try {
      Path f = dir.resolve("session.json");
      return Files.exists(f) ? new JsonObject(Files.readString(f, StandardCharsets.UTF_8)) : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Restarts on the store: resumes the killed process's session ({@code sessionId}), sends a marker behind whatever
   * it resends, and completes once the marker is answered.
   */
  private Future<TetherClient> restartAndResume(Vertx vertx, VertxTestContext ctx, Path dir, String clientId,
      String address, String sessionId, List<Throwable> reported) {
    TetherClient c = restarted(vertx, dir, clientId, reported);
    ClientWatch w = ClientWatch.watch(c);
    Future<SessionEvent> resumed = w.next(SessionEvent.Kind.RESUMED);
    return c.ready()
        .compose(v -> {
          ctx.verify(() -> assertEquals(sessionId, c.sessionId(), "the stored session, before connecting"));
          return c.connect();
        })
        .compose(v -> resumed)
        .compose(ev -> {
          ctx.verify(() -> assertEquals(sessionId, ev.sessionId(), "the killed process's session, resumed"));
          return c.request(address, new JsonObject().put("marker", true));
        })
        .map(v -> c);
  }

  /**
   * Verifies the acceptance case with the path dead: writes written to the socket into a path that delivers nothing
   * (none reached the node before the kill) are resent by the restarted client from the store and reach the backend
   * exactly once each.
   */
  @Test
  void writesSentIntoADeadPathRightBeforeTheKillAreDeliveredOnceAfterTheRestart(Vertx vertx, VertxTestContext ctx,
      @TempDir Path dir) {
    String clientId = "killed-dead-path";
    String address = "test.killed.dead";
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    long[] stored = new long[1];
    backend(address).compose(b -> relay(vertx).compose(relay -> {
      WriterProcess p = writer(relay, dir, clientId, address);
      String[] session = new String[1];
      return p.line("ONLINE ")
          .compose(online -> {
            session[0] = online.substring("ONLINE ".length());
            relay.blackhole(true); // the connection is quiet: nothing crosses from now on
            return p.send(1, WRITES);
          })
          .compose(sent -> kill(vertx, p))
          .compose(v -> {
            JsonObject file = storedSession(dir);
            ctx.verify(() -> {
              assertEquals(0, b.received(), "nothing reached the node before the kill");
              assertEquals(WRITES, file.getJsonArray("frames").size(), "every write was on disk before it left");
              assertFalse(file.encode().contains("\"type\":\"bye\""));
            });
            stored[0] = file.getJsonArray("frames").size();
            return restartAndResume(vertx, ctx, dir, clientId, address, session[0], reported);
          })
          .map(c -> b);
    })).onComplete(ctx.succeeding(b -> ctx.verify(() -> {
      b.assertEachOnce(WRITES);
      assertEquals(1, b.markers.size());
      assertEquals(List.of(), reported, "nothing to report: every write was delivered");
      System.out.println("KilledProcessRestartTest: dead path: " + WRITES + " writes sent, 0 reached before kill -9, "
          + stored[0] + " on disk at the kill, after the restart each delivered exactly once");
      ctx.completeNow();
    })));
  }

  /**
   * Verifies the acceptance case with writes at the node: the node stored the first of them and acked, but the ack
   * never reached the process (the relay drops every connection, and what was still in flight, when the node sends
   * it) before it was killed; the restarted client resends all of them from the store, and the node's duplicate
   * suppression keeps the ones it had to one delivery, while the rest arrive once.
   */
  @Test
  void writesTheNodeHadButTheKilledProcessNeverSawAckedAreNotDeliveredTwice(Vertx vertx, VertxTestContext ctx,
      @TempDir Path dir) {
    String clientId = "killed-unacked";
    String address = "test.killed.unacked";
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    int[] atKill = new int[2];
    backend(address).compose(b -> relay(vertx).compose(relay -> {
      WriterProcess p = writer(relay, dir, clientId, address);
      String[] session = new String[1];
      return p.line("ONLINE ")
          .compose(online -> {
            session[0] = online.substring("ONLINE ".length());
            relay.dropWhenServerSends("\"type\":\"ack\"");
            Future<String> cut = p.line("STATE RECONNECTING");
            return p.send(1, WRITES).compose(sent -> cut);
          })
          .compose(cut -> kill(vertx, p))
          .compose(v -> {
            JsonObject file = storedSession(dir);
            atKill[0] = b.received();
            atKill[1] = file.getJsonArray("frames").size();
            ctx.verify(() -> assertEquals(WRITES, atKill[1], "no ack reached the process: all still on disk"));
            return restartAndResume(vertx, ctx, dir, clientId, address, session[0], reported);
          })
          .map(c -> b);
    })).onComplete(ctx.succeeding(b -> ctx.verify(() -> {
      b.assertEachOnce(WRITES);
      assertEquals(List.of(), reported, "nothing to report: every write was delivered");
      System.out.println("KilledProcessRestartTest: unacked at the node: " + WRITES + " writes sent, " + atKill[0]
          + " at the backend and " + atKill[1] + " unacked on disk at kill -9, after the restart each delivered "
          + "exactly once");
      ctx.completeNow();
    })));
  }

  /**
   * Verifies that writes the killed process queued while its connection was cut (never sent) are sent once by the
   * restarted client, after the resume, and that close() then ends the session and removes it from the store.
   */
  @Test
  void writesQueuedWhileOfflineByTheKilledProcessAreSentOnceAfterTheRestart(Vertx vertx, VertxTestContext ctx,
      @TempDir Path dir) {
    String clientId = "killed-queued";
    String address = "test.killed.queued";
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    backend(address).compose(b -> relay(vertx).compose(relay -> {
      WriterProcess p = writer(relay, dir, clientId, address);
      String[] session = new String[1];
      return p.line("ONLINE ")
          .compose(online -> {
            session[0] = online.substring("ONLINE ".length());
            Future<String> cut = p.line("STATE RECONNECTING");
            relay.blackhole(true);
            return relay.dropAll().compose(v -> cut);
          })
          .compose(cut -> p.send(1, WRITES))
          .compose(sent -> {
            ctx.verify(() -> assertTrue(sent.contains("queued=" + WRITES), sent));
            return kill(vertx, p);
          })
          .compose(v -> {
            ctx.verify(() -> assertEquals(0, b.received()));
            return restartAndResume(vertx, ctx, dir, clientId, address, session[0], reported);
          })
          .compose(c -> c.close())
          .map(v -> b);
    })).onComplete(ctx.succeeding(b -> ctx.verify(() -> {
      b.assertEachOnce(WRITES);
      assertEquals(List.of(), reported);
      assertEquals(null, storedSession(dir), "close() ended the session: not in the store any more");
      System.out.println("KilledProcessRestartTest: queued offline: " + WRITES + " writes queued, kill -9, after the "
          + "restart each sent exactly once");
      ctx.completeNow();
    })));
  }
}
