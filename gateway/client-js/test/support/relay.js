// Test support: a TCP fault relay between the SDK and a node. It forwards bytes both ways and can
// - cut: reset every relayed connection (TCP RST on both sides, unsent data discarded);
// - refuse: reset new connections at once (the node looks unreachable) until allow();
// - blackhole: drop every byte of the current connections both ways, sockets left open (a silent network);
// - stall: stop reading the current connections (TCP backpressure) until release().
// It also reads the WebSocket frames it relays (after the HTTP upgrade), so a test can count what really went over
// the wire: `onServerFrame(text, conn)` / `onClientFrame(text, conn)` see each text message, and the server-side
// callback may return 'cut' to reset the connections *before* that frame is forwarded, or 'twice' to forward it
// twice (a replay at the wire).
import { createServer, connect } from 'node:net';

/** Incremental parser of WebSocket frames (RFC 6455 §5.2) behind an HTTP header block. */
class WireReader {
  #buf = Buffer.alloc(0);
  #inHeader = true;
  #fragments = [];

  /** Feeds bytes; returns [{ bytes, text|null }]: slices to forward in order, each a header block or one frame. */
  feed(chunk) {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out = [];
    for (;;) {
      if (this.#inHeader) {
        const end = this.#buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        out.push({ bytes: this.#buf.subarray(0, end + 4), text: null });
        this.#buf = this.#buf.subarray(end + 4);
        this.#inHeader = false;
        continue;
      }
      const f = this.#frame();
      if (!f) break;
      out.push(f);
    }
    return out;
  }

  #frame() {
    const b = this.#buf;
    if (b.length < 2) return null;
    const fin = (b[0] & 0x80) !== 0;
    const opcode = b[0] & 0x0f;
    const masked = (b[1] & 0x80) !== 0;
    let len = b[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return null;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return null;
      len = Number(b.readBigUInt64BE(2));
      off = 10;
    }
    const maskOff = off;
    if (masked) off += 4;
    if (b.length < off + len) return null;
    let payload = Buffer.from(b.subarray(off, off + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= b[maskOff + (i % 4)];
    const bytes = b.subarray(0, off + len);
    this.#buf = b.subarray(off + len);
    let text = null;
    if (opcode === 1 || opcode === 0) {
      this.#fragments.push(payload);
      if (fin) {
        text = Buffer.concat(this.#fragments).toString('utf8');
        this.#fragments = [];
      }
    }
    return { bytes, text };
  }
}

export class FaultRelay {
  #server;
  #pairs = new Set();
  #refusing = false;
  connections = 0;
  onServerFrame = null;
  onClientFrame = null;

  constructor(targetPort, targetHost = '127.0.0.1') {
    this.targetPort = targetPort;
    this.targetHost = targetHost;
  }

  start() {
    this.#server = createServer((client) => this.#accept(client));
    return new Promise((res) => this.#server.listen(0, '127.0.0.1', () => {
      this.port = this.#server.address().port;
      this.url = `ws://127.0.0.1:${this.port}/ws`;
      res(this);
    }));
  }

  #accept(client) {
    if (this.#refusing) {
      client.resetAndDestroy();
      return;
    }
    const id = ++this.connections;
    const upstream = connect(this.targetPort, this.targetHost);
    const pair = { id, client, upstream, blackholed: false, dead: false };
    this.#pairs.add(pair);
    const kill = () => this.#reset(pair);
    client.on('error', kill);
    upstream.on('error', kill);
    client.on('close', kill);
    upstream.on('close', kill);
    const fromClient = new WireReader();
    const fromServer = new WireReader();
    client.on('data', (d) => {
      if (pair.dead || pair.blackholed) return;
      for (const piece of fromClient.feed(d)) {
        if (piece.text !== null && this.onClientFrame) this.onClientFrame(piece.text, pair);
        upstream.write(piece.bytes);
      }
    });
    upstream.on('data', (d) => {
      if (pair.dead || pair.blackholed) return;
      for (const piece of fromServer.feed(d)) {
        if (pair.dead) return;
        const verdict = piece.text !== null && this.onServerFrame ? this.onServerFrame(piece.text, pair) : undefined;
        if (verdict === 'cut') {
          this.cut();
          return;
        }
        client.write(piece.bytes);
        if (verdict === 'twice') client.write(piece.bytes); // a replay the client must drop
      }
    });
  }

  #reset(pair) {
    if (pair.dead) return;
    pair.dead = true;
    this.#pairs.delete(pair);
    for (const s of [pair.client, pair.upstream]) {
      if (!s.destroyed) {
        try {
          s.resetAndDestroy();
        } catch {
          s.destroy();
        }
      }
    }
  }

  /** Resets every relayed connection now. */
  cut() {
    for (const p of [...this.#pairs]) this.#reset(p);
  }

  /** New connections are reset at once until allow(). */
  refuse() {
    this.#refusing = true;
  }

  allow() {
    this.#refusing = false;
  }

  /** The current connections go silent both ways (bytes dropped), sockets open. */
  blackhole() {
    for (const p of this.#pairs) p.blackholed = true;
  }

  /** The current connections stop being read (TCP backpressure builds up) until release(). */
  stall() {
    for (const p of this.#pairs) {
      p.client.pause();
      p.upstream.pause();
    }
  }

  release() {
    for (const p of this.#pairs) {
      p.client.resume();
      p.upstream.resume();
    }
  }

  get open() {
    return this.#pairs.size;
  }

  close() {
    this.cut();
    return new Promise((res) => this.#server.close(() => res()));
  }
}
