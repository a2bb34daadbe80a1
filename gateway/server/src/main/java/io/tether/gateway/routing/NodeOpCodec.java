package io.tether.gateway.routing;

import io.tether.protocol.FrameTemplate;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The node-to-node wire form of {@link NodeOp}: a JSON object with {@code "op"} naming the record, and its fields.
 * A frame template travels as {@code [type, prefix, suffix]}.
 */
public final class NodeOpCodec {

  /** A message that is not a node operation (another version's, or garbage). */
  public static final class MalformedNodeOp extends RuntimeException {
    MalformedNodeOp(String message) {
      super(message, null, false, false);
    }
  }

  private NodeOpCodec() {
  }

  public static JsonObject encode(NodeOp op) {
    JsonObject o = new JsonObject().put("sessionId", op.sessionId()).put("hops", op.hops());
    // Java 17: no pattern switch; the sealed set makes this chain complete (NodeOpCodecTest covers each).
    if (op instanceof NodeOp.Deliver d) {
      JsonArray frames = new JsonArray();
      for (FrameTemplate t : d.frames()) {
        frames.add(new JsonArray().add(t.type()).add(t.prefix()).add(t.suffix()));
      }
      o.put("op", "deliver").put("frames", frames).put("completesStream", d.completesStream())
          .put("requireOpenStream", d.requireOpenStream()).put("id", d.sendId());
    } else if (op instanceof NodeOp.SendVolatile v) {
      o.put("op", "volatile").put("frame", v.frame());
    } else if (op instanceof NodeOp.Ask a) {
      o.put("op", "request").put("address", a.address()).put("body", a.body()).put("timeoutMs", a.timeoutMs());
    } else if (op instanceof NodeOp.End e) {
      o.put("op", "end").put("reason", e.reason());
    } else if (op instanceof NodeOp.Fence f) {
      o.put("op", "fence").put("epoch", f.epoch());
    }
    return o;
  }

  /** Reads a node operation; {@link MalformedNodeOp} names what is wrong. */
  public static NodeOp decode(Object message) {
    if (!(message instanceof JsonObject o)) {
      throw new MalformedNodeOp("a node operation is a JSON object");
    }
    try {
      String sessionId = required(o.getString("sessionId"), "sessionId");
      int hops = o.getInteger("hops", 0);
      return switch (String.valueOf(o.getString("op"))) {
        case "deliver" -> new NodeOp.Deliver(sessionId, templates(o.getJsonArray("frames")),
            o.getLong("completesStream", 0L), o.getLong("requireOpenStream", 0L), o.getString("id"), hops);
        case "volatile" -> new NodeOp.SendVolatile(sessionId, required(o.getString("frame"), "frame"), hops);
        case "request" -> new NodeOp.Ask(sessionId, required(o.getString("address"), "address"),
            o.getString("body"), required(o.getLong("timeoutMs"), "timeoutMs"), hops);
        case "end" -> new NodeOp.End(sessionId, required(o.getString("reason"), "reason"), hops);
        case "fence" -> new NodeOp.Fence(sessionId, required(o.getLong("epoch"), "epoch"), hops);
        default -> throw new MalformedNodeOp("unknown node operation '" + o.getValue("op") + "'");
      };
    } catch (ClassCastException | IllegalArgumentException e) {
      throw e instanceof MalformedNodeOp m ? m : new MalformedNodeOp("malformed node operation: " + e.getMessage());
    }
  }

  private static List<FrameTemplate> templates(JsonArray frames) {
    if (frames == null || frames.isEmpty()) {
      throw new MalformedNodeOp("field 'frames' must be a non-empty array");
    }
    List<FrameTemplate> out = new ArrayList<>(frames.size());
    for (int i = 0; i < frames.size(); i++) {
      JsonArray t = frames.getJsonArray(i);
      out.add(FrameTemplate.of(t.getString(0), t.getString(1), t.getString(2)));
    }
    return out;
  }

  private static <T> T required(T value, String field) {
    if (value == null) {
      throw new MalformedNodeOp("missing field '" + field + "'");
    }
    return value;
  }
}
