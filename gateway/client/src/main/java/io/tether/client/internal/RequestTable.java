package io.tether.client.internal;

import io.tether.client.ClientErrorCode;
import io.tether.client.ConnectionState;
import io.tether.client.Reply;
import io.tether.client.TetherClientOptions;
import io.tether.client.TetherException;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.RawJson;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The client's own requests (docs/CLIENT.md "Requests", "The request queue"): each on a new odd stream, waiting for
 * its response. A request is either queued (made while the channel is not open, or behind earlier queued ones; not
 * numbered yet, so it survives the loss of a session) or sent (a reliable frame of the session). Reads of cacheable
 * addresses are answered from the {@link ResponseCache} while not ONLINE, and their responses refresh it.
 *
 * <p>Bounds: the queue holds {@code maxQueuedRequests}/{@code maxQueuedBytes}; a request that does not fit fails
 * at once with {@code queue_full}. Queued requests are sent, in order, as fast as the outbound buffer has room.
 * Timeouts: a read's counts from the call, a write's from its sending.
 */
public final class RequestTable {

  /** What the table tells the rest of the client. */
  public interface Listener {
    /** The queued writes changed (the store saves them). */
    void writesChanged();

    /** The response cache changed (the store saves it). */
    void cacheChanged();

    void problem(Throwable t);
  }

  /** Size counted for a queued request besides its address and body (the frame's fixed fields). */
  private static final int QUEUED_OVERHEAD_BYTES = 64;

  /** A client request waiting for its response. */
  private static final class Pending {
    final long stream;
    final String address;
    final String bodyJson;
    final Promise<Reply> promise;
    /** The canonical request body when the address is cacheable (a read), else null (a write). */
    final String canonicalBody;
    final long timeoutMs;
    final int queuedBytes;
    /** Restored from the on-disk store: nobody waits for the future, so a failure is reported. */
    final boolean restored;
    ReliableChannel.OutFrame frame;
    boolean queued;
    long timer = -1;
    /** Related resources pushed on the request's stream, by label (JSON text), in arrival order. */
    Map<String, String> resources;

    Pending(long stream, String address, String bodyJson, Promise<Reply> promise, String canonicalBody,
        long timeoutMs, boolean restored) {
      this.stream = stream;
      this.address = address;
      this.bodyJson = bodyJson;
      this.promise = promise;
      this.canonicalBody = canonicalBody;
      this.timeoutMs = timeoutMs;
      this.restored = restored;
      this.queuedBytes = Support.utf8Length(address) + Support.utf8Length(bodyJson) + QUEUED_OVERHEAD_BYTES;
    }

    /** A write: a request to an address that is not cacheable. Queued writes are stored, and time out from sending. */
    boolean isWrite() {
      return canonicalBody == null;
    }

    Frame.Request frame(long seq) {
      return new Frame.Request(seq, stream, address, RawJson.of(bodyJson));
    }
  }

  private final Vertx vertx;
  private final ReliableChannel channel;
  private final ResponseCache cache;
  private final FrameCodec codec;
  private final Supplier<ConnectionState> state;
  private final Listener listener;
  private final int maxFrameBytes;
  private final int maxQueuedRequests;
  private final long maxQueuedBytes;
  private final long restoredTimeoutMs;

  /** Every request waiting for its response (queued or sent), by stream. */
  private final Map<Long, Pending> requests = new HashMap<>();
  /** Requests not sent yet, in call order. */
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private long queueBytes;
  private long nextStream = 1;
  private volatile int queueSize;

  public RequestTable(Vertx vertx, TetherClientOptions options, ReliableChannel channel, ResponseCache cache,
      FrameCodec codec, Supplier<ConnectionState> state, Listener listener) {
    this.vertx = vertx;
    this.channel = channel;
    this.cache = cache;
    this.codec = codec;
    this.state = state;
    this.listener = listener;
    this.maxFrameBytes = options.getMaxFrameBytes();
    this.maxQueuedRequests = options.getMaxQueuedRequests();
    this.maxQueuedBytes = options.getMaxQueuedBytes();
    this.restoredTimeoutMs = options.getRequestTimeoutMs();
  }

