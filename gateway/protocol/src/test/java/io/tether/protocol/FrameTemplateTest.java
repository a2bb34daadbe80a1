package io.tether.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class FrameTemplateTest {

  private final FrameCodec codec = new FrameCodec();

  /** Verifies that a filled template is exactly the frame encoded with that seq, for every reliable frame type. */
  @Test
  void filledTemplateEqualsTheFrameEncodedWithThatSeq() {
    List<Frame.Reliable> frames = List.of(
        new Frame.Push(0, 0, null, RawJson.of("{\"n\":1,\"seq\":999999999999999}")),
        new Frame.Push(0, 5, "a", RawJson.of("[1,2]")),
        new Frame.Notify(0, "prices/eu", 7, RawJson.of("{\"p\":1}")),
        new Frame.Response(0, 3, true, RawJson.of("{\"ok\":1}"), null, true),
        new Frame.Response(0, 3, false, null, new Frame.ErrorInfo("timeout", "late \"quoted\""), true),
        new Frame.Request(0, 4, "demo.question", RawJson.of("{}")),
        new Frame.Subscribe(0, "t", 3),
        new Frame.Unsubscribe(0, "t"),
        new Frame.Open(0, 7, "redis", 65536),
        new Frame.Data(0, 7, "AAEC", false, null),
        new Frame.Data(0, 7, null, true, "upstream_lost"));
    for (Frame.Reliable f : frames) {
      FrameTemplate t = codec.template(f);
      assertEquals(codec.encode(f.withSeq(42)), t.fill(42), f.toString());
      assertEquals(f.type(), t.type());
      assertEquals(t.fill(42).length(), t.length(2));
    }
  }

  /** Verifies that a template rebuilt from its parts (as carried between nodes) fills the same text. */
  @Test
  void templateRebuiltFromItsPartsFillsTheSameText() {
    FrameTemplate t = codec.template(new Frame.Push(0, 0, null, RawJson.of("{\"x\":\"y\"}")));
    FrameTemplate copy = FrameTemplate.of(t.type(), t.prefix(), t.suffix());
    assertEquals(t.fill(7), copy.fill(7));
    assertEquals(new Frame.Push(7, 0, null, RawJson.of("{\"x\":\"y\"}")),
        ((DecodeResult.Ok) codec.decode(copy.fill(7))).frame());
  }

  /** Verifies that parts that do not end where a seq goes are refused. */
  @Test
  void partsWithoutASeqPlaceAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> FrameTemplate.of("push", "{\"type\":\"push\"", "}"));
  }
}
