package io.tether.gateway.transport;

import io.tether.gateway.auth.AuthRefused;
import io.tether.gateway.auth.Peer;
import io.tether.gateway.metrics.MemoryByLifetime;
import io.tether.gateway.services.GatewayServices;
import io.tether.gateway.services.Handshakes;
import io.tether.gateway.session.AttrsLimit;
import io.tether.gateway.session.Session;
import io.tether.gateway.session.Transport;
import io.tether.protocol.CloseCodes;
import io.tether.protocol.DecodeResult;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.vertx.core.AsyncResult;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client socket: reassembles WebSocket frames under the size limit, decodes them, runs the handshake
 * (docs/PROTOCOL.md §2) and then hands frames to the attached {@link Session}. Bad input becomes an {@code error}
 * frame here; nothing a client sends can throw past this class.
 */
final class Connection implements Transport {

  private static final Logger LOG = Logger.getLogger(Connection.class.getName());
  /** Frames a client may pipeline after hello/resume before the session is ready. */
  private static final int MAX_EARLY_FRAMES = 64;

  private enum Phase { HANDSHAKE, ATTACHING, ATTACHED, CLOSED }

  private final ServerWebSocket ws;
  /** Larger frames go through the WebSocket API, which splits them into continuation frames. */
  private final int maxFrameBytes;
  /** Frames written with their flush held ({@link #write(String, boolean)}); null without the direct channel. */
  private final FrameBatch batch;
  private final GatewayServices mgr;
  private final Context ctx;
  private final io.netty.channel.EventLoop loop;
  private final ClientEndpointVerticle endpoint;
  private final long openedAt = System.currentTimeMillis();
  private Phase phase = Phase.HANDSHAKE;
  private Session session;
  private Buffer partial;
  private boolean partialBinary;
  private List<Frame> early;
  private final RateGuard rates;
  /** Reading is paused while the session waits for the store, or while the client is over its frame rate. */
  private boolean sessionPaused;
  private boolean throttled;
  private boolean readingPaused;
  /** Closed for staying over its rates: frames still arriving are not handed on (never acked: resent on resume). */
  private boolean rateClosed;

  /**
   * @param channel the socket's channel context when Vert.x's direct write path is in place ({@link LeanWebSocket}),
   *     for batches written with one flush; null: every frame through the WebSocket API
   */
  Connection(ServerWebSocket ws, ChannelHandlerContext channel, GatewayServices mgr, Context ctx,
      ClientEndpointVerticle endpoint) {
    this.ws = ws;
    this.batch = channel == null ? null : new FrameBatch(channel, mgr.metrics().memory());
    this.maxFrameBytes = mgr.options().getMaxFrameBytes() * 4; // the socket's frame size (ClientEndpointVerticle)
    this.mgr = mgr;
    this.ctx = ctx;
    this.loop = ((ContextInternal) ctx).nettyEventLoop();
    this.endpoint = endpoint;
    this.rates = new RateGuard(mgr.options().getMaxFramesPerSecond(), mgr.options().getMaxRequestsPerSecond(),
        mgr.options().getRateLimitCloseAfterMs());
  }

  void start() {
    ws.frameHandler(this::onWebSocketFrame);
    ws.closeHandler(v -> onClosed());
    ws.exceptionHandler(e -> LOG.log(Level.FINE, "socket error", e));
  }

