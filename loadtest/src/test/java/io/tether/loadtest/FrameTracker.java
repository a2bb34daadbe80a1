package io.tether.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * What one virtual user has received: every reliable server frame (a frame with a {@code seq}) goes through
 * here, so gaps, duplicates and out-of-order frames are caught whatever the check that saw them.
 *
 * <p>Each {@code on…} method returns {@link #OK} or a description of what is wrong; the simulation's checks
 * compare the result with {@code OK}, so a wrong frame fails the step and the description appears in the
 * Gatling error list. One instance per virtual user, kept in its session; a user's actions and checks never
 * run concurrently, the synchronisation is only for visibility across the threads that run them.
 */
final class FrameTracker {
  static final String OK = "ok";
  static final ObjectMapper JSON = new ObjectMapper();

  private final int pushes;
  /** Highest server seq received (on any socket of this session). */
  private long lastSeq;
  /** Every reliable frame received, by seq, to compare replays with. */
  private final Map<Long, JsonNode> received = new HashMap<>();
  private int pushesSeen;
  private boolean pushResponseSeen;
  /** During replay: the seq the next replayed frame must carry. */
  private long replayNext;

  FrameTracker(int pushes) {
    this.pushes = pushes;
  }

  synchronized long lastSeq() {
    return lastSeq;
  }

  /** A response to a {@code demo.echo} request on {@code stream} with body {@code {"n":n}}. */
  synchronized String onEcho(String text, int stream, long n) {
    return onResponse(text, stream, JSON.createObjectNode().put("n", n));
  }

  /** A successful response on {@code stream} whose body equals {@code expected}. */
  synchronized String onResponse(String text, long stream, JsonNode expected) {
    JsonNode f = parse(text);
    String problem = accept(f, text);
    if (problem != null) return problem;
    if (!"response".equals(f.path("type").asText())
        || f.path("stream").asLong(-1) != stream
        || !f.path("ok").asBoolean(false)
        || !sameJson(expected, f.get("body"))) {
      return "expected response on stream " + stream + " with ok:true and body " + expected + ", got " + text;
    }
    return OK;
  }

  /**
   * A frame caused by the {@code demo.push} request on {@code stream}: one of the pushes {@code {"n":1..P}}, in
   * that order, or the response {@code {"sent":P}}. They are told apart by type; their relative order is not
   * assumed, only that the seqs have no gap and that P pushes and one response arrive in all.
   */
  synchronized String onPushPhase(String text, long stream) {
    JsonNode f = parse(text);
    String problem = accept(f, text);
    if (problem != null) return problem;
    switch (f.path("type").asText()) {
      case "push": {
        int n = f.path("body").path("n").asInt(-1);
        if (n != pushesSeen + 1 || n > pushes) {
          return "push #" + (pushesSeen + 1) + " of " + pushes + " expected, got " + text;
        }
        pushesSeen = n;
        return OK;
      }
      case "response": {
        ObjectNode expected = JSON.createObjectNode().put("sent", pushes);
        if (pushResponseSeen
            || f.path("stream").asLong(-1) != stream
            || !f.path("ok").asBoolean(false)
            || !sameJson(expected, f.get("body"))) {
          return "expected one response on stream " + stream + " with body " + expected + ", got " + text;
        }
        pushResponseSeen = true;
        return OK;
      }
      default:
        return "unexpected frame during the push phase: " + text;
    }
  }

  /** Before another demo.push on the same session: its P pushes count from 1 again (the seqs go on). */
  synchronized void startPushPhase() {
    pushesSeen = 0;
    pushResponseSeen = false;
  }

  /** After the push phase: P pushes and the response arrived. */
  synchronized String pushPhaseComplete() {
    return pushesSeen == pushes && pushResponseSeen
        ? OK
        : "push phase incomplete: " + pushesSeen + "/" + pushes + " pushes, response " + pushResponseSeen;
  }

  /** The client resumes with lastSeq = {@code resumeFrom}; the frames after it must be replayed. */
  synchronized void expectReplayAfter(long resumeFrom) {
    replayNext = resumeFrom + 1;
  }

  /** A replayed frame: the next seq after the resume point, equal to the frame first received with it. */
  synchronized String onReplay(String text) {
    JsonNode f = parse(text);
    if (f == null) return "not a JSON object: " + text;
    long seq = f.path("seq").asLong(-1);
    if (seq != replayNext) {
      return (seq < replayNext ? "duplicate" : "gap") + " in replay: expected seq " + replayNext + ", got " + text;
    }
    if (seq > lastSeq) return "replayed seq " + seq + " beyond the last one received (" + lastSeq + "): " + text;
    JsonNode original = received.get(seq);
    if (!sameJson(f, original)) return "replayed frame differs from the original " + original + ": " + text;
    replayNext++;
    return OK;
  }

  /** After the replay checks: everything after the resume point up to the last seq came back. */
  synchronized String replayComplete() {
    return replayNext == lastSeq + 1
        ? OK
        : "replay incomplete: next expected " + replayNext + ", last received " + lastSeq;
  }

  /** Checks and records a new reliable frame: its seq must follow the last one exactly. */
  private String accept(JsonNode f, String text) {
    if (f == null) return "not a JSON object: " + text;
    JsonNode seqNode = f.get("seq");
    if (seqNode == null || !seqNode.canConvertToLong()) return "no seq: " + text;
    long seq = seqNode.asLong();
    if (seq != lastSeq + 1) {
      return (seq <= lastSeq ? "duplicate" : "gap") + ": expected seq " + (lastSeq + 1) + ", got " + text;
    }
    lastSeq = seq;
    received.put(seq, f);
    return null;
  }

  /** Deep equality with numbers compared by value (1 as an int equals 1 as a long). */
  static boolean sameJson(JsonNode a, JsonNode b) {
    if (a == null || b == null) return a == b;
    return a.equals(NUMBERS_BY_VALUE, b);
  }

  private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (x, y) -> {
    if (x.isNumber() && y.isNumber()) return x.decimalValue().compareTo(y.decimalValue());
    return x.equals(y) ? 0 : 1;
  };

  private static JsonNode parse(String text) {
    try {
      JsonNode n = JSON.readTree(text);
      return n != null && n.isObject() ? n : null;
    } catch (Exception e) {
      return null;
    }
  }
}
