package io.tether.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.RawJson;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The node-to-node operations survive their wire form, and malformed ones are reported, not half-read. */
class NodeOpCodecTest {

  private static final FrameCodec CODEC = new FrameCodec();

  /** Verifies that every kind of node operation decodes to an equal record after encoding (over the wire as JSON). */
  @Test
  void everyOperationRoundTripsThroughItsWireForm() {
    NodeOp.Deliver deliver = new NodeOp.Deliver("s1", List.of(
        CODEC.template(new Frame.Push(0, 0, null, RawJson.of("{\"n\":1}"))),
        CODEC.template(new Frame.Response(0, 5, true, RawJson.of("[1]"), null, true))), 5, 0, "send-7", 2);
    List<NodeOp> ops = List.of(deliver,
        new NodeOp.Deliver("s1", deliver.frames(), 0, 3, null, 0),
        new NodeOp.SendVolatile("s2", "{\"type\":\"push\",\"stream\":0,\"body\":1}", 1),
        new NodeOp.Ask("s3", "demo.question", "{\"q\":true}", 8000, 1),
        new NodeOp.End("s4", "replaced", 1),
        new NodeOp.Fence("s5", 7, 1));
    for (NodeOp op : ops) {
      JsonObject wire = new JsonObject(NodeOpCodec.encode(op).encode());
      NodeOp back = NodeOpCodec.decode(wire);
      if (op instanceof NodeOp.Deliver d) {
        NodeOp.Deliver b = (NodeOp.Deliver) back;
        assertEquals(d.frames().stream().map(t -> t.fill(9)).toList(),
            b.frames().stream().map(t -> t.fill(9)).toList());
        assertEquals(List.of(d.sessionId(), d.completesStream(), d.requireOpenStream(), String.valueOf(d.sendId()),
            d.hops()), List.of(b.sessionId(), b.completesStream(), b.requireOpenStream(), String.valueOf(b.sendId()),
            b.hops()));
      } else {
        assertEquals(op, back);
      }
    }
  }

  /** Verifies that the fence operation keeps the wire name other versions (and the fencing test) look for. */
  @Test
  void operationsAreNamedOnTheWire() {
    assertEquals("fence", NodeOpCodec.encode(new NodeOp.Fence("s", 1, 1)).getString("op"));
    assertEquals("deliver", NodeOpCodec.encode(new NodeOp.Deliver("s",
        List.of(CODEC.template(new Frame.Push(0, 0, null, RawJson.of("1")))), 0, 0, null, 0)).getString("op"));
  }

  /** Verifies that an unknown operation, a missing field or a non-object is reported as malformed. */
  @Test
  void malformedOperationsAreReportedAsSuch() {
    assertThrows(NodeOpCodec.MalformedNodeOp.class,
        () -> NodeOpCodec.decode(new JsonObject().put("op", "teleport").put("sessionId", "s")));
    assertThrows(NodeOpCodec.MalformedNodeOp.class,
        () -> NodeOpCodec.decode(new JsonObject().put("op", "fence").put("sessionId", "s")));
    assertThrows(NodeOpCodec.MalformedNodeOp.class, () -> NodeOpCodec.decode(new JsonObject().put("op", "end")));
    assertThrows(NodeOpCodec.MalformedNodeOp.class,
        () -> NodeOpCodec.decode(new JsonObject().put("op", "deliver").put("sessionId", "s").put("frames", "x")));
    assertThrows(NodeOpCodec.MalformedNodeOp.class, () -> NodeOpCodec.decode("not json"));
  }
}
