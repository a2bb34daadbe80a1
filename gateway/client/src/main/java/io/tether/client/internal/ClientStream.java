package io.tether.client.internal;

import io.tether.client.TetherException;
import io.tether.client.TetherStream;
import io.tether.protocol.Base64Text;
import io.tether.protocol.Frame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;

/**
 * One byte stream of the client's ({@link TetherStream}): bytes written wait here until the node's credit and the
 * outbound buffer take them, as {@code data} frames of at most one chunk; bytes received wait here while the
 * application has no demand, and the node gets credit for what the application took. Confined to the client's
 * context (calls from elsewhere hop to it).
 */
final class ClientStream implements TetherStream {

  /** Frames consumed that make a credit go out at once. */
  static final int CREDIT_FRAMES = 16;
  /** At most this long between a consumption and its credit. */
  static final long CREDIT_DELAY_MS = 20;

  private final ByteStreams owner;
  private final Context ctx;
  private final long id;
  private final String upstream;
  private final int window;

  // out: application → upstream
  private final ArrayDeque<Buffer> waitingOut = new ArrayDeque<>();
  private final ArrayDeque<Object[]> writes = new ArrayDeque<>(); // {end offset (Long), Promise<Void>}
  private long waitingOutBytes;
  private long writtenOut;
  private long sentOut;
  private long grantedOut;
  private int writeQueueMax = 64 * 1024;
  private boolean drainWanted;
  private Promise<Void> ending;
  private String endingReason;

  // in: upstream → application
  private final ArrayDeque<Buffer> waitingIn = new ArrayDeque<>();
  private long demand = Long.MAX_VALUE;
  private long receivedIn;
  private long consumedIn;
  private long grantedIn;
  private String remoteFin;
  private boolean delivering;
  /** Frames consumed since the last credit, and the timer that announces a small consumption soon. */
  private int framesSinceCredit;
  private long creditTimer = -1;

  private String endReason;
  private long dropped;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Void> drainHandler;
  private Handler<String> closeHandler;
  private Handler<Throwable> exceptionHandler;

  ClientStream(ByteStreams owner, Context ctx, long id, String upstream, int window) {
    this.owner = owner;
    this.ctx = ctx;
    this.id = id;
    this.upstream = upstream;
    this.window = window;
    this.grantedIn = window;
  }

  Frame.Open openFrame(long seq) {
    return new Frame.Open(seq, id, upstream, window);
  }

  /** The credit the node has from this client (repeated after every resume). */
  Frame.Credit credit() {
    return new Frame.Credit(id, grantedIn);
  }

  @Override
  public long id() {
    return id;
  }

  @Override
  public String upstream() {
    return upstream;
  }

  @Override
  public synchronized String endReason() {
    return endReason;
  }

  @Override
  public synchronized long bytesDropped() {
    return dropped;
  }

  @Override
  public synchronized long bytesQueued() {
    return waitingOutBytes;
  }

  private void onCtx(Runnable action) {
    if (Context.isOnEventLoopThread() && owner.vertx().getOrCreateContext() == ctx) {
      action.run();
    } else {
      ctx.runOnContext(v -> action.run());
    }
  }

  // -- out ----------------------------------------------------------------------------------------------------

  @Override
  public Future<Void> write(Buffer data) {
    Promise<Void> promise = Promise.promise();
    int n = data.length();
    synchronized (this) {
      if (endReason != null || ending != null) {
        return Future.failedFuture(new TetherException(TetherException.CLOSED, "stream " + id + " has ended"
            + (endReason == null ? "" : " (" + endReason + ")")));
      }
      waitingOutBytes += n;
    }
    Buffer copy = data.copy();
    onCtx(() -> {
      if (endReason != null) {
        promise.tryFail(new TetherException(TetherException.CLOSED, "stream " + id + " has ended (" + endReason + ")"));
        return;
      }
      waitingOut.add(copy);
      writtenOut += n;
      writes.add(new Object[] {writtenOut, promise});
      flowOut();
    });
    return promise.future();
  }

