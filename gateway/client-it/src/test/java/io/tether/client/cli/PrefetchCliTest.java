package io.tether.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The CLI's prefetch options and commands against a real node: {@code --prefetch address=json} declares a read that
 * is fetched while idle, the {@code prefetch} command says when it is cached, {@code stats} prints the counters; a
 * prefetch of an address that is not {@code --cacheable} is a bad option (exit 2). The CLI runs on its own thread,
 * reading commands from a pipe; the test waits for its output lines.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PrefetchCliTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setAllowedAddresses(List.of("test.*")));
  private static GatewayNode node;

  /** Standard output split into lines, as they are printed. */
  private static final class Lines extends OutputStream {
    final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        queue.add(line.toString(StandardCharsets.UTF_8).stripTrailing());
        line.reset();
      } else {
        line.write(b);
      }
    }

    /** The next line starting with {@code prefix}; fails after 20 s. */
    String next(String prefix) throws InterruptedException {
      while (true) {
        String l = queue.poll(20, TimeUnit.SECONDS);
        assertNotNull(l, "no line starting with '" + prefix + "'");
        if (l.startsWith(prefix)) {
          return l;
        }
      }
    }
  }

  /** Verifies that a read declared with --prefetch is fetched while idle, and that stats shows it. */
  @Test
  void prefetchOptionFetchesWhileIdleAndStatsShowsIt() throws Exception {
    MessageConsumer<JsonObject> items = node.vertx().eventBus().consumer("test.pf.item",
        m -> m.reply(new JsonObject().put("id", m.body().getInteger("id")).put("version", 1)));
    items.completion().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    PipedWriter stdin = new PipedWriter();
    BufferedReader in = new BufferedReader(new PipedReader(stdin));
    Lines out = new Lines();
    String[] args = {"--url", "ws://127.0.0.1:" + node.port() + "/ws", "--client-id", "pf-cli",
        "--cacheable", "test.pf.*", "--prefetch", "test.pf.item={\"id\":1}", "--prefetch-idle-ms", "100"};
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> TetherCli.run(args, in,
        new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
    try {
      out.next("* session started");
      command(stdin, "prefetch test.pf.item {\"id\": 1}");
      assertEquals("ok prefetched test.pf.item {\"id\":1}", out.next("ok prefetched"));
      command(stdin, "stats");
      String stats = out.next("cache ");
      assertTrue(stats.contains(" prefetchEntries=1 prefetched=1 prefetchFetches=1 "), stats);
      assertTrue(stats.startsWith("cache hits=0 misses=0 hitRate=0.000 "), stats);
      command(stdin, "quit");
      assertEquals(0, exit.get(20, TimeUnit.SECONDS));
    } finally {
      stdin.close();
      items.unregister();
    }
  }

  /** Verifies that --prefetch of an address that is not --cacheable is refused as a bad option, naming why. */
  @Test
  void prefetchOfAWriteIsABadOption() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = TetherCli.run(new String[] {"--url", "ws://127.0.0.1:1/ws", "--prefetch", "orders.create={}"},
        new BufferedReader(new StringReader("")), new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, status);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("cacheableAddresses"), err.toString());
  }

  private static void command(PipedWriter stdin, String line) throws IOException {
    stdin.write(line + "\n");
    stdin.flush();
  }
}
