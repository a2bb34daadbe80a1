// The error catalogue of the SDK (docs/CLIENT-JS.md "Error codes"), the same two catalogues as the Java SDK's
// ErrorCode (the protocol's, docs/PROTOCOL.md §7) and ClientErrorCode (the SDK's own). A code is in only one.

/** Codes the SDK raises itself for conditions it detects (never remote). */
export const ClientErrorCode = Object.freeze({
  CLIENT_CLOSED: 'client_closed',
  NOT_CONNECTED: 'not_connected',
  CONNECT_FAILED: 'connect_failed',
  SESSION_LOST: 'session_lost',
  SESSION_ENDED: 'session_ended',
  QUEUE_FULL: 'queue_full',
  STORE_FAILED: 'store_failed',
  UNKNOWN: 'error',
});

/** The protocol's codes (docs/PROTOCOL.md §7); the SDK reuses a few with the same meaning. */
export const ErrorCode = Object.freeze({
  BAD_FRAME: 'bad_frame',
  UNKNOWN_TYPE: 'unknown_type',
  HANDSHAKE_REQUIRED: 'handshake_required',
  NOT_ALLOWED: 'not_allowed',
  NO_HANDLER: 'no_handler',
  TIMEOUT: 'timeout',
  TOO_LARGE: 'too_large',
  RATE_LIMITED: 'rate_limited',
  UNAUTHORIZED: 'unauthorized',
  RESUME_FAILED: 'resume_failed',
  OVERFLOW: 'overflow',
  BACKEND_ERROR: 'backend_error',
});

/**
 * Every failure of a call: `code` from one of the catalogues above, `remote` true when the server sent it,
 * `reason` the server's reason word when it gave one (e.g. `unauthorized` / `token_expired`).
 */
export class TetherError extends Error {
  constructor(code, message, { remote = false, reason = undefined, cause = undefined } = {}) {
    super(message || code, cause === undefined ? undefined : { cause });
    this.name = 'TetherError';
    this.code = code || ClientErrorCode.UNKNOWN;
    this.remote = remote;
    if (reason !== undefined && reason !== null) this.reason = reason;
  }

  /** From a server `error` frame or a response's `error` object. */
  static fromServer(e) {
    const code = e && typeof e.code === 'string' ? e.code : ClientErrorCode.UNKNOWN;
    const message = e && typeof e.message === 'string' ? e.message : code;
    return new TetherError(code, message, { remote: true, reason: e ? e.reason : undefined });
  }
}
