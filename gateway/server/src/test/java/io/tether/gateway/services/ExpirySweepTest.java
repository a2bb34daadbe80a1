package io.tether.gateway.services;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The expiry sweep (docs/RELIABILITY.md "Churn"): it visits every entry of the sessions map, so on a loaded member
 * it can outlast its period (resume window / 4, at least 250 ms); ticks meanwhile must not start more sweeps that
 * pile up on the worker pool.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ExpirySweepTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o);

  /** Verifies that a sweep asked for while one runs joins the running one instead of starting a second. */
  @Test
  void aSweepAskedForWhileOneRunsJoinsIt(VertxTestContext ctx) {
    GatewayNode node = NODE.node();
    // Both calls in one event-loop task: the first sweep's result is delivered to this context, so it cannot have
    // completed before the second call.
    node.vertx().runOnContext(v -> {
      Future<Integer> first = node.services().expireDetached();
      Future<Integer> second = node.services().expireDetached();
      ctx.verify(() -> assertSame(first, second, "the second call joins the running sweep"));
      first.onComplete(ctx.succeeding(n -> node.vertx().runOnContext(w -> {
        Future<Integer> next = node.services().expireDetached();
        ctx.verify(() -> assertNotSame(first, next, "once it ended, a new sweep starts"));
        next.onComplete(ctx.succeedingThenComplete());
      })));
    });
  }
}