  /** A new client stream id for a byte stream: odd, from the same sequence as requests' streams. */
  public long takeStreamId() {
    long id = nextStream;
    nextStream += 2;
    return id;
  }

  /**
   * Places a request: answered from the cache (a read while not ONLINE, when cached), sent at once (the channel is
   * open and nothing is queued), or queued. The stream id is given here, so streams follow call order.
   *
   * @param canonicalBody the canonical body for a read (cacheable address), null for a write
   */
  public void submit(String address, String bodyJson, String canonicalBody, long timeoutMs, Promise<Reply> promise) {
    place(address, bodyJson, canonicalBody, timeoutMs, false, promise);
  }

  /** Queues a write restored from the store; a failure is reported, since nobody holds its future. */
  public void restore(ClientStore.StoredWrite w) {
    // Restored as a write whatever the options say now: it was stored as one. Closing keeps it in the store only
    // while it is queued; once sent, it is the session's, and closing ends the session.
    Pending[] self = new Pending[1];
    Promise<Reply> promise = reporting(w.address(), "not answered", () -> self[0] != null && self[0].queued);
    self[0] = place(w.address(), w.body(), null, restoredTimeoutMs, true, promise);
  }

  /**
   * The requests among own frames restored with a stored session (sent by an earlier process, not acked then): they
   * wait for their responses again; a failure is reported, since nobody holds their futures. Their timeouts start
   * when the session is resumed ({@link #startSentTimers}). Returns their stream ids.
   */
  public java.util.Set<Long> restoreSent(List<ReliableChannel.OutFrame> frames, long storedNextStream) {
    java.util.Set<Long> streams = new java.util.HashSet<>();
    for (ReliableChannel.OutFrame f : frames) {
      if (f.frame() instanceof Frame.Request r && r.stream() % 2 == 1) {
        String body = r.body() == null ? "null" : r.body().json();
        Pending p = new Pending(r.stream(), r.address(), body, reporting(r.address(), "sent before a restart",
            () -> false), null, restoredTimeoutMs, true);
        p.frame = f;
        requests.put(p.stream, p);
        streams.add(p.stream);
        nextStream = Math.max(nextStream, p.stream + 2);
      }
    }
    nextStream = Math.max(nextStream, storedNextStream);
    return streams;
  }

  /** Starts the timeouts of sent requests that have none yet (restored ones, once their session is resumed). */
  public void startSentTimers() {
    for (Pending p : requests.values()) {
      if (!p.queued && p.timer < 0) {
        startTimer(p);
      }
    }
  }

  /** The next own stream id, for the stored session. */
  public long nextStream() {
    return nextStream;
  }

  /**
   * A promise for a restored write whose failure is reported ({@code what}: how it was left). Remote refusals and
   * timeouts are reported where they happen; a close that keeps the write in the store ({@code keptInStore}) is not
   * a failure.
   */
  private Promise<Reply> reporting(String address, String what, java.util.function.BooleanSupplier keptInStore) {
    Promise<Reply> promise = Promise.promise();
    promise.future().onFailure(t -> {
      if (!(t instanceof TetherException te) || !te.isRemote() && !TetherException.TIMEOUT.equals(te.code())
          && !(TetherException.CLOSED.equals(te.code()) && keptInStore.getAsBoolean())) {
        listener.problem(new TetherException(t instanceof TetherException te ? te.code()
            : ClientErrorCode.UNKNOWN.code(), "stored write to '" + address + "' " + what + ": " + t.getMessage()));
      }
    });
    return promise;
  }

