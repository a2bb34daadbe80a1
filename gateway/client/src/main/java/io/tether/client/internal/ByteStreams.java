package io.tether.client.internal;

import io.tether.client.TetherException;
import io.tether.client.TetherStream;
import io.tether.protocol.Frame;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * The client's byte streams (docs/PROXY.md, docs/PROTOCOL.md §13): opening them, routing the node's {@code data} and
 * {@code credit} frames to them, repeating their credits after a resume and ending them when the session is lost.
 * Everything runs on the client's context.
 */
public final class ByteStreams {

  /** Largest raw chunk per {@code data} frame, before base64. */
  private static final int MAX_CHUNK = 32 * 1024;

  private final Vertx vertx;
  private final Context ctx;
  private final ReliableChannel channel;
  private final LongSupplier streamIds;
  private final Handler<Throwable> problems;
  private final int chunkBytes;
  private final Map<Long, ClientStream> open = new LinkedHashMap<>();
  /** Streams of the node's that this client closed because it does not know them (bounded). */
  private final java.util.Set<Long> strays = new java.util.LinkedHashSet<>();
  /** Streams that ended here recently, so that late bytes are counted against them rather than reported as stray. */
  private final Map<Long, ClientStream> ended = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, ClientStream> eldest) {
      return size() > 256;
    }
  };

  public ByteStreams(Vertx vertx, Context ctx, ReliableChannel channel, int maxFrameBytes, LongSupplier streamIds,
      Handler<Throwable> problems) {
    this.vertx = vertx;
    this.ctx = ctx;
    this.channel = channel;
    this.streamIds = streamIds;
    this.problems = problems;
    this.chunkBytes = Math.min(MAX_CHUNK, (maxFrameBytes - 256) / 4 * 3);
  }

  /**
   * Opens a stream: its {@code open} frame is numbered now (so it precedes the stream's data) and sent when the
   * session is up. Throws a {@link TetherException} if the client cannot take the frame (closed, offline, full).
   */
  public TetherStream open(String upstream, int window) {
    ClientStream s = new ClientStream(this, ctx, streamIds.getAsLong(), upstream, window);
    channel.send(s::openFrame, false);
    open.put(s.id(), s);
    return s;
  }

  public int openCount() {
    return open.size();
  }

  // -- the node's frames --------------------------------------------------------------------------------------

  public void onData(Frame.Data d) {
    ClientStream s = open.get(d.stream());
    if (s != null) {
      s.received(d);
      return;
    }
    ClientStream gone = ended.get(d.stream());
    if (gone != null) {
      gone.countDropped(d);
    } else if (!d.fin()) {
      stray(d.stream());
    }
  }

  public void onCredit(Frame.Credit c) {
    ClientStream s = open.get(c.stream());
    if (s != null) {
      s.credited(c.granted());
    } else if (!ended.containsKey(c.stream())) {
      stray(c.stream());
    }
  }

  /**
   * The node has a stream this client does not know: one opened by an earlier process on the same store (its
   * session was resumed from disk, its streams were not), so nobody reads it. It is closed (once), so that the node
   * releases its upstream connection rather than keep it for the session's life.
   */
  private void stray(long stream) {
    if (strays.add(stream)) {
      if (strays.size() > 256) {
        strays.remove(strays.iterator().next());
      }
      problems.handle(new TetherException(TetherException.CLOSED, "the node has stream " + stream
          + ", which this client does not (an earlier process opened it): closing it"));
      try {
        channel.send(seq -> new Frame.Data(seq, stream, null, true, null), true);
      } catch (TetherException e) {
        strays.remove(stream); // tried again at its next frame
      }
    }
  }

  // -- the session --------------------------------------------------------------------------------------------

  /** The session continues on a new link: the node hears every stream's credit again (one may have been lost). */
  public void resumed() {
    for (ClientStream s : open.values()) {
      sendCredit(s.credit());
    }
  }

  /** The server acked own frames: there is room in the outbound buffer again. */
  public void drain() {
    for (ClientStream s : new ArrayList<>(open.values())) {
      s.flowOut();
    }
  }

  /** The session is gone (re-sync, closed, ended): every stream ends with {@code reason}. */
  public void lost(String reason) {
    for (ClientStream s : new ArrayList<>(open.values())) {
      s.lost(reason);
    }
  }

  // -- for the streams ----------------------------------------------------------------------------------------

  Vertx vertx() {
    return vertx;
  }

  int chunkBytes() {
    return chunkBytes;
  }

  boolean hasRoom(long bytes) {
    return channel.hasRoom(bytes);
  }

  void send(LongFunction<Frame.Reliable> frame) {
    channel.send(frame, false);
  }

  /** Sends the stream's fin ({@code reason} null: the application closed it); false if there is no room yet. */
  boolean sendFin(ClientStream s, String reason) {
    try {
      channel.send(seq -> new Frame.Data(seq, s.id(), null, true, reason), true);
      return true;
    } catch (TetherException e) {
      return !TetherException.BUFFER_FULL.equals(e.code());
    }
  }

  void sendCredit(Frame.Credit credit) {
    channel.sendControl(credit);
  }

  void ended(ClientStream s) {
    if (open.remove(s.id(), s)) {
      ended.put(s.id(), s);
    }
  }

  void dropped(ClientStream s, long bytes) {
    problems.handle(new TetherException(TetherException.CLOSED, bytes + " bytes arrived on stream " + s.id()
        + " after it had ended (" + s.endReason() + "); not delivered"));
  }

  void problem(Throwable t) {
    problems.handle(t);
  }

  <T> void call(Handler<T> handler, T value) {
    try {
      handler.handle(value);
    } catch (RuntimeException e) {
      problems.handle(e);
    }
  }
}
