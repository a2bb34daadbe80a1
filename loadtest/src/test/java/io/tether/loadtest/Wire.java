package io.tether.loadtest;

import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.http.HttpDsl.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.WsFrameCheck;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.ToLongFunction;

/**
 * The pieces of the wire protocol (docs/PROTOCOL.md) every simulation uses: frames, the hello step, the checks that
 * route reliable frames through the user's {@link FrameTracker}, and the system properties that parameterise a run.
 *
 * <p>Payloads are built with {@code session -> …} functions, never with EL strings (STACK.md trap 9).
 */
final class Wire {
  private Wire() {
  }

  /** Control frames (not reliable, no seq) that may arrive at any time and answer no check. */
  static final Set<String> CONTROL = Set.of("ack", "ping", "pong");

  // ---- properties (read when a simulation is instantiated, so one JVM can run several with different values)

  /** A system property; unset or empty (the pom passes every parameter, empty when not given) means {@code def}. */
  static String prop(String name, String def) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? def : v.trim();
  }

  static int intProp(String name, int def, int min) {
    String s = prop(name, null);
    int v;
    try {
      v = s == null ? def : Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-D" + name + " must be an integer (got '" + s + "')");
    }
    if (v < min) {
      throw new IllegalArgumentException("-D" + name + " must be >= " + min + " (got " + v + ")");
    }
    return v;
  }

  static String baseUrl() {
    return prop("baseUrl", "ws://127.0.0.1:8080/ws");
  }

  static Duration timeout() {
    return Duration.ofSeconds(intProp("timeoutSeconds", 10, 1));
  }

  /** Client ids must not collide with a previous run's sessions (a second hello would replace them). */
  static String runId() {
    return Long.toString(System.currentTimeMillis(), 36);
  }

  // ---- steps

  /**
   * Puts a tracker and a client id in the session, connects, sends hello and checks welcome, saving sessionId,
   * resumeToken and node; {@code extraWelcomeChecks} are applied to the welcome too.
   */
  static ChainBuilder hello(String app, String baseUrl, Duration timeout, int pushesPerRequest,
      CheckBuilder... extraWelcomeChecks) {
    String run = runId();
    List<CheckBuilder> welcome = new ArrayList<>(List.of(
        jsonPath("$.type").is("welcome"),
        jsonPath("$.sessionId").saveAs("sessionId"),
        jsonPath("$.resumeToken").saveAs("resumeToken"),
        jsonPath("$.node").saveAs("node")));
    welcome.addAll(List.of(extraWelcomeChecks));
    return exec(session -> session
        .set("tracker", new FrameTracker(pushesPerRequest))
        .set("clientId", "gatling-" + app + "-" + run + "-" + session.userId()))
        .exec(ws("connect").connect(baseUrl))
        .exec(ws("send hello")
            .sendText(session -> frame("hello")
                .put("clientId", session.getString("clientId"))
                .set("attrs", FrameTracker.JSON.createObjectNode().put("app", "gatling-" + app))
                .toString())
            .await(timeout).on(
                ws.checkTextMessage("welcome").matching(notControl()).check(welcome)))
        .exitHereIfFailed();
  }

  /** Acks everything the tracker has seen. */
  static ChainBuilder ackAll() {
    return exec(ws("send ack").sendText(session -> ack(tracker(session).lastSeq())));
  }

  /** bye (the server then closes the socket), then close. */
  static ChainBuilder bye() {
    return exec(ws("send bye").sendText(session -> frame("bye").toString()))
        .exec(ws("close").close());
  }

  /** P + 1 frames of a demo.push on the user's {@code stream} (P pushes and the response, in whatever order). */
  static List<WsFrameCheck> pushPhaseChecks(String name, int pushes, ToLongFunction<Session> stream) {
    return pushPhaseChecks(name, name, pushes, stream);
  }

  /**
   * The same, the last of the P + 1 checks named {@code lastName}. Gatling times every check of one await from the
   * send, so the last one's response time is the whole phase's: request sent to its last frame received.
   */
  static List<WsFrameCheck> pushPhaseChecks(String name, String lastName, int pushes,
      ToLongFunction<Session> stream) {
    List<WsFrameCheck> checks = new ArrayList<>();
    for (int i = 1; i <= pushes + 1; i++) {
      List<CheckBuilder> c = new ArrayList<>();
      c.add(tracked((t, session, text) -> t.onPushPhase(text, stream.applyAsLong(session))));
      if (i == pushes + 1) c.add(tracked((t, session, text) -> t.pushPhaseComplete()));
      checks.add(ws.checkTextMessage(i == pushes + 1 ? lastName : name).matching(reliable()).check(c));
    }
    return checks;
  }

  /**
   * After a resume from {@code resumeFrom}: {@code resumed} (same session, a new token, the server has client seqs up
   * to {@code clientLastSeq}), then {@code replayed} frames, which must be exactly the ones after the resume point.
   */
  static List<WsFrameCheck> resumeChecks(long clientLastSeq, int replayed) {
    List<WsFrameCheck> checks = new ArrayList<>();
    checks.add(ws.checkTextMessage("resumed").matching(notControl()).check(
        jsonPath("$.type").is("resumed"),
        jsonPath("$.sessionId").is(session -> session.getString("sessionId")),
        jsonPath("$.lastSeq").ofLong().is(clientLastSeq),
        jsonPath("$.resumeToken").not(session -> session.getString("resumeToken")).saveAs("resumeToken"),
        jsonPath("$.node").saveAs("resumedNode")));
    for (int i = 1; i <= replayed; i++) {
      List<CheckBuilder> c = new ArrayList<>();
      c.add(tracked((t, session, text) -> t.onReplay(text)));
      if (i == replayed) c.add(tracked((t, session, text) -> t.replayComplete()));
      checks.add(ws.checkTextMessage("replay frame").matching(reliable()).check(c));
    }
    return checks;
  }

  // ---- checks

  @FunctionalInterface
  interface TrackerCheck {
    String apply(FrameTracker tracker, Session session, String text);
  }

  /** A check that passes when the tracker finds nothing wrong with the frame; fails with its description. */
  static CheckBuilder tracked(TrackerCheck check) {
    BiFunction<String, Session, String> f = (text, session) -> {
      try {
        return check.apply(tracker(session), session, text);
      } catch (RuntimeException e) { // Gatling would report only "failed"
        return "check threw " + e + " on " + text;
      }
    };
    return bodyString().transformWithSession(f).is(FrameTracker.OK).logActualValueInError(true);
  }

  /** Matches frames that carry a seq: the reliable ones. */
  static CheckBuilder reliable() {
    return jsonPath("$.seq").exists();
  }

  /** Matches any frame but ack/ping/pong. */
  static CheckBuilder notControl() {
    return jsonPath("$.type").transform(type -> !CONTROL.contains(type)).is(true);
  }

  /** Matches one frame type. */
  static CheckBuilder type(String type) {
    return jsonPath("$.type").is(type);
  }

  static FrameTracker tracker(Session session) {
    return session.get("tracker");
  }

  // ---- frames

  static ObjectNode frame(String type) {
    return FrameTracker.JSON.createObjectNode().put("type", type);
  }

  static ObjectNode body() {
    return FrameTracker.JSON.createObjectNode();
  }

  static String request(long seq, long stream, String address, ObjectNode body) {
    return frame("request").put("seq", seq).put("stream", stream).put("address", address).set("body", body)
        .toString();
  }

  static String ack(long seq) {
    return frame("ack").put("ack", seq).toString();
  }

  /** The URL of a reconnect, with the load balancer's routing hint when {@code hint}. */
  static String reconnectUrl(String baseUrl, Session session, boolean hint) {
    if (!hint) return baseUrl;
    return baseUrl + (baseUrl.contains("?") ? "&" : "?") + "sid=" + urlEncode(session.getString("sessionId"))
        + "&node=" + urlEncode(session.getString("node"));
  }

  static String urlEncode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
