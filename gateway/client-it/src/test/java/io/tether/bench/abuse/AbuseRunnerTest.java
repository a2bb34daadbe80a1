package io.tether.bench.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fast CI subset of scripts/abuse.sh: the same runner, in-process, against one real node started here with the
 * script's configuration (auth jwt with an HS256 secret and an RSA public key, an API key, the same low limits).
 * Every attack must be refused every time and no witness harmed; none may be skipped.
 */
class AbuseRunnerTest {

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void everyAttackIsRefusedAndNoWitnessIsHarmed() throws Exception {
    Path pem = Files.createTempDirectory("tether-abuse").resolve("rsa-public.pem");
    Jwts.writeRsaPublicKey(pem);
    String secret = Jwts.random(30);
    String apiKey = Jwts.random(24);
    String origin = "https://app.example";
    GatewayNode node = TestNodes.start(o -> o.setAuth(GatewayOptions.AuthMode.JWT).setJwtSecret(secret)
        .setJwtPublicKey(pem.toString()).setApiKey(apiKey).setAllowedOrigins(List.of(origin))
        .setMaxFrameBytes(16_384).setMaxConnections(200).setMaxConnectionsPerIp(50)
        .setMaxHandshakesPerIpPerSecond(30).setMaxSessions(80).setMaxFramesPerSecond(100)
        .setMaxRequestsPerSecond(30).setRateLimitCloseAfterMs(2_000).setMaxSubscriptions(20).setMaxAttrsBytes(512).setMaxAttrsKeys(16)
        .setBufferMaxBytes(262_144).setNodeBufferMaxBytes(1_048_576))
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    try {
      AbuseConfig c = new AbuseConfig();
      c.url = "ws://127.0.0.1:" + node.port() + "/ws";
      c.managementUrl = "http://127.0.0.1:" + node.managementPort();
      c.jwtSecret = secret;
      c.apiKey = apiKey;
      c.jwtPublicKey = pem.toString();
      c.origin = origin;
      c.maxFrameBytes = 16_384;
      c.maxConnections = 200;
      c.maxConnectionsPerIp = 50;
      c.maxHandshakesPerIpPerSecond = 30;
      c.maxSessions = 80;
      c.maxFramesPerSecond = 100;
      c.maxRequestsPerSecond = 30;
      c.maxSubscriptions = 20;
      c.maxAttrsBytes = 512;
      c.maxAttrsKeys = 16;
      c.bufferMaxBytes = 262_144;
      c.nodeBufferMaxBytes = 1_048_576;
      AbuseRunner.Report report = AbuseRunner.run(c, System.out);
      assertEquals(0, report.witnessesHarmed(), report.summary());
      assertEquals(22, report.rows().size(), "every attack of scripts/abuse.sh ran: " + report.rows());
      for (AbuseRunner.Row row : report.rows()) {
        assertEquals(0, row.harmed(), row.toString());
        assertEquals("ok", row.status(), "refused every time, nothing skipped: " + row);
      }
      assertEquals(0, report.exitCode(), report.summary());
    } finally {
      node.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
