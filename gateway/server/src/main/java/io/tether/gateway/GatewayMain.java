package io.tether.gateway;

import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.config.OptionsLoader;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** {@code java -jar tether-gateway.jar [options]}: starts one node (docs/PROTOCOL.md §11, README "Configuration"). */
public final class GatewayMain {

  /** Held so the level set below is not lost when the logger is garbage-collected. */
  private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");

  private GatewayMain() {
  }

  /**
   * Hazelcast (and vertx-hazelcast through it) runs future callbacks on the common ForkJoin pool, or on a new thread
   * per callback when that pool's parallelism is 1, which is its default on a 2-core machine. Set before anything
   * touches the pool.
   */
  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  public static void main(String[] args) throws InterruptedException {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM, String.valueOf(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.print(OptionsLoader.help());
      return;
    }
    GatewayOptions options;
    try {
      options = OptionsLoader.load(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("tether: " + e.getMessage());
      System.err.println("Run with --help for the list of options.");
      System.exit(2);
      return;
    }
    if (System.getProperty("java.util.logging.config.file") == null) {
      HAZELCAST_LOG.setLevel(Level.WARNING);
    }
    GatewayNode node;
    try {
      node = GatewayNode.start(options).toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      System.err.println("tether: the node failed to start: " + e.getCause().getMessage());
      System.exit(1);
      return;
    }
    // SIGTERM / SIGINT: drain (clients move to other nodes), then leave the cluster.
    // (Printed, not logged: the JDK's log handlers may already be closed by its own shutdown hook.)
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        System.err.println("tether: draining node " + options.getNodeId() + " ("
            + node.services().localSessionCount() + " sessions, at most " + options.getDrainTimeoutMs() + " ms)");
        long started = System.currentTimeMillis();
        node.drain().toCompletionStage().toCompletableFuture()
            .get(options.getDrainTimeoutMs() + 30_000, TimeUnit.MILLISECONDS);
        System.err.println("tether: node " + options.getNodeId() + " drained and left the cluster in "
            + (System.currentTimeMillis() - started) + " ms");
      } catch (Exception e) {
        System.err.println("tether: unclean stop: " + e.getMessage());
      }
    }, "tether-shutdown"));
  }
}
