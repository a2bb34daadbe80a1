package io.tether.loadtest;

import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.ws;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * Connect and hold (docs/PROTOCOL.md §4): every user says hello, then holds its session for {@code holdSeconds},
 * sending a {@code ping} every {@code pingMs} (carrying its ack, here 0: it has received no reliable frame) and
 * expecting the {@code pong} for each, then says bye.
 *
 * <p>The welcome must announce a {@code heartbeatMs} above {@code pingMs}, else the server would count the client
 * as silent between pings (SUSPECT after 1.5 × heartbeatMs, closed after 2 ×). A session the server closed, or a
 * pong that does not come within the timeout, fails a check. Asserted: no failed request, exactly
 * {@code users × pings} pongs, {@code users} welcomes and closes, and the p99 of the pong round trip (and of the
 * welcome) below {@code maxP99Ms}.
 *
 * <p>Properties: baseUrl, users (100), rampSeconds (10), holdSeconds (30), pingMs (5000), maxP99Ms (250),
 * timeoutSeconds (10).
 */
public class HoldSimulation extends Simulation {

  private final String baseUrl = Wire.baseUrl();
  private final int users = Wire.intProp("users", 100, 1);
  private final int rampSeconds = Wire.intProp("rampSeconds", 10, 0);
  private final int holdSeconds = Wire.intProp("holdSeconds", 30, 0);
  private final int pingMs = Wire.intProp("pingMs", 5000, 10);
  private final int maxP99Ms = Wire.intProp("maxP99Ms", 250, 1);
  private final Duration timeout = Wire.timeout();
  /** Pings per session: one every pingMs during the hold. */
  private final int pings = Math.max(1, (int) (holdSeconds * 1000L / pingMs));

  private final ScenarioBuilder hold = scenario("tether hold")
      .exec(Wire.hello("hold", baseUrl, timeout, 0, jsonPath("$.heartbeatMs").ofInt().gt(pingMs)))
      .repeat(pings).on(
          pause(Duration.ofMillis(pingMs)),
          exec(ws("send ping").sendText(session -> Wire.frame("ping").put("ack", 0).toString())
              .await(timeout).on(ws.checkTextMessage("pong").matching(Wire.type("pong")).check(
                  jsonPath("$.type").is("pong"), jsonPath("$.ack").ofLong().is(0L)))))
      .exitHereIfFailed()
      .exec(Wire.bye());

  {
    setUp(hold.injectOpen(rampUsers(users).during(Duration.ofSeconds(rampSeconds))))
        .protocols(http)
        .assertions(
            global().failedRequests().count().is(0L),
            details("connect").successfulRequests().count().is((long) users),
            details("welcome").successfulRequests().count().is((long) users),
            details("pong").successfulRequests().count().is((long) users * pings),
            details("close").successfulRequests().count().is((long) users),
            details("welcome").responseTime().percentile(99).lt(maxP99Ms),
            details("pong").responseTime().percentile(99).lt(maxP99Ms));
  }
}
