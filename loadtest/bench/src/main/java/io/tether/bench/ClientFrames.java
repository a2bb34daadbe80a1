package io.tether.bench;

/**
 * The frames the load client sends. Built as plain strings because every value is a number or a
 * clientId already checked against the protocol's character set, so nothing needs escaping.
 */
final class ClientFrames {

  private ClientFrames() {
  }

  static String hello(String clientId) {
    return "{\"type\":\"hello\",\"clientId\":\"" + clientId + "\"}";
  }

  static String pushRequest(long seq, int stream, int count) {
    return "{\"type\":\"request\",\"seq\":" + seq + ",\"stream\":" + stream
      + ",\"address\":\"demo.push\",\"body\":{\"count\":" + count + ",\"qos\":1}}";
  }

  static String ack(long seq) {
    return "{\"type\":\"ack\",\"ack\":" + seq + "}";
  }

  static String ping(long ack) {
    return "{\"type\":\"ping\",\"ack\":" + ack + "}";
  }

  static String pong(long ack) {
    return "{\"type\":\"pong\",\"ack\":" + ack + "}";
  }

  /** sessionId and resumeToken are the server's URL-safe base64: nothing to escape. */
  static String resume(String sessionId, String resumeToken, long lastSeq) {
    return "{\"type\":\"resume\",\"sessionId\":\"" + sessionId + "\",\"resumeToken\":\"" + resumeToken
      + "\",\"lastSeq\":" + lastSeq + "}";
  }

  static String bye() {
    return "{\"type\":\"bye\"}";
  }
}
