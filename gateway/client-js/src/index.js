// tether-client: the JavaScript client of the Tether gateway (docs/CLIENT-JS.md).
export { TetherClient } from './client.js';
export { TetherError, ErrorCode, ClientErrorCode } from './errors.js';
export { DEFAULTS } from './options.js';
export { MemoryStore } from './store.js';

/** The connection states (docs/CLIENT-JS.md "States"), as the Java SDK's ConnectionState. */
export const ConnectionState = Object.freeze({
  CONNECTING: 'CONNECTING', ONLINE: 'ONLINE', RECONNECTING: 'RECONNECTING', OFFLINE: 'OFFLINE', CLOSED: 'CLOSED',
});

/** The kinds of session events, as the Java SDK's SessionEvent.Kind. */
export const SessionEventKind = Object.freeze({
  STARTED: 'STARTED', RESUMED: 'RESUMED', RESYNCED: 'RESYNCED', ENDED: 'ENDED',
});
