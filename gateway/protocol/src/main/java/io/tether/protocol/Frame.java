package io.tether.protocol;

/**
 * One frame of the wire protocol (docs/PROTOCOL.md): one JSON object per WebSocket text frame. Each record below
 * is one {@code type}; fields that the contract marks optional are {@code null} (objects) or 0 (numbers: seqs and
 * versions start at 1, so 0 always means "absent").
 */
public sealed interface Frame {

  /** The wire value of {@code type}. */
  String type();

  /** Frames that carry a per-direction sequence number and are buffered until acknowledged (§3). */
  sealed interface Reliable extends Frame {
    long seq();

    /** The same frame carrying {@code seq}; the session assigns seqs when it accepts a frame for sending. */
    Reliable withSeq(long seq);
  }

  // -- session lifecycle (§2) ---------------------------------------------------------------------------------

  record Hello(String clientId, String token, RawJson attrs) implements Frame {
    public String type() {
      return "hello";
    }
  }

  record Welcome(String sessionId, String resumeToken, long heartbeatMs, long resumeWindowMs, String node)
      implements Frame {
    public String type() {
      return "welcome";
    }
  }

  /** {@code token}: a fresh credential, needed when the session's credential has expired (§2); null otherwise. */
  record Resume(String sessionId, String resumeToken, long lastSeq, String token) implements Frame {
    public Resume(String sessionId, String resumeToken, long lastSeq) {
      this(sessionId, resumeToken, lastSeq, null);
    }

    public String type() {
      return "resume";
    }
  }

  record Resumed(String sessionId, String resumeToken, long lastSeq, String node) implements Frame {
    public String type() {
      return "resumed";
    }
  }

  // -- credential lifetime (§2, "Authentication") --------------------------------------------------------------

  /** Server: the session's credential expires at {@code expiresAt} (epoch ms); send {@link Auth} with a new one. */
  record Refresh(long expiresAt) implements Frame {
    public String type() {
      return "refresh";
    }
  }

  /** Client: a new credential for the established session. */
  record Auth(String token) implements Frame {
    public String type() {
      return "auth";
    }
  }

  /** Server: the new credential is accepted; it expires at {@code expiresAt} (epoch ms, 0 = never). */
  record AuthOk(long expiresAt) implements Frame {
    public String type() {
      return "auth_ok";
    }
  }

  // -- acks and heartbeats (§3, §4) ---------------------------------------------------------------------------

  record Ack(long ack) implements Frame {
    public String type() {
      return "ack";
    }
  }

  /** {@code ack} is -1 when absent (0 is a valid cumulative ack: nothing received yet). */
  record Ping(long ack, RawJson attrs) implements Frame {
    public String type() {
      return "ping";
    }
  }

  /** {@code ack} is -1 when absent. */
  record Pong(long ack) implements Frame {
    public String type() {
      return "pong";
    }
  }

  // -- streams (§5) --------------------------------------------------------------------------------------------

  record Request(long seq, long stream, String address, RawJson body) implements Reliable {
    public String type() {
      return "request";
    }

    public Request withSeq(long seq) {
      return new Request(seq, stream, address, body);
    }
  }

  /** {@code error} is set when {@code ok} is false. */
  record Response(long seq, long stream, boolean ok, RawJson body, ErrorInfo error, boolean fin) implements Reliable {
    public String type() {
      return "response";
    }

    public Response withSeq(long seq) {
      return new Response(seq, stream, ok, body, error, fin);
    }
  }

  /** {@code seq} 0 = volatile push (not buffered, not acked). {@code resource} labels a related resource (§5). */
  record Push(long seq, long stream, String resource, RawJson body) implements Reliable {
    public String type() {
      return "push";
    }

    public boolean isVolatile() {
      return seq == 0;
    }

    public Push withSeq(long seq) {
      return new Push(seq, stream, resource, body);
    }
  }

  // -- topics (§6) ---------------------------------------------------------------------------------------------

  record Subscribe(long seq, String topic, long version) implements Reliable {
    public String type() {
      return "subscribe";
    }

    public Subscribe withSeq(long seq) {
      return new Subscribe(seq, topic, version);
    }
  }

  record Unsubscribe(long seq, String topic) implements Reliable {
    public String type() {
      return "unsubscribe";
    }

    public Unsubscribe withSeq(long seq) {
      return new Unsubscribe(seq, topic);
    }
  }

  record Notify(long seq, String topic, long version, RawJson body) implements Reliable {
    public String type() {
      return "notify";
    }

    public Notify withSeq(long seq) {
      return new Notify(seq, topic, version, body);
    }
  }

  // -- byte streams (extension streams/1, docs/PROTOCOL.md §13) -------------------------------------------------

  /**
   * Client: opens byte stream {@code stream} (an odd id, like a request's) to the node-side upstream named
   * {@code upstream}; {@code window} is how many bytes the server may send on it before the client's first
   * {@link Credit}.
   */
  record Open(long seq, long stream, String upstream, long window) implements Reliable {
    public String type() {
      return "open";
    }

    public Open withSeq(long seq) {
      return new Open(seq, stream, upstream, window);
    }
  }

  /**
   * Bytes of a byte stream, either way: {@code data} is their base64 (RFC 4648, with padding; null when there are
   * none). {@code fin} ends the stream in both directions; {@code reason} says why (null: the sender's side closed).
   */
  record Data(long seq, long stream, String data, boolean fin, String reason) implements Reliable {
    public String type() {
      return "data";
    }

    public Data withSeq(long seq) {
      return new Data(seq, stream, data, fin, reason);
    }
  }

  /**
   * Flow control of a byte stream, either way, not sequenced: the peer may have sent at most {@code granted} bytes
   * (cumulative, from the stream's start) on {@code stream}. Each side repeats its latest grants after a resume, so
   * a lost credit only delays.
   */
  record Credit(long stream, long granted) implements Frame {
    public String type() {
      return "credit";
    }
  }

  // -- ending and errors (§7) ----------------------------------------------------------------------------------

  /** {@code reason} is null when the client ends the session. */
  record Bye(String reason) implements Frame {
    public String type() {
      return "bye";
    }
  }

  record Reconnect(String reason) implements Frame {
    public String type() {
      return "reconnect";
    }
  }

  /**
   * {@code reason} qualifies some codes (e.g. {@code resume_failed}); null otherwise. An error caused by one of the
   * peer's reliable frames names it: {@code refSeq} is that frame's seq (0 = none), and {@code topic} the topic of a
   * refused {@code subscribe} (docs/PROTOCOL.md §7).
   */
  record Error(String code, String message, String reason, boolean fatal, long refSeq, String topic)
      implements Frame {
    public Error(String code, String message, String reason, boolean fatal) {
      this(code, message, reason, fatal, 0, null);
    }

    public String type() {
      return "error";
    }

    public static Error of(ErrorCode code, String message, boolean fatal) {
      return new Error(code.wire(), message, null, fatal);
    }

    /** A non-fatal refusal of the peer's reliable frame {@code refSeq} ({@code topic} for a subscribe, else null). */
    public static Error refusing(ErrorCode code, String message, long refSeq, String topic) {
      return new Error(code.wire(), message, null, false, refSeq, topic);
    }
  }

  /** The {@code error} object of a failed {@code response}. */
  record ErrorInfo(String code, String message) {
  }
}
