package io.tether.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.tether.protocol.Frame.ErrorInfo;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * JSON codec for {@link Frame}s (docs/PROTOCOL.md §1). Decoding streams through the object once: the size limit is
 * checked before parsing, field types are checked as they are read, unknown fields are skipped, and opaque values
 * ({@code body}, {@code attrs}) are kept as their raw text. Thread-safe.
 */
public final class FrameCodec {

  /** Default maximum frame size in bytes (§1). */
  public static final int DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
  private static final int MAX_NESTING = 64;

  private final JsonFactory factory;
  private final FrameEncoder encoder;
  private final int maxFrameBytes;

  public FrameCodec() {
    this(DEFAULT_MAX_FRAME_BYTES);
  }

  public FrameCodec(int maxFrameBytes) {
    if (maxFrameBytes < 256) {
      throw new IllegalArgumentException("maxFrameBytes must be at least 256, got " + maxFrameBytes);
    }
    this.maxFrameBytes = maxFrameBytes;
    this.factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING)
            .maxNumberLength(maxFrameBytes).build())
        .build();
    this.encoder = new FrameEncoder(factory);
  }

  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /** True when {@code clientId} satisfies §2: 1–128 chars of {@code [A-Za-z0-9._:@-]}. */
  public static boolean isValidClientId(String clientId) {
    return clientId != null && CLIENT_ID.matcher(clientId).matches();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Decoding

  /**
   * Decodes one text frame. {@code text.length()} is a lower bound of its UTF-8 size, so a text longer than the
   * limit is refused before any parsing; the transport checks the exact byte size of what it received.
   */
  public DecodeResult decode(String text) {
    if (text == null || text.isEmpty()) {
      return DecodeResult.fail(ErrorCode.BAD_FRAME, "empty frame");
    }
    if (text.length() > maxFrameBytes) {
      return DecodeResult.fail(ErrorCode.TOO_LARGE, "frame exceeds " + maxFrameBytes + " bytes");
    }
    Fields f = new Fields();
    try (JsonParser p = factory.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return DecodeResult.fail(ErrorCode.BAD_FRAME, "a frame must be a JSON object");
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        f.read(name, p, text);
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
        return DecodeResult.fail(ErrorCode.BAD_FRAME, "trailing content after the frame object");
      }
    } catch (IOException | RuntimeException e) {
      return DecodeResult.fail(ErrorCode.BAD_FRAME, "malformed JSON: " + firstLine(e.getMessage()));
    }
    return f.build();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable input";
    }
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }

  /** The fields each frame type uses; only these are type-checked. */
  private static final Map<String, String[]> FIELDS = Map.ofEntries(
      Map.entry("hello", new String[] {"clientId", "token", "attrs"}),
      Map.entry("welcome", new String[] {"sessionId", "resumeToken", "heartbeatMs", "resumeWindowMs", "node"}),
      Map.entry("resume", new String[] {"sessionId", "resumeToken", "lastSeq", "token"}),
      Map.entry("refresh", new String[] {"expiresAt"}),
      Map.entry("auth", new String[] {"token"}),
      Map.entry("auth_ok", new String[] {"expiresAt"}),
      Map.entry("resumed", new String[] {"sessionId", "resumeToken", "lastSeq", "node"}),
      Map.entry("ack", new String[] {"ack"}),
      Map.entry("ping", new String[] {"ack", "attrs"}),
      Map.entry("pong", new String[] {"ack"}),
      Map.entry("request", new String[] {"seq", "stream", "address"}),
      Map.entry("response", new String[] {"seq", "stream", "ok", "error", "fin"}),
      Map.entry("push", new String[] {"seq", "stream", "resource"}),
      Map.entry("subscribe", new String[] {"seq", "topic", "version"}),
      Map.entry("unsubscribe", new String[] {"seq", "topic"}),
      Map.entry("notify", new String[] {"seq", "topic", "version"}),
      Map.entry("open", new String[] {"seq", "stream", "upstream", "window"}),
      Map.entry("data", new String[] {"seq", "stream", "data", "fin", "reason"}),
      Map.entry("credit", new String[] {"stream", "granted"}),
      Map.entry("bye", new String[] {"reason"}),
      Map.entry("reconnect", new String[] {"reason"}),
      Map.entry("error", new String[] {"code", "message", "reason", "fatal", "refSeq", "topic"}));

  /** The fields of one frame as read, before they are checked against its type. */
  private static final class Fields {
    String type;
    Long seq, ack, stream, version, lastSeq, heartbeatMs, resumeWindowMs, refSeq, expiresAt, window, granted;
    String clientId, token, sessionId, resumeToken, address, topic, resource, reason, code, message, node, upstream,
        data;
    Boolean ok, fin, fatal;
    RawJson body, attrs;
    ErrorInfo error;
    boolean hasBody;

    /**
     * Problems with fields as read (wrong JSON type). They matter only for fields the frame's type uses: any other
     * field is ignored, as unknown fields are (docs/PROTOCOL.md §1).
     */
    final Map<String, String> problems = new HashMap<>(4);

    /** Reads the value the parser is on into field {@code name}; a JSON null leaves the field absent. */
    void read(String name, JsonParser p, String text) throws IOException {
      if (p.currentToken() == JsonToken.VALUE_NULL && !name.equals("body")) {
        return;
      }
      String problem = switch (name) {
        case "type" -> (type = str(p)) == null ? strProblem(name) : null;
        case "seq" -> (seq = num(p)) == null ? intProblem(name) : null;
        case "ack" -> (ack = num(p)) == null ? intProblem(name) : null;
        case "stream" -> (stream = num(p)) == null ? intProblem(name) : null;
        case "version" -> (version = num(p)) == null ? intProblem(name) : null;
        case "lastSeq" -> (lastSeq = num(p)) == null ? intProblem(name) : null;
        case "refSeq" -> (refSeq = num(p)) == null ? intProblem(name) : null;
        case "expiresAt" -> (expiresAt = num(p)) == null ? intProblem(name) : null;
        case "heartbeatMs" -> (heartbeatMs = num(p)) == null ? intProblem(name) : null;
        case "resumeWindowMs" -> (resumeWindowMs = num(p)) == null ? intProblem(name) : null;
        case "clientId" -> (clientId = str(p)) == null ? strProblem(name) : null;
        case "token" -> (token = str(p)) == null ? strProblem(name) : null;
        case "sessionId" -> (sessionId = str(p)) == null ? strProblem(name) : null;
        case "resumeToken" -> (resumeToken = str(p)) == null ? strProblem(name) : null;
        case "address" -> (address = str(p)) == null ? strProblem(name) : null;
        case "topic" -> (topic = str(p)) == null ? strProblem(name) : null;
        case "resource" -> (resource = str(p)) == null ? strProblem(name) : null;
        case "reason" -> (reason = str(p)) == null ? strProblem(name) : null;
        case "code" -> (code = str(p)) == null ? strProblem(name) : null;
        case "message" -> (message = str(p)) == null ? strProblem(name) : null;
        case "node" -> (node = str(p)) == null ? strProblem(name) : null;
        case "upstream" -> (upstream = str(p)) == null ? strProblem(name) : null;
        case "data" -> (data = str(p)) == null ? strProblem(name) : null;
        case "window" -> (window = num(p)) == null ? intProblem(name) : null;
        case "granted" -> (granted = num(p)) == null ? intProblem(name) : null;
        case "ok" -> (ok = bool(p)) == null ? boolProblem(name) : null;
        case "fin" -> (fin = bool(p)) == null ? boolProblem(name) : null;
        case "fatal" -> (fatal = bool(p)) == null ? boolProblem(name) : null;
        case "body" -> {
          hasBody = true;
          body = raw(p, text);
          yield null;
        }
        case "attrs" -> {
          if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            yield "field 'attrs' must be an object";
          }
          attrs = raw(p, text);
          yield null;
        }
        case "error" -> readError(p);
        default -> {
          p.skipChildren(); // unknown fields are ignored (§1)
          yield null;
        }
      };
      if (problem != null) {
        problems.put(name, problem);
      }
    }

    /** The first problem among the fields a frame type uses, or null. */
    private String problemIn(String... fields) {
      for (String f : fields) {
        String problem = problems.get(f);
        if (problem != null) {
          return problem;
        }
      }
      return null;
    }

    private String readError(JsonParser p) throws IOException {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        p.skipChildren();
        return "field 'error' must be an object";
      }
      String c = null, m = null, problem = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String n = p.currentName();
        p.nextToken();
        boolean isNull = p.currentToken() == JsonToken.VALUE_NULL;
        if ("code".equals(n)) {
          c = str(p);
          problem = c == null && !isNull ? "field 'error.code' must be a string" : problem;
        } else if ("message".equals(n)) {
          m = str(p);
          problem = m == null && !isNull ? "field 'error.message' must be a string" : problem;
        } else {
          p.skipChildren();
        }
      }
      error = new ErrorInfo(c, m);
      return problem;
    }

    DecodeResult build() {
      if (problems.containsKey("type")) {
        return DecodeResult.fail(ErrorCode.BAD_FRAME, problems.get("type"));
      }
      if (type == null) {
        return DecodeResult.fail(ErrorCode.BAD_FRAME, "missing field 'type'");
      }
      String problem = problemIn(FIELDS.getOrDefault(type, new String[0]));
      if (problem != null) {
        return DecodeResult.fail(ErrorCode.BAD_FRAME, problem);
      }
      String missing;
      switch (type) {
        case "hello":
          if (!isValidClientId(clientId)) {
            return DecodeResult.fail(ErrorCode.BAD_FRAME, "clientId must be 1-128 chars of [A-Za-z0-9._:@-]");
          }
          return DecodeResult.ok(new Frame.Hello(clientId, token, attrs));
        case "welcome":
          if ((missing = missing("sessionId", sessionId, "resumeToken", resumeToken)) != null) {
            return missingField(missing);
          }
          return DecodeResult.ok(new Frame.Welcome(sessionId, resumeToken, orZero(heartbeatMs),
              orZero(resumeWindowMs), node));
        case "resume":
          if ((missing = missing("sessionId", sessionId, "resumeToken", resumeToken, "lastSeq", lastSeq)) != null) {
            return missingField(missing);
          }
          return DecodeResult.ok(new Frame.Resume(sessionId, resumeToken, lastSeq, token));
        case "refresh":
          if (expiresAt == null) {
            return missingField("expiresAt");
          }
          return DecodeResult.ok(new Frame.Refresh(expiresAt));
        case "auth":
          if (token == null || token.isEmpty()) {
            return missingField("token");
          }
          return DecodeResult.ok(new Frame.Auth(token));
        case "auth_ok":
          return DecodeResult.ok(new Frame.AuthOk(orZero(expiresAt)));
        case "resumed":
          if ((missing = missing("sessionId", sessionId, "resumeToken", resumeToken, "lastSeq", lastSeq)) != null) {
            return missingField(missing);
          }
          return DecodeResult.ok(new Frame.Resumed(sessionId, resumeToken, lastSeq, node));
        case "ack":
          if (ack == null) {
            return missingField("ack");
          }
          return DecodeResult.ok(new Frame.Ack(ack));
        case "ping":
          return DecodeResult.ok(new Frame.Ping(ack == null ? -1 : ack, attrs));
        case "pong":
          return DecodeResult.ok(new Frame.Pong(ack == null ? -1 : ack));
        case "request":
          if ((missing = missing("seq", seq, "stream", stream, "address", address)) != null) {
            return missingField(missing);
          }
          if (address.isEmpty()) {
            return DecodeResult.fail(ErrorCode.BAD_FRAME, "field 'address' must not be empty");
          }
          return reliable(new Frame.Request(seq, stream, address, body));
        case "response":
          if ((missing = missing("seq", seq, "stream", stream)) != null) {
            return missingField(missing);
          }
          boolean success = ok == null || ok;
          return reliable(new Frame.Response(seq, stream, success, body,
              success ? null : (error == null ? new ErrorInfo(null, null) : error), fin == null || fin));
        case "push":
          if (!hasBody) {
            return missingField("body");
          }
          return DecodeResult.ok(new Frame.Push(seq == null ? 0 : seq, stream == null ? 0 : stream, resource, body));
        case "subscribe":
          if ((missing = missing("seq", seq, "topic", topic)) != null) {
            return missingField(missing);
          }
          return reliable(new Frame.Subscribe(seq, topic, orZero(version)));
        case "unsubscribe":
          if ((missing = missing("seq", seq, "topic", topic)) != null) {
            return missingField(missing);
          }
          return reliable(new Frame.Unsubscribe(seq, topic));
        case "notify":
          if ((missing = missing("seq", seq, "topic", topic, "version", version)) != null) {
            return missingField(missing);
          }
          return reliable(new Frame.Notify(seq, topic, version, body));
        case "open":
          if ((missing = missing("seq", seq, "stream", stream, "upstream", upstream)) != null) {
            return missingField(missing);
          }
          return reliable(new Frame.Open(seq, stream, upstream, orZero(window)));
        case "data":
          if ((missing = missing("seq", seq, "stream", stream)) != null) {
            return missingField(missing);
          }
          if (data != null && !Base64Text.isValid(data)) {
            return DecodeResult.fail(ErrorCode.BAD_FRAME, "field 'data' must be base64 (RFC 4648, padded)");
          }
          return reliable(new Frame.Data(seq, stream, data, fin != null && fin, reason));
        case "credit":
          if ((missing = missing("stream", stream, "granted", granted)) != null) {
            return missingField(missing);
          }
          return DecodeResult.ok(new Frame.Credit(stream, granted));
        case "bye":
          return DecodeResult.ok(new Frame.Bye(reason));
        case "reconnect":
          return DecodeResult.ok(new Frame.Reconnect(reason));
        case "error":
          if (code == null) {
            return missingField("code");
          }
          return DecodeResult.ok(new Frame.Error(code, message, reason, fatal != null && fatal,
              refSeq == null || refSeq < 0 ? 0 : refSeq, topic));
        default:
          return DecodeResult.fail(ErrorCode.UNKNOWN_TYPE, "unknown frame type '" + abbreviate(type) + "'");
      }
    }

    private static DecodeResult reliable(Frame.Reliable frame) {
      if (frame.seq() < 1) {
        return DecodeResult.fail(ErrorCode.BAD_FRAME, "field 'seq' must be >= 1");
      }
      return DecodeResult.ok(frame);
    }

    private static String missing(Object... namesAndValues) {
      for (int i = 0; i < namesAndValues.length; i += 2) {
        if (namesAndValues[i + 1] == null) {
          return (String) namesAndValues[i];
        }
      }
      return null;
    }

    private static DecodeResult missingField(String name) {
      return DecodeResult.fail(ErrorCode.BAD_FRAME, "missing field '" + name + "'");
    }

    private static long orZero(Long v) {
      return v == null ? 0 : v;
    }

    private static String str(JsonParser p) throws IOException {
      if (p.currentToken() == JsonToken.VALUE_STRING) {
        return p.getText();
      }
      p.skipChildren();
      return null;
    }

    /** A non-negative integer that fits a long, else null. */
    private static Long num(JsonParser p) throws IOException {
      if (p.currentToken() == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
        long v = p.getLongValue();
        return v < 0 ? null : v;
      }
      p.skipChildren();
      return null;
    }

    private static Boolean bool(JsonParser p) throws IOException {
      JsonToken t = p.currentToken();
      if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
        return t == JsonToken.VALUE_TRUE;
      }
      p.skipChildren();
      return null;
    }

    /** The exact source text of the value the parser is on, found by character offsets. */
    private static RawJson raw(JsonParser p, String text) throws IOException {
      int start = (int) p.currentTokenLocation().getCharOffset();
      p.skipChildren();
      p.finishToken();
      int end = (int) p.currentLocation().getCharOffset();
      return new RawJson(text.substring(start, end));
    }

    private static String intProblem(String name) {
      return "field '" + name + "' must be a non-negative integer";
    }

    private static String strProblem(String name) {
      return "field '" + name + "' must be a string";
    }

    private static String boolProblem(String name) {
      return "field '" + name + "' must be a boolean";
    }

    private static String abbreviate(String s) {
      return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Encoding (FrameEncoder)

  /** Encodes a frame as one JSON object; absent optional fields are left out. */
  public String encode(Frame frame) {
    return encoder.encode(frame);
  }

  /**
   * The frame's text with its seq left open, to be numbered later, possibly on another node ({@link FrameTemplate}).
   * The seq the frame carries now is ignored.
   */
  public FrameTemplate template(Frame.Reliable frame) {
    return encoder.template(frame);
  }
}
