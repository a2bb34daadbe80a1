package io.tether.gateway.transport;

import io.vertx.core.http.ServerWebSocket;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.Queue;
import java.util.logging.Logger;

/**
 * Gives an accepted WebSocket the write path Vert.x uses in strict thread mode, which Vert.x 5.0 offers for HTTP
 * connections ({@code HttpServerOptions.setStrictThreadMode}) but not yet for the WebSocket connection an upgrade
 * makes: that one always gets a cross-thread outbound queue whose first chunk is an array of 1 024 references
 * (4 KB), kept for the socket's whole life. At 100 000 sessions that is 400 MB of heap for a queue the node never
 * uses, a third of the idle session's live heap (docs/BENCHMARKS.md "Sessions at scale").
 *
 * <p>The node writes to a socket only on the socket's own event loop ({@link Connection#write} hops there if it is
 * ever called from elsewhere), which is what the direct write path requires. The queue is swapped right after the
 * upgrade, on that event loop, and only while it holds nothing.
 *
 * <p>This reaches into Vert.x internals (fields and a constructor of {@code io.vertx.core.net.impl.VertxConnection}),
 * checked once at class load: if a Vert.x version no longer has them the swap is off, the socket keeps the queue
 * (correct, only heavier) and one line is logged. {@code LeanWebSocketTest} fails when that happens, so an upgrade
 * that needs this revisited is noticed.
 */
final class LeanWebSocket {

  private static final Logger LOG = Logger.getLogger(LeanWebSocket.class.getName());

  private static final Field CONNECTION;
  private static final Field OUTBOUND;
  private static final Class<?> QUEUED;
  private static final Field QUEUED_MESSAGES;
  private static final Field MESSAGES;
  private static final Constructor<?> DIRECT;

  static {
    Field connection = null;
    Field outbound = null;
    Class<?> queued = null;
    Field queuedMessages = null;
    Field messages = null;
    Constructor<?> direct = null;
    try {
      connection = accessible(Class.forName("io.vertx.core.http.impl.WebSocketImplBase").getDeclaredField("conn"));
      Class<?> vertxConnection = Class.forName("io.vertx.core.net.impl.VertxConnection");
      outbound = accessible(vertxConnection.getDeclaredField("outboundMessageQueue"));
      queued = Class.forName("io.vertx.core.net.impl.VertxConnection$InternalMessageChannel");
      queuedMessages = accessible(Class.forName("io.vertx.core.internal.concurrent.OutboundMessageQueue")
          .getDeclaredField("mqp"));
      messages = accessible(Class.forName("io.vertx.core.streams.impl.MessagePassingQueue").getDeclaredField("queue"));
      direct = Class.forName("io.vertx.core.net.impl.VertxConnection$DirectOutboundMessageQueue")
          .getDeclaredConstructor(vertxConnection);
      direct.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.info(() -> "WebSockets keep Vert.x's cross-thread write queue (about 4 KB each): this Vert.x version does "
          + "not have what LeanWebSocket replaces (" + e + ")");
      direct = null;
    }
    CONNECTION = connection;
    OUTBOUND = outbound;
    QUEUED = queued;
    QUEUED_MESSAGES = queuedMessages;
    MESSAGES = messages;
    DIRECT = direct;
  }

  private LeanWebSocket() {
  }

  /** True if this Vert.x version has what {@link #apply} replaces. */
  static boolean available() {
    return DIRECT != null;
  }

  /**
   * Swaps the socket's outbound queue for the direct write path. Call on the socket's event loop, right after the
   * upgrade. Returns false (and changes nothing) when unavailable, or when the queue already holds a message.
   */
  static boolean apply(ServerWebSocket ws) {
    if (DIRECT == null) {
      return false;
    }
    try {
      Object connection = CONNECTION.get(ws);
      Object queue = OUTBOUND.get(connection);
      if (!QUEUED.isInstance(queue) || !((Queue<?>) MESSAGES.get(QUEUED_MESSAGES.get(queue))).isEmpty()) {
        return false;
      }
      OUTBOUND.set(connection, DIRECT.newInstance(connection));
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  private static Field accessible(Field f) {
    f.setAccessible(true);
    return f;
  }
}
