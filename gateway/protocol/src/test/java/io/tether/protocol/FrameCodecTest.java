package io.tether.protocol;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Specification of {@link FrameCodec} against the wire contract (docs/PROTOCOL.md §1–§7): every frame type survives
 * a round trip, opaque values are kept as their exact text, and malformed input becomes a typed
 * {@link DecodeResult.Failure} — never an exception.
 */
class FrameCodecTest {

  private static final FrameCodec CODEC = new FrameCodec();

  // ---------------------------------------------------------------------------------------------------------
  // helpers

  private static Frame decodeOk(String text) {
    DecodeResult result = assertDoesNotThrow(() -> CODEC.decode(text), () -> "decode threw for " + abbreviate(text));
    if (result instanceof DecodeResult.Ok ok) {
      return ok.frame();
    }
    throw new AssertionError("expected Ok for " + abbreviate(text) + " but got " + result);
  }

  private static void assertFails(ErrorCode expected, String text) {
    assertFails(CODEC, expected, text);
  }

  private static void assertFails(FrameCodec codec, ErrorCode expected, String text) {
    DecodeResult result = assertDoesNotThrow(() -> codec.decode(text), () -> "decode threw for " + abbreviate(text));
    DecodeResult.Failure failure = assertInstanceOf(DecodeResult.Failure.class, result,
        () -> "expected " + expected + " for " + abbreviate(text) + " but got " + result);
    assertEquals(expected, failure.code(), () -> "wrong code for " + abbreviate(text) + ": " + failure);
    assertTrue(failure.message() != null && !failure.message().isBlank(), "a failure explains itself");
  }

  private static String abbreviate(String s) {
    return s == null ? "null" : s.length() > 120 ? s.substring(0, 120) + "…(" + s.length() + " chars)" : s;
  }

  private static RawJson raw(String json) {
    return RawJson.of(json);
  }

  /** A reliable push whose body is {@code body}, written exactly as given. */
  private static String pushWithBody(String body) {
    return "{\"type\":\"push\",\"seq\":1,\"stream\":0,\"body\":" + body + "}";
  }

  private static RawJson decodedBody(String text) {
    Frame frame = decodeOk(text);
    Frame.Push push = assertInstanceOf(Frame.Push.class, frame);
    return push.body();
  }

  // ---------------------------------------------------------------------------------------------------------
  // round trips

  /** One or more sample frames of every concrete frame type, with optional fields both set and absent. */
  static Stream<Arguments> everyFrameType() {
    RawJson attrs = raw("{\"app\":\"1.2\",\"net\":\"wifi\"}");
    RawJson body = raw("{\"id\":7,\"tags\":[\"a\",\"b\"],\"nested\":{\"x\":null,\"y\":1.5}}");
    return Stream.of(
        new Frame.Hello("dev-42", "secret-token", attrs),
        new Frame.Hello("a", null, null),
        new Frame.Welcome("sess-1", "tok-1", 25_000, 120_000, "node-a"),
        new Frame.Welcome("sess-1", "tok-1", 25_000, 120_000, null),
        new Frame.Resume("sess-1", "tok-1", 17),
        new Frame.Resume("sess-1", "tok-1", 0),
        new Frame.Resume("sess-1", "tok-1", 3, "fresh.jwt.token"),
        new Frame.Refresh(1_767_000_000_000L),
        new Frame.Auth("new.jwt.token"),
        new Frame.AuthOk(1_767_000_000_000L),
        new Frame.AuthOk(0),
        new Frame.Resumed("sess-1", "tok-2", 9, "node-b"),
        new Frame.Resumed("sess-1", "tok-2", 0, null),
        new Frame.Ack(42),
        new Frame.Ack(0),
        new Frame.Ping(12, attrs),
        new Frame.Ping(-1, null),
        new Frame.Ping(0, null),
        new Frame.Pong(12),
        new Frame.Pong(-1),
        new Frame.Request(3, 5, "orders.get", raw("{\"id\":7}")),
        new Frame.Request(4, 2, "demo.question", null),
        new Frame.Response(8, 5, true, body, null, true),
        new Frame.Response(9, 7, false, null, new Frame.ErrorInfo("not_allowed", "no \"access\"\nhere"), true),
        new Frame.Response(10, 5, true, raw("[1,2,3]"), null, false),
        new Frame.Push(10, 0, null, body),
        new Frame.Push(11, 5, "a", raw("{\"label\":\"a\"}")),
        new Frame.Push(0, 0, null, raw("{\"n\":1}")),
        new Frame.Subscribe(4, "prices/eu", 12),
        new Frame.Subscribe(5, "prices/eu", 0),
        new Frame.Unsubscribe(6, "prices/eu"),
        new Frame.Notify(11, "prices/eu", 15, body),
        new Frame.Bye(null),
        new Frame.Bye("replaced"),
        new Frame.Reconnect("shutdown"),
        new Frame.Error("resume_failed", null, "overflow", true),
        Frame.Error.of(ErrorCode.BAD_FRAME, "tab\there, quote \" backslash \\ é 😀 </script>", false),
        Frame.Error.refusing(ErrorCode.NOT_ALLOWED, "topic 'x' is not allowed", 4, "x"),
        Frame.Error.refusing(ErrorCode.RATE_LIMITED, "slow down", 9, null),
        new Frame.Open(3, 5, "redis", 0),
        new Frame.Data(4, 5, "aGk=", false, null),
        new Frame.Data(5, 5, null, true, "eof"),
        new Frame.Credit(5, 262144)
    ).map(f -> Arguments.of(f.getClass().getSimpleName(), f));
  }

