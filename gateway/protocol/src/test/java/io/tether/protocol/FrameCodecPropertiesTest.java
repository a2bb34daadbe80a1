package io.tether.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Property-based fuzzing of {@link FrameCodec} (issue 10, "malformed input, fuzzed"; docs/RELIABILITY.md): whatever
 * the input — random bytes and strings, truncated frames, 10 000 levels of nesting, huge numbers and strings, a wrong
 * JSON type in any field of any frame type — {@code decode} returns {@link DecodeResult.Ok} or a
 * {@link DecodeResult.Failure} with a code and a message, and never throws; and every valid frame survives
 * {@code decode(encode(frame))} unchanged.
 */
class FrameCodecPropertiesTest {

  private static final FrameCodec CODEC = new FrameCodec();

  /** Decodes {@code text}, failing the property if the codec throws or returns something without a code. */
  private static DecodeResult decodeSafely(FrameCodec codec, String text) {
    DecodeResult r;
    try {
      r = codec.decode(text);
    } catch (Throwable t) {
      throw new AssertionError("decode threw on " + abbreviate(text), t);
    }
    assertNotNull(r, "decode returned null");
    if (r instanceof DecodeResult.Failure) {
      DecodeResult.Failure f = (DecodeResult.Failure) r;
      assertNotNull(f.code(), "a failure has a code");
      assertTrue(f.message() != null && !f.message().isBlank(), "a failure explains itself");
    } else {
      assertNotNull(assertInstanceOf(DecodeResult.Ok.class, r).frame(), "Ok carries a frame");
    }
    return r;
  }

  private static DecodeResult decodeSafely(String text) {
    return decodeSafely(CODEC, text);
  }

  private static void assertFailure(ErrorCode code, String text) {
    DecodeResult r = decodeSafely(text);
    if (!(r instanceof DecodeResult.Failure)) {
      fail("expected " + code + " for " + abbreviate(text) + ", got " + r);
    }
    assertEquals(code, ((DecodeResult.Failure) r).code(), () -> "code for " + abbreviate(text) + ": " + r);
  }

  private static String abbreviate(String s) {
    return s.length() > 160 ? s.substring(0, 160) + "…(" + s.length() + " chars)" : s;
  }

  // ---------------------------------------------------------------------------------------------------------
  // random input

  /** Any string at all (every Unicode char, lone surrogates included) decodes to Ok or a Failure. */
  @Property(tries = 2000)
  void anyStringDecodesWithoutThrowing(@ForAll String text) {
    decodeSafely(text);
  }

  /** Random bytes, read as UTF-8 the way the transport would, decode to Ok or a Failure. */
  @Property(tries = 2000)
  void anyBytesDecodeWithoutThrowing(@ForAll @Size(max = 512) byte[] bytes) {
    decodeSafely(new String(bytes, StandardCharsets.UTF_8));
  }

  /** Strings made of JSON's own tokens (so the parser gets deep before it fails) decode to Ok or a Failure. */
  @Property(tries = 3000)
  void jsonTokenSoupDecodesWithoutThrowing(@ForAll("tokenSoup") String text) {
    decodeSafely(text);
  }

  @Provide
  Arbitrary<String> tokenSoup() {
    Arbitrary<String> token = Arbitraries.of("{", "}", "[", "]", ":", ",", "\"type\"", "\"push\"", "\"seq\"",
        "\"body\"", "\"attrs\"", "\"error\"", "\"stream\"", "\"hello\"", "\"clientId\"", "1", "-1", "1.5e308",
        "1e400", "99999999999999999999999", "true", "false", "null", "\"\\u0000\"", "\"\\ud800\"", "\"", "\\",
        " ", "\n", "NaN", "Infinity", "0x10", "'a'", "/*c*/");
    return token.list().ofMaxSize(60).map(l -> String.join("", l));
  }

