'use strict';
// A transparent recording proxy on 127.0.0.1 in front of the Kadoa simulator, for what the
// simulator's control API does not show: the time and event id of every acknowledgement, and
// the access tokens it handed out (to prove none of them reaches n8n's log or disk).
//
//   const tap = await startTapProxy({ targetPort: sim.port });
//   credential: { apiUrl: tap.apiUrl, realtimeUrl: tap.realtimeUrl }   // instead of the simulator's
//   tap.acks        [{ id, at, status }]   one per POST /api/v1/events/ack (at = request fully received)
//   tap.tokens      access tokens from /v4/oauth2/token answers, in order
//   tap.upgrades    [{ at, tokenSeen }]    one per WebSocket upgrade request
//   await tap.close()
//
// HTTP requests are forwarded one by one (bodies buffered: they are small here). WebSocket
// upgrades are forwarded as raw TCP both ways; a close on either side closes the other, so the
// simulator's openSockets stays the truth about the client's sockets, a `dropAll` reaches the
// client as a reset, and a black-holed simulator socket stays silent and open until the client
// gives up on it.

const http = require('http');
const net = require('net');

function startTapProxy({ targetPort, targetHost = '127.0.0.1', port = 0 } = {}) {
  const acks = [];
  const tokens = [];
  const upgrades = [];
  const requests = [];
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const at = Date.now();
      const path = (req.url || '/').split('?')[0];
      const headers = { ...req.headers, host: `${targetHost}:${targetPort}` };
      delete headers['content-length'];
      if (body.length) headers['content-length'] = String(body.length);
      const up = http.request({ host: targetHost, port: targetPort, method: req.method, path: req.url, headers }, (ur) => {
        const out = [];
        ur.on('data', (c) => out.push(c));
        ur.on('end', () => {
          const text = Buffer.concat(out);
          requests.push({ method: req.method, path, at, status: ur.statusCode });
          if (path === '/api/v1/events/ack') {
            let id = '';
            try {
              id = JSON.parse(body.toString('utf8')).id || '';
            } catch {
              /* not JSON: recorded with an empty id */
            }
            acks.push({ id, at, status: ur.statusCode });
          }
          if (path === '/v4/oauth2/token' && ur.statusCode === 200) {
            try {
              const t = JSON.parse(text.toString('utf8')).access_token;
              if (t) tokens.push(t);
            } catch {
              /* not JSON */
            }
          }
          const h = { ...ur.headers };
          delete h['transfer-encoding'];
          h['content-length'] = String(text.length);
          res.writeHead(ur.statusCode, h);
          res.end(text);
        });
      });
      up.on('error', (e) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `tap proxy: ${e.message}` }));
      });
      up.end(body);
    });
  });

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  server.on('upgrade', (req, socket, head) => {
    const q = new URL(req.url || '/', 'http://x').searchParams.get('access_token');
    upgrades.push({ at: Date.now(), tokenSeen: Boolean(q) });
    if (q && !tokens.includes(q)) tokens.push(q);
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(upstream);
    const both = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('close', () => {
      sockets.delete(upstream);
      socket.destroy();
    });
    socket.on('close', () => upstream.destroy());
    upstream.on('error', both);
    socket.on('error', both);
    upstream.on('connect', () => {
      let head0 = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const k = req.rawHeaders[i];
        const v = k.toLowerCase() === 'host' ? `${targetHost}:${targetPort}` : req.rawHeaders[i + 1];
        head0 += `${k}: ${v}\r\n`;
      }
      upstream.write(`${head0}\r\n`);
      if (head && head.length) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const p = server.address().port;
      resolve({
        port: p,
        apiUrl: `http://127.0.0.1:${p}`,
        realtimeUrl: `ws://127.0.0.1:${p}`,
        acks,
        tokens,
        upgrades,
        requests,
        /** Successful acks per event id: Map id → count. */
        ackCounts() {
          const m = new Map();
          for (const a of acks) if (a.status === 200) m.set(a.id, (m.get(a.id) || 0) + 1);
          return m;
        },
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
            if (server.closeAllConnections) server.closeAllConnections();
          }),
      });
    });
  });
}

module.exports = { startTapProxy };
