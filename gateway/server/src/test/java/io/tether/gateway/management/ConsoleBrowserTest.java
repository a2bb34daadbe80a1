package io.tether.gateway.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.NodeScripts;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console page in a real headless Chromium (Debian's {@code chromium}, driven by {@code puppeteer-core} from
 * src/test/node/console-browser.mjs, installed by {@code npm ci} there as .ci/run does). The page, given the key,
 * shows a connected client's row within 1 s, the row turns DETACHED when the client's socket drops, attrs stay text,
 * the push tester and publisher answer 200, and the screenshot (target/console-browser/console.png) is not blank.
 * Skipped only when there is no {@code node} or no Chromium; it fails whenever the browser run fails.
 */
class ConsoleBrowserTest {

  private static final String KEY = "console-browser-key-0123456789";
  private static final Path OUT = Path.of("target", "console-browser");

  /** Fixed before the start: the node must admit the console's origin for the test client's WebSocket. */
  private static final int MANAGEMENT_PORT = freePort();

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setApiKey(KEY).setManagementPort(MANAGEMENT_PORT)
      .setAllowedOrigins(List.of("http://127.0.0.1:" + MANAGEMENT_PORT)));
  private static GatewayNode node;

  private static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Debian's chromium, or what CHROMIUM names. */
  private static String chromium() {
    String env = System.getenv("CHROMIUM");
    return env != null ? env : "/usr/bin/chromium";
  }

  /**
   * Verifies the page end to end in Chromium: live row within 1 s, DETACHED on drop, attrs as text, the SDK test
   * client receives a push and a notify, non-blank.
   */
  @Test
  void thePageShowsALiveSessionRowAndItsStateChangeInChromium() throws Exception {
    assumeTrue(NodeScripts.runs("node", "--version"), "no node command: the browser test cannot run");
    assumeTrue(new File(chromium()).canExecute(), "no Chromium at " + chromium() + " (apt-get install chromium)");
    NodeScripts.requireInstalled("puppeteer-core");
    Files.createDirectories(OUT);
    Path shot = OUT.resolve("console.png").toAbsolutePath();
    Files.deleteIfExists(shot);
    // The key goes in the environment, never on a command line.
    String output = NodeScripts.run(OUT.resolve("console-browser.log"), 60, Map.of("CONSOLE_API_KEY", KEY),
        "console-browser.mjs", "http://127.0.0.1:" + node.managementPort() + "/console",
        "ws://127.0.0.1:" + node.port() + "/ws", shot.toString(), chromium());
    String line = output.lines().filter(l -> l.startsWith("result ")).findFirst().orElseThrow(
        () -> new AssertionError("no result line: " + output));
    JsonObject result = new JsonObject(line.substring("result ".length()));
    System.out.printf("console in Chromium: row %d ms after the welcome, DETACHED %d ms after the drop; "
        + "screenshot %s%n", result.getLong("rowMs"), result.getLong("detachedMs"), shot);
    assertTrue(result.getLong("rowMs") <= 1_000, line);
    assertTrue(result.getLong("detachedMs") <= 1_000, line);
    assertEquals(node.nodeId(), result.getJsonArray("cells").getString(2), line);
    assertNotBlank(shot);
  }

  /** A screenshot of the page: a real PNG of some size, with many colours and light and dark areas. */
  private static void assertNotBlank(Path shot) throws IOException {
    assertTrue(Files.size(shot) > 10_000, "screenshot of " + Files.size(shot) + " bytes");
    BufferedImage img = ImageIO.read(shot.toFile());
    assertTrue(img.getWidth() >= 800 && img.getHeight() >= 600, img.getWidth() + "x" + img.getHeight());
    Set<Integer> colours = new HashSet<>();
    double sum = 0;
    double sumSq = 0;
    int n = 0;
    for (int y = 0; y < img.getHeight(); y += 3) {
      for (int x = 0; x < img.getWidth(); x += 3) {
        int rgb = img.getRGB(x, y) & 0xffffff;
        colours.add(rgb);
        double lum = 0.299 * (rgb >> 16) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff);
        sum += lum;
        sumSq += lum * lum;
        n++;
      }
    }
    double mean = sum / n;
    double variance = sumSq / n - mean * mean;
    System.out.printf("screenshot %dx%d, %d bytes, %d colours, luminance variance %.0f%n", img.getWidth(),
        img.getHeight(), Files.size(shot), colours.size(), variance);
    assertTrue(colours.size() > 20, colours.size() + " colours");
    assertTrue(variance > 100, "luminance variance " + variance);
  }
}
