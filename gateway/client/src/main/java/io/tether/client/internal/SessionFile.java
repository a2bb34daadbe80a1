package io.tether.client.internal;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The format of {@value ClientStore#SESSION_FILE} (docs/CLIENT.md "Sessions across a restart"): the session a
 * restarted client resumes, and its own reliable frames not acknowledged yet, as the exact texts written to the socket
 * (so that they are resent byte for byte with their original seqs).
 *
 * <pre>{"format":1,"clientId","sessionId","resumeToken","node","heartbeatMs","received","acked","nextStream",
 *  "topics":{"&lt;topic&gt;":version…},"frames":["{\"type\":\"request\",\"seq\":…}"…]}</pre>
 *
 * {@code received}: the highest server seq received and on disk (the {@code resume.lastSeq}); {@code acked}: the
 * server's ack position of own frames (the frames are seqs {@code acked + 1 …}); {@code nextStream}: the next own
 * stream id; {@code topics}: the followed topics and their last versions (the server keeps the session's subscriptions
 * across the resume). The resume token is a secret: it is in this file (readable by its owner only) and nowhere else, never
 * in a log or a message.
 */
final class SessionFile {

  /** What is stored of a session. */
  record Stored(String sessionId, String resumeToken, String node, long heartbeatMs, long received, long acked,
      long nextStream, Map<String, Long> topics, List<String> frames) {

    @Override
    public String toString() { // never the token
      return "Stored[session " + Support.shortId(sessionId) + ", received " + received + ", acked " + acked
          + ", frames " + frames.size() + "]";
    }
  }

  private SessionFile() {
  }

  static String encode(String clientId, Stored s) {
    return new JsonObject().put("format", ClientStore.FORMAT).put("clientId", clientId)
        .put("sessionId", s.sessionId()).put("resumeToken", s.resumeToken()).put("node", s.node())
        .put("heartbeatMs", s.heartbeatMs()).put("received", s.received()).put("acked", s.acked())
        .put("nextStream", s.nextStream()).put("topics", new JsonObject(new LinkedHashMap<>(s.topics())))
        .put("frames", new JsonArray(new ArrayList<Object>(s.frames()))).encode();
  }

  /** Throws IllegalArgumentException for a file of another client or format, or one that is incomplete. */
  static Stored decode(String clientId, String text) {
    JsonObject root = ClientStore.checkedRoot(clientId, text, ClientStore.SESSION_FILE);
    String sessionId = root.getString("sessionId");
    String token = root.getString("resumeToken");
    if (sessionId == null || sessionId.isEmpty() || token == null || token.isEmpty()) {
      throw new IllegalArgumentException(ClientStore.SESSION_FILE + ": no session id or resume token");
    }
    List<String> frames = new ArrayList<>();
    JsonArray list = root.getJsonArray("frames", new JsonArray());
    for (int i = 0; i < list.size(); i++) {
      frames.add(list.getString(i));
    }
    long nextStream = root.getLong("nextStream", 1L);
    Map<String, Long> topics = new LinkedHashMap<>();
    root.getJsonObject("topics", new JsonObject()).forEach(e -> topics.put(e.getKey(), ((Number) e.getValue())
        .longValue()));
    return new Stored(sessionId, token, root.getString("node"), root.getLong("heartbeatMs", 0L),
        root.getLong("received", 0L), root.getLong("acked", 0L), nextStream % 2 == 1 ? nextStream : nextStream + 1,
        topics, frames);
  }
}
