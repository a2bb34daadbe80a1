package io.tether.gateway.tunnel;

import io.tether.protocol.Base64Text;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameTemplate;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One byte stream on the node side (docs/PROXY.md): the upstream connection C and the flow both ways, bounded by
 * credit windows (docs/PROTOCOL.md §13).
 * <ul>
 *   <li>Up (client → upstream): bytes arrive in durable {@code data} frames and are written to C; the client may send
 *       at most {@link #grantedUp} bytes, which moves on as C takes them ({@code consumedUp + window}), so at most one
 *       window waits here.</li>
 *   <li>Down (upstream → client): what C reads waits in {@link #pendingDown} until the client's credit and the
 *       session's share of its buffer allow, then goes out as reliable {@code data} frames wherever the session is;
 *       C is paused while a window's worth is pending or unconsumed (TCP backpressure on the upstream).</li>
 * </ul>
 * Confined to its {@link SessionStreams}' context.
 */
final class Tunnel {

  /** Most frames one delivery carries. */
  private static final int MAX_FRAMES_PER_DELIVERY = 16;

  final long id;
  final String upstream;
  private final SessionStreams owner;
  private final int nodeWindow;
  private final long clientWindow;

  private NetSocket socket;
  private boolean closed;

  // up: client → upstream
  private final ArrayDeque<Buffer> waitingUp = new ArrayDeque<>();
  private long receivedUp;
  private long writingUp;
  private long consumedUp;
  private long grantedUp;
  /** The client's fin arrived: close C once what it sent before is written. */
  private String clientFin;

  // down: upstream → client
  private final ArrayDeque<Buffer> pendingDown = new ArrayDeque<>();
  private long pendingDownBytes;
  private long sentDown;
  private long grantedDown;
  /** End offsets (in bytes sent down) of the data frames the client has not consumed yet. */
  private final ArrayDeque<Long> framesDown = new ArrayDeque<>();
  private boolean delivering;
  private List<FrameTemplate> retry;
  /**
   * The idempotency key of the batch in flight (or to retry): a delivery that failed without a verdict may have
   * landed (the session detached meanwhile, a store write's reply was lost), and its retry must not append it twice.
   */
  private String batchKey;
  /** The reason of the fin to send once everything pending is out; null while the stream goes on. */
  private String finDown;
  private boolean finSent;

  Tunnel(SessionStreams owner, long id, String upstream, int nodeWindow, long clientWindow) {
    this.owner = owner;
    this.id = id;
    this.upstream = upstream;
    this.nodeWindow = nodeWindow;
    this.clientWindow = clientWindow;
    this.grantedUp = nodeWindow;
    this.grantedDown = clientWindow;
  }

  /** The credit the client has now (repeated after every attach). */
  Frame.Credit credit() {
    return new Frame.Credit(id, grantedUp);
  }

  // -- the upstream connection ------------------------------------------------------------------------------

  void connected(NetSocket s) {
    if (closed) {
      s.close();
      return;
    }
    socket = s;
    s.handler(this::fromUpstream);
    s.closeHandler(v -> upstreamClosed());
    s.exceptionHandler(e -> owner.tunnels().log().fine(() -> "stream " + id + " upstream " + upstream + ": " + e));
    while (!waitingUp.isEmpty()) {
      write(waitingUp.poll());
    }
    finishUpIfDone();
    flowDown();
  }

  void connectFailed(Throwable cause) {
    owner.tunnels().log().info(() -> "stream " + id + ": upstream " + upstream + " unreachable: " + cause.getMessage());
    endDown(StreamEnd.CONNECT_FAILED);
  }

  private void upstreamClosed() {
    owner.tunnels().log().fine(() -> "stream " + id + ": upstream " + upstream + " closed its connection");
    socket = null;
    if (!closed && finDown == null) {
      endDown(StreamEnd.EOF);
    }
  }

  // -- up -----------------------------------------------------------------------------------------------------

  /** A durable {@code data} frame of the client's, in seq order. */
  void fromClient(Frame.Data d) {
    if (closed || clientFin != null) {
      return;
    }
    if (d.data() != null && !d.data().isEmpty()) {
      byte[] bytes = Base64Text.decode(d.data());
      receivedUp += bytes.length;
      if (receivedUp > grantedUp) {
        owner.tunnels().metrics().limited("stream_window");
        owner.tunnels().log().warning("stream " + id + ": the client sent " + receivedUp + " bytes, " + grantedUp
            + " granted; the stream ends (window_exceeded)");
        endDown(StreamEnd.WINDOW_EXCEEDED);
        closeUpstream();
        return;
      }
      Buffer b = Buffer.buffer(bytes);
      if (socket == null) {
        waitingUp.add(b);
      } else {
        write(b);
      }
    }
    if (d.fin()) {
      // The client's reason is not trusted as a metric tag: one known value, or closed_by_client.
      clientFin = StreamEnd.RELEASED.equals(d.reason()) ? StreamEnd.RELEASED : StreamEnd.CLOSED_BY_CLIENT;
      finishUpIfDone();
    }
  }

  private void write(Buffer b) {
    int n = b.length();
    writingUp += n;
    socket.write(b).onComplete(ar -> {
      writingUp -= n;
      if (ar.failed()) {
        return; // the close handler ends the stream
      }
      consumedUp += n;
      owner.tunnels().metrics().streamBytes("up", n);
      if (consumedUp + nodeWindow - grantedUp >= nodeWindow / 4) {
        grantedUp = consumedUp + nodeWindow;
        owner.sendToClient(credit());
      }
      finishUpIfDone();
    });
  }

  /** After the client's fin, once everything it sent is written: C is closed and the stream forgotten. */
  private void finishUpIfDone() {
    if (clientFin != null && socket != null && writingUp == 0 && waitingUp.isEmpty()) {
      String why = clientFin;
      closed = true;
      closeUpstream();
      owner.ended(this, why);
    }
  }

  // -- down ---------------------------------------------------------------------------------------------------

  private void fromUpstream(Buffer b) {
    pendingDown.add(b);
    pendingDownBytes += b.length();
    flowDown();
  }

  /** The client's new credit for what goes down: frames it has consumed no longer count against the session. */
  void credited(long granted) {
    if (granted > grantedDown) {
      grantedDown = granted;
      long consumed = grantedDown - clientWindow;
      while (!framesDown.isEmpty() && framesDown.peekFirst() <= consumed) {
        framesDown.pollFirst();
      }
      owner.flowAll();
    }
  }

  int framesUnconsumed() {
    return framesDown.size();
  }

  long bytesUnconsumed() {
    return sentDown - Math.max(0, grantedDown - clientWindow);
  }

  /** Sends what may go now, and pauses C while a window's worth is waiting or unconsumed. */
  void flowDown() {
    if (socket != null) {
      boolean full = pendingDownBytes + bytesUnconsumed() >= clientWindow || owner.full();
      if (full) {
        socket.pause();
      } else {
        socket.resume();
      }
    }
    deliver();
  }

  private void deliver() {
    if (delivering || finSent) {
      return;
    }
    List<FrameTemplate> batch = retry;
    retry = null;
    if (batch == null) {
      batchKey = null;
      batch = new ArrayList<>(2);
      long allowance = Math.min(grantedDown - sentDown, owner.roomBytes());
      int frames = owner.roomFrames();
      int chunk = owner.tunnels().chunkBytes();
      while (pendingDownBytes > 0 && allowance > 0 && frames-- > 0 && batch.size() < MAX_FRAMES_PER_DELIVERY) {
        int n = (int) Math.min(chunk, Math.min(pendingDownBytes, allowance));
        batch.add(owner.tunnels().codec().template(new Frame.Data(0, id, Base64Text.encode(take(n)), false, null)));
        allowance -= n;
        sentDown += n;
        framesDown.addLast(sentDown);
        owner.tunnels().metrics().streamBytes("down", n);
      }
      if (finDown != null && pendingDownBytes == 0) {
        batch.add(owner.tunnels().codec().template(new Frame.Data(0, id, null, true, finDown)));
        finSent = true;
      }
      if (batch.isEmpty()) {
        return;
      }
      batchKey = "stream:" + id + ":" + sentDown + (finSent ? ":fin" : "");
    }
    delivering = true;
    List<FrameTemplate> sending = batch;
    owner.deliver(sending, batchKey, ok -> {
      delivering = false;
      if (ok == null) {
        return; // the session is gone
      }
      if (!ok) {
        retry = sending;
        owner.retryLater(this);
        return;
      }
      if (finSent) {
        owner.ended(this, finDown);
      } else {
        flowDown();
      }
    });
  }

  private byte[] take(int n) {
    byte[] out = new byte[n];
    int at = 0;
    while (at < n) {
      Buffer head = pendingDown.pollFirst();
      int k = Math.min(head.length(), n - at);
      head.getBytes(0, k, out, at);
      at += k;
      if (k < head.length()) {
        pendingDown.addFirst(head.getBuffer(k, head.length()));
      }
    }
    pendingDownBytes -= n;
    return out;
  }

  /** Ends the stream towards the client: what C sent before goes first, then a fin with {@code reason}. */
  void endDown(String reason) {
    if (finDown == null) {
      finDown = reason;
      closeUpstream();
      deliver();
    }
  }

  /**
   * The session stayed detached too long: C is closed; what C sent that the client's credit covers still goes, the
   * rest is dropped (counted) and the fin says {@code released}.
   */
  void release() {
    long covered = Math.max(0, grantedDown - sentDown);
    if (pendingDownBytes > covered) {
      long dropped = pendingDownBytes - covered;
      owner.tunnels().metrics().streamBytesDropped(dropped);
      owner.tunnels().log().info(() -> "stream " + id + " released: " + dropped
          + " bytes from upstream " + upstream + " could not be delivered");
      while (pendingDownBytes > covered) {
        Buffer last = pendingDown.pollLast();
        long excess = pendingDownBytes - covered;
        if (last.length() <= excess) {
          pendingDownBytes -= last.length();
        } else {
          pendingDown.addLast(last.getBuffer(0, (int) (last.length() - excess)));
          pendingDownBytes = covered;
        }
      }
    }
    endDown(StreamEnd.RELEASED);
  }

  /** Closes C now (the session ended, or the stream is being torn down). */
  void closeUpstream() {
    NetSocket s = socket;
    socket = null;
    waitingUp.clear();
    if (s != null) {
      s.close();
    }
  }

  void abandon() {
    closed = true;
    finSent = true;
    closeUpstream();
  }
}
