package io.tether.loadtest;

import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.ws;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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

  private static final String BASE_URL = Wire.baseUrl();
  private static final int USERS = Wire.intProp("users", 50, 1);
  private static final int PUSHES = Wire.intProp("pushes", 20, 0);
  private static final int RAMP_SECONDS = Wire.intProp("rampSeconds", 5, 0);
  private static final Duration TIMEOUT = Wire.timeout();

  // Server seqs of one session, deterministic because the first reliable frame after hello is seq 1:
  // 1 = echo response, 2..P+1 = pushes, P+2 = push response (the order of the last P+1 is checked by type,
  // not assumed; only their seqs are).
  private static final long LAST_BEFORE_DROP = PUSHES + 2L;
  /** The client acks, and later resumes from, the echo plus the first half of the pushes. */
  private static final long RESUME_FROM = 1L + PUSHES / 2;
  private static final int REPLAYED = (int) (LAST_BEFORE_DROP - RESUME_FROM);

  ScenarioBuilder smoke = scenario("tether smoke")
      // 1. hello -> welcome
      .exec(Wire.hello("smoke", BASE_URL, TIMEOUT, PUSHES))
      // 2. echo on stream 1, client seq 1
      .exec(ws("send echo")
          .sendText(session -> Wire.request(1, 1, "demo.echo",
              FrameTracker.JSON.createObjectNode().put("n", session.userId())))
          .await(TIMEOUT).on(
              ws.checkTextMessage("echo response").matching(Wire.reliable()).check(
                  Wire.tracked((t, session, text) -> t.onEcho(text, 1, session.userId())))))
      .exec(ws("send ack").sendText(session -> Wire.ack(Wire.tracker(session).lastSeq())))
      .exitHereIfFailed()
      // 3. P pushes and the response on stream 3, client seq 2; ack only up to RESUME_FROM
      .exec(ws("send push request")
          .sendText(session -> Wire.request(2, 3, "demo.push",
              FrameTracker.JSON.createObjectNode().put("count", PUSHES)))
          .await(TIMEOUT).on(Wire.pushPhaseChecks("push frame", PUSHES, session -> 3)))
      .exec(ws("send ack").sendText(session -> Wire.ack(RESUME_FROM)))
      .exitHereIfFailed()
      // 4. drop the socket without bye, reconnect (routing hint in the URL), resume from RESUME_FROM
      .exec(ws("drop").close())
      .exec(session -> {
        Wire.tracker(session).expectReplayAfter(RESUME_FROM);
        return session;
      })
      .exec(ws("reconnect").connect(session -> Wire.reconnectUrl(BASE_URL, session, true)))
      .exec(ws("send resume")
          .sendText(session -> Wire.frame("resume")
              .put("sessionId", session.getString("sessionId"))
              .put("resumeToken", session.getString("resumeToken"))
              .put("lastSeq", RESUME_FROM)
              .toString())
          .await(TIMEOUT).on(Wire.resumeChecks(2, REPLAYED)))
      .exec(ws("send ack").sendText(session -> Wire.ack(Wire.tracker(session).lastSeq())))
      .exitHereIfFailed()
      // The session goes on: client seq 3 (the server said it has up to 2), server seq LAST_BEFORE_DROP + 1.
      // A duplicate replayed after the checked ones would arrive before this response and fail it.
      .exec(ws("send echo after resume")
          .sendText(session -> Wire.request(3, 5, "demo.echo",
              FrameTracker.JSON.createObjectNode().put("n", session.userId())))
          .await(TIMEOUT).on(
              ws.checkTextMessage("echo response after resume").matching(Wire.reliable()).check(
                  Wire.tracked((t, session, text) -> t.onEcho(text, 5, session.userId())))))
      .exec(ws("send ack").sendText(session -> Wire.ack(Wire.tracker(session).lastSeq())))
      // 5. bye (the server then closes the socket), close
      .exec(ws("send bye").sendText(session -> Wire.frame("bye").toString()))
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
}