  @Override
  public Future<Void> end() {
    Promise<Void> done = Promise.promise();
    onCtx(() -> {
      if (endReason != null) {
        done.tryComplete();
        return;
      }
      if (ending == null) {
        ending = done;
        endingReason = null;
        flowOut();
      } else {
        ending.future().onComplete(done);
      }
    });
    return done.future();
  }

  @Override
  public void reset(String reason) {
    onCtx(() -> {
      if (endReason == null) {
        owner.sendFin(this, reason);
        finish(reason, new TetherException(TetherException.CLOSED, "stream " + id + " was reset (" + reason + ")"));
      }
    });
  }

  @Override
  public synchronized boolean writeQueueFull() {
    return waitingOutBytes >= writeQueueMax;
  }

  @Override
  public synchronized TetherStream setWriteQueueMaxSize(int maxSize) {
    this.writeQueueMax = maxSize;
    return this;
  }

  @Override
  public synchronized TetherStream drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
    this.drainWanted = handler != null;
    return this;
  }

  /** Sends what the node's credit and the outbound buffer allow; then the end, once everything is out. */
  void flowOut() {
    if (endReason != null) {
      return;
    }
    int chunk = owner.chunkBytes();
    while (waitingOutBytes > 0 && sentOut < grantedOut) {
      int n = (int) Math.min(chunk, Math.min(waitingOutBytes, grantedOut - sentOut));
      if (!owner.hasRoom(Base64Text.encodedLength(n) + 64)) {
        break;
      }
      byte[] bytes = take(n);
      try {
        owner.send(seq -> new Frame.Data(seq, id, Base64Text.encode(bytes), false, null));
      } catch (TetherException e) {
        fail(e);
        return;
      }
      sentOut += n;
      synchronized (this) {
        waitingOutBytes -= n;
      }
      while (!writes.isEmpty() && (Long) writes.peekFirst()[0] <= sentOut) {
        @SuppressWarnings("unchecked")
        Promise<Void> p = (Promise<Void>) writes.pollFirst()[1];
        p.tryComplete();
      }
    }
    Handler<Void> drain;
    synchronized (this) {
      drain = drainWanted && waitingOutBytes < writeQueueMax / 2 ? drainHandler : null;
    }
    if (drain != null) {
      drainWanted = false;
      owner.call(drain, null);
    }
    if (ending != null && waitingOutBytes == 0 && endReason == null) {
      if (!owner.sendFin(this, endingReason)) {
        return; // no room for the fin yet: tried again when the server acks
      }
      Promise<Void> done = ending;
      finish("closed", null);
      done.tryComplete();
    }
  }

  private byte[] take(int n) {
    byte[] out = new byte[n];
    int at = 0;
    while (at < n) {
      Buffer head = waitingOut.pollFirst();
      int k = Math.min(head.length(), n - at);
      head.getBytes(0, k, out, at);
      at += k;
      if (k < head.length()) {
        waitingOut.addFirst(head.getBuffer(k, head.length()));
      }
    }
    return out;
  }

  void credited(long granted) {
    if (granted > grantedOut) {
      grantedOut = granted;
      flowOut();
    }
  }

  // -- in -----------------------------------------------------------------------------------------------------

  /** A {@code data} frame from the node, in seq order. */
  void received(Frame.Data d) {
    if (endReason != null) {
      countDropped(d);
      return;
    }
    if (d.data() != null && !d.data().isEmpty()) {
      byte[] bytes = Base64Text.decode(d.data());
      receivedIn += bytes.length;
      if (receivedIn > grantedIn) {
        owner.problem(new TetherException("window_exceeded", "the node sent " + receivedIn + " bytes on stream " + id
            + ", more than the " + grantedIn + " granted"));
      }
      waitingIn.add(Buffer.buffer(bytes));
    }
    if (d.fin()) {
      remoteFin = d.reason() == null ? "eof" : d.reason();
    }
    deliverIn();
  }

  void countDropped(Frame.Data d) {
    if (d.data() != null && !d.data().isEmpty()) {
      long n = Base64Text.decode(d.data()).length;
      synchronized (this) {
        dropped += n;
      }
      owner.dropped(this, n);
    }
  }

  private void deliverIn() {
    if (delivering) {
      return;
    }
    delivering = true;
    try {
      while (endReason == null && demand > 0 && !waitingIn.isEmpty()) {
        Buffer b = waitingIn.poll();
        if (demand != Long.MAX_VALUE) {
          demand--;
        }
        consumedIn += b.length();
        framesSinceCredit++;
        Handler<Buffer> h = handler;
        if (h != null) {
          owner.call(h, b);
        }
      }
    } finally {
      delivering = false;
    }
    creditConsumed();
    if (endReason == null && remoteFin != null && waitingIn.isEmpty()) {
      String reason = remoteFin;
      Handler<Void> h = endHandler;
      finish(reason, new TetherException(TetherException.CLOSED, "stream " + id + " ended (" + reason + ")"));
      if (h != null) {
        owner.call(h, null);
      }
    }
  }

  /**
   * Tells the node what the application consumed: at once after a quarter window or {@link #CREDIT_FRAMES} frames
   * (the node also bounds the frames a session has unconsumed, so many small ones must be credited too), else within
   * {@link #CREDIT_DELAY_MS}.
   */
  private void creditConsumed() {
    if (endReason != null || consumedIn + window == grantedIn) {
      return;
    }
    if (consumedIn + window - grantedIn >= window / 4 || framesSinceCredit >= CREDIT_FRAMES) {
      if (creditTimer >= 0) {
        owner.vertx().cancelTimer(creditTimer);
        creditTimer = -1;
      }
      grantedIn = consumedIn + window;
      framesSinceCredit = 0;
      owner.sendCredit(credit());
    } else if (creditTimer < 0) {
      creditTimer = owner.vertx().setTimer(CREDIT_DELAY_MS, id -> {
        creditTimer = -1;
        framesSinceCredit = CREDIT_FRAMES;
        creditConsumed();
      });
    }
  }

  @Override
  public TetherStream handler(Handler<Buffer> handler) {
    onCtx(() -> {
      this.handler = handler;
      deliverIn();
    });
    return this;
  }

  @Override
  public TetherStream pause() {
    onCtx(() -> demand = 0);
    return this;
  }

  @Override
  public TetherStream resume() {
    onCtx(() -> {
      demand = Long.MAX_VALUE;
      deliverIn();
    });
    return this;
  }

  @Override
  public TetherStream fetch(long amount) {
    onCtx(() -> {
      demand = demand == Long.MAX_VALUE || Long.MAX_VALUE - demand < amount ? Long.MAX_VALUE : demand + amount;
      deliverIn();
    });
    return this;
  }

  @Override
  public TetherStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }

  @Override
  public TetherStream closeHandler(Handler<String> handler) {
    this.closeHandler = handler;
    return this;
  }

  @Override
  public TetherStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  // -- the end ------------------------------------------------------------------------------------------------

  /** The session that carried the stream is gone (re-sync, close, end): the stream ends with {@code reason}. */
  void lost(String reason) {
    if (endReason == null) {
      finish(reason, new TetherException(TetherException.CLOSED, "stream " + id + " ended (" + reason + ")"));
    }
  }

  private void fail(TetherException e) {
    owner.sendFin(this, "closed");
    finish("closed", e);
    Handler<Throwable> h = exceptionHandler;
    if (h != null) {
      owner.call(h, e);
    }
  }

  private void finish(String reason, TetherException error) {
    synchronized (this) {
      endReason = reason;
      waitingOutBytes = 0;
    }
    waitingOut.clear();
    waitingIn.clear();
    TetherException e = error == null ? new TetherException(TetherException.CLOSED, "stream " + id + " has ended")
        : error;
    while (!writes.isEmpty()) {
      @SuppressWarnings("unchecked")
      Promise<Void> p = (Promise<Void>) writes.pollFirst()[1];
      p.tryFail(e);
    }
    if (ending != null) {
      ending.tryComplete();
    }
    owner.ended(this);
    Handler<String> h = closeHandler;
    if (h != null) {
      owner.call(h, reason);
    }
  }
}
