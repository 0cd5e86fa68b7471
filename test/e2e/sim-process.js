'use strict';
// Starts the Kadoa simulator (test/simulator, compiled by `npm run build:tools` into
// build/test/simulator/cli.js) as its own process on 127.0.0.1, for the kadoa-* scenarios.
//
//   const { startSimulator } = require('./sim-process');
//   const sim = await startSimulator({ apiKeys: ['k'], teamId: 'team-e2e', heartbeatMs: 15000 });
//   sim.apiUrl, sim.realtimeUrl                 // for the kadoaApi credential
//   await sim.publish({ dataChange: {} })       // POST /__sim/publish → { event: { id, cursor, ... } }
//   await sim.fault({ kind: 'closeAll' })       // POST /__sim/fault
//   await sim.state()                           // GET /__sim/state (subscribes, acks, openSockets, ...)
//   await sim.waitForState((s) => s.acks >= 1)  // polls state until the predicate holds
//   await sim.stop()                            // SIGTERM (SIGKILL after 5 s)
//
// KADOA_E2E_SIM overrides the cli.js path. stderr of the simulator goes to sim.logPath.

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { guardChild, httpJson } = require('./util');
const { freePort } = require('./ports');

const DEFAULT_CLI = path.resolve(__dirname, '../../build/test/simulator/cli.js');

/** The control API's answer as JSON (text if not JSON); HTTP errors reject. */
async function jsonRequest(baseUrl, method, urlPath, body, timeoutMs = 10000) {
  const res = await httpJson(baseUrl, method, urlPath, { body, timeoutMs });
  if (res.status >= 400) throw new Error(`${method} ${urlPath} → ${res.status}: ${res.text.slice(0, 300)}`);
  if (!res.text) return undefined;
  return res.json !== undefined ? res.json : res.text;
}

/**
 * Options: apiKeys, teamId, heartbeatMs, tokenTtlMs, port (default: a free one), cli (cli.js path),
 * extraArgs (more CLI flags, e.g. '--realtime-disabled'), env (added to the simulator's
 * environment, e.g. { KADOA_SIM_REPLAY: 'unacked' }), timeoutMs (until its "ready" line).
 */
async function startSimulator({ apiKeys = [], teamId, heartbeatMs, tokenTtlMs, port, cli, extraArgs = [], env, timeoutMs = 15000 } = {}) {
  cli = cli || process.env.KADOA_E2E_SIM || DEFAULT_CLI;
  if (!fs.existsSync(cli)) throw new Error(`simulator not built: ${cli} (run npm run build:tools)`);
  port = port || (await freePort());
  const args = [cli, '--port', String(port)];
  for (const k of apiKeys) args.push('--api-key', k);
  if (teamId) args.push('--team-id', teamId);
  if (heartbeatMs !== undefined) args.push('--heartbeat-ms', String(heartbeatMs));
  if (tokenTtlMs !== undefined) args.push('--token-ttl-ms', String(tokenTtlMs));
  args.push(...extraArgs);

  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadoa-sim-'));
  const logPath = path.join(logDir, 'sim.log');
  const errFd = fs.openSync(logPath, 'a');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', errFd], env: { ...process.env, ...env } });
  fs.closeSync(errFd);
  const guard = guardChild(child);

  const ready = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`simulator not ready after ${timeoutMs} ms: ${fs.readFileSync(logPath, 'utf8')}`)), timeoutMs);
    child.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n').find((l) => l.includes('"ready"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // Only meaningful before ready; after it, the temp folder may already be gone.
      let log = '';
      try {
        log = fs.readFileSync(logPath, 'utf8');
      } catch {
        log = '(no log)';
      }
      reject(new Error(`simulator exited (${code}) before ready: ${log}`));
    });
  });
  child.stdout.resume();
  const base = ready.apiUrl.replace(/\/$/, '');

  const sim = {
    pid: child.pid,
    port: ready.port,
    apiUrl: ready.apiUrl,
    realtimeUrl: ready.realtimeUrl,
    logPath,
    control: (method, urlPath, body) => jsonRequest(base, method, urlPath, body),
    publish: (body) => jsonRequest(base, 'POST', '/__sim/publish', body),
    fault: (body) => jsonRequest(base, 'POST', '/__sim/fault', body),
    state: () => jsonRequest(base, 'GET', '/__sim/state'),
    readLog: () => (fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : ''),
    resetRecords: (body = {}) => jsonRequest(base, 'POST', '/__sim/reset-records', body),
    async waitForState(pred, { timeoutMs: t = 30000, intervalMs = 100, what = 'simulator state' } = {}) {
      const deadline = Date.now() + t;
      let last;
      for (;;) {
        last = await sim.state();
        if (pred(last)) return last;
        if (Date.now() > deadline) throw new Error(`timed out after ${t} ms waiting for ${what}; last state ${JSON.stringify(last).slice(0, 600)}`);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    },
    async stop() {
      await guard.stop();
      if (process.env.N8N_E2E_KEEP === '1') process.stderr.write(`[e2e] kept ${logPath}\n`);
      else fs.rmSync(logDir, { recursive: true, force: true });
    },
  };
  return sim;
}

module.exports = { startSimulator };
