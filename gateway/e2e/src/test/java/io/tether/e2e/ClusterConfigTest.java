package io.tether.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Hazelcast configuration examples in {@code cluster-config/} parse (Hazelcast validates them against its
 * schema) and keep what the gateway and the Vert.x event bus need.
 */
class ClusterConfigTest {

  private static final Path DIR = Path.of(System.getProperty("tether.e2e.root", "../.."))
      .resolve("cluster-config").toAbsolutePath().normalize();

  @Test
  void localConfigParsesAndListsEachMember() throws Exception {
    Config c = load("hazelcast-local.xml");
    List<String> members = c.getNetworkConfig().getJoin().getTcpIpConfig().getMembers();
    assertEquals(List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703"), members);
    assertTrue(c.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled());
    assertFalse(c.getNetworkConfig().getJoin().getMulticastConfig().isEnabled());
    assertEquals("0", c.getProperty("hazelcast.wait.seconds.before.join"));
    checkCommon(c);
  }

  @Test
  void kubernetesConfigParses() throws Exception {
    Config c = load("hazelcast-kubernetes.xml");
    assertTrue(c.getNetworkConfig().getJoin().getKubernetesConfig().isEnabled());
    assertFalse(c.getNetworkConfig().getJoin().getMulticastConfig().isEnabled());
    checkCommon(c);
  }

  private static Config load(String name) throws Exception {
    return new FileSystemXmlConfig(DIR.resolve(name).toFile());
  }

  private static void checkCommon(Config c) {
    assertEquals("tether", c.getClusterName());
    assertEquals("false", c.getProperty("hazelcast.phone.home.enabled"));
    assertEquals("1", c.getProperty("hazelcast.heartbeat.interval.seconds"));
    assertEquals("10", c.getProperty("hazelcast.max.no.heartbeat.seconds"));
    for (String map : List.of("tether.sessions", "tether.clients", "tether.topics")) {
      MapConfig m = c.getMapConfigOrNull(map);
      assertNotNull(m, map);
      assertEquals(InMemoryFormat.OBJECT, m.getInMemoryFormat(), map);
      assertEquals(1, m.getBackupCount(), map);
      assertEquals(0, m.getAsyncBackupCount(), map);
    }
    // What the clustered event bus of vertx-hazelcast needs.
    assertNotNull(c.getMultiMapConfigs().get("__vertx.subs"));
    assertNotNull(c.getMapConfigOrNull("__vertx.haInfo"));
    assertNotNull(c.getMapConfigOrNull("__vertx.nodeInfo"));
  }
}
