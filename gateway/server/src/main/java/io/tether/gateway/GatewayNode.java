package io.tether.gateway;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tether.gateway.bridge.EventBusBridge;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.demo.DemoBackend;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.management.ManagementServer;
import io.tether.gateway.services.GatewayServices;
import io.tether.gateway.store.ClusterSafety;
import io.tether.gateway.store.ClusterStore;
import io.tether.gateway.store.HazelcastSetup;
import io.tether.gateway.transport.AddressLimits;
import io.tether.gateway.transport.ClientEndpointVerticle;
import io.tether.gateway.transport.ConnectionLimit;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ForkJoinPool;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One gateway node: a Hazelcast member, a clustered Vert.x on it, and the node's verticles (client endpoint per
 * event loop, event-bus bridge, management server, optionally the demo backend). Used by {@link GatewayMain} and,
 * in-process, by the tests.
 */
public final class GatewayNode {

  private static final Logger LOG = Logger.getLogger(GatewayNode.class.getName());

  private final GatewayOptions options;
  private final HazelcastInstance hazelcast;
  private final Vertx vertx;
  private final GatewayServices services;
  private volatile boolean serving;
  private volatile Future<Void> stopping;
  /** Every partition has its backups in sync: a member may crash now without losing data. */
  private final ClusterSafety clusterSafety;
  /** How often the cluster's topics are counted for the maxTopics bound. */
  private static final long TOPIC_COUNT_INTERVAL_MS = 5_000;
  private int port;
  private int managementPort;
  /** The separate port serving /health and /metrics (healthPort option), 0 if none. */
  private int healthPort;

  private GatewayNode(GatewayOptions options, HazelcastInstance hazelcast, Vertx vertx, GatewayServices services) {
    this.options = options;
    this.hazelcast = hazelcast;
    this.vertx = vertx;
    this.services = services;
    this.clusterSafety = new ClusterSafety(vertx, hazelcast);
  }

