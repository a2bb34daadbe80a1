package io.tether.proxy;

import io.vertx.core.Vertx;
import java.util.List;

/** {@code java -jar tether-proxy.jar --upstream NAME [options]} (docs/PROXY.md). */
public final class ProxyMain {

  private ProxyMain() {
  }

  public static void main(String[] args) {
    if (List.of(args).contains("--help")) {
      System.out.print(ProxyOptions.HELP);
      return;
    }
    ProxyOptions options;
    try {
      options = ProxyOptions.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("tether-proxy: " + e.getMessage());
      System.exit(2);
      return;
    }
    Vertx vertx = Vertx.vertx();
    vertx.runOnContext(v -> {
      Proxy proxy = new Proxy(vertx, options);
      proxy.start().onFailure(e -> {
        System.err.println("tether-proxy: cannot listen on " + options.getListenHost() + ":" + options.getListenPort()
            + ": " + e.getMessage());
        System.exit(1);
      });
      if (options.getStatsMs() > 0) {
        vertx.setPeriodic(options.getStatsMs(), id -> System.out.println(proxy.status()));
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          proxy.stop().toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // leaving anyway
        }
        vertx.close();
      }));
    });
  }
}
