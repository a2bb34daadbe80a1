// Type declarations of tether-client (hand-written; the package has no build step). docs/CLIENT-JS.md.

export type ConnectionStateName = 'CONNECTING' | 'ONLINE' | 'RECONNECTING' | 'OFFLINE' | 'CLOSED';
export type SessionEventKindName = 'STARTED' | 'RESUMED' | 'RESYNCED' | 'ENDED';
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export declare const ConnectionState: Readonly<{ [K in ConnectionStateName]: K }>;
export declare const SessionEventKind: Readonly<{ [K in SessionEventKindName]: K }>;

/** Codes the SDK raises itself (never remote). */
export declare const ClientErrorCode: Readonly<{
  CLIENT_CLOSED: 'client_closed';
  NOT_CONNECTED: 'not_connected';
  CONNECT_FAILED: 'connect_failed';
  SESSION_LOST: 'session_lost';
  SESSION_ENDED: 'session_ended';
  QUEUE_FULL: 'queue_full';
  STORE_FAILED: 'store_failed';
  UNKNOWN: 'error';
}>;

/** The protocol's codes (docs/PROTOCOL.md §7). */
export declare const ErrorCode: Readonly<{
  BAD_FRAME: 'bad_frame';
  UNKNOWN_TYPE: 'unknown_type';
  HANDSHAKE_REQUIRED: 'handshake_required';
  NOT_ALLOWED: 'not_allowed';
  NO_HANDLER: 'no_handler';
  TIMEOUT: 'timeout';
  TOO_LARGE: 'too_large';
  RATE_LIMITED: 'rate_limited';
  UNAUTHORIZED: 'unauthorized';
  RESUME_FAILED: 'resume_failed';
  OVERFLOW: 'overflow';
  BACKEND_ERROR: 'backend_error';
}>;

export declare class TetherError extends Error {
  constructor(code: string, message?: string, options?: { remote?: boolean; reason?: string; cause?: unknown });
  /** A code of ErrorCode or ClientErrorCode (or a backend's own code in a response). */
  readonly code: string;
  /** True when the server sent the error. */
  readonly remote: boolean;
  /** The server's reason word, when it gave one (e.g. 'token_expired', 'replaced'). */
  readonly reason?: string;
}

/** A store of queued writes and topic values across restarts. */
export interface TetherStore {
  load(): Promise<StoreSnapshot | null>;
  save(snapshot: StoreSnapshot): Promise<void>;
}

export interface StoreSnapshot {
  format: 1;
  clientId: string;
  savedAt: number;
  writes: { address: string; body: Json }[];
  topics: { topic: string; version: number; body: Json }[];
}

export declare class MemoryStore implements TetherStore {
  snapshot: StoreSnapshot | null;
  load(): Promise<StoreSnapshot | null>;
  save(snapshot: StoreSnapshot): Promise<void>;
}

export interface TetherClientOptions {
  /** Default 'ws://127.0.0.1:8080/ws'. */
  url?: string;
  /** 1-128 characters of [A-Za-z0-9._:@-]; one live session per clientId. */
  clientId: string;
  /** A fixed token (sent in hello), or a supplier asked for every hello, resume and refresh. */
  token?: string | (() => string | Promise<string>);
  /** Presence attrs, sent in hello (change them with updateAttrs). */
  attrs?: Record<string, Json>;
  /** Where queued writes and topic values survive a restart (FileStore, IndexedDbStore, MemoryStore). */
  store?: TetherStore;
  /** A WebSocket constructor (default: the browser's, else the ws package). */
  WebSocket?: unknown;
  /** 0 (default): the server's heartbeat. */
  heartbeatMs?: number;
  /** Backoff bounds (full jitter): defaults 250 and 30000 ms. */
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Failed attempts in a row before OFFLINE; -1 (default): never give up. */
  maxReconnectAttempts?: number;
  /** One attempt: TCP, upgrade, welcome/resumed. Default 10000. */
  connectTimeoutMs?: number;
  /** Default 60000; 0: none. Queued requests count from their sending. */
  requestTimeoutMs?: number;
  /** Default 65536. */
  maxFrameBytes?: number;
  /** Unacknowledged own frames: default 1000 frames, 1 MiB. */
  maxOutboundFrames?: number;
  maxOutboundBytes?: number;
  /** Requests queued while not ONLINE: default 1000, 1 MiB (0 requests: no queue). */
  maxQueuedRequests?: number;
  maxQueuedBytes?: number;
  /** Requests waiting for their response (queued or sent): default 1000. */
  maxPendingRequests?: number;
  /** Ack at most this late (default 50, at most 200), or after this many frames (default 100). */
  ackDelayMs?: number;
  ackBatchFrames?: number;
}

