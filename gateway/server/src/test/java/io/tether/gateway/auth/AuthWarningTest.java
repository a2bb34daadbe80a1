package io.tether.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.services.GatewayServices;
import io.tether.gateway.testing.TestNodes;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A node that serves clients without authentication on an address other than loopback says so at start, in a
 * WARNING naming the remedy; one on loopback (development) or with authentication does not warn.
 */
class AuthWarningTest {

  /** Starts a node with {@code customize}, returns the WARNING messages its services logged while starting. */
  private static List<String> warningsAtStart(UnaryOperator<GatewayOptions> customize) throws Exception {
    List<String> warnings = new CopyOnWriteArrayList<>();
    Logger logger = Logger.getLogger(GatewayServices.class.getName());
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
          warnings.add(r.getMessage());
        }
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    logger.addHandler(capture);
    try {
      GatewayNode node = TestNodes.start(customize).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      node.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      logger.removeHandler(capture);
    }
    return warnings;
  }

  @Test
  void authNoneOnAllInterfacesWarnsAtStart() throws Exception {
    List<String> warnings = warningsAtStart(o -> o.setHost("0.0.0.0"));
    assertTrue(warnings.stream().anyMatch(w -> w.contains("auth is none") && w.contains("--auth jwt")), warnings
        .toString());
  }

  @Test
  void authNoneOnLoopbackDoesNotWarn() throws Exception {
    List<String> warnings = warningsAtStart(o -> o.setHost("127.0.0.1"));
    assertFalse(warnings.stream().anyMatch(w -> w.contains("auth is none")), warnings.toString());
  }

  @Test
  void authJwtOnAllInterfacesDoesNotWarn() throws Exception {
    List<String> warnings = warningsAtStart(o -> o.setHost("0.0.0.0").setAuth(GatewayOptions.AuthMode.JWT)
        .setJwtSecret(TestKeys.SECRET));
    assertFalse(warnings.stream().anyMatch(w -> w.contains("auth is none")), warnings.toString());
  }
}
