package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restart after the stored session expired (docs/CLIENT.md "Sessions across a restart"): the restarted client
 * cannot resume, starts a new session (RESYNCED) and reports every stored write that was sent and never acked, one
 * {@code session_lost} each on the exception handler: lost writes are told, never dropped silently. The client that
 * stops is a {@link StoreWriterMain} process killed with SIGKILL; the node tells the test when the session expired
 * ({@code gateway.presence.events}), not a sleep.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class ExpiredSessionRestartTest {

  private static final long RESUME_WINDOW_MS = 1000;
  private static final int WRITES = 5;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setResumeWindowMs(RESUME_WINDOW_MS)
      .setAllowedAddresses(List.of("test.*")));
  private static GatewayNode node;

  private final RestartResources opened = new RestartResources();

  @AfterEach
  void cleanUp(Vertx vertx, VertxTestContext ctx) {
    opened.release(vertx).onComplete(ar -> ctx.completeNow());
  }

  /** Completes when the node reports the session {@code sessionId[0]} CLOSED (registered before it is known). */
  private Future<Future<Void>> expiry(String clientId, String[] sessionId) {
    Promise<Void> expired = Promise.promise();
    MessageConsumer<JsonObject> consumer = node.vertx().eventBus().consumer("gateway.presence.events", m -> {
      JsonObject ev = m.body();
      if (clientId.equals(ev.getString("clientId")) && "CLOSED".equals(ev.getString("state"))
          && ev.getString("sessionId").equals(sessionId[0])) {
        expired.tryComplete();
      }
    });
    opened.add(consumer);
    return consumer.completion().map(v -> expired.future());
  }

  /**
   * Verifies that writes sent by the killed process and never acked are reported as {@code session_lost} by the
   * restarted client when the stored session has expired, that RESYNCED counts them, and that the new session works.
   */
  @Test
  void aRestartAfterTheSessionExpiredReportsTheWritesItLost(Vertx vertx, VertxTestContext ctx, @TempDir Path dir) {
    String clientId = "expired-restart";
    String address = "test.expired";
    String[] session = new String[1];
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    List<JsonObject> received = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> backend = node.vertx().eventBus().consumer(address, m -> {
      received.add(m.body());
      m.reply(new JsonObject().put("ok", true));
    });
    opened.add(backend);
    backend.completion().compose(x -> expiry(clientId, session)).compose(expired -> FaultyRelay.start(vertx,
        node.port()).onSuccess(opened::add).compose(relay -> {
          WriterProcess p = WriterProcess.start("ws://127.0.0.1:" + relay.port() + "/ws", dir, clientId, address);
          opened.add(p);
          return p.line("ONLINE ")
              .compose(online -> {
                session[0] = online.substring("ONLINE ".length());
                relay.blackhole(true);
                return p.send(1, WRITES);
              })
              .compose(sent -> vertx.executeBlocking(() -> {
                p.kill();
                return null;
              }))
              .compose(v -> relay.dropAll()) // the node sees the socket go: detached, then expired
              .compose(v -> expired);
        }))
        .compose(v -> {
          TetherClient c = TetherClient.create(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:" + node.port()
              + "/ws").setClientId(clientId).setStoreDir(dir.toString()).setReconnectInitialDelayMs(20)
              .setReconnectMaxDelayMs(200));
          opened.add(c);
          c.exceptionHandler(reported::add);
          ClientWatch w = ClientWatch.watch(c);
          Future<SessionEvent> resynced = w.next(SessionEvent.Kind.RESYNCED);
          return c.connect().compose(x -> resynced).compose(ev -> c.request(address, new JsonObject()
              .put("after", true)).map(ev));
        })
        .onComplete(ctx.succeeding(ev -> ctx.verify(() -> {
          assertEquals(session[0], ev.previousSessionId(), "the stored session is the one lost");
          assertEquals("expired", ev.reason());
          assertEquals(WRITES, ev.lostRequests(), "RESYNCED counts the stored writes that were lost");
          List<Throwable> lost = reported.stream().filter(t -> t instanceof TetherException te
              && TetherException.SESSION_LOST.equals(te.code())).toList();
          assertEquals(WRITES, lost.size(), "one session_lost report per lost write: " + reported);
          assertTrue(lost.get(0).getMessage().contains(address), lost.get(0).getMessage());
          assertEquals(List.of(new JsonObject().put("after", true)), received,
              "none of them reached the backend; the new session works");
          System.out.println("ExpiredSessionRestartTest: " + WRITES + " writes sent into a dead path, kill -9, session "
              + "expired, restart: RESYNCED lostRequests=" + ev.lostRequests() + ", reported " + lost.size());
          ctx.completeNow();
        })));
  }
}
