package io.tether.gateway.tunnel;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.tunnel.Upstreams.Upstream;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameTemplate;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The byte streams one session has on this node, and what they share: the session's buffer (streams may fill at
 * most half of its frame and byte bounds, so pushes and responses keep room and a detached session never overflows
 * because of them) and the release timer that closes the upstream connections once the session has been detached
 * for {@code streamReleaseMs}. Confined to one context: the session's when its first stream opened.
 */
final class SessionStreams {

  /** Stream ids answered with {@code upstream_lost} that are remembered, so a burst of frames gets one answer. */
  private static final int MAX_LOST_REMEMBERED = 256;
  private static final long RETRY_MS = 50;

  private final Tunnels tunnels;
  final String sessionId;
  final Context ctx;
  private final Map<Long, Tunnel> streams = new HashMap<>();
  private final Set<Long> lost = new LinkedHashSet<>();
  private long releaseTimer = -1;
  private boolean gone;
  /** Between a detach and the next attach here: once the last stream ends then, this object is forgotten. */
  private boolean away;

  SessionStreams(Tunnels tunnels, String sessionId, Context ctx) {
    this.tunnels = tunnels;
    this.sessionId = sessionId;
    this.ctx = ctx;
  }

  Tunnels tunnels() {
    return tunnels;
  }

  int size() {
    return streams.size();
  }

  /** Runs {@code action} on this session's streams' context. */
  void run(Runnable action) {
    if (Context.isOnEventLoopThread() && tunnels.vertx().getOrCreateContext() == ctx) {
      action.run();
    } else {
      ctx.runOnContext(v -> action.run());
    }
  }

  // -- the client's frames ------------------------------------------------------------------------------------

  void open(Frame.Open o) {
    if (gone) {
      return;
    }
    Upstream u = tunnels.upstreams().get(o.upstream());
    String refused = o.stream() % 2 == 0 || streams.containsKey(o.stream()) ? StreamEnd.BAD_STREAM
        : u == null ? StreamEnd.UNKNOWN_UPSTREAM
        : streams.size() >= tunnels.options().getMaxStreams() ? StreamEnd.TOO_MANY_STREAMS : null;
    if (refused != null) {
      if (StreamEnd.TOO_MANY_STREAMS.equals(refused)) {
        tunnels.metrics().limited("streams");
      }
      tunnels.metrics().streamEnded(refused);
      finOnly(o.stream(), refused);
      return;
    }
    lost.remove(o.stream());
    long clientWindow = o.window() > 0 ? o.window() : tunnels.options().getStreamWindowBytes();
    Tunnel t = new Tunnel(this, o.stream(), u.name(), tunnels.options().getStreamWindowBytes(), clientWindow);
    streams.put(o.stream(), t);
    tunnels.opened();
    sendToClient(t.credit());
    tunnels.connect(u).onComplete(ar -> run(() -> {
      if (ar.succeeded()) {
        t.connected(ar.result());
      } else {
        t.connectFailed(ar.cause());
      }
    }));
  }

  void data(Frame.Data d) {
    if (gone) {
      return;
    }
    Tunnel t = streams.get(d.stream());
    if (t != null) {
      t.fromClient(d);
    } else if (!d.fin()) {
      lost(d.stream());
    }
  }

  void credit(Frame.Credit c) {
    Tunnel t = streams.get(c.stream());
    if (t != null) {
      t.credited(c.granted());
    } else if (c.stream() % 2 == 1) {
      lost(c.stream()); // the client repeats its credits after every resume: a stream that only reads learns it too
    }
  }

  /**
   * A frame for a stream that is not open here: its upstream connection was on another node (the session moved), or
   * the stream ended. Answered once per stream id with a fin {@code upstream_lost}; a stream that ended here is
   * remembered, so a late frame of it gets no answer.
   */
  private void lost(long stream) {
    if (gone || !lost.add(stream)) {
      return;
    }
    if (lost.size() > MAX_LOST_REMEMBERED) {
      lost.remove(lost.iterator().next());
    }
    tunnels.metrics().streamEnded(StreamEnd.UPSTREAM_LOST);
    finOnly(stream, StreamEnd.UPSTREAM_LOST);
  }

