// The client's end of the reliable channel (docs/PROTOCOL.md §3), across the sockets of a session, as the Java
// SDK's ReliableChannel:
// - own reliable frames are numbered 1, 2, 3… and kept (their exact text) until the server acks them, so that the
//   ones the server has not stored are written again, byte for byte, on the next socket after `resumed`;
// - the server's reliable frames are accepted in order: a replay (seq already seen) is dropped and acked again, a gap
//   makes the caller reconnect and resume;
// - acks go out cumulatively within ackDelayMs, or every ackBatchFrames frames;
// - after a failed resume, newSession() starts both directions over at 1 and hands back the unacked frames so that
//   their owners renumber or fail them.
import { TetherError, ClientErrorCode, ErrorCode } from './errors.js';
import { utf8Length } from './options.js';

export const Verdict = Object.freeze({ ACCEPT: 'accept', DUPLICATE: 'duplicate', GAP: 'gap' });

export class ReliableChannel {
  #opts;
  #state; // () => current ConnectionState
  #onAcked; // (ack) => void
  #problem; // (error) => void
  /** Own frames not acked yet, in seq order: { seq, frame, text, bytes, written, writtenOn }. */
  #outbound = [];
  #outboundBytes = 0;
  #lastSeq = 0;
  #acked = 0;
  #received = 0;
  #lastAckSent = 0;
  #ackForced = false;
  #ackTimer = null;
  /** Where frames are written now ({ id, write(text) }); null between sockets. */
  #link = null;

  constructor(opts, state, onAcked, problem) {
    this.#opts = opts;
    this.#state = state;
    this.#onAcked = onAcked;
    this.#problem = problem;
  }

  /**
   * Numbers `frame` (an object without seq), keeps it until acked and writes it if a socket is attached. Throws a
   * TetherError when the client cannot take it: closed, offline, outbound buffer full (`overflow`), too large.
   * `beyondBound`: answers to server requests and queued requests may pass the buffer bound (the server bounds them).
   */
  send(frame, beyondBound = false) {
    const state = this.#state();
    if (state === 'CLOSED') throw new TetherError(ClientErrorCode.CLIENT_CLOSED, 'the client is closed');
    if (state === 'OFFLINE') {
      throw new TetherError(ClientErrorCode.NOT_CONNECTED, 'the client is offline: call connect() first');
    }
    if (!beyondBound && this.#outbound.length >= this.#opts.maxOutboundFrames) {
      throw new TetherError(ErrorCode.OVERFLOW, `the outbound buffer is full (${this.#outbound.length} frames not `
        + `acknowledged by the server; maxOutboundFrames ${this.#opts.maxOutboundFrames})`);
    }
    const numbered = { ...frame, seq: this.#lastSeq + 1 };
    const text = JSON.stringify(numbered);
    const bytes = utf8Length(text);
    if (bytes > this.#opts.maxFrameBytes) {
      throw new TetherError(ErrorCode.TOO_LARGE, `the '${frame.type}' frame is ${bytes} bytes, above maxFrameBytes `
        + `(${this.#opts.maxFrameBytes})`);
    }
    if (!beyondBound && this.#outbound.length > 0 && this.#outboundBytes + bytes > this.#opts.maxOutboundBytes) {
      throw new TetherError(ErrorCode.OVERFLOW, `the outbound buffer is full (${this.#outboundBytes} bytes not `
        + `acknowledged by the server; maxOutboundBytes ${this.#opts.maxOutboundBytes})`);
    }
    const f = this.#keep(numbered, text, bytes);
    if (this.#link) this.#write(this.#link, f);
    return f;
  }

  /** True if a frame of about `bytes` fits the outbound bounds now (an empty buffer always takes one). */
  hasRoom(bytes) {
    return this.#outbound.length === 0 || (this.#outbound.length < this.#opts.maxOutboundFrames
      && this.#outboundBytes + bytes <= this.#opts.maxOutboundBytes);
  }

  /** A socket is attached and every kept frame has been written on it. */
  get isOpen() {
    return this.#link !== null;
  }

  /** Starts writing on `link`: first every kept frame not written on it yet, in seq order. */
  attach(link) {
    for (const f of this.#outbound) {
      if (f.writtenOn !== link.id) this.#write(link, f);
    }
    this.#link = link;
  }

  detach() {
    this.#link = null;
    this.#cancelAckTimer();
  }

  #write(link, f) {
    link.write(f.text);
    f.written = true;
    f.writtenOn = link.id;
  }

  #keep(frame, text, bytes) {
    this.#lastSeq = frame.seq;
    const f = { seq: frame.seq, frame, text, bytes, written: false, writtenOn: -1 };
    this.#outbound.push(f);
    this.#outboundBytes += bytes;
    return f;
  }

