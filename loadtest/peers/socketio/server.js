// Socket.IO 4 push server for scripts/bench-peers.sh, with connection state recovery on.
//
// A client emits "push" {count: M} with an acknowledgement callback; the server emits M events
// "m" {n: 1..M} on that socket and then calls the acknowledgement (the counterpart of the Tether
// protocol's response after the pushes). With connectionStateRecovery, socket.emit goes through the
// session-aware adapter: every event gets an offset and is kept for maxDisconnectionDuration, so a
// client that reconnects within it is sent what it missed. That buffer is in this process only and
// nothing acknowledges delivery: recovery is best-effort (see docs/BENCHMARKS.md).
//
// usage: node server.js --port 22300 [--host 127.0.0.1]
"use strict";
const http = require("node:http");
const { Server } = require("socket.io");

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg("--port", "22300"));
const host = arg("--host", "127.0.0.1");
const maxCount = 100000; // bounds one request's work

const httpServer = http.createServer();
const io = new Server(httpServer, {
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true },
  perMessageDeflate: false, // as the gateway and the bare server: no compression
  serveClient: false,
});

io.on("connection", (socket) => {
  socket.on("push", (req, ack) => {
    const count = Math.min(Number(req && req.count) || 0, maxCount);
    for (let n = 1; n <= count; n++) {
      socket.emit("m", { n });
    }
    if (typeof ack === "function") ack({ ok: true, count });
  });
});

httpServer.listen(port, host, () => console.log(`listening ${host}:${port} pid=${process.pid}`));
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    io.close();
    process.exit(0);
  });
}
