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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A browser's WebSocket handshake carries the page's Origin (docs/PROTOCOL.md §1): a foreign one is refused with
 * HTTP 403 before any session work; allowed ones, same-origin pages by default, and clients that send no Origin (not
 * browsers) get their session.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class OriginTest {

  /** A node that allows the subdomains of example.com and one exact origin. */
  @RegisterExtension
  static final NodeExtension LISTED =
      NodeExtension.start(o -> o.setAllowedOrigins(List.of("https://*.example.com", "https://app.other.org")));
  /** A node with the default: same origin only. */
  @RegisterExtension
  static final NodeExtension DEFAULT = NodeExtension.start(o -> o);

  private static Future<JsonObject> welcome(Future<WireClient> connected, String clientId) {
    return connected.compose(c -> c.hello(clientId).eventually(c::close));
  }

  private static void assertRefused(VertxTestContext ctx, Throwable cause, int status) {
    ctx.verify(() -> {
      UpgradeRejectedException refused = assertInstanceOf(UpgradeRejectedException.class, cause, String.valueOf(cause));
      assertEquals(status, refused.getStatus());
    });
  }

  private static double refusedForOrigin(GatewayNode node) {
    var counter = node.services().metrics().registry().find(GatewayMetrics.CONNECTIONS_REFUSED)
        .tag("reason", "origin").counter();
    return counter == null ? 0 : counter.count();
  }

  /** Verifies that a page of a site not listed is refused with 403 and counted as reason "origin". */
  @Test
  void aForeignOriginIsRefusedWith403(Vertx vertx, VertxTestContext ctx) {
    GatewayNode node = LISTED.node();
    double before = refusedForOrigin(node);
    WireClient.connectFromOrigin(vertx, node.port(), "https://evil.example.net")
        .onComplete(ctx.failing(e -> {
          assertRefused(ctx, e, 403);
          ctx.verify(() -> assertEquals(before + 1, refusedForOrigin(node)));
          ctx.completeNow();
        }));
  }

  /** Verifies that the domain of a wildcard pattern itself, without a subdomain, is not allowed by it. */
  @Test
  void theBareDomainOfAWildcardIsRefused(Vertx vertx, VertxTestContext ctx) {
    WireClient.connectFromOrigin(vertx, LISTED.node().port(), "https://example.com")
        .onComplete(ctx.failing(e -> {
          assertRefused(ctx, e, 403);
          ctx.completeNow();
        }));
  }

  /** Verifies that a subdomain matching {@code https://*.example.com} gets a session. */
  @Test
  void aSubdomainOfAnAllowedWildcardGetsASession(Vertx vertx, VertxTestContext ctx) {
    welcome(WireClient.connectFromOrigin(vertx, LISTED.node().port(), "https://app.eu.example.com"), "origin-wild")
        .onComplete(ctx.succeeding(w -> ctx.verify(() -> {
          assertEquals("welcome", w.getString("type"));
          ctx.completeNow();
        })));
  }

  /** Verifies that an exactly listed origin gets a session (its default port written out or not). */
  @Test
  void anExactlyListedOriginGetsASession(Vertx vertx, VertxTestContext ctx) {
    welcome(WireClient.connectFromOrigin(vertx, LISTED.node().port(), "https://APP.other.org:443"), "origin-exact")
        .onComplete(ctx.succeeding(w -> ctx.verify(() -> {
          assertEquals("welcome", w.getString("type"));
          ctx.completeNow();
        })));
  }

  /** Verifies that a client sending no Origin header (not a browser) passes a node with an origin list. */
  @Test
  void aHandshakeWithoutOriginGetsASession(Vertx vertx, VertxTestContext ctx) {
    welcome(WireClient.connect(vertx, LISTED.node().port()), "origin-none")
        .onComplete(ctx.succeeding(w -> ctx.verify(() -> {
          assertEquals("welcome", w.getString("type"));
          ctx.completeNow();
        })));
  }

  /** Verifies the default: a page served from the node's own host and port (the Host header) gets a session. */
  @Test
  void byDefaultTheSameOriginGetsASession(Vertx vertx, VertxTestContext ctx) {
    int port = DEFAULT.node().port();
    welcome(WireClient.connectFromOrigin(vertx, port, "http://127.0.0.1:" + port), "origin-same")
        .onComplete(ctx.succeeding(w -> ctx.verify(() -> {
          assertEquals("welcome", w.getString("type"));
          ctx.completeNow();
        })));
  }

  /** Verifies the default: a page of another origin, even on the same host but another port, is refused. */
  @Test
  void byDefaultAnotherOriginIsRefusedWith403(Vertx vertx, VertxTestContext ctx) {
    int port = DEFAULT.node().port();
    WireClient.connectFromOrigin(vertx, port, "http://127.0.0.1:" + (port == 65535 ? port - 1 : port + 1))
        .onComplete(ctx.failing(e -> {
          assertRefused(ctx, e, 403);
          ctx.completeNow();
        }));
  }

  /** Verifies that the default lets a client without Origin through too. */
  @Test
  void byDefaultAHandshakeWithoutOriginGetsASession(Vertx vertx, VertxTestContext ctx) {
    welcome(WireClient.connect(vertx, DEFAULT.node().port()), "origin-none-default")
        .onComplete(ctx.succeeding(w -> ctx.verify(() -> {
          assertTrue(w.containsKey("sessionId"));
          ctx.completeNow();
        })));
  }
}
