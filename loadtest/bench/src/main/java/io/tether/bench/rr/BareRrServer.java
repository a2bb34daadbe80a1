package io.tether.bench.rr;

import io.tether.bench.Args;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;

import java.util.Set;

/**
 * The baseline for scripts/bench-request.sh: a plain Vert.x 5 WebSocket server that forwards each client
 * {@code request} to a local event-bus consumer and writes its reply as the {@code response} frame. It speaks
 * just enough of the protocol for {@link RequestLoadClient} to drive it exactly like the gateway (hello/welcome,
 * ping/pong, request/response with seqs), with the same server settings as {@code io.tether.bench.BareWsServer}
 * (one verticle per core on one port, no compression, 64 KiB frames). It has no sessions, no store and no
 * cluster: what the gateway takes longer than this is the price of its session layer and replication.
 *
 * <p>Usage: {@code java -cp tether-bench.jar io.tether.bench.rr.BareRrServer [--port 8091]}
 */
public final class BareRrServer extends VerticleBase {

  private final int port;

  private BareRrServer(int port) {
    this.port = port;
  }

  public static void main(String[] argv) {
    Args args = Args.parse(argv, Set.of("--port"), Set.of());
    int port = args.integer("--port", 8091);
    int instances = Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx();
    // The backend first, as one verticle like the gateway's DemoBackend, so no request finds no consumer.
    vertx.deployVerticle(new EchoBackend())
      .compose(id -> vertx.deployVerticle(() -> new BareRrServer(port),
        new DeploymentOptions().setInstances(instances)))
      .onSuccess(id -> System.out.println(
        "BareRrServer listening on 127.0.0.1:" + port + "/ws, instances=" + instances))
      .onFailure(err -> {
        err.printStackTrace();
        System.exit(1);
      });
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
      .setHost("127.0.0.1")
      .setPerMessageWebSocketCompressionSupported(false)
      .setPerFrameWebSocketCompressionSupported(false)
      .setMaxWebSocketFrameSize(64 * 1024);
    return vertx.createHttpServer(options)
      .webSocketHandler(ws -> {
        if (!"/ws".equals(ws.path())) {
          ws.close((short) 1008, "unknown path");
          return;
        }
        new BareRrSession(vertx.eventBus(), ws).attach();
      })
      .listen(port);
  }

  /** {@code demo.echo} as the gateway's demo backend has it: the reply is the request's body. */
  static final class EchoBackend extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().consumer("demo.echo", m -> m.reply(m.body())).completion();
    }
  }
}