  /** Every proper prefix of a valid frame is a Failure ({@code bad_frame}); the whole frame decodes. */
  @Property(tries = 300)
  void truncatedFramesAreBadFrames(@ForAll("frames") Frame frame) {
    String text = CODEC.encode(frame);
    for (int cut = 1; cut < text.length(); cut++) {
      assertFailure(ErrorCode.BAD_FRAME, text.substring(0, cut));
    }
    assertInstanceOf(DecodeResult.Ok.class, decodeSafely(text));
  }

  // ---------------------------------------------------------------------------------------------------------
  // round trip

  /** {@code decode(encode(f))} equals {@code f} for every valid frame of every type. */
  @Property(tries = 3000)
  void validFramesRoundTrip(@ForAll("frames") Frame frame) {
    String text = CODEC.encode(frame);
    DecodeResult r = decodeSafely(text);
    assertEquals(new DecodeResult.Ok(frame), r, () -> "round trip of " + abbreviate(text));
    // and the text is stable: encoding the decoded frame gives the same bytes
    assertEquals(text, CODEC.encode(((DecodeResult.Ok) r).frame()));
  }

  @Provide
  Arbitrary<Frame> frames() {
    Arbitrary<Long> seq = Arbitraries.longs().between(1, Long.MAX_VALUE);
    Arbitrary<Long> nat = Arbitraries.longs().between(0, Long.MAX_VALUE);
    Arbitrary<String> text = Arbitraries.strings().ofMaxLength(40);
    Arbitrary<String> optText = text.injectNull(0.3);
    Arbitrary<String> clientId = Arbitraries.strings().withCharRange('A', 'Z').withCharRange('a', 'z')
        .withCharRange('0', '9').withChars("._:@-").ofMinLength(1).ofMaxLength(128);
    Arbitrary<RawJson> body = json(3).map(RawJson::of);
    Arbitrary<RawJson> optBody = body.injectNull(0.2);
    Arbitrary<RawJson> attrs = object(2).map(RawJson::of).injectNull(0.4);
    Arbitrary<Long> optAck = Arbitraries.longs().between(-1, Long.MAX_VALUE);
    Arbitrary<Boolean> bool = Arbitraries.of(true, false);
    List<Arbitrary<? extends Frame>> all = List.of(
        Combinators.combine(clientId, optText, attrs).as(Frame.Hello::new),
        Combinators.combine(text, text, nat, nat, optText).as(Frame.Welcome::new),
        Combinators.combine(text, text, nat, optText).as(Frame.Resume::new),
        nat.map(Frame.Refresh::new),
        text.filter(s -> !s.isEmpty()).map(Frame.Auth::new),
        nat.map(Frame.AuthOk::new),
        Combinators.combine(text, text, nat, optText).as(Frame.Resumed::new),
        nat.map(Frame.Ack::new),
        Combinators.combine(optAck, attrs).as(Frame.Ping::new),
        optAck.map(Frame.Pong::new),
        Combinators.combine(seq, nat, text.filter(s -> !s.isEmpty()), optBody).as(Frame.Request::new),
        Combinators.combine(seq, nat, bool, optBody, optText, optText, bool).as((s, st, ok, b, code, msg, fin) ->
            new Frame.Response(s, st, ok, b, ok ? null : new Frame.ErrorInfo(code, msg), fin)),
        Combinators.combine(nat, nat, optText, body).as(Frame.Push::new),
        Combinators.combine(seq, text, nat).as(Frame.Subscribe::new),
        Combinators.combine(seq, text).as(Frame.Unsubscribe::new),
        Combinators.combine(seq, text, nat, body).as(Frame.Notify::new),
        Combinators.combine(seq, nat, text.filter(s -> !s.isEmpty()), nat).as(Frame.Open::new),
        Combinators.combine(seq, nat, Arbitraries.bytes().array(byte[].class).ofMaxSize(64).map(Base64Text::encode)
            .injectNull(0.2), bool, optText).as(Frame.Data::new),
        Combinators.combine(nat, nat).as(Frame.Credit::new),
        optText.map(Frame.Bye::new),
        optText.map(Frame.Reconnect::new),
        Combinators.combine(text, optText, optText, bool, nat, optText).as(Frame.Error::new));
    return Arbitraries.oneOf(all);
  }

