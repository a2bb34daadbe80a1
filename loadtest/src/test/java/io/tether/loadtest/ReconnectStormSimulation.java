package io.tether.loadtest;

import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.ws;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reconnect storm through the load balancer (docs/PROTOCOL.md §2 "Resume"): every user says hello, asks for P
 * pushes ({@code demo.push}, client seq 1) and acks only the first half of the server's P + 1 frames. Once every
 * user has got that far (a barrier: each user waits, polling every 20 ms, until all {@code users} have arrived, at
 * most {@code barrierSeconds}), all close their sockets at the same moment, without {@code bye}, and reconnect at
 * once to {@code baseUrl} (without the {@code node} routing hint unless {@code hint=true}, so the load balancer may
 * send a session to another node, which must take it over). Each sends {@code resume} with {@code lastSeq} = the
 * half it acked and must get {@code resumed} (same session, a new token, the server has client seq 1) followed by
 * exactly the frames after that point, in order and equal to the originals ({@link FrameTracker}); then an echo on
 * the resumed session must carry the next server seq (a late duplicate fails it); then bye.
 *
 * <p>The drop is Gatling's WebSocket close (a close frame, then the TCP connection ends), not a reset: the node sees
 * the socket end without {@code bye}, so the session is detached and resumable, as after a lost connection.
 *
 * <p>Asserted: no failed request, exactly {@code users} resumes, {@code users × (P + 1 − P/2)} replayed frames,
 * {@code users} echoes after the resume, and the p99 of the resume (resume sent to {@code resumed} received) below
 * {@code maxP99Ms}. At the end it prints how long the whole storm took (first drop to last {@code resumed}) and how
 * many sessions moved to another node.
 *
 * <p>Properties: baseUrl, users (200), pushes (20), rampSeconds (10), barrierSeconds (rampSeconds + 60), hint
 * (false), maxP99Ms (2000), timeoutSeconds (10).
 */
public class ReconnectStormSimulation extends Simulation {

  private final String baseUrl = Wire.baseUrl();
  private final int users = Wire.intProp("users", 200, 1);
  private final int pushes = Wire.intProp("pushes", 20, 1);
  private final int rampSeconds = Wire.intProp("rampSeconds", 10, 0);
  private final int barrierSeconds = Wire.intProp("barrierSeconds", rampSeconds + 60, 1);
  private final boolean hint = Boolean.parseBoolean(Wire.prop("hint", "false"));
  private final int maxP99Ms = Wire.intProp("maxP99Ms", 2000, 1);
  private final Duration timeout = Wire.timeout();
  /** The client acks, and later resumes from, the first half of the server frames (seqs 1..P+1). */
  private final long resumeFrom = pushes / 2;
  private final int replayed = (int) (pushes + 1 - resumeFrom);

  /** Users that reached the barrier (acked half their frames). */
  private final AtomicInteger ready = new AtomicInteger();
  private final AtomicLong firstDrop = new AtomicLong();
  private final AtomicLong lastResumed = new AtomicLong();
  private final AtomicInteger resumedCount = new AtomicInteger();
  private final AtomicInteger moved = new AtomicInteger();

  private final ScenarioBuilder storm = scenario("tether reconnect storm")
      .exec(Wire.hello("storm", baseUrl, timeout, pushes))
      .exec(ws("send push request")
          .sendText(session -> Wire.request(1, 1, "demo.push", Wire.body().put("count", pushes).put("qos", 1)))
          .await(timeout).on(Wire.pushPhaseChecks("push frame", pushes, session -> 1)))
      .exec(ws("send ack").sendText(session -> Wire.ack(resumeFrom)))
      .exitHereIfFailed()
      // The barrier: everyone drops at the same moment.
      .exec(session -> {
        ready.incrementAndGet();
        return session;
      })
      .asLongAsDuring(session -> ready.get() < users, session -> Duration.ofSeconds(barrierSeconds))
      .on(pause(Duration.ofMillis(20)))
      .exec(session -> {
        firstDrop.compareAndSet(0, System.nanoTime());
        Wire.tracker(session).expectReplayAfter(resumeFrom);
        return session;
      })
      .exec(ws("drop").close())
      .exec(ws("reconnect").connect(session -> Wire.reconnectUrl(baseUrl, session, hint)))
      .exec(ws("send resume")
          .sendText(session -> Wire.frame("resume")
              .put("sessionId", session.getString("sessionId"))
              .put("resumeToken", session.getString("resumeToken"))
              .put("lastSeq", resumeFrom)
              .toString())
          .await(timeout).on(Wire.resumeChecks(1, replayed)))
      .exitHereIfFailed()
      .exec(session -> {
        lastResumed.accumulateAndGet(System.nanoTime(), Math::max);
        resumedCount.incrementAndGet();
        if (!session.getString("node").equals(session.getString("resumedNode"))) moved.incrementAndGet();
        return session;
      })
      .exec(Wire.ackAll())
      // Client seq 2; its response must carry server seq P + 2.
      .exec(ws("send echo after resume")
          .sendText(session -> Wire.request(2, 3, "demo.echo", Wire.body().put("n", session.userId())))
          .await(timeout).on(
              ws.checkTextMessage("echo response after resume").matching(Wire.reliable()).check(
                  Wire.tracked((t, session, text) -> t.onEcho(text, 3, session.userId())))))
      .exec(Wire.ackAll())
      .exec(Wire.bye());

  {
    setUp(storm.injectOpen(rampUsers(users).during(Duration.ofSeconds(rampSeconds))))
        .protocols(http)
        .assertions(
            global().failedRequests().count().is(0L),
            details("connect").successfulRequests().count().is((long) users),
            details("welcome").successfulRequests().count().is((long) users),
            details("push frame").successfulRequests().count().is((long) users * (pushes + 1)),
            details("reconnect").successfulRequests().count().is((long) users),
            details("resumed").successfulRequests().count().is((long) users),
            details("replay frame").successfulRequests().count().is((long) users * replayed),
            details("echo response after resume").successfulRequests().count().is((long) users),
            details("close").successfulRequests().count().is((long) users),
            details("resumed").responseTime().percentile(99).lt(maxP99Ms));
  }

  @Override
  public void after() {
    long start = firstDrop.get();
    long end = lastResumed.get();
    System.out.printf("reconnect storm: %d of %d sessions resumed, %d on another node; first drop to last resumed: "
            + "%s ms%n", resumedCount.get(), users, moved.get(),
        start == 0 || end == 0 ? "-" : String.valueOf((end - start) / 1_000_000));
  }
}
