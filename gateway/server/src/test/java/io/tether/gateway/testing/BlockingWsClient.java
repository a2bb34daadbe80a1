package io.tether.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A minimal blocking WebSocket client on a plain {@link Socket} (RFC 6455: handshake, masked text frames, reading
 * unfragmented frames), for tests that open and drop very many connections from plain threads — churn — and need
 * what no polite client does: {@link #kill()} resets the TCP connection with no close frame and no {@code bye}.
 * Not for the event loop: every call blocks.
 */
public final class BlockingWsClient implements AutoCloseable {

  private static final int OP_TEXT = 0x1;
  private static final int OP_CLOSE = 0x8;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private BlockingWsClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects to {@code ws://host:port/ws} and completes the upgrade; fails unless the answer is 101. */
  public static BlockingWsClient connect(String host, int port) throws IOException {
    Socket s = new Socket(host, port);
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(20_000);
      byte[] key = new byte[16];
      ThreadLocalRandom.current().nextBytes(key);
      String request = "GET " + WireClient.PATH + " HTTP/1.1\r\nHost: " + host + ":" + port
          + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
          + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      String head = readHead(s.getInputStream());
      if (!head.startsWith("HTTP/1.1 101")) {
        throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(head));
      }
      return new BlockingWsClient(s);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last4 = 0;
    while (last4 != 0x0d0a0d0a) { // the blank line that ends the head
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed during the upgrade: " + head);
      }
      head.write(b);
      last4 = (last4 << 8) | b;
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  /** Sends one masked text frame. */
  public void sendText(String text) throws IOException {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
    f.write(0x80 | OP_TEXT);
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else if (payload.length < 65_536) {
      f.write(0x80 | 126);
      f.write(payload.length >>> 8);
      f.write(payload.length);
    } else {
      f.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        f.write((int) ((long) payload.length >>> (8 * i)));
      }
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < payload.length; i++) {
      f.write(payload[i] ^ mask[i & 3]);
    }
    out.write(f.toByteArray());
    out.flush();
  }

  /** The next text frame's payload; null once the server sent a close frame or closed the connection. */
  public String nextText() throws IOException {
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return null;
      }
      int b1 = in.readUnsignedByte();
      long len = b1 & 0x7f;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      byte[] payload = new byte[(int) len];
      in.readFully(payload);
      int op = b0 & 0x0f;
      if (op == OP_CLOSE) {
        return null;
      }
      if (op == OP_TEXT) {
        return new String(payload, StandardCharsets.UTF_8);
      }
    }
  }

  /** Sends {@code hello} as {@code clientId} and returns the server's answer (a welcome, or an error). */
  public String hello(String clientId) throws IOException {
    sendText("{\"type\":\"hello\",\"clientId\":\"" + clientId + "\"}");
    return nextText();
  }

  /** Sends {@code bye} and reads until the server closes (it answers with a 1000 close), then closes the socket. */
  public void bye() throws IOException {
    sendText("{\"type\":\"bye\"}");
    while (nextText() != null) {
      // frames still in flight before the close
    }
    socket.close();
  }

  /** Drops the connection abruptly: a TCP reset, no close frame, no bye (a crashed app, a pulled cable). */
  public void kill() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
