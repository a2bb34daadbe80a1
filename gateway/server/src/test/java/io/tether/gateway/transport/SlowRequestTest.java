package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client that sends its upgrade request a byte at a time (slowloris) is dropped {@code handshakeTimeoutMs} after
 * the node accepted its connection, although bytes keep arriving (an idle timeout never fires), while a normal
 * client connects meanwhile (docs/OPERATIONS.md "Timeouts").
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class SlowRequestTest {

  private static final long HANDSHAKE_TIMEOUT_MS = 1_000;
  private static final byte[] UPGRADE = ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
      .getBytes(StandardCharsets.US_ASCII);

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setHandshakeTimeoutMs(HANDSHAKE_TIMEOUT_MS));
  private static GatewayNode node;

  @Test
  void anUpgradeRequestSentAByteAtATimeIsDroppedAtTheHandshakeTimeout(Vertx vertx, VertxTestContext ctx) {
    Promise<Long> closedAfter = Promise.promise();
    vertx.createNetClient().connect(node.port(), "127.0.0.1").onComplete(ctx.succeeding(socket -> {
      long opened = System.nanoTime();
      socket.closeHandler(v -> closedAfter.tryComplete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - opened)));
      dribble(vertx, socket, 0);
    }));
    closedAfter.future()
        .compose(ms -> WireClient.connect(vertx, node.port()).compose(c -> c.hello("after-slowloris")).map(ms))
        .onComplete(ctx.succeeding(ms -> ctx.verify(() -> {
          System.out.println("slow upgrade request dropped after " + ms + " ms (handshakeTimeoutMs "
              + HANDSHAKE_TIMEOUT_MS + ")");
          // A byte every 200 ms would take ~30 s to finish the request; the node must not wait for it.
          assertTrue(ms <= HANDSHAKE_TIMEOUT_MS + 1_500, "held " + ms + " ms");
          ctx.completeNow();
        })));
  }

  private static void dribble(Vertx vertx, NetSocket socket, int sent) {
    if (sent >= UPGRADE.length - 1) {
      return; // never the last byte
    }
    socket.write(Buffer.buffer(new byte[] {UPGRADE[sent]})).onSuccess(v ->
        vertx.setTimer(200, t -> dribble(vertx, socket, sent + 1)));
  }
}