  @Nested
  @DisplayName("round trip")
  class RoundTrip {

    /** Verifies that decoding what the codec encoded gives back an equal record, for every frame type. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("io.tether.protocol.FrameCodecTest#everyFrameType")
    void encodeThenDecodeGivesAnEqualFrame(String typeName, Frame frame) {
      String text = CODEC.encode(frame);

      assertEquals(frame, decodeOk(text), () -> "round trip through " + text);
    }

    /** Verifies that the encoded {@code type} field is the frame's wire type and comes first. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.tether.protocol.FrameCodecTest#everyFrameType")
    void encodedFrameStartsWithItsWireType(String typeName, Frame frame) {
      assertTrue(CODEC.encode(frame).startsWith("{\"type\":\"" + frame.type() + "\""));
    }

    /**
     * Verifies that the round-trip samples cover every concrete record of the sealed {@link Frame} hierarchy, so a
     * frame type added later cannot go untested.
     */
    @Test
    void roundTripSamplesCoverEveryFrameType() {
      Set<Class<?>> concrete = new HashSet<>();
      Deque<Class<?>> todo = new ArrayDeque<>(List.of(Frame.class));
      while (!todo.isEmpty()) {
        Class<?> c = todo.pop();
        if (c.isSealed()) {
          todo.addAll(List.of(c.getPermittedSubclasses()));
        } else {
          concrete.add(c);
        }
      }
      Set<Class<?>> sampled = everyFrameType().map(a -> a.get()[1].getClass()).collect(Collectors.toSet());

      assertEquals(22, concrete.size(), "frame types in the contract (with the streams/1 extension): " + concrete);
      assertEquals(concrete, sampled);
    }

    /** Verifies that the examples written in the contract decode to the records they describe. */
    @Test
    void contractExamplesDecodeToTheirRecords() {
      assertAll(
          () -> assertEquals(new Frame.Hello("dev-42", "t", raw("{\"app\":\"1.2\",\"net\":\"wifi\"}")),
              decodeOk("{\"type\":\"hello\",\"clientId\":\"dev-42\",\"token\":\"t\",\"attrs\":{\"app\":\"1.2\",\"net\":\"wifi\"}}")),
          () -> assertEquals(new Frame.Resume("s", "r", 17),
              decodeOk("{\"type\":\"resume\",\"sessionId\":\"s\",\"resumeToken\":\"r\",\"lastSeq\":17}")),
          () -> assertEquals(new Frame.Ack(42), decodeOk("{\"type\":\"ack\",\"ack\":42}")),
          () -> assertEquals(new Frame.Ping(12, raw("{}")), decodeOk("{\"type\":\"ping\",\"ack\":12,\"attrs\":{}}")),
          () -> assertEquals(new Frame.Pong(12), decodeOk("{\"type\":\"pong\",\"ack\":12}")),
          () -> assertEquals(new Frame.Request(3, 5, "orders.get", raw("{\"id\":7}")),
              decodeOk("{\"type\":\"request\",\"seq\":3,\"stream\":5,\"address\":\"orders.get\",\"body\":{\"id\":7}}")),
          () -> assertEquals(
              new Frame.Response(9, 7, false, null, new Frame.ErrorInfo("not_allowed", "m"), true),
              decodeOk("{\"type\":\"response\",\"seq\":9,\"stream\":7,\"ok\":false,"
                  + "\"error\":{\"code\":\"not_allowed\",\"message\":\"m\"},\"fin\":true}")),
          () -> assertEquals(new Frame.Push(10, 5, "a", raw("{}")),
              decodeOk("{\"type\":\"push\",\"seq\":10,\"stream\":5,\"resource\":\"a\",\"body\":{}}")),
          () -> assertEquals(new Frame.Subscribe(4, "prices/eu", 12),
              decodeOk("{\"type\":\"subscribe\",\"seq\":4,\"topic\":\"prices/eu\",\"version\":12}")),
          () -> assertEquals(new Frame.Unsubscribe(5, "prices/eu"),
              decodeOk("{\"type\":\"unsubscribe\",\"seq\":5,\"topic\":\"prices/eu\"}")),
          () -> assertEquals(new Frame.Notify(11, "prices/eu", 15, raw("{\"p\":1}")),
              decodeOk("{\"type\":\"notify\",\"seq\":11,\"topic\":\"prices/eu\",\"version\":15,\"body\":{\"p\":1}}")),
          () -> assertEquals(new Frame.Bye(null), decodeOk("{\"type\":\"bye\"}")),
          () -> assertEquals(new Frame.Reconnect("shutdown"), decodeOk("{\"type\":\"reconnect\",\"reason\":\"shutdown\"}")),
          () -> assertEquals(new Frame.Error("resume_failed", null, "expired", true),
              decodeOk("{\"type\":\"error\",\"code\":\"resume_failed\",\"reason\":\"expired\",\"fatal\":true}")));
    }

