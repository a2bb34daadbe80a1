package io.tether.gateway.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.tether.gateway.metrics.MemoryByLifetime;

/**
 * The server text frames of one batch, framed into one buffer and written to the channel at once: one allocation, one
 * walk down the pipeline and one flush per batch instead of one each per frame (docs/BENCHMARKS.md "One flush per
 * batch"). The framing is RFC 6455 §5.2 for a server frame: FIN and the text opcode, the payload length in 7, 16 or
 * 64 bits, no mask; it is what Netty's encoder writes for a {@code TextWebSocketFrame} on a socket without extensions,
 * and the client port negotiates none (compression is off, ClientEndpointVerticle).
 *
 * <p>Runs on the socket's event loop only. A batch larger than {@link #SPILL_BYTES} is written out in parts (flushed
 * once, at the end), so one buffer stays small.
 */
final class FrameBatch {

  /** Held bytes above which the buffer is written to the channel (unflushed) and a new one started. */
  static final int SPILL_BYTES = 256 * 1024;

  private final ChannelHandlerContext channel;
  private final MemoryByLifetime memory;
  private ByteBuf held;
  /** Characters of the frames in {@link #held}, counted as connection memory until Netty has written them. */
  private int heldChars;

  FrameBatch(ChannelHandlerContext channel, MemoryByLifetime memory) {
    this.channel = channel;
    this.memory = memory;
  }

  boolean isEmpty() {
    return held == null;
  }

  /** Adds one text frame whose UTF-8 form is {@code utf8Length} bytes ({@code text.length()} counted as memory). */
  void add(String text, int utf8Length) {
    if (held == null) {
      held = channel.alloc().buffer(Math.min(SPILL_BYTES, utf8Length + 10) * 2);
    }
    held.writeByte(0x81); // FIN, opcode 1 (text)
    if (utf8Length < 126) {
      held.writeByte(utf8Length);
    } else if (utf8Length < 65_536) {
      held.writeByte(126);
      held.writeShort(utf8Length);
    } else {
      held.writeByte(127);
      held.writeLong(utf8Length);
    }
    ByteBufUtil.reserveAndWriteUtf8(held, text, utf8Length);
    heldChars += text.length();
    if (held.readableBytes() >= SPILL_BYTES) {
      write(false);
    }
  }

  /** Writes what is held to the channel, and flushes it if {@code flush}. */
  void write(boolean flush) {
    if (held != null) {
      int chars = heldChars;
      ByteBuf out = held;
      held = null;
      heldChars = 0;
      channel.write(out).addListener(f -> memory.connectionWritten(chars));
    }
    if (flush) {
      channel.flush();
    }
  }
}
