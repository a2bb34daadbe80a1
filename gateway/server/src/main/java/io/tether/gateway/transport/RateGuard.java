package io.tether.gateway.transport;

/**
 * The rate limits of one client socket (docs/PROTOCOL.md §12): a token bucket for frames ({@code maxFramesPerSecond})
 * and one for requests ({@code maxRequestsPerSecond}), each holding one second's worth (the burst), and the rule that
 * turns a client that stays over them into a fatal close. A frame over the rate is still read and handled (a
 * reliable stream must stay contiguous): the bucket goes into debt and the socket is not read until it has refilled
 * a little. A request over the rate is refused. "Staying over" means going over again within a second of the last
 * time, for {@code closeAfterMs} in all; one calm second (or reading resumed and no new excess) starts afresh. Used on
 * the socket's context only.
 */
final class RateGuard {

  /** What one frame means for its socket. */
  enum Verdict {
    /** Within the rate. */
    OK,
    /** Over it: stop reading for {@link #pauseMs} (the frame itself is handled). */
    THROTTLE,
    /** Over it, and no warning for a second: tell the client (non-fatal {@code rate_limited}), then throttle. */
    WARN,
    /** Over it for {@code closeAfterMs}: fatal {@code rate_limited}, close 1008. */
    CLOSE
  }

  private static final long CALM_MS = 1_000;
  private static final long WARN_EVERY_MS = 1_000;

  private final Bucket frames;
  private final Bucket requests;
  private final long closeAfterMs;
  private long overSince = -1;
  private long lastOver;
  private long lastWarning = Long.MIN_VALUE / 2;
  private boolean closeDue;

  /** Rates of 0 mean no limit. */
  RateGuard(int framesPerSecond, int requestsPerSecond, long closeAfterMs) {
    this.frames = framesPerSecond > 0 ? new Bucket(framesPerSecond) : null;
    this.requests = requestsPerSecond > 0 ? new Bucket(requestsPerSecond) : null;
    this.closeAfterMs = closeAfterMs;
  }

  /** One client frame at {@code nowNanos}. */
  Verdict frame(long nowNanos) {
    if (frames == null || frames.takeInDebt(nowNanos)) {
      return Verdict.OK;
    }
    if (over(nowNanos)) {
      return Verdict.CLOSE;
    }
    long now = nowNanos / 1_000_000;
    if (now - lastWarning >= WARN_EVERY_MS) {
      lastWarning = now;
      return Verdict.WARN;
    }
    return Verdict.THROTTLE;
  }

  /** One client request at {@code nowNanos}: false if it is over the request rate (and refused). */
  boolean request(long nowNanos) {
    if (requests == null || requests.take(nowNanos)) {
      return true;
    }
    if (over(nowNanos)) {
      closeDue = true;
    }
    return false;
  }

  /** True once a refused request found the client over its rates for closeAfterMs: the socket is to be closed. */
  boolean closeDue() {
    return closeDue;
  }

  /** How long not to read after a frame over the rate: until a tenth of a second's worth of frames is back. */
  long pauseMs(long nowNanos) {
    return frames == null ? 0 : frames.msUntil(Math.max(1, frames.rate / 10.0), nowNanos);
  }

  /** Reading resumes after a pause: the time paused counts as still over, not as calm. */
  void resumed(long nowNanos) {
    if (overSince >= 0) {
      lastOver = nowNanos / 1_000_000;
    }
  }

  /** The client went over a rate now: true if it has stayed over for closeAfterMs. */
  private boolean over(long nowNanos) {
    long now = nowNanos / 1_000_000;
    if (overSince < 0 || now - lastOver > CALM_MS) {
      overSince = now;
    }
    lastOver = now;
    return now - overSince >= closeAfterMs;
  }

  /** Tokens refilled at {@code rate} per second, at most one second's worth. */
  private static final class Bucket {
    final double rate;
    double tokens;
    long refilledAt = Long.MIN_VALUE;

    Bucket(int rate) {
      this.rate = rate;
      this.tokens = rate;
    }

    private void refill(long nowNanos) {
      if (refilledAt != Long.MIN_VALUE) {
        tokens = Math.min(rate, tokens + (nowNanos - refilledAt) * rate / 1e9);
      }
      refilledAt = nowNanos;
    }

    /** Takes a token only if there is one. */
    boolean take(long nowNanos) {
      refill(nowNanos);
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }

    /** Takes a token even if there is none (the debt is at most one second's worth); false if there was none. */
    boolean takeInDebt(long nowNanos) {
      refill(nowNanos);
      boolean had = tokens >= 1;
      tokens = Math.max(-rate, tokens - 1);
      return had;
    }

    long msUntil(double target, long nowNanos) {
      refill(nowNanos);
      return tokens >= target ? 0 : (long) Math.ceil((target - tokens) * 1000 / rate);
    }
  }
}
