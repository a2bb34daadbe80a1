package io.tether.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tether.client.TetherClient;
import io.tether.client.TetherClientOptions;
import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.ClusterExtension;
import io.tether.gateway.testing.FaultyRelay;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A byte stream whose session resumes on another node (docs/PROXY.md "Limits"): a TCP connection cannot move between
 * machines, so the stream ends there with {@code upstream_lost} (told at the resume, even to a stream that only
 * reads), and the first node releases its upstream connection.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ByteStreamMoveTest {

  @RegisterExtension
  static final Upstream ECHO = new Upstream();

  @RegisterExtension
  static final ClusterExtension CLUSTER = ClusterExtension.start(2, o -> o.setUpstreams(List.of(ECHO.entry("echo")))
      .setStreamReleaseMs(1_000).setHeartbeatMs(400));
  @ClusterExtension.Node(0)
  private static GatewayNode a;
  @ClusterExtension.Node(1)
  private static GatewayNode b;



  @Test
  void aStreamWhoseSessionResumesOnAnotherNodeEndsWithUpstreamLostAndItsUpstreamIsReleased(Vertx vertx,
      VertxTestContext ctx) {
    int before = ECHO.connections.size();
    Promise<String> ended = Promise.promise();
    FaultyRelay.start(vertx, a.port()).compose(relay -> {
      TetherClient c = TetherClient.create(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:" + relay.port()
          + "/ws").setClientId("mover").setReconnectInitialDelayMs(20).setReconnectMaxDelayMs(100));
      return c.connect().compose(v -> c.openStream("echo")).compose(s -> {
        Promise<Void> echoed = Promise.promise();
        s.handler(buf -> echoed.tryComplete());
        s.closeHandler(ended::tryComplete);
        s.write(Buffer.buffer("before the move"));
        return echoed.future();
      }).compose(v -> {
        // The load balancer now sends the session to node b: the resume lands there.
        relay.retarget(b.port());
        return relay.dropAll();
      }).compose(v -> ended.future()).compose(reason -> ByteStreamTest.waitFor(vertx,
          () -> ECHO.closed.contains(ECHO.connections.get(before)), 10_000).map(reason))
          .andThen(ar -> c.close());
    }).onComplete(ctx.succeeding(reason -> ctx.verify(() -> {
      assertEquals("upstream_lost", reason, "the stream's end on node b");
      ctx.completeNow();
    })));
  }
}
