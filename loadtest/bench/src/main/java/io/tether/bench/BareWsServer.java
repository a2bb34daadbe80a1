package io.tether.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;

import java.util.Set;

/**
 * The baseline for scripts/bench-push.sh: a plain Vert.x 5 WebSocket server speaking just enough of the
 * Tether protocol (hello/welcome, {@code demo.push} request, push frames, response, ping/pong) for
 * {@link PushLoadClient} to drive it exactly like the gateway. It has no session layer: no buffering,
 * no replay, no cluster. Whatever the gateway is slower than this is the price of its reliability.
 *
 * <p>Usage: {@code java -cp tether-bench.jar io.tether.bench.BareWsServer [--port 8090]}
 */
public final class BareWsServer extends VerticleBase {

  private final int port;

  private BareWsServer(int port) {
    this.port = port;
  }

  public static void main(String[] argv) {
    Args args = Args.parse(argv, Set.of("--port"), Set.of());
    int port = args.integer("--port", 8090);
    // One instance per core: Vert.x spreads accepted connections over the instances sharing the port.
    int instances = Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(() -> new BareWsServer(port), new DeploymentOptions().setInstances(instances))
      .onSuccess(id -> System.out.println("BareWsServer listening on 127.0.0.1:" + port + "/ws, instances=" + instances))
      .onFailure(err -> {
        err.printStackTrace();
        System.exit(1);
      });
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
      .setHost("127.0.0.1")
      // Same settings the gateway must use (PROTOCOL.md §1): no permessage-deflate, 64 KiB frames.
      .setPerMessageWebSocketCompressionSupported(false)
      .setPerFrameWebSocketCompressionSupported(false)
      .setMaxWebSocketFrameSize(64 * 1024)
      // Every write happens on the connection's event loop, so no cross-thread write queue per connection (the
      // gateway runs the same way: docs/BENCHMARKS.md "Sessions at scale").
      .setStrictThreadMode(true);
    return vertx.createHttpServer(options)
      .webSocketHandler(ws -> {
        if (!"/ws".equals(ws.path())) {
          ws.close((short) 1008, "unknown path");
          return;
        }
        new BareSession(ws).attach();
      })
      .listen(port);
  }
}