    /** Verifies that a frame's fields may come in any order, {@code type} included. */
    @Test
    void fieldOrderDoesNotMatter() {
      assertEquals(new Frame.Request(3, 5, "orders.get", raw("{\"id\":7}")),
          decodeOk("{\"body\":{\"id\":7},\"address\":\"orders.get\",\"stream\":5,\"seq\":3,\"type\":\"request\"}"));
    }

    /** Verifies that whitespace between tokens, before and after the object is accepted. */
    @Test
    void whitespaceAroundTokensIsAccepted() {
      assertEquals(new Frame.Ack(3), decodeOk(" \n\t{ \"type\" : \"ack\" ,\r\n \"ack\" : 3 } \n"));
    }

    /** Verifies that the largest seq that fits a signed 64-bit integer is accepted and re-encoded unchanged. */
    @Test
    void largestLongSeqIsAccepted() {
      Frame frame = decodeOk("{\"type\":\"request\",\"seq\":9223372036854775807,\"stream\":1,\"address\":\"a\"}");

      assertEquals(Long.MAX_VALUE, ((Frame.Request) frame).seq());
      assertEquals(frame, decodeOk(CODEC.encode(frame)));
    }

    /** Verifies that encoding leaves out absent optional fields rather than writing them as null. */
    @Test
    void absentOptionalFieldsAreLeftOut() {
      assertAll(
          () -> assertEquals("{\"type\":\"bye\"}", CODEC.encode(new Frame.Bye(null))),
          () -> assertEquals("{\"type\":\"hello\",\"clientId\":\"c\"}", CODEC.encode(new Frame.Hello("c", null, null))),
          () -> assertEquals("{\"type\":\"ping\"}", CODEC.encode(new Frame.Ping(-1, null))),
          () -> assertEquals("{\"type\":\"pong\"}", CODEC.encode(new Frame.Pong(-1))),
          () -> assertEquals("{\"type\":\"error\",\"code\":\"timeout\",\"fatal\":false}",
              CODEC.encode(new Frame.Error("timeout", null, null, false))));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // opaque values

  @Nested
  @DisplayName("opaque bodies and attrs")
  class RawValues {

    /** Verifies that a body is kept character for character, including the whitespace inside it. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "{}",
        "[]",
        "{ \"a\" : { \"b\" : [ 1 , { \"c\" : [ ] } ] } , \"d\" : {} }",
        "[[1,[2,[3,[4]]]],{\"k\":[{\"k\":[{}]}]}]",
        "\"plain\"",
        "\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00\"",
        "\"literal é 漢字 😀 \"",
        "{\"s\":\"}\",\"t\":\"]\",\"u\":\"\\\"}\"}",
        "0",
        "-0",
        "42",
        "-17",
        "3.14159",
        "-1.5e-300",
        "6.02E+23",
        "123456789012345678901234567890",
        "0.1000000000000000055511151231257827",
        "true",
        "false",
        "null",
        "[null,true,false,0,\"\",{},[]]"
    })
    void bodyIsPreservedExactly(String body) {
      assertEquals(body, decodedBody(pushWithBody(body)).json());
    }

    /** Verifies that a body followed by other fields (not last in the object) is cut exactly at its end. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"{\"a\":1}", "[1,2]", "\"s\\\"\"", "12", "-1.25e3", "true", "null"})
    void bodyFollowedByAnotherFieldIsPreservedExactly(String body) {
      String text = "{\"type\":\"push\",\"body\":" + body + " ,\"seq\":2,\"stream\":0}";

      assertEquals(body, decodedBody(text).json());
    }

    /**
     * Verifies that a body in a frame longer than the parser's single-buffer threshold (32 KiB of chars) is still cut
     * at the right offsets.
     */
    @Test
    void bodyOfALargeFrameIsPreservedExactly() {
      StringBuilder b = new StringBuilder("{\"items\":[");
      for (int i = 0; b.length() < 50_000; i++) {
        b.append(i == 0 ? "" : ",").append("{\"i\":").append(i).append(",\"s\":\"é\\n\\u0041").append(i).append("\"}");
      }
      String body = b.append("],\"end\":12345}").toString();
      String text = "{\"type\":\"push\",\"seq\":1,\"stream\":0,\"body\":" + body + ",\"resource\":\"r\"}";

      assertTrue(text.length() > 32 * 1024 && text.length() < FrameCodec.DEFAULT_MAX_FRAME_BYTES);
      assertEquals(body, decodedBody(text).json());
    }

    /** Verifies that numbers ending at every position of a large frame are cut correctly (buffer boundaries). */
    @Test
    void numberBodiesAcrossBufferBoundariesArePreservedExactly() {
      for (int pad = 33_000; pad < 33_000 + 4_100; pad += 97) {
        String text = "{\"type\":\"push\",\"x\":\"" + "p".repeat(pad) + "\",\"seq\":1,\"stream\":0,\"body\":123456789}";
        String body = decodedBody(text).json();
        int p = pad;
        assertEquals("123456789", body, () -> "with padding " + p);
      }
    }

    /** Verifies that re-encoding a decoded frame writes its body text unchanged. */
    @Test
    void reEncodingWritesTheBodyTextUnchanged() {
      String body = "{ \"z\": [1, 2.50, \"\\u00e9\"], \"a\": null }";
      Frame frame = decodeOk(pushWithBody(body));

      String encoded = CODEC.encode(frame);

      assertTrue(encoded.contains("\"body\":" + body), encoded);
    }

    /** Verifies that the {@code attrs} of a {@code hello} are kept as their exact text. */
    @Test
    void helloAttrsArePreservedExactly() {
      String attrs = "{\"app\":\"1.2\", \"net\":\"wifi\", \"caps\":[\"a\",{\"b\":null}], \"ü\":\"\\u00fc\"}";
      Frame frame = decodeOk("{\"type\":\"hello\",\"clientId\":\"dev-42\",\"attrs\":" + attrs + "}");

      assertEquals(attrs, ((Frame.Hello) frame).attrs().json());
    }

    /** Verifies that the {@code attrs} of a {@code ping} are kept as their exact text. */
    @Test
    void pingAttrsArePreservedExactly() {
      String attrs = "{\"battery\":0.42,\"net\":\"lte\"}";
      Frame frame = decodeOk("{\"type\":\"ping\",\"ack\":3,\"attrs\":" + attrs + "}");

      assertEquals(new Frame.Ping(3, raw(attrs)), frame);
    }

    /** Verifies that {@code attrs} that are not an object are refused. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"[1]", "\"x\"", "1", "true"})
    void nonObjectAttrsAreBadFrames(String attrs) {
      assertFails(ErrorCode.BAD_FRAME, "{\"type\":\"hello\",\"clientId\":\"c\",\"attrs\":" + attrs + "}");
    }

    /** Verifies that {@code "attrs":null} means no attrs. */
    @Test
    void nullAttrsMeanNoAttrs() {
      assertEquals(new Frame.Hello("c", null, null), decodeOk("{\"type\":\"hello\",\"clientId\":\"c\",\"attrs\":null}"));
    }

    /** Verifies that string fields with escapes and unicode decode to the characters they denote. */
    @Test
    void escapedStringFieldsAreUnescaped() {
      Frame frame = decodeOk("{\"type\":\"subscribe\",\"seq\":1,\"topic\":\"a\\/b \\\"q\\\" \\u00e9 😀\"}");

      assertEquals("a/b \"q\" é 😀", ((Frame.Subscribe) frame).topic());
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // lenience the contract asks for

  @Nested
  @DisplayName("unknown fields")
  class UnknownFields {

    /** Verifies that unknown fields of any shape are ignored (§1). */
    @Test
    void unknownFieldsAreIgnored() {
      String text = "{\"extra\":{\"nested\":[1,{\"type\":\"bye\"},[[]]]},\"type\":\"ack\",\"s\":\"x\",\"f\":1.5,"
          + "\"big\":123456789012345678901234567890,\"n\":null,\"b\":true,\"ack\":3,\"arr\":[\"seq\",-1]}";

      assertEquals(new Frame.Ack(3), decodeOk(text));
    }

    /** Verifies that unknown fields inside a response's {@code error} object are ignored. */
    @Test
    void unknownFieldsInsideErrorAreIgnored() {
      Frame frame = decodeOk("{\"type\":\"response\",\"seq\":1,\"stream\":1,\"ok\":false,"
          + "\"error\":{\"detail\":{\"x\":[1]},\"code\":\"timeout\",\"message\":\"m\",\"n\":2}}");

      assertEquals(new Frame.Response(1, 1, false, null, new Frame.ErrorInfo("timeout", "m"), true), frame);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // types

  @Nested
  @DisplayName("frame type")
  class FrameType {

    /** Verifies that a frame without {@code type} is a bad frame. */
    @Test
    void missingTypeIsBadFrame() {
      assertFails(ErrorCode.BAD_FRAME, "{\"clientId\":\"dev-42\"}");
    }

    /** Verifies that an empty object is a bad frame. */
    @Test
    void emptyObjectIsBadFrame() {
      assertFails(ErrorCode.BAD_FRAME, "{}");
    }

    /** Verifies that a {@code type} that is not a string is a bad frame. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"1", "null", "true", "[\"hello\"]", "{\"v\":\"hello\"}"})
    void nonStringTypeIsBadFrame(String type) {
      assertFails(ErrorCode.BAD_FRAME, "{\"type\":" + type + ",\"clientId\":\"c\"}");
    }

    /** Verifies that a well-formed frame of a type the contract does not define is {@code unknown_type}. */
    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"subscribe_all", "Hello", "HELLO", "", " hello", "ack "})
    void unknownTypeIsUnknownType(String type) {
      assertFails(ErrorCode.UNKNOWN_TYPE, "{\"type\":\"" + type + "\",\"seq\":1}");
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // malformed input

  @Nested
  @DisplayName("malformed input")
  class Malformed {

    /** Verifies that text that is not one JSON object is a bad frame, not an exception. */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "",
        " ",
        "hello",
        "{type:hello}",
        "{'type':'bye'}",
        "[]",
        "[{\"type\":\"bye\"}]",
        "null",
        "42",
        "\"bye\"",
        "true",
        "{",
        "}",
        "{\"type\":\"bye\"",
        "{\"type\":\"bye\",}",
        "{\"type\" \"bye\"}",
        "{\"type\":\"bye\" /* comment */}",
        "{\"type\":\"ack\",\"ack\":NaN}",
        "{\"type\":\"ack\",\"ack\":01}",
        "{\"type\":\"bye\",\"reason\":\"unterminated}",
        "{\"type\":\"bye\",\"reason\":\"raw\u0001control\"}",
        "{\"type\":\"bye\",\"reason\":\"bad escape \\x\"}"
    })
    void nonObjectTextIsBadFrame(String text) {
      assertFails(ErrorCode.BAD_FRAME, text);
    }

    /** Verifies that content after the frame object is a bad frame. */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "{\"type\":\"bye\"} x",
        "{\"type\":\"bye\"}}",
        "{\"type\":\"bye\"}{\"type\":\"bye\"}",
        "{\"type\":\"bye\"} {}",
        "{\"type\":\"bye\"}[]",
        "{\"type\":\"bye\"}1",
        "{\"type\":\"bye\"},"
    })
    void trailingGarbageIsBadFrame(String text) {
      assertFails(ErrorCode.BAD_FRAME, text);
    }

    /** Verifies that every truncation of a valid frame is a bad frame, never an exception. */
    @Test
    void everyTruncationOfAValidFrameIsBadFrame() {
      String full = CODEC.encode(new Frame.Response(8, 5, false, raw("{\"a\":[1,\"x\\\"y\",{\"b\":null}]}"),
          new Frame.ErrorInfo("timeout", "é"), true));
      decodeOk(full);
      for (int i = 0; i < full.length(); i++) {
        assertFails(ErrorCode.BAD_FRAME, full.substring(0, i));
      }
    }

    /** Verifies that numeric fields holding anything but a non-negative 64-bit integer are bad frames. */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "{\"type\":\"request\",\"seq\":\"3\",\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":-1,\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":1.5,\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":1.0,\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":1e2,\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":9223372036854775808,\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":123456789012345678901234567890,\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":null,\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":true,\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":[1],\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":{\"v\":1},\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":1,\"stream\":\"5\",\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":1,\"stream\":-5,\"address\":\"a\"}",
        "{\"type\":\"ack\",\"ack\":\"3\"}",
        "{\"type\":\"ack\",\"ack\":-1}",
        "{\"type\":\"ack\",\"ack\":2.5}",
        "{\"type\":\"ping\",\"ack\":\"3\"}",
        "{\"type\":\"resume\",\"sessionId\":\"s\",\"resumeToken\":\"r\",\"lastSeq\":-1}",
        "{\"type\":\"resume\",\"sessionId\":\"s\",\"resumeToken\":\"r\",\"lastSeq\":\"17\"}",
        "{\"type\":\"subscribe\",\"seq\":1,\"topic\":\"t\",\"version\":-3}",
        "{\"type\":\"subscribe\",\"seq\":1,\"topic\":\"t\",\"version\":99999999999999999999}"
    })
    void wrongNumericFieldIsBadFrame(String text) {
      assertFails(ErrorCode.BAD_FRAME, text);
    }

