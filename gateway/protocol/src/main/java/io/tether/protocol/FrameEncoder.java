package io.tether.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SegmentedStringWriter;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The encoding half of {@link FrameCodec}: frames to JSON text, and reliable frames to {@link FrameTemplate}s. */
final class FrameEncoder {

  private final JsonFactory factory;

  FrameEncoder(JsonFactory factory) {
    this.factory = factory;
  }

  /** Encodes a frame as one JSON object; absent optional fields are left out. */
  String encode(Frame frame) {
    String direct = encodeDirect(frame);
    if (direct != null) {
      return direct;
    }
    SegmentedStringWriter out = new SegmentedStringWriter(factory._getBufferRecycler());
    try (JsonGenerator g = factory.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("type", frame.type());
      writeFields(frame, g);
      g.writeEndObject();
      g.flush();
      return out.getAndClear();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writing to memory does not fail
    }
  }

  /**
   * The frames of the hot path (pushes, notifies, acks), written straight into a string: their bodies are raw JSON
   * already, so a generator would only copy them. Same output as the generator path (tested).
   */
  private static String encodeDirect(Frame frame) {
    if (frame instanceof Frame.Push f) {
      String body = f.body() == null ? "null" : f.body().json();
      StringBuilder sb = new StringBuilder(64 + body.length()).append("{\"type\":\"push\"");
      if (f.seq() > 0) {
        sb.append(",\"seq\":").append(f.seq());
      }
      sb.append(",\"stream\":").append(f.stream());
      if (f.resource() != null) {
        appendString(sb.append(",\"resource\":"), f.resource());
      }
      return sb.append(",\"body\":").append(body).append('}').toString();
    }
    if (frame instanceof Frame.Notify f) {
      String body = f.body() == null ? "null" : f.body().json();
      StringBuilder sb = new StringBuilder(80 + body.length()).append("{\"type\":\"notify\"");
      if (f.seq() > 0) {
        sb.append(",\"seq\":").append(f.seq());
      }
      appendString(sb.append(",\"topic\":"), f.topic());
      return sb.append(",\"version\":").append(f.version()).append(",\"body\":").append(body).append('}').toString();
    }
    if (frame instanceof Frame.Data f) {
      return dataText(f.seq() > 0 ? DATA_PREFIX + f.seq() : "{\"type\":\"data\"", f);
    }
    if (frame instanceof Frame.Ack f) {
      return "{\"type\":\"ack\",\"ack\":" + f.ack() + "}";
    }
    if (frame instanceof Frame.Pong f) {
      return f.ack() >= 0 ? "{\"type\":\"pong\",\"ack\":" + f.ack() + "}" : "{\"type\":\"pong\"}";
    }
    return null;
  }

  /** A seq no session reaches, written where the seq goes and then cut out (see {@link #template}). */
  private static final long SEQ_MARK = 999_999_999_999_999L;
  private static final String SEQ_MARK_FIELD = "\"seq\":" + SEQ_MARK;
  private static final String PUSH_PREFIX = "{\"type\":\"push\",\"seq\":";
  private static final String DATA_PREFIX = "{\"type\":\"data\",\"seq\":";

  /** A data frame's text after {@code head} (its type and seq): base64 needs no escaping, so it is copied once. */
  private static String dataText(String head, Frame.Data f) {
    StringBuilder sb = new StringBuilder(head.length() + 64 + (f.data() == null ? 0 : f.data().length())).append(head);
    dataFields(sb, f);
    return sb.toString();
  }

  private static StringBuilder dataFields(StringBuilder sb, Frame.Data f) {
    sb.append(",\"stream\":").append(f.stream());
    if (f.data() != null) {
      sb.append(",\"data\":\"").append(f.data()).append('"');
    }
    if (f.fin()) {
      sb.append(",\"fin\":true");
    }
    if (f.reason() != null) {
      appendString(sb.append(",\"reason\":"), f.reason());
    }
    return sb.append('}');
  }

  /**
   * The frame's text with its seq left open, to be numbered later, possibly on another node ({@link FrameTemplate}).
   * The seq the frame carries now is ignored.
   */
  FrameTemplate template(Frame.Reliable frame) {
    if (frame instanceof Frame.Push f) {
      // The hot path (every reliable push): built directly, the body copied once (one concatenation).
      String body = f.body() == null ? "null" : f.body().json();
      String resource = "";
      if (f.resource() != null) {
        StringBuilder sb = new StringBuilder(",\"resource\":");
        appendString(sb, f.resource());
        resource = sb.toString();
      }
      return FrameTemplate.of("push", PUSH_PREFIX, ",\"stream\":" + f.stream() + resource + ",\"body\":" + body + "}");
    }
    if (frame instanceof Frame.Data f) {
      return FrameTemplate.of("data", DATA_PREFIX, dataFields(new StringBuilder(64 + (f.data() == null ? 0
          : f.data().length())), f).toString());
    }
    String text = encode(frame.withSeq(SEQ_MARK));
    int at = text.indexOf(SEQ_MARK_FIELD);
    return FrameTemplate.of(frame.type(), text.substring(0, at + 6), text.substring(at + SEQ_MARK_FIELD.length()));
  }

