// Reconnect attempts in a row: exponential delays with full jitter (as the Java SDK's Backoff). The n-th attempt
// in a row (from 0) waits a uniformly random time in [1, min(initial × 2^n, max)] ms, so that many clients cut off
// together do not come back together.

export class Backoff {
  #initialMs;
  #maxMs;
  #maxAttempts;
  #attempts = 0;
  #immediately = false;
  #timer = null;

  /** `maxAttempts` -1: no limit. */
  constructor(initialMs, maxMs, maxAttempts, random = Math.random) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#maxAttempts = maxAttempts;
    this.random = random;
  }

  get attempts() {
    return this.#attempts;
  }

  get exhausted() {
    return this.#maxAttempts >= 0 && this.#attempts >= this.#maxAttempts;
  }

  reset() {
    this.#attempts = 0;
  }

  /** The next attempt goes at once: the server asked the client to move (`reconnect`). */
  immediately() {
    this.#immediately = true;
  }

  schedule(attempt) {
    this.cancel();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      attempt();
    }, this.nextDelay());
  }

  cancel() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** The delay before the next attempt, which it counts. */
  nextDelay() {
    let delay;
    if (this.#immediately) {
      this.#immediately = false;
      delay = 1;
    } else {
      const bound = Math.min(this.#initialMs * 2 ** Math.min(this.#attempts, 30), this.#maxMs);
      delay = Math.max(1, Math.floor(this.random() * (bound + 1)));
    }
    this.#attempts++;
    return delay;
  }
}