    /** Verifies that a reliable frame with seq 0 is a bad frame: seqs start at 1 (§3). */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "{\"type\":\"request\",\"seq\":0,\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"response\",\"seq\":0,\"stream\":2,\"ok\":true,\"body\":{}}",
        "{\"type\":\"subscribe\",\"seq\":0,\"topic\":\"t\"}",
        "{\"type\":\"unsubscribe\",\"seq\":0,\"topic\":\"t\"}",
        "{\"type\":\"notify\",\"seq\":0,\"topic\":\"t\",\"version\":1,\"body\":{}}"
    })
    void reliableFrameWithSeqZeroIsBadFrame(String text) {
      assertFails(ErrorCode.BAD_FRAME, text);
    }

    /** Verifies that a reliable frame without seq is a bad frame (only pushes may be volatile). */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "{\"type\":\"request\",\"stream\":1,\"address\":\"a\"}",
        "{\"type\":\"response\",\"stream\":2,\"ok\":true}",
        "{\"type\":\"subscribe\",\"topic\":\"t\"}",
        "{\"type\":\"unsubscribe\",\"topic\":\"t\"}",
        "{\"type\":\"notify\",\"topic\":\"t\",\"version\":1,\"body\":{}}"
    })
    void reliableFrameWithoutSeqIsBadFrame(String text) {
      assertFails(ErrorCode.BAD_FRAME, text);
    }

    /** Verifies that string and boolean fields of the wrong JSON type are bad frames. */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "{\"type\":\"request\",\"seq\":1,\"stream\":1,\"address\":7}",
        "{\"type\":\"request\",\"seq\":1,\"stream\":1,\"address\":[\"a\"]}",
        "{\"type\":\"subscribe\",\"seq\":1,\"topic\":{\"t\":1}}",
        "{\"type\":\"resume\",\"sessionId\":1,\"resumeToken\":\"r\",\"lastSeq\":0}",
        "{\"type\":\"hello\",\"clientId\":\"c\",\"token\":42}",
        "{\"type\":\"response\",\"seq\":1,\"stream\":1,\"ok\":\"true\"}",
        "{\"type\":\"response\",\"seq\":1,\"stream\":1,\"ok\":1}",
        "{\"type\":\"response\",\"seq\":1,\"stream\":1,\"fin\":0}",
        "{\"type\":\"response\",\"seq\":1,\"stream\":1,\"ok\":false,\"error\":\"timeout\"}",
        "{\"type\":\"error\",\"code\":\"timeout\",\"fatal\":\"no\"}",
        "{\"type\":\"error\",\"code\":5}",
        "{\"type\":\"bye\",\"reason\":{}}"
    })
    void wronglyTypedFieldIsBadFrame(String text) {
      assertFails(ErrorCode.BAD_FRAME, text);
    }

    /** Verifies that frames missing a field their type requires are bad frames. */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "{\"type\":\"hello\"}",
        "{\"type\":\"resume\",\"resumeToken\":\"r\",\"lastSeq\":1}",
        "{\"type\":\"resume\",\"sessionId\":\"s\",\"lastSeq\":1}",
        "{\"type\":\"resume\",\"sessionId\":\"s\",\"resumeToken\":\"r\"}",
        "{\"type\":\"ack\"}",
        "{\"type\":\"request\",\"seq\":1,\"address\":\"a\"}",
        "{\"type\":\"request\",\"seq\":1,\"stream\":1}",
        "{\"type\":\"request\",\"seq\":1,\"stream\":1,\"address\":\"\"}",
        "{\"type\":\"push\",\"seq\":1,\"stream\":0}",
        "{\"type\":\"subscribe\",\"seq\":1}",
        "{\"type\":\"notify\",\"seq\":1,\"topic\":\"t\"}",
        "{\"type\":\"error\",\"message\":\"m\"}"
    })
    void missingRequiredFieldIsBadFrame(String text) {
      assertFails(ErrorCode.BAD_FRAME, text);
    }

    /** Verifies that 10 000 levels of array nesting in a body are a bad frame, not a StackOverflowError. */
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void deeplyNestedBodyIsBadFrame() {
      assertFails(ErrorCode.BAD_FRAME, pushWithBody("[".repeat(10_000) + "]".repeat(10_000)));
    }

    /** Verifies that 10 000 unclosed {@code [} levels in a body are a bad frame, not a StackOverflowError. */
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void deeplyNestedUnclosedBodyIsBadFrame() {
      assertFails(ErrorCode.BAD_FRAME, "{\"type\":\"push\",\"seq\":1,\"stream\":0,\"body\":" + "[".repeat(10_000));
    }

    /** Verifies that deep nesting in an ignored field is refused as well: skipping it must not recurse unboundedly. */
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void deeplyNestedUnknownFieldIsBadFrame() {
      assertFails(ErrorCode.BAD_FRAME,
          "{\"type\":\"ack\",\"ack\":1,\"x\":" + "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000) + "}");
    }

    /** Verifies that 10 000 levels of nesting at the top level are a bad frame. */
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void deeplyNestedTopLevelIsBadFrame() {
      assertFails(ErrorCode.BAD_FRAME, "[".repeat(10_000));
    }

    /** Verifies that moderate nesting, as real bodies have, is accepted. */
    @Test
    void moderatelyNestedBodyIsAccepted() {
      String body = "[".repeat(32) + "]".repeat(32);

      assertEquals(body, decodedBody(pushWithBody(body)).json());
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // size

  @Nested
  @DisplayName("size limit")
  class SizeLimit {

    /** Verifies that text longer than the limit is {@code too_large} even when it is not JSON: checked first. */
    @Test
    void oversizeTextIsTooLargeBeforeParsing() {
      FrameCodec codec = new FrameCodec(1024);

      assertFails(codec, ErrorCode.TOO_LARGE, "[".repeat(1025));
    }

    /** Verifies that a valid frame one character over the limit is {@code too_large}. */
    @Test
    void validFrameOverTheLimitIsTooLarge() {
      FrameCodec codec = new FrameCodec(1024);
      String prefix = "{\"type\":\"push\",\"stream\":0,\"body\":\"";
      String text = prefix + "x".repeat(1025 - prefix.length() - 2) + "\"}";

      assertEquals(1025, text.length());
      assertFails(codec, ErrorCode.TOO_LARGE, text);
    }

    /** Verifies that a frame exactly at the limit is accepted. */
    @Test
    void frameAtTheLimitIsAccepted() {
      FrameCodec codec = new FrameCodec(1024);
      String prefix = "{\"type\":\"push\",\"stream\":0,\"body\":\"";
      String text = prefix + "x".repeat(1024 - prefix.length() - 2) + "\"}";

      assertEquals(1024, text.length());
      assertInstanceOf(DecodeResult.Ok.class, codec.decode(text));
    }

    /** Verifies that the default limit is 64 KiB (§1). */
    @Test
    void defaultLimitIs64KiB() {
      assertEquals(64 * 1024, CODEC.maxFrameBytes());
      assertFails(ErrorCode.TOO_LARGE, "x".repeat(64 * 1024 + 1));
    }

    /** Verifies that an unreasonably small limit is refused at construction. */
    @Test
    void tinyLimitIsRefused() {
      assertThrows(IllegalArgumentException.class, () -> new FrameCodec(100));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // clientId

  @Nested
  @DisplayName("clientId")
  class ClientId {

    private String hello(String clientId) {
      return "{\"type\":\"hello\",\"clientId\":\"" + clientId + "\"}";
    }

    /** Verifies that every character the contract allows is accepted, at lengths 1 and 128 (§2). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a", "Z", "0", "dev-42", "a.b_c:d@e-f", "user@example.com", "A1.b2_C3:d4@E5-f6"})
    void validClientIdIsAccepted(String clientId) {
      assertEquals(new Frame.Hello(clientId, null, null), decodeOk(hello(clientId)));
    }

    /** Verifies that a clientId of exactly 128 characters is accepted. */
    @Test
    void clientIdOf128CharsIsAccepted() {
      String id = "x".repeat(128);

      assertEquals(new Frame.Hello(id, null, null), decodeOk(hello(id)));
    }

    /** Verifies that an empty clientId is a bad frame. */
    @Test
    void emptyClientIdIsBadFrame() {
      assertFails(ErrorCode.BAD_FRAME, hello(""));
    }

    /** Verifies that a clientId of 129 characters is a bad frame. */
    @Test
    void clientIdOf129CharsIsBadFrame() {
      assertFails(ErrorCode.BAD_FRAME, hello("x".repeat(129)));
    }

    /** Verifies that a clientId with a character outside {@code [A-Za-z0-9._:@-]} is a bad frame. */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"dev 42", "dev/42", "dev+42", "dév", "dev\\n42", "dev\\u0000", "a#b", "ü", "١٢٣", "a,b",
        "*", "dev\\\"42"})
    void clientIdWithForbiddenCharacterIsBadFrame(String clientId) {
      assertFails(ErrorCode.BAD_FRAME, hello(clientId));
    }

    /** Verifies that a clientId that is not a string is a bad frame. */
    @Test
    void nonStringClientIdIsBadFrame() {
      assertFails(ErrorCode.BAD_FRAME, "{\"type\":\"hello\",\"clientId\":42}");
    }

    /** Verifies that the public validator applies the same rule as the decoder. */
    @Test
    void validatorAppliesTheContractRule() {
      assertAll(
          () -> assertTrue(FrameCodec.isValidClientId("dev-42")),
          () -> assertTrue(FrameCodec.isValidClientId("x".repeat(128))),
          () -> assertFalse(FrameCodec.isValidClientId(null)),
          () -> assertFalse(FrameCodec.isValidClientId("")),
          () -> assertFalse(FrameCodec.isValidClientId("x".repeat(129))),
          () -> assertFalse(FrameCodec.isValidClientId("a b")));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // volatile push

  @Nested
  @DisplayName("volatile push")
  class VolatilePush {

    /** Verifies that a push without seq decodes as a volatile push with seq 0 (§3). */
    @Test
    void pushWithoutSeqDecodesAsVolatile() {
      Frame frame = decodeOk("{\"type\":\"push\",\"stream\":0,\"body\":{\"n\":1}}");

      Frame.Push push = assertInstanceOf(Frame.Push.class, frame);
      assertEquals(new Frame.Push(0, 0, null, raw("{\"n\":1}")), push);
      assertTrue(push.isVolatile());
    }

    /** Verifies that a volatile push is encoded without a seq field. */
    @Test
    void volatilePushEncodesWithoutSeq() {
      assertEquals("{\"type\":\"push\",\"stream\":0,\"body\":{\"n\":1}}",
          CODEC.encode(new Frame.Push(0, 0, null, raw("{\"n\":1}"))));
    }

    /** Verifies that a reliable push keeps its seq and is not volatile. */
    @Test
    void pushWithSeqIsReliable() {
      Frame.Push push = (Frame.Push) decodeOk("{\"type\":\"push\",\"seq\":10,\"stream\":0,\"body\":{}}");

      assertEquals(10, push.seq());
      assertFalse(push.isVolatile());
    }

    /** Verifies that {@code withSeq} turns a volatile push into a reliable one with that seq, encoded with it. */
    @Test
    void withSeqMakesAPushReliable() {
      Frame.Push reliable = new Frame.Push(0, 0, null, raw("{}")).withSeq(7);

      assertEquals("{\"type\":\"push\",\"seq\":7,\"stream\":0,\"body\":{}}", CODEC.encode(reliable));
    }
  }

  @Nested
  class FieldsOutsideTheFrameType {

    /** Verifies that a badly typed field that the frame's type does not use is ignored like an unknown field. */
    @Test
    void badlyTypedFieldNotUsedByTheTypeIsIgnored() {
      assertEquals(new Frame.Ack(1), decodeOk("{\"type\":\"ack\",\"ack\":1,\"topic\":7}"));
      assertEquals(new Frame.Ping(-1, null), decodeOk("{\"type\":\"ping\",\"seq\":\"x\"}"));
    }

    /** Verifies that a badly typed field the frame's type uses is still a bad_frame. */
    @Test
    void badlyTypedFieldUsedByTheTypeIsRefused() {
      assertFails(ErrorCode.BAD_FRAME, "{\"type\":\"ack\",\"ack\":\"1\"}");
    }

    /** Verifies that JSON null in an optional field means the field is absent. */
    @Test
    void nullInOptionalFieldMeansAbsent() {
      assertEquals(new Frame.Bye(null), decodeOk("{\"type\":\"bye\",\"reason\":null}"));
      assertEquals(new Frame.Hello("c", null, null), decodeOk("{\"type\":\"hello\",\"clientId\":\"c\",\"token\":null}"));
    }

    /** Verifies that an opaque body may hold a number longer than Jackson's default limit. */
    @Test
    void longNumberInsideOpaqueBodyIsKept() {
      String digits = "1".repeat(2000);
      assertEquals(raw("{\"n\":" + digits + "}"), decodedBody(pushWithBody("{\"n\":" + digits + "}")));
    }

    /** Verifies that a non-string error code in a response is a bad_frame, not silently dropped. */
    @Test
    void nonStringErrorCodeIsRefused() {
      assertFails(ErrorCode.BAD_FRAME,
          "{\"type\":\"response\",\"seq\":1,\"stream\":1,\"ok\":false,\"error\":{\"code\":7}}");
    }
  }

  @Nested
  class DirectEncoding {

    /** Verifies that labels and topics with quotes, backslashes, control and non-ASCII characters survive a round trip. */
    @Test
    void pushAndNotifyStringsAreEscaped() {
      String nasty = "a\"b\\c\nd\te\u0001f\u00e9\u4e2d\ud83d\ude00/";
      Frame push = new Frame.Push(3, 5, nasty, raw("{\"x\":[1,2]}"));
      Frame notify = new Frame.Notify(4, nasty, 9, raw("\"s\""));
      assertEquals(push, decodeOk(CODEC.encode(push)));
      assertEquals(notify, decodeOk(CODEC.encode(notify)));
    }

    /** Verifies that acks and pongs encode as the contract shows them. */
    @Test
    void acksAndPongsHaveTheContractShape() {
      assertEquals("{\"type\":\"ack\",\"ack\":42}", CODEC.encode(new Frame.Ack(42)));
      assertEquals("{\"type\":\"pong\",\"ack\":12}", CODEC.encode(new Frame.Pong(12)));
      assertEquals("{\"type\":\"pong\"}", CODEC.encode(new Frame.Pong(-1)));
    }
  }

  @Nested
  class ByteStreams {

    /** Verifies that open, data and credit frames have the shape docs/PROTOCOL.md §13 shows, and decode back. */
    @Test
    void streamFramesHaveTheExtensionShape() {
      Frame open = new Frame.Open(3, 5, "redis", 262144);
      Frame data = new Frame.Data(4, 5, Base64Text.encode(new byte[] {0, 1, 2, (byte) 0xff}), false, null);
      Frame fin = new Frame.Data(5, 5, null, true, "upstream_lost");
      Frame credit = new Frame.Credit(5, 524288);
      assertEquals("{\"type\":\"open\",\"seq\":3,\"stream\":5,\"upstream\":\"redis\",\"window\":262144}",
          CODEC.encode(open));
      assertEquals("{\"type\":\"data\",\"seq\":4,\"stream\":5,\"data\":\"AAEC/w==\"}", CODEC.encode(data));
      assertEquals("{\"type\":\"data\",\"seq\":5,\"stream\":5,\"fin\":true,\"reason\":\"upstream_lost\"}",
          CODEC.encode(fin));
      assertEquals("{\"type\":\"credit\",\"stream\":5,\"granted\":524288}", CODEC.encode(credit));
      for (Frame f : List.of(open, data, fin, credit)) {
        assertEquals(f, decodeOk(CODEC.encode(f)));
      }
    }

    /** Verifies that data that is not padded base64 of the basic alphabet is a bad_frame. */
    @Test
    void malformedBase64IsRefused() {
      for (String bad : List.of("AAE", "AA=E", "A===", "AA-_", "AA E", "=AAA")) {
        assertFails(ErrorCode.BAD_FRAME, "{\"type\":\"data\",\"seq\":1,\"stream\":1,\"data\":\"" + bad + "\"}");
      }
      assertEquals(new Frame.Data(1, 1, "", false, null),
          decodeOk("{\"type\":\"data\",\"seq\":1,\"stream\":1,\"data\":\"\"}"));
    }
  }
}