  /** Appends {@code s} as a JSON string literal (RFC 8259 §7 escapes). */
  private static void appendString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  private static void writeFields(Frame frame, JsonGenerator g) throws IOException {
    if (frame instanceof Frame.Push f) {
      seq(g, f.seq());
      g.writeNumberField("stream", f.stream());
      str(g, "resource", f.resource());
      raw(g, "body", f.body() == null ? RawJson.NULL : f.body());
    } else if (frame instanceof Frame.Response f) {
      seq(g, f.seq());
      g.writeNumberField("stream", f.stream());
      g.writeBooleanField("ok", f.ok());
      raw(g, "body", f.body());
      if (f.error() != null) {
        g.writeObjectFieldStart("error");
        str(g, "code", f.error().code());
        str(g, "message", f.error().message());
        g.writeEndObject();
      }
      g.writeBooleanField("fin", f.fin());
    } else if (frame instanceof Frame.Request f) {
      seq(g, f.seq());
      g.writeNumberField("stream", f.stream());
      g.writeStringField("address", f.address());
      raw(g, "body", f.body());
    } else if (frame instanceof Frame.Notify f) {
      seq(g, f.seq());
      g.writeStringField("topic", f.topic());
      g.writeNumberField("version", f.version());
      raw(g, "body", f.body() == null ? RawJson.NULL : f.body());
    } else if (frame instanceof Frame.Open f) {
      seq(g, f.seq());
      g.writeNumberField("stream", f.stream());
      g.writeStringField("upstream", f.upstream());
      if (f.window() > 0) {
        g.writeNumberField("window", f.window());
      }
    } else if (frame instanceof Frame.Credit f) {
      g.writeNumberField("stream", f.stream());
      g.writeNumberField("granted", f.granted());
    } else if (frame instanceof Frame.Ack f) {
      g.writeNumberField("ack", f.ack());
    } else if (frame instanceof Frame.Ping f) {
      optionalAck(g, f.ack());
      raw(g, "attrs", f.attrs());
    } else if (frame instanceof Frame.Pong f) {
      optionalAck(g, f.ack());
    } else if (frame instanceof Frame.Subscribe f) {
      seq(g, f.seq());
      g.writeStringField("topic", f.topic());
      g.writeNumberField("version", f.version());
    } else if (frame instanceof Frame.Unsubscribe f) {
      seq(g, f.seq());
      g.writeStringField("topic", f.topic());
    } else if (frame instanceof Frame.Hello f) {
      g.writeStringField("clientId", f.clientId());
      str(g, "token", f.token());
      raw(g, "attrs", f.attrs());
    } else if (frame instanceof Frame.Welcome f) {
      g.writeStringField("sessionId", f.sessionId());
      g.writeStringField("resumeToken", f.resumeToken());
      g.writeNumberField("heartbeatMs", f.heartbeatMs());
      g.writeNumberField("resumeWindowMs", f.resumeWindowMs());
      str(g, "node", f.node());
    } else if (frame instanceof Frame.Resume f) {
      g.writeStringField("sessionId", f.sessionId());
      g.writeStringField("resumeToken", f.resumeToken());
      g.writeNumberField("lastSeq", f.lastSeq());
      str(g, "token", f.token());
    } else if (frame instanceof Frame.Refresh f) {
      g.writeNumberField("expiresAt", f.expiresAt());
    } else if (frame instanceof Frame.Auth f) {
      g.writeStringField("token", f.token());
    } else if (frame instanceof Frame.AuthOk f) {
      g.writeNumberField("expiresAt", f.expiresAt());
    } else if (frame instanceof Frame.Resumed f) {
      g.writeStringField("sessionId", f.sessionId());
      g.writeStringField("resumeToken", f.resumeToken());
      g.writeNumberField("lastSeq", f.lastSeq());
      str(g, "node", f.node());
    } else if (frame instanceof Frame.Bye f) {
      str(g, "reason", f.reason());
    } else if (frame instanceof Frame.Reconnect f) {
      str(g, "reason", f.reason());
    } else if (frame instanceof Frame.Error f) {
      g.writeStringField("code", f.code());
      str(g, "message", f.message());
      str(g, "reason", f.reason());
      g.writeBooleanField("fatal", f.fatal());
      if (f.refSeq() > 0) {
        g.writeNumberField("refSeq", f.refSeq());
      }
      str(g, "topic", f.topic());
    }
  }

  private static void seq(JsonGenerator g, long seq) throws IOException {
    if (seq > 0) {
      g.writeNumberField("seq", seq);
    }
  }

  private static void optionalAck(JsonGenerator g, long ack) throws IOException {
    if (ack >= 0) {
      g.writeNumberField("ack", ack);
    }
  }

  private static void str(JsonGenerator g, String name, String value) throws IOException {
    if (value != null) {
      g.writeStringField(name, value);
    }
  }

  private static void raw(JsonGenerator g, String name, RawJson value) throws IOException {
    if (value != null) {
      g.writeFieldName(name);
      g.writeRawValue(value.json());
    }
  }
}
