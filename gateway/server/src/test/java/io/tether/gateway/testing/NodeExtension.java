package io.tether.gateway.testing;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.config.GatewayOptions;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts one real node for a test class and stops it after the class. The node is put into the class's static
 * {@link GatewayNode} field:
 *
 * <pre>
 * &#64;RegisterExtension
 * static final NodeExtension NODE = NodeExtension.start(o -&gt; o.setHeartbeatMs(400));
 * private static GatewayNode node;
 * </pre>
 */
public final class NodeExtension implements BeforeAllCallback, AfterAllCallback {

  private static final long START_TIMEOUT_S = 60;

  private final UnaryOperator<GatewayOptions> customize;
  private GatewayNode node;

  private NodeExtension(UnaryOperator<GatewayOptions> customize) {
    this.customize = customize;
  }

  /** A node with the test defaults of {@link TestNodes#options()} changed by {@code customize}. */
  public static NodeExtension start(UnaryOperator<GatewayOptions> customize) {
    return new NodeExtension(customize);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    node = TestNodes.start(customize).toCompletionStage().toCompletableFuture().get(START_TIMEOUT_S, TimeUnit.SECONDS);
    for (Field f : context.getRequiredTestClass().getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == GatewayNode.class) {
        f.setAccessible(true);
        f.set(null, node);
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (node != null) {
      node.stop().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_S, TimeUnit.SECONDS);
    }
  }

  public GatewayNode node() {
    return node;
  }
}
