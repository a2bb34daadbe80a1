package io.tether.loadtest;

import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.ws;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * Push streams (docs/PROTOCOL.md §3, §9): every user says hello, then runs {@code rounds} rounds, each a
 * {@code demo.push} request {@code {"count":P,"qos":1}} (client seq r, stream 2r − 1) answered by P reliable pushes
 * {@code {"n":1..P}} and the response {@code {"sent":P}}. Every frame goes through the user's {@link FrameTracker}:
 * server seqs must be contiguous across rounds (a dropped or duplicated push fails), the pushes must count 1..P, and
 * exactly one response must come. After each round the client acks everything it received, so the server's buffer
 * (bufferMaxFrames, default 1000) never fills: P must stay below it.
 *
 * <p>Asserted: no failed request, exactly {@code users × rounds} good rounds ({@code push round}: the check of a
 * round's last frame, which also checks that all P + 1 came) and {@code users × rounds × P} good frames before them
 * ({@code push frame}), and the p99 of both below {@code maxP99Ms}. Gatling times each frame from the request, so
 * {@code push frame} is the time from request to each push, {@code push round} the time from request to the last.
 *
 * <p>Properties: baseUrl, users (50), pushes (200), rounds (5), rampSeconds (5), maxP99Ms (2000), timeoutSeconds (10).
 */
public class PushSimulation extends Simulation {

  private final String baseUrl = Wire.baseUrl();
  private final int users = Wire.intProp("users", 50, 1);
  private final int pushes = Wire.intProp("pushes", 200, 1);
  private final int rounds = Wire.intProp("rounds", 5, 1);
  private final int rampSeconds = Wire.intProp("rampSeconds", 5, 0);
  private final int maxP99Ms = Wire.intProp("maxP99Ms", 2000, 1);
  private final Duration timeout = Wire.timeout();

  private final ScenarioBuilder push = scenario("tether push")
      .exec(Wire.hello("push", baseUrl, timeout, pushes))
      .repeat(rounds, "r").on(
          exec(session -> {
            Wire.tracker(session).startPushPhase();
            return session;
          }),
          exec(ws("send push request")
              .sendText(session -> Wire.request(seq(session), stream(session), "demo.push",
                  Wire.body().put("count", pushes).put("qos", 1)))
              .await(timeout).on(Wire.pushPhaseChecks("push frame", "push round", pushes, PushSimulation::stream))),
          Wire.ackAll())
      .exitHereIfFailed()
      .exec(Wire.bye());

  {
    if (pushes >= 1000) {
      throw new IllegalArgumentException("pushes must stay below the server's bufferMaxFrames (1000 by default)");
    }
    setUp(push.injectOpen(rampUsers(users).during(Duration.ofSeconds(rampSeconds))))
        .protocols(http)
        .assertions(
            global().failedRequests().count().is(0L),
            details("connect").successfulRequests().count().is((long) users),
            details("welcome").successfulRequests().count().is((long) users),
            details("push frame").successfulRequests().count().is((long) users * rounds * pushes),
            details("close").successfulRequests().count().is((long) users),
            details("push round").successfulRequests().count().is((long) users * rounds),
            details("push frame").responseTime().percentile(99).lt(maxP99Ms),
            details("push round").responseTime().percentile(99).lt(maxP99Ms));
  }

  private static long seq(Session session) {
    return session.getInt("r") + 1L;
  }

  private static long stream(Session session) {
    return 2L * session.getInt("r") + 1;
  }
}
