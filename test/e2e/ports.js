'use strict';
// Free TCP ports on 127.0.0.1 for the servers a scenario starts (n8n, its task-runner broker,
// simulators, sinks, Redis).

const net = require('net');

/** Whether a TCP port on 127.0.0.1 can be bound right now. */
function isPortFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1 (bind to 0, read, close). Nothing listens on it afterwards. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports, none of them in `taken`. */
async function freePorts(count, taken = []) {
  const seen = new Set(taken);
  const out = [];
  while (out.length < count) {
    const p = await freePort();
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
  }
  return out;
}

module.exports = { freePort, freePorts, isPortFree };
