package io.tether.gateway.store;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import io.tether.gateway.config.GatewayOptions;
import java.io.FileNotFoundException;
import java.util.List;
import java.util.UUID;

/**
 * Builds the Hazelcast member configuration of a node. The base is Vert.x's own default (which declares the maps
 * the event bus needs) or the user's XML file; the gateway adds its serializers and map settings on top.
 */
public final class HazelcastSetup {

  /** Member attribute carrying the node's instance id (node id + start suffix): a member leaving tells who died. */
  public static final String NODE_ATTRIBUTE = "tether.node";
  private static final String VERTX_NODE_ATTRIBUTE = "__vertx.nodeId";

  private HazelcastSetup() {
  }

  public static Config config(GatewayOptions options, String instance) {
    Config config;
    if (options.getClusterConfig() != null) {
      try {
        config = new FileSystemXmlConfig(options.getClusterConfig());
      } catch (FileNotFoundException e) {
        throw new IllegalArgumentException("cluster config file not found: " + options.getClusterConfig());
      }
    } else {
      config = new ClasspathXmlConfig("default-cluster.xml");
      config.setClusterName("tether");
      config.getNetworkConfig().setPort(options.getClusterPort()).setPortAutoIncrement(false);
      config.getNetworkConfig().setPublicAddress(options.getClusterHost() + ":" + options.getClusterPort());
      config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(options.getClusterHost());
      JoinConfig join = config.getNetworkConfig().getJoin();
      join.getMulticastConfig().setEnabled(false);
      List<String> members = options.getMembers().isEmpty()
          ? List.of(options.getClusterHost() + ":" + options.getClusterPort())
          : options.getMembers();
      join.getTcpIpConfig().setEnabled(true).setMembers(members);
      // See cluster-config/README.md: the first member must not wait before accepting joins, and a dead member
      // must be noticed in seconds, not the default minute, or resumes on survivors stall.
      setIfAbsent(config, "hazelcast.wait.seconds.before.join", "0");
      setIfAbsent(config, "hazelcast.heartbeat.interval.seconds", "1");
      setIfAbsent(config, "hazelcast.max.no.heartbeat.seconds", "10");
    }
    config.setInstanceName("tether-" + options.getNodeId());
    setIfAbsent(config, "hazelcast.phone.home.enabled", "false");
    // A graceful shutdown waits for this member's partitions to migrate; when the whole cluster stops at once they
    // have nowhere to go, and Hazelcast's default wait is 10 minutes. The drain already bounds the node's stop.
    setIfAbsent(config, "hazelcast.graceful.shutdown.max.wait", "20");
    setIfAbsent(config, "hazelcast.logging.type", "jdk");
    // Ended sessions (tombstones) and CLOSED presence expire by TTL. Hazelcast's background cleanup visits only a few
    // partitions per run and 10 % of their expired entries, so after a churn of 200 000 sessions most expired
    // tombstones were still in the heap minutes after their TTL (ChurnFaultTest, full). Every run visits every
    // partition and removes all that expired: a scan of the entries with a TTL every 5 s.
    setIfAbsent(config, "hazelcast.internal.map.expiration.cleanup.percentage", "100");
    setIfAbsent(config, "hazelcast.internal.map.expiration.cleanup.operation.count",
        config.getProperty("hazelcast.partition.count") != null ? config.getProperty("hazelcast.partition.count")
            : "271");
    config.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, instance);
    // vertx-hazelcast, given a ready instance, reads its own node id from this attribute.
    config.getMemberAttributeConfig().setAttribute(VERTX_NODE_ATTRIBUTE, UUID.randomUUID().toString());
    // The node stops Vert.x before Hazelcast (GatewayNode.stop); Hazelcast's own hook would race it.
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.getSerializationConfig().addDataSerializableFactory(StoreSerialization.FACTORY_ID,
        new StoreSerialization());
    // OBJECT format: entry processors change the record in place, so a flush costs its delta, not the record.
    for (String name : List.of(ClusterStore.SESSIONS, ClusterStore.CLIENTS, ClusterStore.TOPICS)) {
      if (config.getMapConfigOrNull(name) == null) {
        config.addMapConfig(new MapConfig(name)
            .setInMemoryFormat(InMemoryFormat.OBJECT)
            .setBackupCount(options.getBackupCount())
            .setAsyncBackupCount(0)
            .setStatisticsEnabled(false));
      }
    }
    return config;
  }

  private static void setIfAbsent(Config config, String key, String value) {
    if (config.getProperty(key) == null) {
      config.setProperty(key, value);
    }
  }
}