  /** The server's cumulative ack (an `ack` frame, or carried by `ping`/`pong`). */
  onAck(ack) {
    if (!Number.isSafeInteger(ack) || ack <= this.#acked) return;
    if (ack > this.#lastSeq) {
      this.#problem(new TetherError(ErrorCode.BAD_FRAME, `the server acked seq ${ack} beyond the last sent `
        + `(${this.#lastSeq}); ignored`));
      return;
    }
    this.#acked = ack;
    let n = 0;
    while (n < this.#outbound.length && this.#outbound[n].seq <= ack) {
      this.#outboundBytes -= this.#outbound[n].bytes;
      n++;
    }
    this.#outbound.splice(0, n);
    this.#onAcked(ack);
  }

  /** `resumed.lastSeq` is possible: not below what the server acked already, not above the last frame sent. */
  canResumeFrom(serverLastSeq) {
    return Number.isSafeInteger(serverLastSeq) && serverLastSeq >= this.#acked && serverLastSeq <= this.#lastSeq;
  }

  /** After `resumed`: our `resume.lastSeq` acked everything received; `serverLastSeq` acks own frames. */
  resumed(serverLastSeq) {
    this.#lastAckSent = this.#received;
    this.onAck(serverLastSeq);
  }

  /** A new session replaces a lost one: seqs restart at 1 both ways. Returns the old unacked frames, in order. */
  newSession() {
    const old = this.#outbound;
    this.#outbound = [];
    this.#outboundBytes = 0;
    this.#lastSeq = 0;
    this.#acked = 0;
    this.#received = 0;
    this.#lastAckSent = 0;
    this.#ackForced = false;
    return old;
  }

  /** Keeps `frame` again with the next seq of the new session; written when a socket is attached. */
  renumber(frame) {
    const again = { ...frame, seq: this.#lastSeq + 1 };
    const text = JSON.stringify(again);
    return this.#keep(again, text, utf8Length(text));
  }

  /** Drops every own frame not acked (closed, or a first connect failed); numbering goes on if a session exists. */
  dropAll(keepNumbering) {
    this.#outbound = [];
    this.#outboundBytes = 0;
    if (!keepNumbering) {
      this.#lastSeq = 0;
      this.#acked = 0;
    } else {
      this.#acked = this.#lastSeq;
    }
  }

  // -- the server's frames ----------------------------------------------------------------------------------------

  /** A reliable frame from the server: ACCEPT (act on it), DUPLICATE (dropped, acked again) or GAP. */
  receive(seq) {
    if (seq <= this.#received) {
      this.#ackForced = true;
      this.#scheduleAck();
      return Verdict.DUPLICATE;
    }
    if (seq !== this.#received + 1) return Verdict.GAP;
    this.#received = seq;
    this.#scheduleAck();
    return Verdict.ACCEPT;
  }

  /** The position to carry in a `ping` or `pong`: once sent, everything received is acknowledged. */
  carryAck() {
    this.#lastAckSent = this.#received;
    return this.#received;
  }

  #scheduleAck() {
    if (this.#received - this.#lastAckSent >= this.#opts.ackBatchFrames) {
      this.#sendAck();
    } else if (this.#ackTimer === null) {
      this.#ackTimer = setTimeout(() => {
        this.#ackTimer = null;
        this.#sendAck();
      }, this.#opts.ackDelayMs);
    }
  }

  #sendAck() {
    this.#cancelAckTimer();
    const link = this.#link;
    if (!link || (this.#received <= this.#lastAckSent && !this.#ackForced)) return;
    link.write(JSON.stringify({ type: 'ack', ack: this.#received }));
    this.#lastAckSent = this.#received;
    this.#ackForced = false;
  }

  #cancelAckTimer() {
    if (this.#ackTimer !== null) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
  }

  /** Highest server seq received in the current session. */
  get received() {
    return this.#received;
  }

  /** Highest seq given to an own frame in the current session. */
  get lastSent() {
    return this.#lastSeq;
  }

  get acked() {
    return this.#acked;
  }

  /** Own frames not acked yet. */
  get unacked() {
    return this.#outbound.length;
  }
}
