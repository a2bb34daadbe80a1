package io.tether.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Followed topics across an application restart (docs/CLIENT.md "Sessions across a restart"): the subscriptions are
 * the session's on the server and go on after the resume; the store keeps them with the session, so the restarted
 * client lists them and delivers their notifications, including a change made while no process ran.
 *
 * <p>"The application stops" is its Vert.x instance closing under the client: no {@code close()}, no {@code bye}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class SubscriptionRestartTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAllowedAddresses(List.of("test.*")));
  private static GatewayNode node;

  private static TetherClient client(Vertx vertx, Path dir) {
    return TetherClient.create(vertx, new TetherClientOptions().setUrl("ws://127.0.0.1:" + node.port() + "/ws")
        .setClientId("restart-topics").setStoreDir(dir.toString()).setReconnectInitialDelayMs(20)
        .setReconnectMaxDelayMs(200));
  }

  private static Future<Void> publish(String topic, JsonObject body) {
    return node.vertx().eventBus().request("gateway.publish", new JsonObject().put("topic", topic).put("body", body))
        .mapEmpty();
  }

  /**
   * Verifies that a topic followed by the stopped instance is followed by the next one on the store: listed by
   * subscriptions(), and the change published while no process ran reaches its notifyHandler after the resume.
   */
  @Test
  void aTopicFollowedBeforeTheRestartIsStillFollowedAfterIt(Vertx vertx, VertxTestContext ctx, @TempDir Path dir) {
    String topic = "restart/" + System.nanoTime();
    Vertx app1 = Vertx.vertx();
    List<Notification> notes = new CopyOnWriteArrayList<>();
    Promise<Void> changed = Promise.promise();
    TetherClient first = client(app1, dir);
    first.connect()
        .compose(v -> first.subscribe(topic, 0))
        .compose(v -> first.flushStore())
        .compose(v -> app1.close()) // stops under the client
        .compose(v -> publish(topic, new JsonObject().put("p", 2)))
        .compose(v -> {
          TetherClient second = client(vertx, dir);
          second.notifyHandler(n -> {
            notes.add(n);
            changed.tryComplete();
          });
          return second.ready()
              .compose(x -> {
                ctx.verify(() -> assertEquals(Map.of(topic, 0L), second.subscriptions(), "restored with the session"));
                return second.connect();
              })
              .compose(x -> changed.future())
              .compose(x -> second.close());
        })
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertEquals(1, notes.size(), String.valueOf(notes));
          assertEquals(new JsonObject().put("p", 2), notes.get(0).body());
          ctx.completeNow();
        })));
  }
}
