package io.tether.gateway.store;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import com.hazelcast.spi.merge.PutIfAbsentMergePolicy;
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
  /** The split-brain protection of the session, presence and topic maps (splitBrainQuorum option). */
  public static final String QUORUM = "tether-quorum";
  /** A member counts towards the quorum while its last heartbeat is at most this old (heartbeats come every 1 s). */
  static final int QUORUM_TOLERANCE_MS = 3_000;

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
      // Outgoing member connections leave from the member's own address, not the wildcard: a firewall rule (and
      // scripts/cluster.sh cut) can then tell members apart by address even when they share a host.
      setIfAbsent(config, "hazelcast.socket.client.bind.any", "false");
      // After a network split heals, the members look for the other side every 10 s (Hazelcast: 300 s after the
      // start, then every 120 s). Until the merge the minority side serves nobody (split-brain protection), so a
      // quick merge gives its capacity back; the cost is a connection attempt to the member list every 10 s.
      setIfAbsent(config, "hazelcast.merge.first.run.delay.seconds", "10");
      setIfAbsent(config, "hazelcast.merge.next.run.delay.seconds", "10");
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
    // The durable point (docs/ARCHITECTURE.md) is "primary AND backup have it". By default Hazelcast answers a write
    // whose backup did not acknowledge within hazelcast.operation.backup.timeout.millis (5 s) as a success: across a
    // network split that is a write only the isolated side holds, later discarded at the merge, after the client saw
    // the frame. Failing it instead (IndeterminateOperationStateException) keeps the frame off the socket; the session
    // closes its socket and resumes on a node that can store (docs/RELIABILITY.md "Split brain").
    // Only with the split-brain protection on: the property is member-wide, so it also fails Vert.x's own event-bus
    // registrations whose backup is slow (> 5 s, a machine overloaded; CrossNodeRoutingTest saw it at load 12 on 2
    // cores), which without it would succeed with one copy. A deployment that asks for split-brain safety gets both.
    if (options.getSplitBrainQuorum() > 0) {
      setIfAbsent(config, "hazelcast.operation.fail.on.indeterminate.state", "true");
    }
    // Hazelcast's default, pinned: the split-brain protection's bound below depends on it.
    setIfAbsent(config, "hazelcast.operation.backup.timeout.millis", "5000");
    if (options.getSplitBrainQuorum() > 0 && !config.getSplitBrainProtectionConfigs().containsKey(QUORUM)) {
      // The side of a split with fewer members refuses reads and writes of the tether maps: it cannot accept work
      // that the merge would throw away (docs/RELIABILITY.md "Split brain").
      // "Recently active": a member counts only while its heartbeats arrive (within QUORUM_TOLERANCE_MS), so an
      // isolated member loses its quorum 3 s after the cut, long before Hazelcast removes the others (10 s without
      // heartbeats). Counting plain membership left a window of ~10 s in which it still had its quorum, and at the
      // moment it removed the others some of its writes completed with no backup: a resume there rotated the token
      // in a copy the merge then threw away (PartitionFaultTest, bad_token). The bound that matters: tolerance (3 s)
      // + backup timeout (5 s) < heartbeat timeout (10 s), so every write the isolated side started while it still
      // counted the others fails (no backup ack) before it could complete without them.
      SplitBrainProtectionConfig quorum = SplitBrainProtectionConfig.newRecentlyActiveSplitBrainProtectionConfigBuilder(
          QUORUM, options.getSplitBrainQuorum(), QUORUM_TOLERANCE_MS).build();
      quorum.setEnabled(true).setProtectOn(SplitBrainProtectionOn.READ_WRITE);
      config.addSplitBrainProtectionConfig(quorum);
    }
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
            // After a split heals, the larger side's entry wins; an entry only the merging side has is kept (it may
            // be the one copy left of a partition the larger side lost). See docs/RELIABILITY.md "Split brain".
            .setMergePolicyConfig(new MergePolicyConfig(PutIfAbsentMergePolicy.class.getName(),
                MergePolicyConfig.DEFAULT_BATCH_SIZE))
            .setSplitBrainProtectionName(options.getSplitBrainQuorum() > 0 ? QUORUM : null)
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
