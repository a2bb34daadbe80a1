// Socket.IO load client for scripts/bench-peers.sh (the counterpart of tether-bench.jar).
//
// push: N sockets (WebSocket transport only) each emit "push" {count: M} when all are connected; the
// clock runs from the first emit to the moment the last socket has all M events and its acknowledgement.
// Each socket checks that n runs 1..M and counts gaps and dups; a disconnect or connect error counts as
// an error. One RESULT line per round, in the format of tether-bench.jar, plus clientCpuS (this process's
// CPU in the round: near the round's seconds means the single-threaded client was the limit).
// idle: N sockets connect, then only Engine.IO's heartbeats; prints "READY conns=N" and holds until killed.
//
// usage: node client.js --url http://127.0.0.1:22300 --conns 100 --count 2000 [--rounds 1] [--timeout-s 120]
//        node client.js --idle --url … --conns 2000 [--timeout-s 120]
"use strict";
const { io } = require("socket.io-client");

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const url = arg("--url", "http://127.0.0.1:22300");
const conns = Number(arg("--conns", "100"));
const count = Number(arg("--count", "2000"));
const rounds = Number(arg("--rounds", "1"));
const timeoutMs = Number(arg("--timeout-s", "120")) * 1000;
const idle = process.argv.includes("--idle");
const connectConcurrency = 200;

const sockets = [];
let errors = 0;

function connectOne() {
  return new Promise((resolve, reject) => {
    const s = io(url, { transports: ["websocket"], reconnection: false, forceNew: true, timeout: timeoutMs });
    s.state = { expected: 1, received: 0, gaps: 0, dups: 0, acked: false, done: null };
    s.on("m", (msg) => {
      const st = s.state;
      const n = msg && msg.n;
      if (!(n >= st.expected)) {
        st.dups++;
        return;
      }
      if (n > st.expected) st.gaps += n - st.expected;
      st.received++;
      st.expected = n + 1;
      if (st.expected > count && st.acked && st.done) st.done();
    });
    s.on("disconnect", (reason) => {
      if (!shuttingDown) {
        errors++;
        if (errors <= 5) console.log(`PROBLEM disconnect: ${reason}`);
      }
    });
    s.once("connect", () => resolve(s));
    s.once("connect_error", (e) => reject(e));
    sockets.push(s);
  });
}

async function connectAll() {
  const start = process.hrtime.bigint();
  let next = 0;
  let ready = 0;
  async function lane() {
    while (next < conns) {
      next++;
      await connectOne();
      ready++;
      if (ready % 2000 === 0) console.log(`PROGRESS connected=${ready}`);
    }
  }
  const lanes = [];
  for (let i = 0; i < Math.min(connectConcurrency, conns); i++) lanes.push(lane());
  await Promise.all(lanes);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`CONNECTED target=${url} conns=${conns} seconds=${seconds.toFixed(3)}`);
}

function withTimeout(promise, ms) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error("timeout")), ms); }),
  ]);
}

async function round(r) {
  const errorsBefore = errors;
  const finished = sockets.map((s) => new Promise((resolve) => {
    s.state = { expected: 1, received: 0, gaps: 0, dups: 0, acked: false, done: resolve };
  }));
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (const s of sockets) {
    s.emit("push", { count }, () => {
      s.state.acked = true;
      if (s.state.expected > count) s.state.done();
    });
  }
  let status = "ok";
  try {
    await withTimeout(Promise.all(finished), timeoutMs);
  } catch (e) {
    status = "timeout";
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  let delivered = 0, gaps = 0, dups = 0;
  for (const s of sockets) {
    delivered += s.state.received;
    gaps += s.state.gaps;
    dups += s.state.dups;
  }
  const errs = errors - errorsBefore;
  if (status === "ok" && (errs > 0 || gaps > 0 || dups > 0)) status = "dirty";
  console.log(`RESULT mode=push target=${url} round=${r} conns=${conns} perConn=${count} delivered=${delivered}`
    + ` seconds=${seconds.toFixed(3)} msgsPerSec=${Math.round(delivered / seconds)} errors=${errs}`
    + ` gaps=${gaps} dups=${dups} status=${status} clientCpuS=${((cpu.user + cpu.system) / 1e6).toFixed(3)}`);
  return status === "ok";
}

let shuttingDown = false;
function shutdown(code) {
  shuttingDown = true;
  for (const s of sockets) s.close();
  process.exit(code);
}
process.on("SIGTERM", () => shutdown(0));
process.on("SIGINT", () => shutdown(130));

(async () => {
  try {
    await withTimeout(connectAll(), timeoutMs);
  } catch (e) {
    console.log(`FAILED target=${url} phase=connect conns=${conns} reason=${e.message || e}`);
    shutdown(1);
  }
  if (idle) {
    console.log(`READY conns=${conns}`);
    return; // the open sockets keep the process alive
  }
  let ok = true;
  for (let r = 1; r <= rounds && ok; r++) ok = await round(r);
  shutdown(ok ? 0 : 1);
})();
