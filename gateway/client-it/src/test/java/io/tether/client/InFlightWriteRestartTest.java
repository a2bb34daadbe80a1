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
 * The documented gap of in-flight SDK writes across an application restart (docs/CLIENT.md "On-disk store", rules;
 * docs/RELIABILITY.md says why it stays): a write leaves {@code writes.json} when it is sent, and the session it was
 * sent on does not outlive the process. So a write in flight when the application stops is sent at most once: the
 * next instance on the same store neither sends it again nor hears of it. The application that stopped is gone (its
 * future never completes); the backend has it once if it reached the node, and never if the break came first.
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

  /** The stored writes; none (and no file) when nothing was ever queued: writes made while ONLINE are not stored. */
  private static JsonObject writesFile(Path dir) {
    Path file = dir.resolve("writes.json");
    if (!Files.exists(file)) {
      return new JsonObject().put("writes", new io.vertx.core.json.JsonArray());
    }
    try {
      return new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aWriteInFlightWhenTheAppStopsIsSentAtMostOnceAndTheNextInstanceIsNotTold(Vertx vertx, VertxTestContext ctx,
      @TempDir Path dir) {
    Promise<Void> reachedBackend = Promise.promise();
    Promise<Void> marker = Promise.promise();
    Vertx app1 = Vertx.vertx();
    Vertx app2 = Vertx.vertx();
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    Future<List<Object>> reached = backend("test.reached", reachedBackend);
    Future<List<Object>> lost = backend("test.lost", Promise.promise());
    Future<List<Object>> markers = backend("test.marker", marker);
    Future.all(reached, lost, markers).compose(all -> FaultyRelay.start(app1, node.port())).compose(relay -> {
      TetherClient first = client(app1, "ws://127.0.0.1:" + relay.port() + "/ws", dir);
      return first.connect()
          // 1. a write that reaches the node; the backend holds it unanswered
          .compose(v -> {
            first.request("test.reached", new JsonObject().put("w", 1));
            return reachedBackend.future();
          })
          // 2. a write sent into a path that has just died silently: it never reaches the node
          .compose(v -> {
            relay.blackhole(true);
            first.request("test.lost", new JsonObject().put("w", 2));
            return first.flushStore();
          })
          .map(v -> {
            ctx.verify(() -> assertTrue(writesFile(dir).getJsonArray("writes").isEmpty(),
                "neither write is in writes.json once sent: " + writesFile(dir)));
            return v;
          })
          // 3. the application stops: its Vert.x goes away under the client, no close(), no bye
          .compose(v -> app1.close());
    }).compose(v -> {
      TetherClient second = client(app2, "ws://127.0.0.1:" + node.port() + "/ws", dir);
      second.exceptionHandler(reported::add);
      return second.ready()
          .compose(x -> {
            ctx.verify(() -> assertEquals(0, second.queuedRequests(), "nothing restored to send again"));
            return second.connect();
          })
          // restored writes would go first, before anything the new instance asks: after the marker, none came
          .compose(x -> second.request("test.marker", new JsonObject().put("m", 1)))
          .compose(x -> second.close());
    }).onComplete(ar -> app2.close().onComplete(x -> ctx.verify(() -> {
      assertTrue(ar.succeeded(), String.valueOf(ar.cause()));
      assertEquals(1, reached.result().size(), "the write that reached the node: once, never again");
      assertEquals(0, lost.result().size(), "the write lost in the break: never (at most once)");
      assertEquals(1, markers.result().size());
      assertEquals(List.of(), reported, "the next instance is not told about either write");
      System.out.println("InFlightWriteRestartTest: in-flight writes across an app restart: reached the node "
          + reached.result().size() + "x, lost in the break " + lost.result().size() + "x, next instance told 0x");
      ctx.completeNow();
    })));
  }
}