  /** Valid JSON text of any kind, nested at most {@code depth} levels. */
  private static Arbitrary<String> json(int depth) {
    Arbitrary<String> leaf = Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(20).map(FrameCodecPropertiesTest::quote),
        Arbitraries.longs().map(String::valueOf),
        Arbitraries.doubles().map(String::valueOf),
        Arbitraries.of("true", "false", "null", "1e400", "123456789012345678901234567890", "-0.0e-7"));
    if (depth == 0) {
      return leaf;
    }
    Arbitrary<String> array = json(depth - 1).list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]");
    return Arbitraries.oneOf(leaf, array, object(depth - 1));
  }

  private static Arbitrary<String> object(int depth) {
    Arbitrary<String> member = Combinators.combine(Arbitraries.strings().ofMaxLength(10), json(depth))
        .as((k, v) -> quote(k) + ":" + v);
    return member.list().ofMaxSize(4).map(l -> "{" + String.join(",", l) + "}");
  }

  /** {@code s} as a JSON string literal: quotes, backslashes and control chars escaped. */
  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  // ---------------------------------------------------------------------------------------------------------
  // wrong types in every field of every frame type

  /** What a field holds; {@code ANY} accepts every JSON value. */
  private enum Kind { STR, INT, BOOL, OBJ, ANY }

  /** A valid frame of every type, and the kind of each field its type reads (docs/PROTOCOL.md). */
  private static final Map<String, Map<String, Kind>> FIELDS = new LinkedHashMap<>();
  private static final Map<String, String> VALID = new LinkedHashMap<>();

  private static void type(String type, String validFields, Object... fieldsAndKinds) {
    Map<String, Kind> m = new LinkedHashMap<>();
    for (int i = 0; i < fieldsAndKinds.length; i += 2) {
      m.put((String) fieldsAndKinds[i], (Kind) fieldsAndKinds[i + 1]);
    }
    FIELDS.put(type, m);
    VALID.put(type, "{\"type\":\"" + type + "\"" + validFields + "}");
  }

  static {
    type("hello", ",\"clientId\":\"c1\",\"token\":\"t\",\"attrs\":{\"a\":1}",
        "clientId", Kind.STR, "token", Kind.STR, "attrs", Kind.OBJ);
    type("welcome", ",\"sessionId\":\"s\",\"resumeToken\":\"r\",\"heartbeatMs\":1,\"resumeWindowMs\":2,\"node\":\"n\"",
        "sessionId", Kind.STR, "resumeToken", Kind.STR, "heartbeatMs", Kind.INT, "resumeWindowMs", Kind.INT,
        "node", Kind.STR);
    type("resume", ",\"sessionId\":\"s\",\"resumeToken\":\"r\",\"lastSeq\":3,\"token\":\"t\"",
        "sessionId", Kind.STR, "resumeToken", Kind.STR, "lastSeq", Kind.INT, "token", Kind.STR);
    type("refresh", ",\"expiresAt\":5", "expiresAt", Kind.INT);
    type("auth", ",\"token\":\"t\"", "token", Kind.STR);
    type("auth_ok", ",\"expiresAt\":5", "expiresAt", Kind.INT);
    type("resumed", ",\"sessionId\":\"s\",\"resumeToken\":\"r\",\"lastSeq\":3,\"node\":\"n\"",
        "sessionId", Kind.STR, "resumeToken", Kind.STR, "lastSeq", Kind.INT, "node", Kind.STR);
    type("ack", ",\"ack\":1", "ack", Kind.INT);
    type("ping", ",\"ack\":1,\"attrs\":{}", "ack", Kind.INT, "attrs", Kind.OBJ);
    type("pong", ",\"ack\":1", "ack", Kind.INT);
    type("request", ",\"seq\":1,\"stream\":1,\"address\":\"a.b\",\"body\":{}",
        "seq", Kind.INT, "stream", Kind.INT, "address", Kind.STR, "body", Kind.ANY);
    type("response", ",\"seq\":1,\"stream\":1,\"ok\":false,\"error\":{\"code\":\"c\",\"message\":\"m\"},\"fin\":true,"
            + "\"body\":1",
        "seq", Kind.INT, "stream", Kind.INT, "ok", Kind.BOOL, "error", Kind.OBJ, "fin", Kind.BOOL, "body", Kind.ANY);
    type("push", ",\"seq\":1,\"stream\":0,\"resource\":\"r\",\"body\":{}",
        "seq", Kind.INT, "stream", Kind.INT, "resource", Kind.STR, "body", Kind.ANY);
    type("subscribe", ",\"seq\":1,\"topic\":\"t\",\"version\":0", "seq", Kind.INT, "topic", Kind.STR,
        "version", Kind.INT);
    type("unsubscribe", ",\"seq\":1,\"topic\":\"t\"", "seq", Kind.INT, "topic", Kind.STR);
    type("notify", ",\"seq\":1,\"topic\":\"t\",\"version\":2,\"body\":{}", "seq", Kind.INT, "topic", Kind.STR,
        "version", Kind.INT, "body", Kind.ANY);
    type("open", ",\"seq\":1,\"stream\":1,\"upstream\":\"u\",\"window\":9", "seq", Kind.INT, "stream", Kind.INT,
        "upstream", Kind.STR, "window", Kind.INT);
    type("data", ",\"seq\":1,\"stream\":1,\"data\":\"AAE=\",\"fin\":true,\"reason\":\"r\"", "seq", Kind.INT,
        "stream", Kind.INT, "data", Kind.STR, "fin", Kind.BOOL, "reason", Kind.STR);
    type("credit", ",\"stream\":1,\"granted\":9", "stream", Kind.INT, "granted", Kind.INT);
    type("bye", ",\"reason\":\"r\"", "reason", Kind.STR);
    type("reconnect", ",\"reason\":\"r\"", "reason", Kind.STR);
    type("error", ",\"code\":\"c\",\"message\":\"m\",\"reason\":\"r\",\"fatal\":true,\"refSeq\":2,\"topic\":\"t\"",
        "code", Kind.STR, "message", Kind.STR, "reason", Kind.STR, "fatal", Kind.BOOL, "refSeq", Kind.INT,
        "topic", Kind.STR);
  }

  /** JSON values of every kind, each with the kinds it satisfies. */
  private static final Map<String, List<Kind>> VALUES = new LinkedHashMap<>();

  static {
    VALUES.put("\"x\"", List.of(Kind.STR));
    VALUES.put("\"\"", List.of()); // a string, but empty: valid for no required string here (checked below)
    VALUES.put("7", List.of(Kind.INT));
    VALUES.put("-1", List.of());
    VALUES.put("1.5", List.of());
    VALUES.put("1e400", List.of());
    VALUES.put("123456789012345678901234567890", List.of());
    VALUES.put("-123456789012345678901234567890", List.of());
    VALUES.put("true", List.of(Kind.BOOL));
    VALUES.put("false", List.of(Kind.BOOL));
    VALUES.put("[]", List.of());
    VALUES.put("[1,{\"a\":[]}]", List.of());
    VALUES.put("{}", List.of(Kind.OBJ));
    VALUES.put("{\"code\":7,\"seq\":\"x\"}", List.of(Kind.OBJ));
  }

  /**
   * Every field of every frame type, set to every JSON value that is not of its kind, gives a {@code bad_frame}
   * Failure; set to one of its kind, the frame still decodes (or fails only for a value the field refuses, never by
   * throwing). The valid frame of each type decodes.
   */
  @Example
  void wrongTypeInEveryFieldOfEveryFrameIsABadFrame() {
    int checked = 0;
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Map<String, Kind>> type : FIELDS.entrySet()) {
      String valid = VALID.get(type.getKey());
      assertInstanceOf(DecodeResult.Ok.class, decodeSafely(valid), valid);
      for (Map.Entry<String, Kind> field : type.getValue().entrySet()) {
        for (Map.Entry<String, List<Kind>> value : VALUES.entrySet()) {
          String text = withField(valid, field.getKey(), value.getKey());
          DecodeResult r = decodeSafely(text);
          boolean fits = field.getValue() == Kind.ANY || value.getValue().contains(field.getValue())
              || value.getKey().equals("\"\"") && field.getValue() == Kind.STR;
          if (!fits && !(r instanceof DecodeResult.Failure
              && ((DecodeResult.Failure) r).code() == ErrorCode.BAD_FRAME)) {
            problems.add(text + " -> " + r);
          }
          checked++;
        }
        // null means absent: Ok for an optional field, a bad_frame for a required one; never a throw
        DecodeResult r = decodeSafely(withField(valid, field.getKey(), "null"));
        if (r instanceof DecodeResult.Failure && ((DecodeResult.Failure) r).code() != ErrorCode.BAD_FRAME) {
          problems.add(field.getKey() + ":null -> " + r);
        }
      }
    }
    assertTrue(problems.isEmpty(), problems.size() + " wrongly typed fields were not refused: " + problems);
    assertTrue(checked > 600, "checked " + checked);
    // the type itself, wrongly typed
    for (String v : VALUES.keySet()) {
      if (!v.startsWith("\"")) {
        assertFailure(ErrorCode.BAD_FRAME, "{\"type\":" + v + ",\"ack\":1}");
      }
    }
  }

  /** Random frames with one field replaced by a random JSON value: never a throw, and the code is a known one. */
  @Property(tries = 3000)
  void randomValueInARandomFieldNeverThrows(@ForAll("typeNames") String type, @ForAll @IntRange(max = 10) int field,
      @ForAll("anyJson") String value) {
    List<String> fields = new ArrayList<>(FIELDS.get(type).keySet());
    String text = withField(VALID.get(type), fields.get(field % fields.size()), value);
    DecodeResult r = decodeSafely(text);
    if (r instanceof DecodeResult.Failure) {
      assertEquals(ErrorCode.BAD_FRAME, ((DecodeResult.Failure) r).code(), text);
    }
  }

  @Provide
  Arbitrary<String> typeNames() {
    return Arbitraries.of(new ArrayList<>(FIELDS.keySet()));
  }

  @Provide
  Arbitrary<String> anyJson() {
    return json(4);
  }

  /** {@code frame} (a valid frame's text) with {@code field} set to {@code value}, replacing its old value. */
  private static String withField(String frame, String field, String value) {
    // the valid frames put each field once, with a value free of commas and braces except error/attrs/body
    String key = "\"" + field + "\":";
    int at = frame.indexOf(key);
    if (at < 0) {
      return frame.substring(0, frame.length() - 1) + "," + key + value + "}";
    }
    int start = at + key.length();
    int end = endOfValue(frame, start);
    return frame.substring(0, start) + value + frame.substring(end);
  }

  private static int endOfValue(String s, int i) {
    int depth = 0;
    boolean inString = false;
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (depth == 0) {
          return i;
        }
        depth--;
      } else if (c == ',' && depth == 0) {
        return i;
      }
    }
    return i;
  }

  // ---------------------------------------------------------------------------------------------------------
  // deep nesting, huge numbers and strings

  /** 10 000 levels of nesting, at the top, in a body, in attrs, in an unknown field and in error: a bad_frame. */
  @Example
  void tenThousandLevelsOfNestingAreBadFrames() {
    String arrays = "[".repeat(10_000) + "]".repeat(10_000);
    String objects = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
    for (String deep : List.of(arrays, objects)) {
      assertFailure(ErrorCode.BAD_FRAME, deep);
      assertFailure(ErrorCode.BAD_FRAME, "{\"type\":\"push\",\"seq\":1,\"stream\":0,\"body\":" + deep + "}");
      assertFailure(ErrorCode.BAD_FRAME, "{\"type\":\"ping\",\"attrs\":{\"x\":" + deep + "}}");
      assertFailure(ErrorCode.BAD_FRAME, "{\"type\":\"ping\",\"unknown\":" + deep + "}");
      assertFailure(ErrorCode.BAD_FRAME, "{\"type\":\"response\",\"seq\":1,\"stream\":1,\"ok\":false,\"error\":"
          + "{\"code\":\"c\",\"x\":" + deep + "}}");
    }
    // even a million levels, with a codec whose size limit lets them through, is refused without a stack overflow
    FrameCodec big = new FrameCodec(4 * 1024 * 1024);
    DecodeResult r = decodeSafely(big, "{\"type\":\"push\",\"body\":" + "[".repeat(1_000_000) + "]".repeat(1_000_000)
        + "}");
    assertEquals(ErrorCode.BAD_FRAME, assertInstanceOf(DecodeResult.Failure.class, r).code());
  }

  /** Nesting up to the limit is accepted and kept exactly. */
  @Property(tries = 50)
  void nestingWithinTheLimitIsKept(@ForAll @IntRange(min = 1, max = 62) int levels) {
    String body = "[".repeat(levels) + "]".repeat(levels);
    Frame f = assertInstanceOf(DecodeResult.Ok.class,
        decodeSafely("{\"type\":\"push\",\"seq\":1,\"stream\":0,\"body\":" + body + "}")).frame();
    assertEquals(body, ((Frame.Push) f).body().json());
  }

  /** Numbers of any size in any numeric field: too large or negative is a bad_frame, never a throw. */
  @Property(tries = 1000)
  void hugeNumbersAreBadFramesOrValues(@ForAll("numericField") String field,
      @ForAll @IntRange(min = 1, max = 20_000) int digits, @ForAll boolean negative, @ForAll boolean fraction) {
    String n = (negative ? "-" : "") + "9".repeat(digits) + (fraction ? ".5" : "");
    String[] where = field.split("/");
    DecodeResult r = decodeSafely(withField(VALID.get(where[0]), where[1], n));
    boolean fitsALong = !negative && !fraction && digits <= 18;
    if (fitsALong) {
      assertInstanceOf(DecodeResult.Ok.class, r, n);
    } else {
      assertEquals(ErrorCode.BAD_FRAME, assertInstanceOf(DecodeResult.Failure.class, r).code());
    }
  }

  @Provide
  Arbitrary<String> numericField() {
    List<String> all = new ArrayList<>();
    FIELDS.forEach((type, fields) -> fields.forEach((f, k) -> {
      if (k == Kind.INT) {
        all.add(type + "/" + f);
      }
    }));
    return Arbitraries.of(all);
  }

  /** Huge strings: within the size limit they are kept exactly; over it, too_large; a huge clientId is refused. */
  @Property(tries = 200)
  void hugeStringsAreKeptOrRefusedBySize(@ForAll @IntRange(min = 0, max = 200_000) int length) {
    String s = "x".repeat(length);
    String text = "{\"type\":\"error\",\"code\":\"c\",\"message\":\"" + s + "\"}";
    DecodeResult r = decodeSafely(text);
    if (text.length() <= CODEC.maxFrameBytes()) {
      assertEquals(s, ((Frame.Error) assertInstanceOf(DecodeResult.Ok.class, r).frame()).message());
    } else {
      assertEquals(ErrorCode.TOO_LARGE, assertInstanceOf(DecodeResult.Failure.class, r).code());
    }
    if (length > 128 && length < 60_000) {
      assertFailure(ErrorCode.BAD_FRAME, "{\"type\":\"hello\",\"clientId\":\"" + s + "\"}");
    }
  }
}
