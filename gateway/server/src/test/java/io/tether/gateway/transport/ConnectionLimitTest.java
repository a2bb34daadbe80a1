package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node holds at most {@code maxConnections} client sockets (docs/PROTOCOL.md §1): beyond, the WebSocket handshake
 * is refused with HTTP 503 before any session work, and the sessions it holds are not harmed.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ConnectionLimitTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setMaxConnections(2).setInstances(2));
  private static GatewayNode node;

  /** Completes when the node holds no client socket (what an earlier test opened is closed on the server too). */
  private static Future<Void> noSocketsOpen(Vertx vertx) {
    double open = node.services().metrics().registry().get(GatewayMetrics.CONNECTIONS).gauge().value();
    return open == 0 ? Future.succeededFuture() : vertx.timer(20).compose(t -> noSocketsOpen(vertx));
  }

  private static Future<WireClient> session(Vertx vertx, String clientId) {
    return WireClient.connect(vertx, node.port()).compose(c -> c.hello(clientId).map(w -> c));
  }

  private static Future<JsonObject> echo(WireClient c) {
    return c.request("demo.echo", new JsonObject().put("still", "here"));
  }

  /**
   * Verifies that the socket beyond the limit is refused with 503 while both sessions within it keep working, and
   * that a place freed by a closed socket can be taken again.
   */
  @Test
  void aSocketBeyondTheLimitIsRefusedWith503AndTheOthersKeepWorking(Vertx vertx, VertxTestContext ctx) {
    noSocketsOpen(vertx).compose(x -> session(vertx, "limit-a")).compose(a -> session(vertx, "limit-b")
        .compose(b -> WireClient.connect(vertx, node.port())
        .transform(third -> {
          ctx.verify(() -> {
            assertTrue(third.failed(), "a third socket is over maxConnections=2");
            UpgradeRejectedException refused = assertInstanceOf(UpgradeRejectedException.class, third.cause());
            assertEquals(503, refused.getStatus());
          });
          return echo(a).compose(r -> echo(b));
        })
        .map(r -> {
          ctx.verify(() -> assertEquals(true, r.getBoolean("ok"), r.encode()));
          return b;
        }))
        .compose(b -> b.close())
        .compose(v -> session(vertx, "limit-c"))
        .compose(c -> echo(c).eventually(c::close))
        .eventually(a::close))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(true, r.getBoolean("ok"), "the freed place is taken again: " + r.encode());
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that the server closes a connection it refused: a client that keeps refused connections open must not
   * use up the descriptors the limit protects (it did, until the process ran out of them).
   */
  @Test
  void aRefusedConnectionIsClosedByTheServer(Vertx vertx, VertxTestContext ctx) {
    noSocketsOpen(vertx).compose(x -> session(vertx, "limit-d")).compose(d -> session(vertx, "limit-e")
        .compose(e -> vertx.createNetClient()
        .connect(node.port(), "127.0.0.1")
        .compose(socket -> {
          Promise<String> answer = Promise.promise();
          Promise<Void> closed = Promise.promise();
          StringBuilder text = new StringBuilder();
          socket.handler(b -> {
            text.append(b.toString());
            answer.tryComplete(text.toString());
          });
          socket.closeHandler(v -> closed.tryComplete());
          socket.write("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
          return answer.future().compose(a -> closed.future().map(a));
        })
        .eventually(() -> d.close().compose(v -> e.close()))))
        .onComplete(ctx.succeeding(answer -> ctx.verify(() -> {
          assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
          ctx.completeNow();
        })));
  }

  /** Verifies the default: the process's open-file limit less a reserve, and a configured limit wins. */
  @Test
  void theDefaultLimitIsTheOpenFileLimitLessAReserve() {
    assertEquals(20_000 - ConnectionLimit.RESERVED_DESCRIPTORS, ConnectionLimit.derive(20_000));
    assertEquals(384, ConnectionLimit.derive(512), "a small limit keeps a quarter in reserve");
    assertEquals(16, ConnectionLimit.derive(20), "never below 16");
    assertEquals(Integer.MAX_VALUE, ConnectionLimit.derive(-1), "unknown limit: none imposed");
    assertEquals(5, ConnectionLimit.effective(5));
    assertTrue(ConnectionLimit.effective(0) > 0);
  }
}