  /** Called by the endpoint's sweep: handshake timeout, then the session's heartbeat deadlines. */
  void tick(long now) {
    if (phase == Phase.HANDSHAKE && now - openedAt > mgr.options().getHandshakeTimeoutMs()) {
      fatal(ErrorCode.HANDSHAKE_REQUIRED, "no hello or resume within " + mgr.options().getHandshakeTimeoutMs()
          + " ms", CloseCodes.POLICY);
    } else if (phase == Phase.ATTACHED) {
      session.checkHeartbeat(now);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reading

  private void onWebSocketFrame(WebSocketFrame f) {
    if (phase == Phase.CLOSED || !(f.isText() || f.isBinary() || f.isContinuation())) {
      return; // Vert.x answers pings and runs the close handshake itself
    }
    if (f.isContinuation()) {
      if (partial == null) {
        protocolError(ErrorCode.BAD_FRAME, "continuation frame without a first frame");
        return;
      }
      partial = partial.appendBuffer(f.binaryData());
    } else {
      partial = f.binaryData();
      partialBinary = f.isBinary();
    }
    if (partial.length() > mgr.options().getMaxFrameBytes()) {
      partial = null;
      fatal(ErrorCode.TOO_LARGE, "frame exceeds " + mgr.options().getMaxFrameBytes() + " bytes", CloseCodes.TOO_LARGE);
      return;
    }
    if (!f.isFinal()) {
      if (!f.isContinuation()) {
        partial = Buffer.buffer(partial.length() * 2).appendBuffer(partial); // own the bytes before appending
      }
      return;
    }
    Buffer message = partial;
    partial = null;
    if (!withinFrameRate()) {
      return;
    }
    if (partialBinary) {
      protocolError(ErrorCode.BAD_FRAME, "binary frames are not accepted: send one JSON object per text frame");
      return;
    }
    onText(message.toString(StandardCharsets.UTF_8));
  }

  private void onText(String text) {
    DecodeResult result = mgr.codec().decode(text);
    if (result instanceof DecodeResult.Failure failure) {
      mgr.metrics().frameIn("invalid");
      if (failure.code() == ErrorCode.TOO_LARGE) {
        fatal(failure.code(), failure.message(), CloseCodes.TOO_LARGE);
      } else {
        protocolError(failure.code(), failure.message());
      }
      return;
    }
    Frame frame = ((DecodeResult.Ok) result).frame();
    mgr.metrics().frameIn(frame.type());
    switch (phase) {
      case HANDSHAKE -> handshake(frame);
      case ATTACHING -> {
        if (early == null) {
          early = new ArrayList<>(4);
        }
        if (early.size() >= MAX_EARLY_FRAMES) {
          fatal(ErrorCode.RATE_LIMITED, "too many frames before the handshake completed", CloseCodes.POLICY);
        } else {
          early.add(frame);
        }
      }
      case ATTACHED -> deliver(frame);
      default -> { }
    }
  }

  private void handshake(Frame frame) {
    String tooLarge = frame instanceof Frame.Hello h
        ? AttrsLimit.check(h.attrs(), mgr.options().getMaxAttrsBytes(), mgr.options().getMaxAttrsKeys()) : null;
    if (tooLarge != null) {
      // Refused before any session work: no session, no presence record (docs/PROTOCOL.md §12).
      mgr.metrics().limited("attrs");
      fatal(ErrorCode.TOO_LARGE, tooLarge, CloseCodes.POLICY);
    } else if (frame instanceof Frame.Hello hello) {
      phase = Phase.ATTACHING;
      mgr.handshakes().hello(ctx, this, hello, peer()).onComplete(this::attached);
    } else if (frame instanceof Frame.Resume resume) {
      phase = Phase.ATTACHING;
      mgr.handshakes().resume(ctx, this, resume, peer()).onComplete(this::attached);
    } else {
      fatal(ErrorCode.HANDSHAKE_REQUIRED, "the first frame must be hello or resume", CloseCodes.POLICY);
    }
  }

  /** Who is on the other end, as the authenticator is told. */
  private Peer peer() {
    return new Peer(ws.remoteAddress() == null ? null : ws.remoteAddress().hostAddress(), ws.headers().get("Origin"));
  }

  private void attached(AsyncResult<Session> ar) {
    if (ar.failed()) {
      if (ar.cause() instanceof AuthRefused refused) {
        // The reasons are documented (docs/PROTOCOL.md §2 "Authentication"); the token is never echoed.
        mgr.metrics().error(refused.code().wire());
        write(mgr.codec().encode(new Frame.Error(refused.code().wire(), refused.getMessage(), refused.reason(), true,
            0, null)));
        close(CloseCodes.POLICY, refused.reason());
      } else if (ar.cause() instanceof Handshakes.ResumeRefused refused) {
        mgr.metrics().error(ErrorCode.RESUME_FAILED.wire());
        write(mgr.codec().encode(new Frame.Error(ErrorCode.RESUME_FAILED.wire(),
            "the session cannot be resumed: " + refused.reason().wire() + "; send hello to start a new session",
            refused.reason().wire(), true)));
        close(CloseCodes.POLICY, "resume failed");
      } else {
        LOG.log(Level.WARNING, "handshake failed", ar.cause());
        close(CloseCodes.INTERNAL, "session store unavailable");
      }
      return;
    }
    session = ar.result();
    if (phase == Phase.CLOSED) {
      session.onTransportClosed(this);
      return;
    }
    phase = Phase.ATTACHED;
    if (early != null) {
      List<Frame> pipelined = early;
      early = null;
      pipelined.forEach(this::deliver);
    }
  }

  /** Hands a frame to the session; a request refused for the rate may have made the close due (§12). */
  private void deliver(Frame frame) {
    if (rateClosed) {
      return;
    }
    session.onFrame(frame);
    if (rates.closeDue()) {
      closeForRate("requests");
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Rate limits (docs/PROTOCOL.md §12): per socket, since that is where reading can be paused and a frame counted
  // before it costs anything; a session has one socket at a time.

  /** Counts one client message against the frame rate; false if the socket is closed for it (drop the message). */
  private boolean withinFrameRate() {
    if (rateClosed) {
      return false;
    }
    long now = System.nanoTime();
    RateGuard.Verdict verdict = rates.frame(now);
    switch (verdict) {
      case OK -> {
        return true;
      }
      case CLOSE -> {
        closeForRate("frames");
        return false;
      }
      case WARN -> {
        mgr.metrics().error(ErrorCode.RATE_LIMITED.wire());
        write(mgr.codec().encode(Frame.Error.of(ErrorCode.RATE_LIMITED, "more than "
            + mgr.options().getMaxFramesPerSecond() + " frames per second (maxFramesPerSecond): reading is slowed "
            + "down; nothing is dropped; staying over for " + mgr.options().getRateLimitCloseAfterMs()
            + " ms closes the socket", false)));
        throttle(now);
        return true;
      }
      default -> {
        throttle(now);
        return true;
      }
    }
  }

  /** Stops reading until the frame bucket has refilled a little; the frame that went over is still handled. */
  private void throttle(long now) {
    if (throttled) {
      return;
    }
    throttled = true;
    mgr.metrics().limited("frames");
    applyReading();
    ctx.owner().setTimer(Math.max(1, rates.pauseMs(now)), id -> {
      throttled = false;
      rates.resumed(System.nanoTime());
      applyReading();
    });
  }

  private void closeForRate(String which) {
    rateClosed = true;
    mgr.metrics().limitClosed("rate");
    fatal(ErrorCode.RATE_LIMITED, "over maxFramesPerSecond / maxRequestsPerSecond for "
        + mgr.options().getRateLimitCloseAfterMs() + " ms (" + which + ")", CloseCodes.POLICY);
  }

  private void applyReading() {
    boolean paused = sessionPaused || throttled;
    if (paused == readingPaused || phase == Phase.CLOSED) {
      return;
    }
    readingPaused = paused;
    if (paused) {
      ws.pause();
    } else {
      ws.resume();
    }
  }

  /**
   * A bad frame: before the handshake it ends the socket (the peer does not speak the protocol); after it, the
   * session gets a non-fatal error and carries on (docs/PROTOCOL.md §7).
   */
  private void protocolError(ErrorCode code, String message) {
    if (phase == Phase.HANDSHAKE) {
      fatal(code, message, CloseCodes.POLICY);
    } else {
      mgr.metrics().error(code.wire());
      write(mgr.codec().encode(Frame.Error.of(code, message, false)));
    }
  }

  private void fatal(ErrorCode code, String message, short closeCode) {
    if (phase == Phase.ATTACHED) {
      session.fatal(code, message, closeCode);
      return;
    }
    mgr.metrics().error(code.wire());
    write(mgr.codec().encode(Frame.Error.of(code, message, true)));
    close(closeCode, code.wire());
  }

  private void onClosed() {
    Phase was = phase;
    phase = Phase.CLOSED;
    if (batch != null) {
      batch.write(true); // nothing should be held here; if it is, the failed write releases the buffer
    }
    endpoint.removed(this);
    if (was == Phase.ATTACHED) {
      session.onTransportClosed(this);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Transport

  @Override
  public void write(String text) {
    write(text, false);
  }

  /**
   * Frames written with {@code more} are held in one buffer ({@link FrameBatch}); the next one without it writes and
   * flushes them all (docs/BENCHMARKS.md "One flush per batch": a flush per frame was a system call per frame).
   * Without the direct channel, for a frame on its own, or for one Vert.x would split into fragments, the frame goes
   * through the WebSocket API.
   */
  @Override
  public void write(String text, boolean more) {
    if (!loop.inEventLoop()) {
      // The socket is written on its own event loop only (LeanWebSocket gave it Vert.x's direct write path).
      ctx.runOnContext(v -> write(text, more));
      return;
    }
    if (phase == Phase.CLOSED) {
      return;
    }
    // Counted as connection-lifetime memory until Netty has handed it to the kernel (or the write failed).
    int n = text.length();
    MemoryByLifetime memory = mgr.metrics().memory();
    memory.connectionQueued(n);
    // A frame on its own goes through Vert.x, which holds the flush while it reads the socket (a pong, an ack).
    boolean batched = batch != null && (more || !batch.isEmpty());
    int utf8 = batched ? ByteBufUtil.utf8Bytes(text) : 0;
    if (!batched || utf8 > maxFrameBytes || ws.isClosed()) {
      if (batched) {
        batch.write(true); // what is held goes first
      }
      ws.writeTextMessage(text).onComplete(ar -> memory.connectionWritten(n));
      return;
    }
    batch.add(text, utf8);
    if (!more) {
      batch.write(true);
    }
  }

  @Override
  public boolean writeQueueFull() {
    return ws.writeQueueFull();
  }

  @Override
  public void pauseReading(boolean paused) {
    sessionPaused = paused;
    applyReading();
  }

  @Override
  public boolean takeRequest() {
    return rates.request(System.nanoTime());
  }

  @Override
  public void close(short code, String reason) {
    if (!loop.inEventLoop()) {
      ctx.runOnContext(v -> close(code, reason));
      return;
    }
    if (!ws.isClosed()) {
      ws.close(code, reason);
    }
  }
}
