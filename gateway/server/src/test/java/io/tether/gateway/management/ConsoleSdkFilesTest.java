package io.tether.gateway.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console's test client imports the JavaScript SDK from the node (/console/sdk/, docs/OPERATIONS.md "Console"):
 * every browser module of gateway/client-js/src is served, byte for byte as in the repository, as JavaScript, under
 * the page's CSP.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ConsoleSdkFilesTest {

  private static final Path SDK_SOURCES = Path.of("..", "client-js", "src");

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setApiKey("console-sdk-key-0123456789"));

  /** The SDK's browser modules: every .js file of its src folder but the Node-only file store. */
  private static List<String> browserModules() throws IOException {
    try (Stream<Path> files = Files.list(SDK_SOURCES)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".js") && !n.equals("file-store.js"))
          .sorted().toList();
    }
  }

  /** Verifies that the console serves exactly the SDK's browser modules, each identical to its source file. */
  @Test
  void theConsoleServesEverySdkModuleAsItIsInTheRepository(Vertx vertx, VertxTestContext ctx) throws IOException {
    List<String> modules = browserModules();
    assertEquals(modules, ConsolePage.SDK_FILES.stream().sorted().toList(),
        "ConsolePage.SDK_FILES lists the SDK's modules (gateway/client-js/src)");
    HttpClient http = vertx.createHttpClient();
    List<Future<Void>> checks = new ArrayList<>();
    for (String module : modules) {
      Buffer source = Buffer.buffer(Files.readAllBytes(SDK_SOURCES.resolve(module)));
      checks.add(http.request(HttpMethod.GET, NODE.node().managementPort(), "127.0.0.1", "/console/sdk/" + module)
          .compose(req -> req.send())
          .compose(resp -> resp.body().map(body -> {
            ctx.verify(() -> {
              assertEquals(200, resp.statusCode(), module);
              assertTrue(resp.getHeader("Content-Type").startsWith("text/javascript"), module);
              assertTrue(resp.getHeader("Content-Security-Policy").contains("script-src 'self'"), module);
              assertEquals(source, body, module + " as in gateway/client-js/src");
            });
            return null;
          })));
    }
    // Closing the client at the end also keeps it reachable: Vert.x 5 closes a client the GC finds unreferenced.
    Future.all(checks).eventually(http::close).onComplete(ctx.succeedingThenComplete());
  }
}
