package io.tether.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node configuration from the command line, the environment and a JSON file (docs/PROTOCOL.md §11): precedence,
 * the bare {@code --demo} flag, errors that name the offending option, and {@code --help}.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class OptionsLoaderTest {

  @TempDir
  Path dir;

  private Path configFile(JsonObject json) throws IOException {
    Path file = dir.resolve("tether.json");
    Files.writeString(file, json.encodePrettily());
    return file;
  }

  private static GatewayOptions load(Map<String, String> env, String... args) {
    return OptionsLoader.load(args, env);
  }

  private static IllegalArgumentException rejected(Map<String, String> env, String... args) {
    return assertThrows(IllegalArgumentException.class, () -> OptionsLoader.load(args, env));
  }

  // -- precedence -----------------------------------------------------------------------------------------------

  /** Verifies that with no flags, no environment and no file every option has its documented default. */
  @Test
  void withoutAnySourceEveryOptionHasItsDefault() {
    GatewayOptions o = load(Map.of());
    assertEquals(8080, o.getPort());
    assertEquals(9090, o.getManagementPort());
    assertEquals("127.0.0.1", o.getClusterHost());
    assertEquals(5701, o.getClusterPort());
    assertEquals(List.of(), o.getMembers());
    assertEquals(25_000, o.getHeartbeatMs());
    assertEquals(120_000, o.getResumeWindowMs());
    assertEquals(10_000, o.getHandshakeTimeoutMs());
    assertEquals(64 * 1024, o.getMaxFrameBytes());
    assertEquals(1000, o.getBufferMaxFrames());
    assertEquals(1024 * 1024, o.getBufferMaxBytes());
    assertFalse(o.isDemo());
  }

  /** Verifies that a value in the --config JSON file overrides the default. */
  @Test
  void configFileOverridesDefaults() throws IOException {
    Path file = configFile(new JsonObject().put("heartbeatMs", 1500).put("nodeId", "from-file")
        .put("members", List.of("10.0.0.1:5701", "10.0.0.2:5701")).put("demo", true));
    GatewayOptions o = load(Map.of(), "--config", file.toString());
    assertEquals(1500, o.getHeartbeatMs());
    assertEquals("from-file", o.getNodeId());
    assertEquals(List.of("10.0.0.1:5701", "10.0.0.2:5701"), o.getMembers());
    assertTrue(o.isDemo());
    assertEquals(8080, o.getPort(), "options the file does not name keep their default");
  }

  /** Verifies that an environment variable overrides the same option in the --config file. */
  @Test
  void environmentOverridesConfigFile() throws IOException {
    Path file = configFile(new JsonObject().put("heartbeatMs", 1500).put("port", 7001).put("nodeId", "from-file"));
    GatewayOptions o = load(Map.of("TETHER_HEARTBEAT_MS", "2500", "TETHER_NODE_ID", "from-env"),
        "--config", file.toString());
    assertEquals(2500, o.getHeartbeatMs());
    assertEquals("from-env", o.getNodeId());
    assertEquals(7001, o.getPort(), "the file still applies where the environment is silent");
  }

  /** Verifies that a flag overrides the environment variable and the file for the same option. */
  @Test
  void flagOverridesEnvironmentAndConfigFile() throws IOException {
    Path file = configFile(new JsonObject().put("heartbeatMs", 1500).put("port", 7001).put("resumeWindowMs", 5000));
    GatewayOptions o = load(Map.of("TETHER_HEARTBEAT_MS", "2500", "TETHER_PORT", "7002"),
        "--config", file.toString(), "--heartbeat-ms", "3500", "--port=7003");
    assertEquals(3500, o.getHeartbeatMs());
    assertEquals(7003, o.getPort());
    assertEquals(5000, o.getResumeWindowMs(), "the file still applies where flags and environment are silent");
    assertEquals(10_000, o.getHandshakeTimeoutMs(), "the default applies where every source is silent");
  }

  /** Verifies that the config file can also be named by the TETHER_CONFIG environment variable. */
  @Test
  void configFileCanBeNamedByEnvironment() throws IOException {
    Path file = configFile(new JsonObject().put("resumeWindowMs", 4000));
    GatewayOptions o = load(Map.of("TETHER_CONFIG", file.toString()));
    assertEquals(4000, o.getResumeWindowMs());
  }

  // -- flags ----------------------------------------------------------------------------------------------------

  /** Verifies that --demo is a bare flag: it turns the demo on without consuming the next argument. */
  @Test
  void demoIsABareFlag() {
    GatewayOptions o = load(Map.of(), "--demo", "--port", "7004");
    assertTrue(o.isDemo());
    assertEquals(7004, o.getPort(), "the argument after --demo is the next option");
    assertTrue(load(Map.of(), "--port", "7005", "--demo").isDemo(), "--demo as the last argument");
  }

  /** Verifies that an unknown flag is rejected with a message naming it. */
  @Test
  void unknownFlagIsRejectedByName() {
    IllegalArgumentException e = rejected(Map.of(), "--port", "7006", "--no-such-option", "1");
    assertTrue(e.getMessage().contains("--no-such-option"), e.getMessage());
  }

  /** Verifies that a non-numeric port is rejected with a message naming the option. */
  @Test
  void nonNumericPortIsRejectedNamingTheOption() {
    IllegalArgumentException e = rejected(Map.of(), "--port", "eighty");
    assertTrue(e.getMessage().contains("--port"), e.getMessage());
    assertTrue(e.getMessage().contains("eighty"), "names the bad value: " + e.getMessage());
  }

  /** Verifies that a non-numeric value in the environment is rejected with a message naming the option. */
  @Test
  void nonNumericEnvironmentValueIsRejectedNamingTheOption() {
    IllegalArgumentException e = rejected(Map.of("TETHER_MANAGEMENT_PORT", "ninety"));
    assertTrue(e.getMessage().contains("management-port") || e.getMessage().contains("managementPort")
        || e.getMessage().contains("TETHER_MANAGEMENT_PORT"), e.getMessage());
  }

  /** Verifies that a health port equal to the management port is rejected with a message naming the option. */
  @Test
  void healthPortOnTheManagementPortIsRejectedNamingTheOption() {
    IllegalArgumentException e = rejected(Map.of(), "--management-port", "9191", "--health-port", "9191");
    assertTrue(e.getMessage().contains("health-port") || e.getMessage().contains("healthPort"), e.getMessage());
  }

  /** Verifies that a heartbeat below the minimum is rejected with a message naming the option. */
  @Test
  void tooSmallHeartbeatIsRejectedNamingTheOption() {
    IllegalArgumentException e = rejected(Map.of(), "--heartbeat-ms", "5");
    assertTrue(e.getMessage().contains("heartbeat-ms") || e.getMessage().contains("heartbeatMs"), e.getMessage());
  }

  /** Verifies that a members entry with a port range is rejected with a message naming the option. */
  @Test
  void memberWithPortRangeIsRejectedNamingTheOption() {
    IllegalArgumentException e = rejected(Map.of(), "--members", "127.0.0.1:5701-5703");
    assertTrue(e.getMessage().contains("members"), e.getMessage());
    assertTrue(e.getMessage().contains("127.0.0.1:5701-5703"), "names the bad entry: " + e.getMessage());
  }

  /** Verifies that a flag given without its value is rejected with a message naming it. */
  @Test
  void flagWithoutValueIsRejectedNamingIt() {
    IllegalArgumentException e = rejected(Map.of(), "--heartbeat-ms");
    assertTrue(e.getMessage().contains("--heartbeat-ms"), e.getMessage());
  }

  // -- config file ----------------------------------------------------------------------------------------------

  /** Verifies that an unknown key in the --config file is rejected with a message naming it. */
  @Test
  void unknownKeyInConfigFileIsRejected() throws IOException {
    Path file = configFile(new JsonObject().put("heartbeatMs", 1500).put("hartbeatMs", 1500));
    IllegalArgumentException e = rejected(Map.of(), "--config", file.toString());
    assertTrue(e.getMessage().contains("hartbeatMs"), e.getMessage());
  }

  /** Verifies that an invalid value in the --config file is rejected with a message naming the option. */
  @Test
  void invalidValueInConfigFileIsRejectedNamingTheOption() throws IOException {
    Path file = configFile(new JsonObject().put("members", List.of("127.0.0.1:5701-5703")));
    IllegalArgumentException e = rejected(Map.of(), "--config", file.toString());
    assertTrue(e.getMessage().contains("members"), e.getMessage());
  }

  /** Verifies that a --config file that is not a JSON object is rejected with a message naming the file. */
  @Test
  void configFileThatIsNotJsonIsRejected() throws IOException {
    Path file = dir.resolve("broken.json");
    Files.writeString(file, "heartbeatMs: 1500");
    IllegalArgumentException e = rejected(Map.of(), "--config", file.toString());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  // -- help -----------------------------------------------------------------------------------------------------

  /** Verifies that the --help text lists every option of the contract, with its environment variable. */
  @Test
  void helpListsEveryOption() {
    String help = OptionsLoader.help();
    for (String flag : List.of("--port", "--management-port", "--cluster-host", "--cluster-port", "--members",
        "--node-id", "--heartbeat-ms", "--resume-window-ms", "--demo", "--config", "--help")) {
      assertTrue(help.contains(flag), "help lists " + flag + ":\n" + help);
    }
    for (OptionsLoader.Spec spec : OptionsLoader.SPECS) {
      assertTrue(help.contains(spec.flag() + " "), "help lists " + spec.flag() + ":\n" + help);
      assertTrue(help.contains(spec.env()), "help lists " + spec.env() + ":\n" + help);
    }
  }
}