  /** Starts a node; fails with a clear message if the options are invalid or a port is taken. */
  public static Future<GatewayNode> start(GatewayOptions options) {
    GatewayOptions opts = new GatewayOptions(options).validate();
    if (ForkJoinPool.getCommonPoolParallelism() < 2) {
      LOG.warning("the common ForkJoin pool has parallelism " + ForkJoinPool.getCommonPoolParallelism()
          + ": Hazelcast will start a thread per callback; run with -D" + GatewayMain.COMMON_POOL_PARALLELISM + "=4");
    }
    // Unique to this start: a node restarted under the same name is another owner than the process that died.
    String instance = opts.getNodeId() + "~" + UUID.randomUUID().toString().substring(0, 8);
    // Joining the cluster blocks; do it on a thread of its own, never on an event loop.
    CompletableFuture<HazelcastInstance> member = new CompletableFuture<>();
    Thread starter = new Thread(() -> {
      try {
        member.complete(Hazelcast.newHazelcastInstance(HazelcastSetup.config(opts, instance)));
      } catch (Throwable t) {
        member.completeExceptionally(t);
      }
    }, "tether-cluster-join");
    // Hazelcast reads its default XML through the context class loader, which a thread inherits from its creator:
    // a start requested from a Hazelcast or Netty thread would otherwise have none.
    starter.setContextClassLoader(GatewayNode.class.getClassLoader());
    starter.start();
    // Not bound to the node's Vert.x: on failure that instance is closed and could not deliver the result.
    Promise<GatewayNode> result = Promise.promise();
    member.whenComplete((hz, joinFailure) -> {
      if (joinFailure != null) {
        result.fail(joinFailure);
        return;
      }
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      VertxOptions vertxOptions = new VertxOptions()
          .setEventBusOptions(new EventBusOptions().setHost(opts.getClusterHost()).setPort(0))
          .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
              .setRegistryName("tether-" + opts.getNodeId()));
      Vertx.builder()
          .with(vertxOptions)
          .withMetrics(new MicrometerMetricsFactory(registry))
          .withClusterManager(new HazelcastClusterManager(hz))
          .buildClustered()
          .onFailure(e -> {
            hz.shutdown();
            result.fail(e);
          })
          .onSuccess(vertx -> {
            GatewayMetrics metrics = new GatewayMetrics(registry);
            GatewayServices mgr =
                new GatewayServices(vertx, opts, instance, new ClusterStore(vertx, hz, metrics::storeOperation), metrics);
            GatewayNode node = new GatewayNode(opts, hz, vertx, mgr);
            node.deploy(registry).onComplete(ar -> {
              if (ar.succeeded()) {
                result.complete(node);
              } else {
                LOG.log(Level.SEVERE, "node " + opts.getNodeId() + " failed to start", ar.cause());
                result.fail(ar.cause());
                node.stop();
              }
            });
          });
    });
    return result.future();
  }

  private Future<Void> deploy(PrometheusMeterRegistry registry) {
    ManagementServer management = new ManagementServer(services, registry, this::status,
        () -> hazelcast.getCluster().getMembers().size(), clusterSafety::isSafe);
    services.metrics().clusterMembersGauge(() -> hazelcast.getCluster().getMembers().size());
    clusterSafety.start();
    services.countTopics();
    vertx.setPeriodic(TOPIC_COUNT_INTERVAL_MS, id -> services.countTopics());
    boolean gateway = !options.isBackendOnly();
    Future<?> backends = options.isDemo() ? vertx.deployVerticle(new DemoBackend(gateway)) : Future.succeededFuture();
    return services.start(gateway)
        .compose(v -> gateway ? vertx.deployVerticle(new EventBusBridge(services)) : Future.succeededFuture())
        .compose(id -> backends)
        .compose(id -> vertx.deployVerticle(management))
        .compose(id -> {
          managementPort = management.actualPort();
          healthPort = management.actualHealthPort();
          if (!gateway) {
            return Future.succeededFuture();
          }
          // One deployment of N instances: they share the port, including a random one (port 0).
          List<ClientEndpointVerticle> endpoints = new CopyOnWriteArrayList<>();
          ConnectionLimit limit = new ConnectionLimit(ConnectionLimit.effective(options.getMaxConnections()));
          services.metrics().connectionsGauge(limit::open);
          services.exportMemory(limit::open);
          LOG.info(() -> "client sockets limited to " + limit.max() + " (maxConnections)");
          AddressLimits perAddress =
              new AddressLimits(options.getMaxConnectionsPerIp(), options.getMaxHandshakesPerIpPerSecond());
          return vertx.deployVerticle(() -> {
            ClientEndpointVerticle endpoint =
                new ClientEndpointVerticle(services, options.getPort(), limit, perAddress);
            endpoints.add(endpoint);
            return endpoint;
          }, new DeploymentOptions().setInstances(options.getInstances()))
              .map(deployment -> {
                port = endpoints.get(0).actualPort();
                return null;
              });
        })
        .map(x -> {
          long sweep = Math.max(250, Math.min(options.getResumeWindowMs() / 4, 30_000));
          vertx.setPeriodic(sweep, id -> services.expireDetached());
          serving = true;
          String where = "management http://" + options.getManagementHost() + ":" + managementPort
              + (options.getApiKey() == null ? " (/admin, /api off: no API key)" : " (/admin, /api need the API key)")
              + (healthPort == 0 ? "" : ", /health and /metrics also on http://" + options.getHealthHost() + ":"
                  + healthPort)
              + (options.isDemo() ? ", demo backend on" : "");
          LOG.info(() -> options.isBackendOnly()
              ? "Tether backend member " + options.getNodeId() + " joined the cluster, " + where
              : "Tether node " + options.getNodeId() + " serving " + (options.getTlsCert() != null ? "wss" : "ws")
                  + "://" + options.getHost() + ":" + port + ClientEndpointVerticle.PATH + ", " + where);
          return null;
        });
  }

  /**
   * Completes once every partition's backups are in sync (migrations after a join are done), so that one member
   * may crash without losing data. Checks every 100 ms; fails after {@code timeoutMs}.
   */
  public Future<Void> awaitClusterSafe(long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    return clusterSafety.refresh().compose(safe -> {
      if (safe) {
        return Future.succeededFuture();
      }
      if (System.currentTimeMillis() > deadline) {
        return Future.failedFuture(new IllegalStateException("the cluster did not become safe in " + timeoutMs + " ms"));
      }
      return vertx.timer(100).compose(v -> awaitClusterSafe(deadline - System.currentTimeMillis()));
    });
  }

  /**
   * What /health reports: UP while serving, DRAINING during a graceful stop, NO_QUORUM on the minority side of a
   * network split (the load balancer takes the node out until the split heals), DOWN otherwise.
   */
  private String status() {
    if (services.draining()) {
      return "DRAINING";
    }
    if (serving && services.quorumLost()) {
      return "NO_QUORUM";
    }
    return serving ? "UP" : "DOWN";
  }

  /**
   * Graceful stop (SIGTERM): /health turns 503 so the load balancer stops sending clients, new sockets are refused,
   * every client is told to reconnect elsewhere; the node waits until its sessions have moved and the requests it
   * forwarded are answered (at most the drain timeout), then leaves the cluster, letting Hazelcast migrate its
   * partitions first.
   */
  public Future<Void> drain() {
    if (stopping == null) {
      stopping = services.drain(options.getDrainTimeoutMs()).eventually(this::stop);
    }
    return stopping;
  }

  /**
   * Leaves the cluster and releases everything at once. Sockets are closed without notice; their sessions stay
   * resumable on other nodes.
   */
  public Future<Void> stop() {
    serving = false;
    return vertx.close().eventually(() -> {
      hazelcast.shutdown();
      return Future.succeededFuture();
    });
  }

  public Vertx vertx() {
    return vertx;
  }

  public GatewayServices services() {
    return services;
  }

  public HazelcastInstance hazelcast() {
    return hazelcast;
  }

  public GatewayOptions options() {
    return options;
  }

  public String nodeId() {
    return options.getNodeId();
  }

  /** The client WebSocket port actually bound. */
  public int port() {
    return port;
  }

  /** The management port actually bound. */
  public int managementPort() {
    return managementPort;
  }

  /**
   * The port actually serving /health and /metrics for load balancers and Prometheus: the separate health port when
   * the {@code healthPort} option is set, else the management port.
   */
  public int healthPort() {
    return healthPort == 0 ? managementPort : healthPort;
  }
}
