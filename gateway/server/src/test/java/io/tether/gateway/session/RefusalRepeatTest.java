package io.tether.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.FaultyRelay;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Vertx;
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
 * A refusal lost in a break is repeated after {@code resumed} (docs/PROTOCOL.md §7): the server keeps a session's
 * latest refusals in the store and sends them again on the new socket, before the ack of {@code resumed.lastSeq}, so
 * a client never takes a refused {@code subscribe} for an accepted one because its seq is at most lastSeq.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class RefusalRepeatTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setMaxSubscriptions(1));
  private static GatewayNode node;

  private static JsonObject subscribe(long seq, String topic) {
    return new JsonObject().put("type", "subscribe").put("seq", seq).put("topic", topic).put("version", 0);
  }

  /** The frames after {@code resumed} up to the pong of a ping sent after it (the server answers in order). */
  private static io.vertx.core.Future<List<JsonObject>> afterResumed(WireClient c) {
    return c.send(new JsonObject().put("type", "ping"))
        .compose(v -> c.next("pong"))
        .map(pong -> {
          List<JsonObject> all = c.received();
          int from = 0;
          for (int i = 0; i < all.size(); i++) {
            if ("resumed".equals(all.get(i).getString("type"))) {
              from = i + 1;
            }
          }
          return all.subList(from, all.size());
        });
  }

  /**
   * The refusal of subscribe 2 never reaches the client: the relay drops the connection when it carries it. On the
   * resumed socket the refusal comes again, naming seq 2 and its topic, and before the ack covering seq 2.
   */
  @Test
  void aRefusalLostInABreakIsRepeatedBeforeTheAckAfterResumed(Vertx vertx, VertxTestContext ctx) {
    FaultyRelay.start(vertx, node.port()).compose(relay -> WireClient.connect(vertx, relay.port())
        .compose(c -> c.hello("refusal-lost").map(w -> c))
        .compose(c -> {
          c.send(subscribe(c.nextSeq(), "prices/a")); // accepted: the one subscription allowed
          return c.nextMatching("the ack of subscribe 1", f -> "ack".equals(f.getString("type"))
              && f.getLong("ack") == 1).map(a -> c);
        })
        .compose(c -> {
          relay.dropWhenServerSends("\"refSeq\"");
          c.send(subscribe(c.nextSeq(), "prices/b")); // refused: beyond maxSubscriptions
          return c.closed().map(status -> c);
        })
        .compose(old -> {
          assertFalse(old.received().stream().anyMatch(f -> "error".equals(f.getString("type"))),
              "the first socket never saw the refusal: " + old.received());
          return WireClient.connect(vertx, node.port()).compose(c -> c.resume(old).map(resumed -> {
            assertEquals("resumed", resumed.getString("type"), resumed.encode());
            assertEquals(2L, resumed.getLong("lastSeq"), "the server has subscribe 2: " + resumed.encode());
            return c;
          }));
        })
        .compose(c -> afterResumed(c).map(frames -> {
          assertEquals(3, frames.size(), "the refusal, the ack, the pong: " + frames);
          JsonObject error = frames.get(0);
          JsonObject ack = frames.get(1);
          assertEquals("error", error.getString("type"), "first after resumed, the refusal again: " + frames);
          assertEquals("not_allowed", error.getString("code"), error.encode());
          assertEquals(2L, error.getLong("refSeq"), error.encode());
          assertEquals("prices/b", error.getString("topic"), error.encode());
          assertFalse(error.getBoolean("fatal"), error.encode());
          assertEquals("ack", ack.getString("type"), "then the ack of lastSeq: " + frames);
          assertEquals(2L, ack.getLong("ack"), ack.encode());
          return c;
        }))
        .compose(c -> c.close()))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** An accepted subscribe is not reported as refused after a resume: only the ack follows resumed. */
  @Test
  void nothingIsRepeatedForASessionWithoutRefusals(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port())
        .compose(c -> c.hello("refusal-none").map(w -> c))
        .compose(c -> {
          c.send(subscribe(c.nextSeq(), "prices/c"));
          return c.nextMatching("the ack", f -> "ack".equals(f.getString("type"))).map(a -> c);
        })
        .compose(old -> old.close().map(v -> old))
        .compose(old -> WireClient.connect(vertx, node.port()).compose(c -> c.resume(old).map(r -> c)))
        .compose(c -> afterResumed(c).map(frames -> {
          assertEquals(List.of("ack", "pong"), frames.stream().map(f -> f.getString("type")).toList(),
              "only the ack after resumed, no refusal: " + frames);
          return c;
        }))
        .compose(WireClient::close)
        .onComplete(ctx.succeedingThenComplete());
  }
}
