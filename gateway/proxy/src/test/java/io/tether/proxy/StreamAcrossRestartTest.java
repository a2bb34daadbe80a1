package io.tether.proxy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.client.TetherClient;
import io.tether.client.TetherClientOptions;
import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client with a store resumes its session after the application restarted (docs/CLIENT.md "Sessions across a
 * restart"), but its byte streams are not restored: the node's stream of the earlier process is closed by the new
 * one at once (its upstream connection released), not kept for the session's life (docs/PROXY.md "Limits").
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class StreamAcrossRestartTest {

  @RegisterExtension
  static final Upstream ECHO = new Upstream();

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setUpstreams(List.of(ECHO.entry("echo")))
      .setStreamReleaseMs(60_000));
  private static GatewayNode node;



  private static TetherClient client(Vertx vertx, Path dir) {
    return TetherClient.create(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:" + node.port() + "/ws")
        .setClientId("restarted-streamer").setStoreDir(dir.toString()).setReconnectInitialDelayMs(20)
        .setReconnectMaxDelayMs(100));
  }

  @Test
  void theNodesStreamOfAnEarlierProcessIsClosedWhenTheSessionResumesWithoutIt(Vertx vertx, VertxTestContext ctx,
      @TempDir Path dir) {
    Vertx app1 = Vertx.vertx();
    int before = ECHO.connections.size();
    TetherClient first = client(app1, dir);
    first.connect().compose(v -> first.openStream("echo")).compose(s -> {
      Promise<Void> echoed = Promise.promise();
      s.handler(b -> echoed.tryComplete());
      s.write(Buffer.buffer("hello"));
      return echoed.future();
    }).compose(v -> first.flushStore())
        // the application stops: its Vert.x goes away under the client, no close(), no bye
        .compose(v -> app1.close())
        .compose(v -> {
          TetherClient second = client(vertx, dir);
          return second.connect().compose(x -> ByteStreamTest.waitFor(vertx,
              () -> ECHO.closed.contains(ECHO.connections.get(before)), 10_000))
              // closed (its store written) before the test ends: JUnit deletes the store directory then
              .eventually(second::close);
        })
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertTrue(ECHO.closed.contains(ECHO.connections.get(before)), "the earlier process's upstream connection");
          ctx.completeNow();
        })));
  }
}
