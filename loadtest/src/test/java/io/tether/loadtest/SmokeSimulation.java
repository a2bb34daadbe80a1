package io.tether.loadtest;

import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.WsFrameCheck;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Smoke test of the wire protocol through the load balancer (docs/PROTOCOL.md, loadtest/README.md). Per
 * virtual user: hello/welcome; a {@code demo.echo} request; a {@code demo.push} request with P pushes, acking
 * only half of them; a dropped socket and a resume (possibly on another node) that must replay exactly the
 * unacked frames in order; an echo on the resumed session; bye.
 *
 * <p>Every reliable server frame goes through a {@link FrameTracker}, which fails the check on a gap, a
 * duplicate, a wrong body or a replay that differs from the original. The assertions require no failed
 * request and, for every step, exactly as many successful checks as expected (STACK.md trap 9: a request
 * that could not even be built does not count as failed).
 *
 * <p>Parameters (system properties, passed by the Maven plugin's jvmArgs): baseUrl (ws://127.0.0.1:8080/ws),
 * users (50), pushes (20), rampSeconds (5).
 */
public class SmokeSimulation extends Simulation {

  private static final String BASE_URL = System.getProperty("baseUrl", "ws://127.0.0.1:8080/ws");
  private static final int USERS = Integer.getInteger("users", 50);
  private static final int PUSHES = Integer.getInteger("pushes", 20);
  private static final int RAMP_SECONDS = Integer.getInteger("rampSeconds", 5);
  private static final Duration TIMEOUT = Duration.ofSeconds(Integer.getInteger("timeoutSeconds", 10));

  /** Client ids must not collide with a previous run's sessions (a second hello would replace them). */
  private static final String RUN_ID = Long.toString(System.currentTimeMillis(), 36);

  // Server seqs of one session, deterministic because the first reliable frame after hello is seq 1:
  // 1 = echo response, 2..P+1 = pushes, P+2 = push response (the order of the last P+1 is checked by type,
  // not assumed; only their seqs are).
  private static final long LAST_BEFORE_DROP = PUSHES + 2L;
  /** The client acks, and later resumes from, the echo plus the first half of the pushes. */
  private static final long RESUME_FROM = 1L + PUSHES / 2;
  private static final int REPLAYED = (int) (LAST_BEFORE_DROP - RESUME_FROM);

  /** Control frames (not reliable, no seq) that may arrive at any time and answer no check. */
  private static final Set<String> CONTROL = Set.of("ack", "ping", "pong");

  {
    if (USERS < 1 || PUSHES < 0 || RAMP_SECONDS < 0) {
      throw new IllegalArgumentException("need users >= 1, pushes >= 0, rampSeconds >= 0");
    }
  }

  ScenarioBuilder smoke = scenario("tether smoke")
      .exec(session -> session
          .set("tracker", new FrameTracker(PUSHES))
          .set("clientId", "gatling-" + RUN_ID + "-" + session.userId()))
      // 1. hello -> welcome
      .exec(ws("connect").connect(BASE_URL))
      .exec(ws("send hello")
          .sendText(session -> frame("hello")
              .put("clientId", session.getString("clientId"))
              .set("attrs", FrameTracker.JSON.createObjectNode().put("app", "gatling-smoke"))
              .toString())
          .await(TIMEOUT).on(
              ws.checkTextMessage("welcome").matching(notControl()).check(
                  jsonPath("$.type").is("welcome"),
                  jsonPath("$.sessionId").saveAs("sessionId"),
                  jsonPath("$.resumeToken").saveAs("resumeToken"),
                  jsonPath("$.node").saveAs("node"))))
      .exitHereIfFailed()
      // 2. echo on stream 1, client seq 1
      .exec(ws("send echo")
          .sendText(session -> request(1, 1, "demo.echo",
              FrameTracker.JSON.createObjectNode().put("n", session.userId())))
          .await(TIMEOUT).on(
              ws.checkTextMessage("echo response").matching(reliable()).check(
                  tracked((t, session, text) -> t.onEcho(text, 1, session.userId())))))
      .exec(ws("send ack").sendText(session -> ack(tracker(session).lastSeq())))
      .exitHereIfFailed()
      // 3. P pushes and the response on stream 3, client seq 2; ack only up to RESUME_FROM
      .exec(ws("send push request")
          .sendText(session -> request(2, 3, "demo.push",
              FrameTracker.JSON.createObjectNode().put("count", PUSHES)))
          .await(TIMEOUT).on(pushPhaseChecks()))
      .exec(ws("send ack").sendText(session -> ack(RESUME_FROM)))
      .exitHereIfFailed()
      // 4. drop the socket without bye, reconnect (routing hint in the URL), resume from RESUME_FROM
      .exec(ws("drop").close())
      .exec(session -> {
        tracker(session).expectReplayAfter(RESUME_FROM);
        return session;
      })
      .exec(ws("reconnect").connect(session -> BASE_URL
          + (BASE_URL.contains("?") ? "&" : "?") + "sid=" + urlEncode(session.getString("sessionId"))
          + "&node=" + urlEncode(session.getString("node"))))
      .exec(ws("send resume")
          .sendText(session -> frame("resume")
              .put("sessionId", session.getString("sessionId"))
              .put("resumeToken", session.getString("resumeToken"))
              .put("lastSeq", RESUME_FROM)
              .toString())
          .await(TIMEOUT).on(resumeChecks()))
      .exec(ws("send ack").sendText(session -> ack(tracker(session).lastSeq())))
      .exitHereIfFailed()
      // The session goes on: client seq 3 (the server said it has up to 2), server seq LAST_BEFORE_DROP + 1.
      // A duplicate replayed after the checked ones would arrive before this response and fail it.
      .exec(ws("send echo after resume")
          .sendText(session -> request(3, 5, "demo.echo",
              FrameTracker.JSON.createObjectNode().put("n", session.userId())))
          .await(TIMEOUT).on(
              ws.checkTextMessage("echo response after resume").matching(reliable()).check(
                  tracked((t, session, text) -> t.onEcho(text, 5, session.userId())))))
      .exec(ws("send ack").sendText(session -> ack(tracker(session).lastSeq())))
      // 5. bye (the server then closes the socket), close
      .exec(ws("send bye").sendText(session -> frame("bye").toString()))
      .exec(ws("close").close());

  {
    List<Assertion> assertions = new ArrayList<>(List.of(
        global().failedRequests().count().is(0L),
        details("connect").successfulRequests().count().is((long) USERS),
        details("welcome").successfulRequests().count().is((long) USERS),
        details("echo response").successfulRequests().count().is((long) USERS),
        details("push frame").successfulRequests().count().is((long) USERS * (PUSHES + 1)),
        details("reconnect").successfulRequests().count().is((long) USERS),
        details("resumed").successfulRequests().count().is((long) USERS),
        details("echo response after resume").successfulRequests().count().is((long) USERS),
        details("send bye").successfulRequests().count().is((long) USERS),
        details("close").successfulRequests().count().is((long) USERS)));
    if (REPLAYED > 0) {
      assertions.add(details("replay frame").successfulRequests().count().is((long) USERS * REPLAYED));
    }
    setUp(smoke.injectOpen(rampUsers(USERS).during(Duration.ofSeconds(RAMP_SECONDS))))
        .protocols(http)
        .assertions(assertions);
  }

  /** P + 1 frames (P pushes and the response, in whatever order), each with the next seq. */
  private static List<WsFrameCheck> pushPhaseChecks() {
    List<WsFrameCheck> checks = new ArrayList<>();
    for (int i = 1; i <= PUSHES + 1; i++) {
      List<CheckBuilder> c = new ArrayList<>();
      c.add(tracked((t, session, text) -> t.onPushPhase(text, 3)));
      if (i == PUSHES + 1) c.add(tracked((t, session, text) -> t.pushPhaseComplete()));
      checks.add(ws.checkTextMessage("push frame").matching(reliable()).check(c));
    }
    return checks;
  }

  /** resumed (new token, the server has client seqs up to 2), then seqs RESUME_FROM+1 .. last, in order. */
  private static List<WsFrameCheck> resumeChecks() {
    List<WsFrameCheck> checks = new ArrayList<>();
    checks.add(ws.checkTextMessage("resumed").matching(notControl()).check(
        jsonPath("$.type").is("resumed"),
        jsonPath("$.sessionId").is(session -> session.getString("sessionId")),
        jsonPath("$.lastSeq").ofLong().is(2L),
        jsonPath("$.resumeToken").not(session -> session.getString("resumeToken")).saveAs("resumeToken"),
        jsonPath("$.node").saveAs("resumedNode")));
    for (int i = 1; i <= REPLAYED; i++) {
      List<CheckBuilder> c = new ArrayList<>();
      c.add(tracked((t, session, text) -> t.onReplay(text)));
      if (i == REPLAYED) c.add(tracked((t, session, text) -> t.replayComplete()));
      checks.add(ws.checkTextMessage("replay frame").matching(reliable()).check(c));
    }
    return checks;
  }

  @FunctionalInterface
  private interface TrackerCheck {
    String apply(FrameTracker tracker, Session session, String text);
  }

  /** A check that passes when the tracker finds nothing wrong with the frame; fails with its description. */
  private static CheckBuilder tracked(TrackerCheck check) {
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
  private static CheckBuilder reliable() {
    return jsonPath("$.seq").exists();
  }

  /** Matches any frame but ack/ping/pong. */
  private static CheckBuilder notControl() {
    return jsonPath("$.type").transform(type -> !CONTROL.contains(type)).is(true);
  }

  private static FrameTracker tracker(Session session) {
    return session.get("tracker");
  }

  private static ObjectNode frame(String type) {
    return FrameTracker.JSON.createObjectNode().put("type", type);
  }

  private static String request(long seq, int stream, String address, ObjectNode body) {
    return frame("request").put("seq", seq).put("stream", stream).put("address", address).set("body", body)
        .toString();
  }

  private static String ack(long seq) {
    return frame("ack").put("ack", seq).toString();
  }

  private static String urlEncode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
