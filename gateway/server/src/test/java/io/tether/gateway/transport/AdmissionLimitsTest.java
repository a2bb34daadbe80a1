package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client port's limits beyond maxConnections (docs/PROTOCOL.md §1): sockets per remote address and handshakes
 * per remote address per second (HTTP 429 with Retry-After), and sessions per node (HTTP 503); each refusal leaves
 * the sessions already held working.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class AdmissionLimitsTest {

  @RegisterExtension
  static final NodeExtension PER_IP = NodeExtension.start(o -> o.setMaxConnectionsPerIp(2));
  @RegisterExtension
  static final NodeExtension RATE = NodeExtension.start(o -> o.setMaxHandshakesPerIpPerSecond(1));
  @RegisterExtension
  static final NodeExtension SESSIONS = NodeExtension.start(o -> o.setMaxSessions(1));

  private static Future<WireClient> session(Vertx vertx, GatewayNode node, String clientId) {
    return WireClient.connect(vertx, node.port()).compose(c -> c.hello(clientId).map(w -> c));
  }

  private static Future<JsonObject> echo(WireClient c) {
    return c.request("demo.echo", new JsonObject().put("still", "here"));
  }

  /** Completes once the node holds exactly {@code n} client sockets (a close has reached the server). */
  private static Future<Void> socketsOpen(Vertx vertx, GatewayNode node, int n) {
    double open = node.services().metrics().registry().get(GatewayMetrics.CONNECTIONS).gauge().value();
    return open == n ? Future.succeededFuture() : vertx.timer(20).compose(t -> socketsOpen(vertx, node, n));
  }

  private static double refused(GatewayNode node, String reason) {
    var counter = node.services().metrics().registry().find(GatewayMetrics.CONNECTIONS_REFUSED)
        .tag("reason", reason).counter();
    return counter == null ? 0 : counter.count();
  }

  private static UpgradeRejectedException rejection(Throwable cause) {
    return assertInstanceOf(UpgradeRejectedException.class, cause, String.valueOf(cause));
  }

  /**
   * Verifies that a third socket from one address over maxConnectionsPerIp=2 gets 429 with Retry-After and
   * Connection: close, while a socket within the budget keeps its session working.
   */
  @Test
  void aSocketOverThePerAddressLimitIsRefusedWith429AndTheOthersKeepWorking(Vertx vertx, VertxTestContext ctx) {
    GatewayNode node = PER_IP.node();
    socketsOpen(vertx, node, 0).compose(x -> session(vertx, node, "ip-a")).compose(a -> session(vertx, node, "ip-b")
        .compose(b -> WireClient.connect(vertx, node.port())
            .transform(third -> {
              ctx.verify(() -> {
                assertTrue(third.failed(), "a third socket from 127.0.0.1 is over maxConnectionsPerIp=2");
                UpgradeRejectedException refused = rejection(third.cause());
                assertEquals(429, refused.getStatus());
                assertEquals("1", refused.getHeaders().get("Retry-After"));
                assertEquals("close", refused.getHeaders().get("Connection"));
                assertEquals(1, refused(node, "per_ip"));
              });
              return echo(a);
            })
            .eventually(b::close))
        .eventually(a::close))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(true, r.getBoolean("ok"), r.encode());
          ctx.completeNow();
        })));
  }

  /** Verifies that a closed socket gives its place back: after a close, the address may open another. */
  @Test
  void aClosedSocketGivesItsPerAddressPlaceBack(Vertx vertx, VertxTestContext ctx) {
    GatewayNode node = PER_IP.node();
    socketsOpen(vertx, node, 0).compose(x -> session(vertx, node, "ip-c")).compose(c -> session(vertx, node, "ip-d")
        .compose(d -> d.close())
        .compose(v -> socketsOpen(vertx, node, 1))
        .compose(v -> session(vertx, node, "ip-e"))
        .compose(e -> echo(e).eventually(e::close))
        .eventually(c::close))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(true, r.getBoolean("ok"), r.encode());
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that handshakes from one address beyond maxHandshakesPerIpPerSecond=1 are refused with 429 and
   * Retry-After: of five started at once, the first passes and at least one is refused.
   */
  @Test
  void handshakesOverThePerAddressRateAreRefusedWith429(Vertx vertx, VertxTestContext ctx) {
    GatewayNode node = RATE.node();
    List<Future<WireClient>> attempts = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      attempts.add(WireClient.connect(vertx, node.port()));
    }
    Future.join(attempts).onComplete(done -> ctx.verify(() -> {
      List<UpgradeRejectedException> refused = new ArrayList<>();
      int accepted = 0;
      for (Future<WireClient> a : attempts) {
        if (a.succeeded()) {
          accepted++;
          a.result().close();
        } else {
          refused.add(rejection(a.cause()));
        }
      }
      assertTrue(accepted >= 1, "the bucket starts full: the first handshake passes");
      assertTrue(!refused.isEmpty(), "five handshakes at once are over a rate of one a second");
      for (UpgradeRejectedException r : refused) {
        assertEquals(429, r.getStatus());
        assertEquals("1", r.getHeaders().get("Retry-After"));
      }
      assertEquals(refused.size(), (int) refused(node, "handshake_rate"));
      ctx.completeNow();
    }));
  }

  /**
   * Verifies that with maxSessions=1 a handshake to a node that holds a session gets 503 with Connection: close,
   * and that the session held keeps working.
   */
  @Test
  void aHandshakeBeyondMaxSessionsIsRefusedWith503AndTheSessionKeepsWorking(Vertx vertx, VertxTestContext ctx) {
    GatewayNode node = SESSIONS.node();
    session(vertx, node, "sessions-a").compose(a -> WireClient.connect(vertx, node.port())
        .transform(second -> {
          ctx.verify(() -> {
            assertTrue(second.failed(), "the node holds maxSessions=1 session already");
            UpgradeRejectedException refused = rejection(second.cause());
            assertEquals(503, refused.getStatus());
            assertEquals("close", refused.getHeaders().get("Connection"));
            assertEquals(1, refused(node, "sessions"));
          });
          return echo(a);
        })
        .eventually(a::close))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(true, r.getBoolean("ok"), r.encode());
          ctx.completeNow();
        })));
  }
}
