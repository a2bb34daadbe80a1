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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SDK writes in flight across an application restart (docs/CLIENT.md "Sessions across a restart";
 * docs/RELIABILITY.md): with a store, the session and every own frame not acked yet are on disk before the frame
 * leaves, so the next instance on the store resumes that session and resends them with their original seqs, and the
 * node's duplicate suppression makes each count once. A write that reached the node is not delivered again; one lost
 * in the break is delivered once, by the next instance. (This test used to document the opposite: at most once, and
 * nobody told.) {@link KilledProcessRestartTest} does the same with a process killed by SIGKILL.
 *
 * <p>"The application stops" is its Vert.x instance closing under the client: no {@code close()}, no {@code bye}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class InFlightWriteRestartTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAllowedAddresses(List.of("test.*")));
  private static GatewayNode node;

  /** A backend that records what reaches {@code address}; it answers only {@code test.marker}. */
  private static Future<List<Object>> backend(String address, Promise<Void> arrived) {
    List<Object> received = new CopyOnWriteArrayList<>();
    MessageConsumer<Object> consumer = node.vertx().eventBus().consumer(address, m -> {
      received.add(m.body());
      arrived.tryComplete();
      if (address.equals("test.marker")) {
        m.reply(new JsonObject().put("ok", true));
      } // else: held unanswered, as a slow backend would while the application stops
    });
    return consumer.completion().map(v -> received);
  }

  private static TetherClient client(Vertx vertx, String url, Path dir) {
    return TetherClient.create(vertx, new TetherClientOptions().setUrl(url).setClientId("inflight-writer")
        .setStoreDir(dir.toString()).setReconnectInitialDelayMs(20).setReconnectMaxDelayMs(200));
  }

  /** A store file, or an empty object when there is none. */
  private static JsonObject storeFile(Path dir, String name) {
    Path file = dir.resolve(name);
    if (!Files.exists(file)) {
      return new JsonObject();
    }
    try {
      return new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  /**
   * Verifies that of two writes in flight when the application stops, the one that reached the node (acked, its
   * response held back) reaches the backend once and never again, and the one sent into a path that had just died
   * reaches it once, resent by the next instance from session.json (neither was ever in writes.json). The backend
   * holds both unanswered: the resent one still waits when the next instance closes, and is reported then.
   */
  void aWriteInFlightWhenTheAppStopsIsDeliveredExactlyOnceByTheNextInstance(Vertx vertx, VertxTestContext ctx,
      @TempDir Path dir) {
    Promise<Void> reachedBackend = Promise.promise();
    Promise<Void> marker = Promise.promise();
    Vertx app1 = Vertx.vertx();
    Vertx app2 = Vertx.vertx();
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    Future<List<Object>> reached = backend("test.reached", reachedBackend);
    Promise<Void> lostAgain = Promise.promise();
    Future<List<Object>> lost = backend("test.lost", lostAgain);
    Future<List<Object>> markers = backend("test.marker", marker);
    Future.all(reached, lost, markers).compose(all -> FaultyRelay.start(app1, node.port())).compose(relay -> {
      TetherClient first = client(app1, "ws://127.0.0.1:" + relay.port() + "/ws", dir);
      Promise<Void> ackedByNode = Promise.promise();
      first.inboundFrameHandler(f -> {
        if ("ack".equals(f.getString("type")) && f.getLong("ack") >= 1) {
          ackedByNode.tryComplete();
        }
      });
      return first.connect()
          // 1. a write that reaches the node, which acks it; the backend holds it unanswered
          .compose(v -> {
            first.request("test.reached", new JsonObject().put("w", 1));
            return Future.all(reachedBackend.future(), ackedByNode.future());
          })
          // 2. a write sent into a path that has just died silently: it never reaches the node
          .compose(v -> {
            relay.blackhole(true);
            first.request("test.lost", new JsonObject().put("w", 2));
            return first.flushStore();
          })
          .map(v -> {
            ctx.verify(() -> {
              assertTrue(storeFile(dir, "writes.json").isEmpty(), "neither was queued: " + storeFile(dir,
                  "writes.json"));
              JsonArray frames = storeFile(dir, "session.json").getJsonArray("frames");
              assertEquals(1, frames.size(), "the acked one left the file, the other is on disk: " + frames);
              assertTrue(frames.getString(0).contains("test.lost"), frames.getString(0));
            });
            return v;
          })
          // 3. the application stops: its Vert.x goes away under the client, no close(), no bye
          .compose(v -> app1.close());
    }).compose(v -> {
      TetherClient second = client(app2, "ws://127.0.0.1:" + node.port() + "/ws", dir);
      second.exceptionHandler(reported::add);
      return second.ready()
          .compose(x -> {
            ctx.verify(() -> {
              assertEquals(0, second.queuedRequests(), "nothing queued");
              assertEquals(1, second.unackedFrames(), "the unacked one restored with the session, to resend");
            });
            return second.connect();
          })
          // restored frames go first, before anything the new instance asks: once the marker is answered, all came
          .compose(x -> second.request("test.marker", new JsonObject().put("m", 1)))
          .compose(x -> lostAgain.future())
          .compose(x -> second.close());
    }).onComplete(ar -> app2.close().onComplete(x -> ctx.verify(() -> {
      assertTrue(ar.succeeded(), String.valueOf(ar.cause()));
      assertEquals(1, reached.result().size(), "the write that reached the node: once, never again");
      assertEquals(1, lost.result().size(), "the write lost in the break: once, resent by the next instance");
      assertEquals(1, markers.result().size());
      // Both held unanswered: the resent one is still waiting when the next instance closes; nobody holds its
      // future, so that is reported (client_closed), and nothing else is.
      assertEquals(1, reported.size(), String.valueOf(reported));
      assertEquals(TetherException.CLOSED, ((TetherException) reported.get(0)).code());
      assertTrue(reported.get(0).getMessage().contains("test.lost"), reported.get(0).getMessage());
      System.out.println("InFlightWriteRestartTest: in-flight writes across an app restart: reached the node "
          + reached.result().size() + "x, lost in the break " + lost.result().size() + "x (resent)");
      ctx.completeNow();
    })));
  }
}