export declare const DEFAULTS: Readonly<Required<Omit<TetherClientOptions,
  'clientId' | 'token' | 'attrs' | 'store' | 'WebSocket'>>>;

export interface Push {
  readonly body: Json;
  /** 0 for a volatile push. */
  readonly seq: number;
  /** 0: the push stream; else the request stream of a related resource. */
  readonly stream: number;
  /** The related resource's label, or null. */
  readonly resource: string | null;
  readonly volatile: boolean;
}

export interface Notification {
  readonly topic: string;
  readonly version: number;
  readonly body: Json;
  readonly seq: number;
}

export interface SessionEvent {
  readonly kind: SessionEventKindName;
  readonly sessionId: string | null;
  readonly previousSessionId: string | null;
  readonly node: string | null;
  /** RESYNCED: the resume_failed reason; ENDED: 'closed' or the server's bye reason. */
  readonly reason: string | null;
  /** RESYNCED: requests that failed with session_lost. */
  readonly lostRequests: number;
}

export interface ServerRequest {
  readonly seq: number;
  readonly stream: number;
  readonly address: string;
  readonly body: Json;
}

export interface Reply {
  body: Json;
  /** Related resources pushed on the request's stream, by label. */
  resources: Record<string, Json>;
  receivedAt: number;
}

export interface TetherClientEvents {
  state: (state: ConnectionStateName, previous: ConnectionStateName) => void;
  session: (event: SessionEvent) => void;
  push: (push: Push) => void;
  notify: (notification: Notification) => void;
  error: (error: TetherError | Error) => void;
  auth: (info: { expiresAt: number }) => void;
  /** Every text frame received, raw (for debugging; may carry application data). */
  frame: (text: string) => void;
}

export declare class TetherClient {
  constructor(options: TetherClientOptions);
  readonly state: ConnectionStateName;
  readonly sessionId: string | null;
  readonly node: string | null;
  readonly clientId: string;
  readonly heartbeatMs: number;
  readonly stats: { receivedSeq: number; lastSentSeq: number; unacked: number; queued: number; pending: number };
  on<E extends keyof TetherClientEvents>(event: E, listener: TetherClientEvents[E]): this;
  once<E extends keyof TetherClientEvents>(event: E, listener: TetherClientEvents[E]): this;
  off<E extends keyof TetherClientEvents>(event: E, listener: TetherClientEvents[E]): this;
  ready(): Promise<void>;
  connect(): Promise<void>;
  request<T = Json>(address: string, body?: Json, options?: { timeoutMs?: number }): Promise<T>;
  requestEx(address: string, body?: Json, options?: { timeoutMs?: number }): Promise<Reply>;
  subscribe(topic: string, version?: number): Promise<void>;
  unsubscribe(topic: string): Promise<void>;
  onRequest(handler: ((req: ServerRequest) => Json | Promise<Json>) | null): this;
  updateAttrs(attrs: Record<string, Json>): void;
  subscriptions(): Map<string, number>;
  cachedTopic(topic: string): { topic: string; version: number; body: Json } | null;
  flushStore(): Promise<void>;
  close(): Promise<void>;
}
