package io.tether.proxy;

import io.tether.gateway.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real TCP upstream for the byte-stream tests, on a port chosen before the node starts (the node's
 * {@code --upstreams} names it): it echoes what it receives and records its connections. Registered as an extension
 * it runs on a Vert.x of its own for the test class; {@link #start} runs it on a given one.
 */
final class Upstream implements org.junit.jupiter.api.extension.BeforeAllCallback,
    org.junit.jupiter.api.extension.AfterAllCallback {

  /** What the upstream does with a connection. */
  enum Mode { ECHO, HOLD }

  final int port = TestNodes.freePort();
  final List<NetSocket> connections = new CopyOnWriteArrayList<>();
  final Set<NetSocket> closed = ConcurrentHashMap.newKeySet();
  volatile Mode mode = Mode.ECHO;
  private NetServer server;
  private Vertx vertx;

  /** As a JUnit extension ({@code @RegisterExtension}): listens on its own Vert.x for the test class. */
  @Override
  public void beforeAll(org.junit.jupiter.api.extension.ExtensionContext context) throws Exception {
    vertx = Vertx.vertx();
    start(vertx).toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Override
  public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
  }

  String entry(String name) {
    return name + "=127.0.0.1:" + port;
  }

  Future<Upstream> start(Vertx vertx) {
    server = vertx.createNetServer().connectHandler(s -> {
      connections.add(s);
      s.closeHandler(v -> closed.add(s));
      if (mode == Mode.ECHO) {
        s.handler(b -> {
          s.write(b);
          if (s.writeQueueFull()) {
            s.pause();
            s.drainHandler(v -> s.resume());
          }
        });
      }
    });
    return server.listen(port, "127.0.0.1").map(this);
  }

  Future<Void> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new java.util.Random(seed).nextBytes(b);
    return b;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(Buffer b) {
    return sha256(b.getBytes());
  }
}
