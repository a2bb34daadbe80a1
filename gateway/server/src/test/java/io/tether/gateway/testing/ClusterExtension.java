package io.tether.gateway.testing;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.config.GatewayOptions;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts {@code n} real nodes forming one cluster for a test class, as {@link TestNodes#cluster} does (so the class
 * starts only once partition migration is over and every backup is in place), and stops them after the class. Node
 * {@code i} is put into each static {@link GatewayNode} field annotated {@code @ClusterExtension.Node(i)}, and is
 * also available as {@link #node(int)}:
 *
 * <pre>
 * &#64;RegisterExtension
 * static final ClusterExtension CLUSTER = ClusterExtension.start(2, o -&gt; o.setHeartbeatMs(400));
 * &#64;ClusterExtension.Node(0)
 * private static GatewayNode a;
 * &#64;ClusterExtension.Node(1)
 * private static GatewayNode b;
 * </pre>
 *
 * <p>The same options customizer is applied to every node. For a cluster per test (tests that crash or drain a
 * node), start one with {@link TestNodes#cluster} in the test's own setup.
 */
public final class ClusterExtension implements BeforeAllCallback, AfterAllCallback {

  /** Marks a static {@link GatewayNode} field to receive the cluster's node with this index (0 = first started). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.FIELD)
  public @interface Node {
    int value();
  }

  private static final long START_TIMEOUT_S = 90;
  private static final long STOP_TIMEOUT_S = 60;

  private final int size;
  private final UnaryOperator<GatewayOptions> customize;
  private volatile List<GatewayNode> nodes = List.of();

  private ClusterExtension(int size, UnaryOperator<GatewayOptions> customize) {
    if (size < 1) {
      throw new IllegalArgumentException("a cluster has at least one node: " + size);
    }
    this.size = size;
    this.customize = customize;
  }

  /** {@code n} nodes with the test defaults of {@link TestNodes#options()} changed by {@code customize}. */
  public static ClusterExtension start(int n, UnaryOperator<GatewayOptions> customize) {
    return new ClusterExtension(n, customize);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    nodes = List.copyOf(TestNodes.cluster(size, customize).toCompletionStage().toCompletableFuture()
        .get(START_TIMEOUT_S, TimeUnit.SECONDS));
    for (Class<?> c = context.getRequiredTestClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        Node index = f.getAnnotation(Node.class);
        if (index == null) {
          continue;
        }
        if (!Modifier.isStatic(f.getModifiers()) || f.getType() != GatewayNode.class) {
          throw new ExtensionConfigurationException("@ClusterExtension.Node needs a static GatewayNode field: " + f);
        }
        if (index.value() < 0 || index.value() >= size) {
          throw new ExtensionConfigurationException(f + " asks for node " + index.value() + " of a cluster of "
              + size);
        }
        f.setAccessible(true);
        f.set(null, nodes.get(index.value()));
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    List<GatewayNode> started = nodes;
    nodes = List.of();
    TestNodes.stopAll(started).toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT_S, TimeUnit.SECONDS);
  }

  /** Node {@code i}, in start order (node 0 is the oldest member). */
  public GatewayNode node(int i) {
    return nodes.get(i);
  }

  /** Every node, in start order; empty outside the test class's lifetime. */
  public List<GatewayNode> nodes() {
    return nodes;
  }
}