  /** Returns the request if it waits for a response now (sent or queued), else null (answered or failed at once). */
  private Pending place(String address, String bodyJson, String canonicalBody, long timeoutMs, boolean restored,
      Promise<Reply> promise) {
    ConnectionState now = state.get();
    if (now == ConnectionState.CLOSED) {
      promise.fail(new TetherException(TetherException.CLOSED, "the client is closed"));
      return null;
    }
    if (now != ConnectionState.ONLINE && canonicalBody != null) {
      ResponseCache.Entry hit = cache.get(ResponseCache.key(address, canonicalBody));
      if (hit != null) {
        promise.complete(hit.toReply());
        return null;
      }
    }
    Pending p = new Pending(nextStream, address, bodyJson, promise, canonicalBody, timeoutMs, restored);
    if (channel.isOpen() && queue.isEmpty()) {
      try {
        p.frame = channel.send(p::frame, false);
      } catch (TetherException e) {
        p.promise.fail(e);
        return null;
      }
      nextStream += 2;
      requests.put(p.stream, p);
      startTimer(p);
      return p;
    }
    // Queued: checked now, so that it fails at the call rather than when it is sent.
    int frameBytes = Support.utf8Length(codec.encode(p.frame(Long.MAX_VALUE)));
    if (frameBytes > maxFrameBytes) {
      p.promise.fail(new TetherException(TetherException.TOO_LARGE, "the 'request' frame is " + frameBytes
          + " bytes, above maxFrameBytes (" + maxFrameBytes + ")"));
      return null;
    }
    if (queue.size() >= maxQueuedRequests || queueBytes + p.queuedBytes > maxQueuedBytes) {
      p.promise.fail(new TetherException(TetherException.QUEUE_FULL, "the request queue is full (" + queue.size()
          + " requests, " + queueBytes + " bytes wait for the connection; bounds: maxQueuedRequests "
          + maxQueuedRequests + ", maxQueuedBytes " + maxQueuedBytes + ")"));
      return null;
    }
    nextStream += 2;
    requests.put(p.stream, p);
    p.queued = true;
    queue.addLast(p);
    queueBytes += p.queuedBytes;
    queueChanged(p);
    if (!p.isWrite()) {
      startTimer(p); // a read is only worth having soon: waiting counts
    }
    drain();
    return p;
  }

  private void startTimer(Pending p) {
    if (p.timeoutMs <= 0 || p.timer >= 0) {
      return;
    }
    p.timer = vertx.setTimer(p.timeoutMs, id -> {
      if (requests.remove(p.stream, p)) {
        if (p.queued) {
          unqueue(p);
        }
        p.promise.tryFail(new TetherException(TetherException.TIMEOUT,
            "no response to '" + p.address + "' within " + p.timeoutMs + " ms"));
        if (p.restored) {
          listener.problem(new TetherException(TetherException.TIMEOUT, "stored write to '" + p.address
              + "': no response within " + p.timeoutMs + " ms"));
        }
      }
    });
  }

  private void unqueue(Pending p) {
    if (queue.remove(p)) {
      p.queued = false;
      queueBytes -= p.queuedBytes;
      queueChanged(p);
    }
  }

  private void queueChanged(Pending p) {
    queueSize = queue.size();
    if (p.isWrite()) {
      listener.writesChanged();
    }
  }

  /**
   * Sends queued requests, in order, while the outbound buffer has room: each becomes a reliable frame with the next
   * seq. Only while the channel is open, i.e. every older kept frame was written already (else a seq would overtake).
   */
  public void drain() {
    if (!channel.isOpen()) {
      return;
    }
    while (!queue.isEmpty()) {
      Pending p = queue.peekFirst();
      if (!channel.hasRoom(p.queuedBytes)) {
        return; // the next acks make room
      }
      queue.pollFirst();
      p.queued = false;
      queueBytes -= p.queuedBytes;
      queueChanged(p);
      try {
        p.frame = channel.send(p::frame, true);
      } catch (TetherException e) {
        requests.remove(p.stream, p);
        Support.cancelTimer(vertx, p.timer);
        p.promise.tryFail(e);
        continue;
      }
      startTimer(p); // a write's timeout starts now
    }
  }

  /** A related resource pushed on a sent request's stream: kept for its Reply (and, for a read, the cache). */
  public void related(Frame.Push push) {
    if (push.stream() == 0 || push.resource() == null) {
      return;
    }
    Pending p = requests.get(push.stream());
    if (p != null && !p.queued) {
      if (p.resources == null) {
        p.resources = new LinkedHashMap<>();
      }
      p.resources.put(push.resource(), push.body() == null ? "null" : push.body().json());
    }
  }

