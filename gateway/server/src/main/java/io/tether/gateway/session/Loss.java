package io.tether.gateway.session;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.store.FlushOp;
import io.tether.protocol.CloseCodes;

/** Why the store would not take a session's write any more, and what that means for its socket and senders. */
enum Loss {
  STORE_FAILED("session store unavailable", CloseCodes.INTERNAL, BackendFailure.INTERNAL),
  /** Another connection took the session over (its epoch moved on): senders reach it there. */
  FENCED("session resumed on another connection", CloseCodes.POLICY, BackendFailure.UNAVAILABLE),
  ENDED("session ended", CloseCodes.POLICY, BackendFailure.NO_SESSION);

  final String why;
  final short closeCode;
  final BackendFailure failure;

  Loss(String why, short closeCode, BackendFailure failure) {
    this.why = why;
    this.closeCode = closeCode;
    this.failure = failure;
  }

  static Loss of(Integer writeResult) {
    return writeResult == null ? STORE_FAILED : writeResult == FlushOp.FENCED ? FENCED : ENDED;
  }
}
