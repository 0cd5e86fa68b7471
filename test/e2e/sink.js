'use strict';
// A tiny HTTP server on 127.0.0.1 that records every request body.
// A workflow's HTTP Request node POSTs each item here; a test then waits for them.
//
//   const { startSink } = require('./sink');
//   const sink = await startSink();            // { port: 0 } by default: a free port
//   sink.url                                   // 'http://127.0.0.1:<port>/'
//   await sink.waitFor(3, { timeoutMs: 30000 }) // resolves with the first 3 records
//   sink.bodies()                              // parsed JSON bodies, in arrival order
//   await sink.close()
//
// Each record: { method, path, headers, raw, body, json (true if body parsed as JSON), at,
// remotePort (the sender's TCP port), answeredAt (set when the answer was written) }.
// The sink answers 200 {"ok":true} by default; `sink.respondWith(fn)` lets a test answer
// differently (fn(record) -> { status, body, delayMs } or a promise of it), e.g. to make a
// downstream node fail, or slow (delayMs: the answer is written that much later).

const http = require('http');

function startSink(options = {}) {
  const { port = 0, host = '127.0.0.1', maxBodyBytes = 64 * 1024 * 1024 } = options;
  const records = [];
  const waiters = [];
  let responder = () => ({ status: 200, body: { ok: true } });

  const notify = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (records.length >= w.count) {
        waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(records.slice(0, w.count));
      }
    }
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= maxBodyBytes) chunks.push(c);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = raw;
      let json = false;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
          json = true;
        } catch {
          /* keep raw text */
        }
      }
      const record = {
        method: req.method,
        path: req.url,
        headers: req.headers,
        raw,
        body,
        json,
        at: Date.now(),
        remotePort: req.socket.remotePort, // the client's port: which process sent it (kadoa-queue.js)
      };
      records.push(record);
      notify();
      // The responder may answer at once ({ status, body }), after a delay ({ ..., delayMs }),
      // or asynchronously (a promise of either): a slow downstream node for ack-timing tests.
      Promise.resolve()
        .then(() => responder(record))
        .catch((e) => ({ status: 500, body: { error: String(e) } }))
        .then(async (answer) => {
          answer = answer || {};
          if (answer.delayMs > 0) await new Promise((r) => setTimeout(r, answer.delayMs));
          const status = answer.status || 200;
          const payload =
            typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? { ok: true });
          record.answeredAt = Date.now();
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(payload);
        });
    });
  });
  // Keep-alive sockets from n8n must not hold close() open.
  server.keepAliveTimeout = 1000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actualPort = server.address().port;
      const sink = {
        port: actualPort,
        url: `http://${host}:${actualPort}/`,
        records,
        /** Parsed bodies (JSON or raw text) in arrival order. */
        bodies: () => records.map((r) => r.body),
        count: () => records.length,
        clear: () => {
          records.length = 0;
        },
        respondWith: (fn) => {
          responder = fn;
        },
        /** Resolves with the first `count` records once that many arrived; rejects on timeout. */
        waitFor: (count, { timeoutMs = 60000 } = {}) =>
          new Promise((res, rej) => {
            if (records.length >= count) return res(records.slice(0, count));
            const w = { count, resolve: res, reject: rej };
            w.timer = setTimeout(() => {
              const i = waiters.indexOf(w);
              if (i >= 0) waiters.splice(i, 1);
              rej(
                new Error(
                  `sink: timed out after ${timeoutMs} ms waiting for ${count} request(s), got ${records.length}`,
                ),
              );
            }, timeoutMs);
            waiters.push(w);
          }),
        close: () =>
          new Promise((res) => {
            for (const w of waiters.splice(0)) {
              clearTimeout(w.timer);
              w.reject(new Error(`sink: closed while waiting for ${w.count} request(s), got ${records.length}`));
            }
            server.close(() => res());
            if (server.closeAllConnections) server.closeAllConnections();
          }),
      };
      resolve(sink);
    });
  });
}

/**
 * The workflow node that posts each item to a sink: an HTTP Request node, the way a user
 * would forward Kadoa data. `extra` adds parameters (e.g. authentication) and `credentials`.
 */
function sinkNode({ id, sinkUrl, jsonBody, position = [300, 0], extra = {}, credentials }) {
  const node = {
    id,
    name: 'Post to sink',
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position,
    parameters: { method: 'POST', url: sinkUrl, ...extra, sendBody: true, specifyBody: 'json', jsonBody, options: {} },
  };
  if (credentials) node.credentials = credentials;
  return node;
}

module.exports = { startSink, sinkNode };
