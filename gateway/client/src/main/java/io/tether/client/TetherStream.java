package io.tether.client;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/**
 * A byte stream in the client's session to an upstream the gateway node names (docs/PROXY.md, docs/PROTOCOL.md §13):
 * what is written reaches the upstream's TCP connection, what the upstream sends is read here, both once and in order
 * across every break the session is resumed from. Flow control is end to end: {@link #writeQueueFull()} says when to
 * stop writing (the node's credit and the session's outbound buffer are used up) and {@link #pause()} stops the
 * upstream (the client grants no more credit), so {@code socket.pipeTo(stream)} and {@code stream.pipeTo(socket)}
 * keep memory bounded on both sides.
 *
 * <p>The stream ends when either side closes it: {@link #end()} here (what was written goes first), or the node's
 * final frame with a reason ({@link #closeHandler}): {@code eof} (the upstream closed), {@code connect_failed},
 * {@code unknown_upstream}, {@code upstream_lost} (the session resumed on another node, where the upstream
 * connection is not), {@code released} (the session was detached longer than the node's {@code streamReleaseMs}),
 * {@code too_many_streams}, {@code window_exceeded}; {@code session_lost} and {@code closed} come from this client
 * (the session could not be resumed; the client closed). Bytes that arrive after the stream ended here are dropped
 * and counted ({@link #bytesDropped()}), never delivered silently late.
 *
 * <p>Handlers are called on the client's context; methods may be called from any thread.
 */
public interface TetherStream extends ReadStream<Buffer>, WriteStream<Buffer> {

  /** Default receive window: bytes the node may send on a stream before the client's next credit. */
  int DEFAULT_WINDOW = 256 * 1024;

  /** The stream's id in the session (odd, like a request's). */
  long id();

  /** The upstream's name. */
  String upstream();

  /** Why the stream ended, or null while it is open. */
  String endReason();

  /** Called once, with {@link #endReason()}, when the stream ends, whoever ended it. */
  TetherStream closeHandler(Handler<String> handler);

  /** Ends the stream now with {@code reason} (told to the node): unsent bytes are dropped, the upstream is closed. */
  void reset(String reason);

  /** Bytes that arrived from the upstream after the stream had ended here (not delivered). */
  long bytesDropped();

  /** Bytes written so far that the node has not been sent yet (waiting for its credit or for buffer room). */
  long bytesQueued();

  @Override
  TetherStream exceptionHandler(Handler<Throwable> handler);

  @Override
  TetherStream handler(Handler<Buffer> handler);

  @Override
  TetherStream pause();

  @Override
  TetherStream resume();

  @Override
  TetherStream fetch(long amount);

  /** Called when the upstream ended the stream (before {@link #closeHandler}); not when this side ended it. */
  @Override
  TetherStream endHandler(Handler<Void> endHandler);

  @Override
  TetherStream setWriteQueueMaxSize(int maxSize);

  @Override
  TetherStream drainHandler(Handler<Void> handler);

  /** Completes once the bytes are in the session's outbound buffer (then reliable); fails if the stream ended. */
  @Override
  Future<Void> write(Buffer data);

  /** Sends what was written, then the stream's end; completes once the end is in the outbound buffer. */
  @Override
  Future<Void> end();
}
