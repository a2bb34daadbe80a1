package io.tether.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Self-tests of {@link FaultyRelay} (with {@link WireClient} as its client), against an echo WebSocket server: the
 * relay must be transparent until told otherwise, and each fault must look to both ends the way a real network
 * fault does.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class FaultyRelayTest {

  /**
   * How long to watch for bytes that must not arrive. A blackhole produces no event to wait on, so absence can only
   * be shown by waiting; on loopback a relayed frame arrives in well under a millisecond.
   */
  private static final long QUIET_MS = 300;

  private Vertx vertx;
  private EchoWebSocketServer echo;
  private FaultyRelay relay;

  @BeforeEach
  void startEchoServerAndRelay(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    EchoWebSocketServer.start(vertx)
        .compose(e -> {
          echo = e;
          return FaultyRelay.start(vertx, e.port());
        })
        .onComplete(ctx.succeeding(r -> {
          relay = r;
          ctx.completeNow();
        }));
  }

  private static JsonObject frame(String type, int n) {
    return new JsonObject().put("type", type).put("n", n);
  }

  /** Verifies that a frame sent through the relay reaches the server and the server's answer comes back. */
  @Test
  void relayPassesFramesBothWays(VertxTestContext ctx) {
    WireClient.connect(vertx, relay.port())
        .compose(client -> client.send(frame("echo", 1)).compose(v -> client.next()))
        .compose(reply -> echo.connection(0).map(conn -> List.of(reply, conn)))
        .onComplete(ctx.succeeding(result -> ctx.verify(() -> {
          EchoWebSocketServer.Connection conn = (EchoWebSocketServer.Connection) result.get(1);
          assertEquals(frame("echo", 1), result.get(0));
          assertEquals(List.of(frame("echo", 1).encode()), conn.texts());
          assertEquals(1, relay.connectionCount());
          ctx.completeNow();
        })));
  }

  /** Verifies that a frame the server sends on its own initiative reaches the client through the relay. */
  @Test
  void relayPassesServerInitiatedFrames(VertxTestContext ctx) {
    WireClient.connect(vertx, relay.port())
        .compose(client -> echo.connection(0)
            .compose(conn -> conn.ws.writeTextMessage(frame("push", 7).encode()))
            .compose(v -> client.next()))
        .onComplete(ctx.succeeding(pushed -> ctx.verify(() -> {
          assertEquals(frame("push", 7), pushed);
          ctx.completeNow();
        })));
  }

  /** Verifies that after dropAll the client sees its socket close without a close frame (status null or 1006). */
  @Test
  void dropAllClosesTheClientWithoutACloseFrame(VertxTestContext ctx) {
    WireClient.connect(vertx, relay.port())
        .compose(client -> client.send(frame("echo", 1))
            .compose(v -> client.next())
            .compose(v -> relay.dropAll())
            .compose(v -> client.closed()))
        .onComplete(ctx.succeeding(status -> ctx.verify(() -> {
          assertTrue(status == null || status == 1006, "close status " + status);
          ctx.completeNow();
        })));
  }

  /** Verifies that after dropAll the server sees its socket close, without a close frame from the client. */
  @Test
  void dropAllClosesTheServerSide(VertxTestContext ctx) {
    WireClient.connect(vertx, relay.port())
        .compose(client -> echo.connection(0))
        .compose(conn -> relay.dropAll().compose(v -> conn.closed()).map(v -> conn))
        .onComplete(ctx.succeeding(conn -> ctx.verify(() -> {
          Short status = conn.ws.closeStatusCode();
          assertTrue(status == null || status == 1006, "close status seen by the server " + status);
          ctx.completeNow();
        })));
  }

  /** Verifies that once dropAll has completed the relay holds no connection. */
  @Test
  void dropAllLeavesNoConnection(VertxTestContext ctx) {
    WireClient.connect(vertx, relay.port())
        .compose(client -> WireClient.connect(vertx, relay.port()))
        .compose(second -> {
          ctx.verify(() -> assertEquals(2, relay.connectionCount()));
          return relay.dropAll();
        })
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertEquals(0, relay.connectionCount());
          ctx.completeNow();
        })));
  }

  /** Verifies that the relay accepts and relays a new connection after dropAll, so clients can reconnect. */
  @Test
  void relayAcceptsNewConnectionsAfterDropAll(VertxTestContext ctx) {
    WireClient.connect(vertx, relay.port())
        .compose(first -> relay.dropAll().compose(v -> first.closed()))
        .compose(status -> WireClient.connect(vertx, relay.port()))
        .compose(second -> second.send(frame("echo", 2)).compose(v -> second.next()))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          assertEquals(frame("echo", 2), reply);
          ctx.completeNow();
        })));
  }

  /** Verifies that while the blackhole is on, bytes from the client do not reach the server. */
  @Test
  void blackholeDiscardsClientToServerBytes(VertxTestContext ctx) {
    WireClient.connect(vertx, relay.port())
        .compose(client -> echo.connection(0).compose(conn -> {
          relay.blackhole(true);
          return client.send(frame("lost", 1))
              .compose(v -> vertx.timer(QUIET_MS))
              .map(v -> {
                ctx.verify(() -> {
                  assertEquals(List.of(), conn.texts());
                  assertEquals(List.of(), client.received());
                  assertEquals(1, relay.connectionCount(), "a blackhole keeps connections open");
                });
                return v;
              });
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that while the blackhole is on, bytes from the server do not reach the client. */
  @Test
  void blackholeDiscardsServerToClientBytes(VertxTestContext ctx) {
    WireClient.connect(vertx, relay.port())
        .compose(client -> echo.connection(0).compose(conn -> {
          relay.blackhole(true);
          return conn.ws.writeTextMessage(frame("lost", 1).encode())
              .compose(v -> vertx.timer(QUIET_MS))
              .map(v -> client);
        }))
        .onComplete(ctx.succeeding(client -> ctx.verify(() -> {
          assertEquals(List.of(), client.received());
          ctx.completeNow();
        })));
  }

  /** Verifies that delivery resumes when the blackhole is lifted, and what it swallowed is never delivered. */
  @Test
  void deliveryResumesWhenBlackholeIsLifted(VertxTestContext ctx) {
    WireClient.connect(vertx, relay.port())
        .compose(client -> echo.connection(0).compose(conn -> {
          relay.blackhole(true);
          return client.send(frame("lost", 1))
              .compose(v -> vertx.timer(QUIET_MS)) // let the relay swallow it before the hole closes
              .compose(v -> {
                relay.blackhole(false);
                return client.send(frame("echo", 2));
              })
              .compose(v -> client.next())
              .map(reply -> List.of(reply, conn.texts()));
        }))
        .onComplete(ctx.succeeding(result -> ctx.verify(() -> {
          assertEquals(frame("echo", 2), result.get(0));
          assertEquals(List.of(frame("echo", 2).encode()), result.get(1));
          ctx.completeNow();
        })));
  }

  /** Verifies that stop closes the relayed connections and the relay's listening port. */
  @Test
  void stopClosesConnectionsAndPort(VertxTestContext ctx) {
    int port = relay.port();
    WireClient.connect(vertx, port)
        .compose(client -> relay.stop().compose(v -> client.closed()))
        .compose(status -> WireClient.connect(vertx, port).map(c -> "connected").otherwise("refused"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertEquals("refused", outcome);
          assertEquals(0, relay.connectionCount());
          ctx.completeNow();
        })));
  }

  /** Verifies that a relay to a port where nothing listens closes the accepted connection instead of hanging. */
  @Test
  void relayToAClosedPortRefusesTheClient(VertxTestContext ctx) {
    echo.stop()
        .compose(v -> WireClient.connect(vertx, relay.port()).map(c -> "connected").otherwise("refused"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertEquals("refused", outcome);
          assertEquals(0, relay.connectionCount());
          ctx.completeNow();
        })));
  }
}
