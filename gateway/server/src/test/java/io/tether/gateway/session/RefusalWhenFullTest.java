package io.tether.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
 * A refused request is answered even when the client's buffer is full (docs/PROTOCOL.md §7): on its stream while
 * there is room, otherwise as an {@code error} naming the request ({@code refSeq}) before the ack that covers it.
 * A refusal is never dropped, so a client never sees its request acked and then hears nothing.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class RefusalWhenFullTest {

  private static final int BUFFER_FRAMES = 10;
  private static final int REQUESTS = 25;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setBufferMaxFrames(BUFFER_FRAMES));
  private static GatewayNode node;

  @Test
  void everyRefusedRequestIsAnsweredOnItsStreamOrByAnErrorNamingIt(Vertx vertx, VertxTestContext ctx) {
    WireClient.connect(vertx, node.port()).compose(c -> c.hello("never-acks").map(w -> c)).compose(c -> {
      for (int i = 0; i < REQUESTS; i++) {
        long seq = c.nextSeq();
        // Not an allowed address: refused; the client never acks, so the refusals fill its buffer.
        c.send(new JsonObject().put("type", "request").put("seq", seq).put("stream", 2 * seq - 1)
            .put("address", "not.allowed.here").put("body", new JsonObject()));
      }
      Future<List<String>> answers = Future.succeededFuture(new ArrayList<>());
      for (long s = 1; s <= REQUESTS; s++) {
        long seq = s;
        answers = answers.compose(list -> c.nextMatching("the answer to request " + seq, f ->
                ("response".equals(f.getString("type")) && f.getLong("stream", 0L) == 2 * seq - 1)
                    || ("error".equals(f.getString("type")) && f.getLong("refSeq", 0L) == seq))
            .map(f -> {
              list.add(f.getString("type"));
              return list;
            }));
      }
      return answers;
    }).onComplete(ctx.succeeding(types -> ctx.verify(() -> {
      long onStreams = types.stream().filter("response"::equals).count();
      assertEquals(REQUESTS, types.size());
      assertEquals(BUFFER_FRAMES, onStreams, "as many on their streams as the buffer holds: " + types);
      ctx.completeNow();
    })));
  }
}