  public void onResponse(Frame.Response r) {
    Pending p = requests.get(r.stream());
    if (p == null || p.queued) {
      return; // timed out already, an answer to a request of a lost session, or (a server bug) one not sent yet
    }
    requests.remove(r.stream());
    Support.cancelTimer(vertx, p.timer);
    if (r.ok()) {
      String value = r.body() == null ? "null" : r.body().json();
      long now = System.currentTimeMillis();
      if (p.canonicalBody != null && cache.put(p.address, p.canonicalBody, value, p.resources, now)) {
        listener.cacheChanged();
      }
      Map<String, Object> resources = new LinkedHashMap<>();
      if (p.resources != null) {
        p.resources.forEach((label, json) -> resources.put(label, Json.decodeValue(json)));
      }
      p.promise.tryComplete(new Reply(Json.decodeValue(value), false, now, resources));
    } else {
      Frame.ErrorInfo e = r.error();
      TetherException error = new TetherException(e == null ? null : e.code(), e == null ? null : e.message(), null,
          true, null);
      p.promise.tryFail(error);
      if (p.restored) {
        listener.problem(new TetherException(error.code(), "stored write to '" + p.address + "' refused: "
            + error.detail(), null, true, null));
      }
    }
  }

  /**
   * A non-fatal error that names one of the sent requests by {@code refSeq}: the server refused it without a response
   * on its stream (a wrong stream, or the client's buffer was full: docs/PROTOCOL.md §7). True if it was one.
   */
  public boolean refused(Frame.Error e) {
    if (e.refSeq() <= 0) {
      return false;
    }
    for (Pending p : requests.values()) {
      if (!p.queued && p.frame != null && p.frame.frame() instanceof Frame.Request r && r.seq() == e.refSeq()) {
        onResponse(new Frame.Response(0, r.stream(), false, null, new Frame.ErrorInfo(e.code(), e.message()), true));
        return true;
      }
    }
    return false;
  }

  /**
   * A new session replaced a lost one (the channel's numbering restarted). Requests already written may or may not
   * have been acted on: they fail with {@code session_lost}. Sent requests never written are numbered again, in
   * their order, from {@code old} (the lost session's unacked frames); queued ones go after, as usual.
   *
   * @return how many requests failed
   */
  public int sessionLost(List<ReliableChannel.OutFrame> old) {
    int lost = 0;
    for (Pending p : new ArrayList<>(requests.values())) {
      if (!p.queued && (p.frame == null || p.frame.written())) {
        requests.remove(p.stream);
        Support.cancelTimer(vertx, p.timer);
        p.promise.tryFail(new TetherException(TetherException.SESSION_LOST, "the session was lost after the "
            + "request to '" + p.address + "' was sent; whether the server acted on it is unknown"));
        lost++;
      }
    }
    for (ReliableChannel.OutFrame f : old) {
      if (f.frame() instanceof Frame.Request r) {
        Pending p = requests.get(r.stream());
        if (p != null && p.frame == f) {
          p.frame = channel.renumber(r);
        }
      }
    }
    return lost;
  }

  /** Fails the sent requests (the client closed, or a first connect failed); the queue stays. */
  public void failSent(TetherException error) {
    for (Pending p : new ArrayList<>(requests.values())) {
      if (!p.queued) {
        requests.remove(p.stream);
        Support.cancelTimer(vertx, p.timer);
        p.promise.tryFail(error);
      }
    }
  }

  /** Fails and empties the queue (the client closed). */
  public void failQueued(TetherException error) {
    for (Pending p : new ArrayList<>(queue)) {
      requests.remove(p.stream, p);
      Support.cancelTimer(vertx, p.timer);
      p.promise.tryFail(error);
    }
    queue.clear();
    queueBytes = 0;
    queueSize = 0;
  }

  /** The queued writes, in order, for the store. */
  public List<ClientStore.StoredWrite> queuedWrites() {
    List<ClientStore.StoredWrite> writes = new ArrayList<>();
    for (Pending p : queue) {
      if (p.isWrite()) {
        writes.add(new ClientStore.StoredWrite(p.address, p.bodyJson, p.stream));
      }
    }
    return writes;
  }

  public boolean hasQueuedWrites() {
    return queue.stream().anyMatch(Pending::isWrite);
  }

  /** Requests in the queue; any thread. */
  public int queued() {
    return queueSize;
  }
}
