package io.tether.gateway.tunnel;

import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.routing.Router;
import io.tether.gateway.session.LocalSessions;
import io.tether.gateway.session.Session;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The server proxy (docs/PROXY.md): byte streams that sessions open to the node's named upstreams. An upstream
 * connection belongs to the session, not to its socket: it stays open while the session is detached (up to
 * {@code streamReleaseMs}) and when it resumes on this node; bytes from the upstream are reliable frames in the
 * session's buffer, so they reach the client wherever it resumes. A session that moves to another node finds no
 * stream there: a TCP connection cannot move between machines, so the stream ends with {@code upstream_lost}.
 *
 * <p>Sessions call in on their own context; each session's streams live on one context ({@link SessionStreams}).
 */
public final class Tunnels {

  private static final Logger LOG = Logger.getLogger(Tunnels.class.getName());
  /** Largest raw chunk per {@code data} frame, before base64. */
  private static final int MAX_CHUNK = 32 * 1024;

  private final Vertx vertx;
  private final GatewayOptions options;
  private final GatewayMetrics metrics;
  private final FrameCodec codec;
  private final Router router;
  private final LocalSessions local;
  private final Upstreams upstreams;
  private final NetClient client;
  private final Map<String, SessionStreams> sessions = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();
  private final int chunkBytes;

  public Tunnels(Vertx vertx, GatewayOptions options, GatewayMetrics metrics, FrameCodec codec, Router router,
      LocalSessions local) {
    this.vertx = vertx;
    this.options = options;
    this.metrics = metrics;
    this.codec = codec;
    this.router = router;
    this.local = local;
    this.upstreams = new Upstreams(options.getUpstreams());
    // One client for every upstream connection (Vert.x 5 keeps closed clients: never one per stream).
    this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5_000).setTcpNoDelay(true));
    // Base64 of a chunk plus the frame's other fields must fit maxFrameBytes.
    this.chunkBytes = Math.min(MAX_CHUNK, (options.getMaxFrameBytes() - 256) / 4 * 3);
    metrics.streamsGauge(open::get);
  }

  /** Streams open on this node. */
  public int openStreams() {
    return open.get();
  }

  // -- what sessions tell -------------------------------------------------------------------------------------

  /** A client's stream frame: {@code open} and {@code data} once durable (in seq order), {@code credit} as received. */
  public void onFrame(Session session, Frame frame) {
    // One small object per session that uses streams (a credit for a stream this node never had is answered too).
    SessionStreams s = sessions.computeIfAbsent(session.id(), id -> new SessionStreams(this, id, session.context()));
    if (frame instanceof Frame.Credit c) {
      s.run(() -> s.credit(c));
    } else if (frame instanceof Frame.Open o) {
      s.run(() -> s.open(o));
    } else if (frame instanceof Frame.Data d) {
      s.run(() -> s.data(d));
    }
  }

  /** The session is attached to this node (after a hello or a resume). */
  public void attached(String sessionId) {
    SessionStreams s = sessions.get(sessionId);
    if (s != null) {
      s.run(s::attached);
    }
  }

  /** The session left this node's sockets: detached, or taken over by another node. */
  public void detached(String sessionId) {
    SessionStreams s = sessions.get(sessionId);
    if (s != null) {
      s.run(s::detached);
    }
  }

  /** The session ended for good (bye, replaced, kicked, expired). */
  public void ended(String sessionId) {
    SessionStreams s = sessions.get(sessionId);
    if (s != null) {
      s.run(s::endAll);
    }
  }

  // -- for the streams ----------------------------------------------------------------------------------------

  Future<NetSocket> connect(Upstreams.Upstream u) {
    return client.connect(u.port(), u.host());
  }

  /** A credit for the client, written if the session is attached here (else it is repeated at the next attach). */
  void sendCredit(String sessionId, Frame.Credit credit) {
    Session s = local.get(sessionId);
    if (s != null) {
      s.run(() -> {
        if (s.attached()) {
          s.send(credit);
        }
        return Future.succeededFuture();
      });
    }
  }

  void opened() {
    open.incrementAndGet();
  }

  void closed(String reason) {
    open.decrementAndGet();
    metrics.streamEnded(reason);
  }

  void forget(SessionStreams s) {
    sessions.remove(s.sessionId, s);
  }

  /** Unconsumed stream frames a session may have in its buffer: half its bound, the rest is for other frames. */
  int maxFramesPerSession() {
    return options.getBufferMaxFrames() / 2;
  }

  /** Unconsumed stream bytes (raw) a session may have in its buffer: half its byte bound, as base64. */
  long maxBytesPerSession() {
    return options.getBufferMaxBytes() / 2 / 4 * 3;
  }

  int chunkBytes() {
    return chunkBytes;
  }

  Vertx vertx() {
    return vertx;
  }

  GatewayOptions options() {
    return options;
  }

  GatewayMetrics metrics() {
    return metrics;
  }

  FrameCodec codec() {
    return codec;
  }

  Router router() {
    return router;
  }

  Upstreams upstreams() {
    return upstreams;
  }

  Logger log() {
    return LOG;
  }
}