  // -- the session's moves ------------------------------------------------------------------------------------

  /** The session is attached here again: the release is off, and the client hears its credits again. */
  void attached() {
    away = false;
    if (releaseTimer >= 0) {
      tunnels.vertx().cancelTimer(releaseTimer);
      releaseTimer = -1;
    }
    for (Tunnel t : streams.values()) {
      sendToClient(t.credit());
      t.flowDown();
    }
  }

  /** The session left this node's sockets (detached, or taken over): upstreams are released unless it comes back. */
  void detached() {
    away = true;
    if (streams.isEmpty()) {
      tunnels.forget(this);
    } else if (releaseTimer < 0) {
      // Never longer than the session itself stays resumable.
      long after = Math.min(tunnels.options().getStreamReleaseMs(), tunnels.options().getResumeWindowMs());
      releaseTimer = tunnels.vertx().setTimer(after, id -> {
        releaseTimer = -1;
        for (Tunnel t : new ArrayList<>(streams.values())) {
          t.release();
        }
      });
    }
  }

  /** The session ended for good: every upstream connection closes, nothing more is sent. */
  void endAll() {
    gone = true;
    if (releaseTimer >= 0) {
      tunnels.vertx().cancelTimer(releaseTimer);
      releaseTimer = -1;
    }
    for (Tunnel t : streams.values()) {
      t.abandon();
      tunnels.closed(StreamEnd.RELEASED);
    }
    streams.clear();
    tunnels.forget(this);
  }

  void ended(Tunnel t, String reason) {
    if (streams.remove(t.id, t)) {
      lost.add(t.id); // a late frame of it is not answered
      if (lost.size() > MAX_LOST_REMEMBERED) {
        lost.remove(lost.iterator().next());
      }
      t.closeUpstream();
      tunnels.closed(reason);
      if (streams.isEmpty() && releaseTimer >= 0) {
        tunnels.vertx().cancelTimer(releaseTimer);
        releaseTimer = -1;
      }
      if (streams.isEmpty() && away) {
        tunnels.forget(this);
      }
    }
  }

  // -- sending to the client ----------------------------------------------------------------------------------

  /** Room left in the session's share of its buffer for unconsumed stream frames and bytes. */
  int roomFrames() {
    int used = 0;
    for (Tunnel t : streams.values()) {
      used += t.framesUnconsumed();
    }
    return Math.max(0, tunnels.maxFramesPerSession() - used);
  }

  long roomBytes() {
    long used = 0;
    for (Tunnel t : streams.values()) {
      used += t.bytesUnconsumed();
    }
    return Math.max(0, tunnels.maxBytesPerSession() - used);
  }

  boolean full() {
    return roomFrames() == 0 || roomBytes() == 0;
  }

  /** Room was made (a credit): every stream may send again. */
  void flowAll() {
    for (Tunnel t : new ArrayList<>(streams.values())) {
      t.flowDown();
    }
  }

  /**
   * Delivers reliable frames wherever the session is, once per {@code key} (an idempotency key, or null);
   * {@code done} hears true (durable), false (try again: the
   * session is moving) or null (the session is gone: every stream is dropped).
   */
  void deliver(List<FrameTemplate> frames, String key, Handler<Boolean> done) {
    tunnels.router().deliver(sessionId, frames, 0, 0, key).onComplete(ar -> run(() -> {
      if (ar.succeeded()) {
        done.handle(true);
      } else if (ar.cause() instanceof BackendFailure.Refusal r && !r.retryable()) {
        tunnels.log().fine(() -> "session's streams dropped: " + r.getMessage());
        done.handle(null);
        endAll();
      } else {
        done.handle(false);
      }
    }));
  }

  void retryLater(Tunnel t) {
    tunnels.vertx().setTimer(RETRY_MS, id -> run(t::flowDown));
  }

  void sendToClient(Frame.Credit c) {
    tunnels.sendCredit(sessionId, c);
  }

  /** Answers a stream that is not (or no longer) open here with its final frame and nothing else. */
  private void finOnly(long stream, String reason) {
    deliver(List.of(tunnels.codec().template(new Frame.Data(0, stream, null, true, reason))), null, ok -> { });
  }
}
