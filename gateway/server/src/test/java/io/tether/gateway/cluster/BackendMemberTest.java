package io.tether.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A backend in its own cluster member ({@code --backend-only}): no client port, the demo backend serving clients of
 * a gateway node that has no backend of its own. Each test has its own gateway node and backend member.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class BackendMemberTest {

  private GatewayNode gateway;
  private GatewayNode backend;

  @BeforeEach
  void startCluster(VertxTestContext ctx) {
    GatewayOptions g = TestNodes.options().setDemo(false).setAllowedAddresses(List.of("demo.*", "test.*"))
        .setRequestTimeoutMs(2000);
    GatewayOptions be = TestNodes.options().setBackendOnly(true).setDemo(true);
    List<String> members = List.of("127.0.0.1:" + g.getClusterPort(), "127.0.0.1:" + be.getClusterPort());
    g.setMembers(members);
    be.setMembers(members);
    GatewayNode.start(g).compose(n -> {
      gateway = n;
      return GatewayNode.start(be);
    }).onComplete(ctx.succeeding(n -> {
      backend = n;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stopCluster(VertxTestContext ctx) {
    TestNodes.stopAll(java.util.Arrays.asList(gateway, backend)).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that the demo backend running in a backend-only member answers a client of the gateway node and pushes
   * to it through the cluster-wide gateway API, and that the backend member reports itself as such on /health.
   */
  @Test
  void backendOnlyMemberServesClientsOfTheGatewayNode(Vertx vertx, VertxTestContext ctx) {
    int count = 5;
    WireClient.connect(vertx, gateway.port()).compose(c -> c.hello("backend-member").compose(w -> {
      Future<List<JsonObject>> pushes = c.take(count, "push");
      return c.send(new JsonObject().put("type", "request").put("seq", c.nextSeq()).put("stream", 1)
          .put("address", "demo.push").put("body", new JsonObject().put("count", count)))
          .compose(v -> pushes)
          .compose(p -> c.next("response").map(r -> List.of(p, r)));
    })).compose(result -> vertx.createHttpClient()
        .request(HttpMethod.GET, backend.managementPort(), "127.0.0.1", "/health")
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> List.of(result.get(0), result.get(1), body.toJsonObject()))))
        .onComplete(ctx.succeeding(result -> ctx.verify(() -> {
          @SuppressWarnings("unchecked")
          List<JsonObject> pushes = (List<JsonObject>) result.get(0);
          JsonObject response = (JsonObject) result.get(1);
          JsonObject health = (JsonObject) result.get(2);
          assertEquals(IntStream.rangeClosed(1, count).boxed().collect(Collectors.toList()),
              pushes.stream().map(p -> p.getJsonObject("body").getInteger("n")).collect(Collectors.toList()));
          assertEquals(new JsonObject().put("sent", count), response.getJsonObject("body"));
          assertEquals("backend", health.getString("role"));
          assertEquals("UP", health.getString("status"));
          assertEquals(0, backend.port(), "a backend member opens no client port");
          ctx.completeNow();
        })));
  }

  /**
   * Verifies that a client request whose backend member crashes before answering gets one clear error response
   * (timeout, after the configured request timeout), and that the session keeps working.
   */
  @Test
  void requestToABackendThatCrashesFailsWithATimeoutError(Vertx vertx, VertxTestContext ctx) {
    Promise<Void> arrived = Promise.promise();
    backend.vertx().eventBus().consumer("test.never", m -> arrived.tryComplete());
    WireClient.connect(vertx, gateway.port()).compose(c -> c.hello("backend-crash").compose(w -> {
      Future<JsonObject> response = c.next("response");
      return c.send(new JsonObject().put("type", "request").put("seq", c.nextSeq()).put("stream", 1)
              .put("address", "test.never").put("body", new JsonObject()))
          .compose(v -> arrived.future())
          .compose(v -> {
            backend.hazelcast().getLifecycleService().terminate();
            return backend.vertx().close().otherwiseEmpty();
          })
          .compose(v -> response)
          .compose(r -> {
            Future<JsonObject> pong = c.next("pong");
            return c.send(new JsonObject().put("type", "ping")).compose(v -> pong).map(p -> r);
          });
    })).onComplete(ctx.succeeding(response -> ctx.verify(() -> {
      assertFalse(response.getBoolean("ok"), response.encode());
      assertEquals("timeout", response.getJsonObject("error").getString("code"), response.encode());
      backend = null;
      ctx.completeNow();
    })));
  }
}
