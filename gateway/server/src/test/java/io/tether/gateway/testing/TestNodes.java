package io.tether.gateway.testing;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.config.GatewayOptions;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Starts real gateway nodes in-process for tests: each has its own Hazelcast member and clustered Vert.x, binds
 * ephemeral ports on 127.0.0.1, and runs the demo backend.
 */
public final class TestNodes {

  private static final AtomicInteger COUNTER = new AtomicInteger();

  private TestNodes() {
  }

  /** A port that was free a moment ago (Hazelcast needs a fixed port to be listed as a member). */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Options for a single test node: ephemeral ports, demo backend, two endpoint instances. */
  public static GatewayOptions options() {
    int clusterPort = freePort();
    return new GatewayOptions()
        .setHost("127.0.0.1")
        .setPort(0)
        .setManagementHost("127.0.0.1")
        .setManagementPort(0)
        .setClusterHost("127.0.0.1")
        .setClusterPort(clusterPort)
        .setMembers(List.of("127.0.0.1:" + clusterPort))
        .setNodeId("test-" + COUNTER.incrementAndGet())
        .setDemo(true)
        .setInstances(2);
  }

  public static Future<GatewayNode> start(GatewayOptions options) {
    return GatewayNode.start(options);
  }

  /** One node with default test options changed by {@code customize}. */
  public static Future<GatewayNode> start(UnaryOperator<GatewayOptions> customize) {
    return retryOnPortClash(() -> start(customize.apply(options())), 3);
  }

  /**
   * A port found free can be taken by another process before Hazelcast binds it (other test runs share the
   * machine): start again on fresh ports.
   */
  private static <T> Future<T> retryOnPortClash(java.util.function.Supplier<Future<T>> start, int attempts) {
    return start.get().recover(e -> attempts > 1 && String.valueOf(e.getMessage()).contains("already in use")
        ? retryOnPortClash(start, attempts - 1) : Future.failedFuture(e));
  }

  /**
   * {@code n} nodes forming one Hazelcast cluster (started one after the other); completes once partition migration
   * is over and every backup is in place, so a test may crash a member without losing data.
   */
  public static Future<List<GatewayNode>> cluster(int n, UnaryOperator<GatewayOptions> customize) {
    return retryOnPortClash(() -> startCluster(n, customize), 3);
  }

  private static Future<List<GatewayNode>> startCluster(int n, UnaryOperator<GatewayOptions> customize) {
    List<GatewayOptions> all = new ArrayList<>();
    List<String> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      GatewayOptions o = customize.apply(options());
      all.add(o);
      members.add("127.0.0.1:" + o.getClusterPort());
    }
    List<GatewayNode> nodes = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (GatewayOptions o : all) {
      o.setMembers(members);
      chain = chain.compose(v -> GatewayNode.start(o).map(node -> {
        nodes.add(node);
        return null;
      }));
    }
    return chain.compose(v -> nodes.get(0).awaitClusterSafe(30_000)).map(v -> nodes)
        // Nodes already started must not stay up, holding ports, when a later one failed.
        .recover(e -> stopAll(nodes).transform(ar -> Future.failedFuture(e)));
  }

  /** Stops every node given (null entries ignored). */
  public static Future<Void> stopAll(List<GatewayNode> nodes) {
    Future<Void> chain = Future.succeededFuture();
    for (GatewayNode node : nodes) {
      if (node != null) {
        chain = chain.compose(v -> node.stop());
      }
    }
    return chain;
  }
}
