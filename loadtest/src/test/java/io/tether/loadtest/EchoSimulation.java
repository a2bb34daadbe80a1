package io.tether.loadtest;

import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.pace;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * Request/response at a fixed rate (docs/PROTOCOL.md §5): {@code users} sessions each send {@code demo.echo}
 * requests paced so that together they offer {@code rate} requests per second for {@code durationSeconds}. Request
 * i of a user has client seq i and stream 2i − 1 and the body {@code {"u":user,"i":i,"pad":"…"}} ({@code padBytes}
 * characters of padding); its response must be {@code ok:true} on that stream with exactly that body, and carry
 * the next server seq (the user's {@link FrameTracker}). The client acks every response.
 *
 * <p>Pacing is per user (Gatling {@code pace}): a request is sent {@code users / rate} seconds after the previous
 * one started, or at once when the previous answer came later than that. So the offered rate holds as long as
 * responses are faster than the pace; a slower gateway lowers it (closed loop per user, no correction for
 * coordinated omission: the percentiles are of the answered requests). With many users each user's pace is long
 * and the load is close to open.
 *
 * <p>Asserted: no failed request, exactly {@code users × requests} good responses, the rate held (at least
 * {@code minRatePercent} % of the responses per second a run at the pace would get over its whole length, ramp
 * included: a gateway slower than the pace fails this), p50 and p99 of the response time below {@code maxP50Ms} /
 * {@code maxP99Ms}. To offer a rate at latencies near the pace, use more users (each then paces more slowly).
 *
 * <p>Properties: baseUrl, users (50), rate (500 req/s in all), durationSeconds (30), padBytes (64), rampSeconds (5),
 * minRatePercent (90), maxP50Ms (50), maxP99Ms (200), timeoutSeconds (10).
 */
public class EchoSimulation extends Simulation {

  private final String baseUrl = Wire.baseUrl();
  private final int users = Wire.intProp("users", 50, 1);
  private final int rate = Wire.intProp("rate", 500, 1);
  private final int durationSeconds = Wire.intProp("durationSeconds", 30, 1);
  private final int padBytes = Wire.intProp("padBytes", 64, 0);
  private final int rampSeconds = Wire.intProp("rampSeconds", 5, 0);
  private final int maxP50Ms = Wire.intProp("maxP50Ms", 50, 1);
  private final int maxP99Ms = Wire.intProp("maxP99Ms", 200, 1);
  /** Share of the paced rate the run must reach, in percent. */
  private final int minRatePercent = Wire.intProp("minRatePercent", 90, 0);
  private final Duration timeout = Wire.timeout();
  /** Time between two requests of one user. */
  private final Duration pace = Duration.ofNanos(users * 1_000_000_000L / rate);
  private final int requests = Math.max(1, (int) ((long) rate * durationSeconds / users));
  private final String pad = "x".repeat(padBytes);

  private final ScenarioBuilder echo = scenario("tether echo")
      .exec(Wire.hello("echo", baseUrl, timeout, 0))
      .repeat(requests, "i").on(
          pace(pace),
          exec(ws("send echo")
              .sendText(session -> Wire.request(seq(session), stream(session), "demo.echo", body(session)))
              .await(timeout).on(
                  ws.checkTextMessage("echo response").matching(Wire.reliable()).check(
                      Wire.tracked((t, session, text) -> t.onResponse(text, stream(session), body(session)))))),
          Wire.ackAll())
      .exitHereIfFailed()
      .exec(Wire.bye());

  {
    if (pace.isZero()) {
      throw new IllegalArgumentException("rate " + rate + " is too high for " + users + " users");
    }
    setUp(echo.injectOpen(rampUsers(users).during(Duration.ofSeconds(rampSeconds))))
        .protocols(http)
        .assertions(
            global().failedRequests().count().is(0L),
            details("connect").successfulRequests().count().is((long) users),
            details("welcome").successfulRequests().count().is((long) users),
            details("echo response").successfulRequests().count().is((long) users * requests),
            details("close").successfulRequests().count().is((long) users),
            // The offered rate held: Gatling's rate is over the whole run (ramp and last answers included).
            details("echo response").requestsPerSec().gte(minRate()),
            details("echo response").responseTime().percentile(50).lt(maxP50Ms),
            details("echo response").responseTime().percentile(99).lt(maxP99Ms));
  }

  /**
   * minRatePercent (90) % of the responses per second a run that keeps the pace gets, over the whole run:
   * users × requests answers in about rampSeconds + durationSeconds + 1 (the last pace and answer).
   */
  private double minRate() {
    return minRatePercent / 100.0 * users * requests / (rampSeconds + requests * pace.toMillis() / 1000.0 + 1);
  }

  /** Client seq of the current request: 1, 2, 3, … */
  private static long seq(Session session) {
    return session.getInt("i") + 1L;
  }

  /** Odd stream ids, one per request. */
  private static long stream(Session session) {
    return 2L * session.getInt("i") + 1;
  }

  private ObjectNode body(Session session) {
    return Wire.body().put("u", session.userId()).put("i", session.getInt("i")).put("pad", pad);
  }
}
