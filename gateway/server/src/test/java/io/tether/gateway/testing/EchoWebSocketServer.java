package io.tether.gateway.testing;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * A trivial WebSocket server for the helpers' self-tests: it accepts sockets on {@code /ws} of an ephemeral
 * 127.0.0.1 port (frames up to {@link WireClient#MAX_SIZE}), echoes every text message back, and lets the test see each accepted socket, what it received and
 * when it closed.
 */
final class EchoWebSocketServer {

  /** One accepted socket as the server sees it. */
  static final class Connection {
    final ServerWebSocket ws;
    private final List<String> texts = new ArrayList<>();
    private final Promise<Void> closed = Promise.promise();

    Connection(ServerWebSocket ws) {
      this.ws = ws;
    }

    /** Text messages this socket received so far. */
    List<String> texts() {
      synchronized (texts) {
        return List.copyOf(texts);
      }
    }

    /** Completes when the server side of this socket has closed. */
    Future<Void> closed() {
      return closed.future();
    }
  }

  private final HttpServer server;
  private final List<Promise<Connection>> accepted = new ArrayList<>();
  private int acceptedCount;

  private EchoWebSocketServer(Vertx vertx) {
    this.server = vertx.createHttpServer(new HttpServerOptions()
            .setMaxWebSocketFrameSize(WireClient.MAX_SIZE)
            .setMaxWebSocketMessageSize(WireClient.MAX_SIZE))
        .webSocketHandler(this::accept);
  }

  static Future<EchoWebSocketServer> start(Vertx vertx) {
    EchoWebSocketServer echo = new EchoWebSocketServer(vertx);
    return echo.server.listen(0, "127.0.0.1").map(s -> echo);
  }

  int port() {
    return server.actualPort();
  }

  /** The {@code index}-th accepted socket (0-based), once accepted. */
  synchronized Future<Connection> connection(int index) {
    return slot(index).future();
  }

  Future<Void> stop() {
    return server.close();
  }

  private synchronized Promise<Connection> slot(int index) {
    while (accepted.size() <= index) {
      accepted.add(Promise.promise());
    }
    return accepted.get(index);
  }

  private void accept(ServerWebSocket ws) {
    Connection c = new Connection(ws);
    ws.textMessageHandler(text -> {
      synchronized (c.texts) {
        c.texts.add(text);
      }
      ws.writeTextMessage(text);
    });
    ws.closeHandler(v -> c.closed.tryComplete());
    Promise<Connection> p;
    synchronized (this) {
      p = slot(acceptedCount++);
    }
    p.complete(c);
  }
}
