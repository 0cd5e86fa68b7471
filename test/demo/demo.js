'use strict';
// `npm run demo` (test/demo/run.sh builds and packs first, then runs this file).
//
// Starts, all on 127.0.0.1:
//   - the Kadoa simulator in demo mode: a plausible stream of data changes of three Kadoa
//     workflows (laptop prices, a job board, rental listings), one every few seconds;
//   - n8n 2.41.1 (Node 24, installed once into ~/.cache/n8n-nodes-kadoa) with this package
//     installed the way n8n installs a community node, a Kadoa API credential pointing at the
//     simulator, and the example workflow test/demo/kadoa-price-watch.json, active;
// then prints the URL, the login and how to stop. Ctrl-C (or SIGTERM) stops n8n (SIGTERM, by
// pid) and the simulator, and removes the temporary files.
//
// The n8n user folder stays in ~/.cache/n8n-nodes-kadoa/demo (KADOA_DEMO_DIR), so the second
// run skips the database set-up, keeps the owner account and the execution history, and starts
// in seconds. `npm run demo -- --reset` (or KADOA_DEMO_RESET=1) starts from an empty folder.
//
// Env: KADOA_DEMO_TGZ (the packed package; run.sh sets it), KADOA_DEMO_PORT (n8n, default 5678),
// KADOA_DEMO_SIM_PORT (simulator, default 5680), KADOA_DEMO_INTERVAL_MS (default 4000),
// KADOA_DEMO_DIR, KADOA_DEMO_RESET=1.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { installN8n, N8nInstance, isPortFree, freePort } = require('../e2e/n8n-instance');
const { startSimulator } = require('../e2e/sim-process');

const N8N_VERSION = '2.41.1';
const CACHE = process.env.KADOA_E2E_CACHE || path.join(os.homedir(), '.cache', 'n8n-nodes-kadoa');
const DEMO_DIR = process.env.KADOA_DEMO_DIR || path.join(CACHE, 'demo');
const WORKFLOW_FILE = path.join(__dirname, 'kadoa-price-watch.json');
const OWNER = { email: 'demo@example.com', password: 'Kadoa-Demo-2025', firstName: 'Kadoa', lastName: 'Demo' };
// The simulator accepts exactly this key; it is not a Kadoa key.
const SIM_API_KEY = 'kadoa-demo-simulator-key';
const CREDENTIAL = { id: 'KadoaDemoCred001', name: 'Kadoa account (demo simulator)' };
const WORKFLOW_ID = 'KadoaPriceWatch1';
// The second example (Kadoa Trigger → Kadoa node, Data → Get): imported inactive, to open and try.
const GET_DATA_FILE = path.join(__dirname, 'kadoa-get-data.json');
const GET_DATA_ID = 'KadoaGetData0001';

// A closed terminal (SIGHUP) makes writes fail: the clean-up must still run.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
const say = (msg) => {
  try {
    process.stdout.write(`[demo] ${msg}\n`);
  } catch {
    /* terminal gone */
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function pickPort(preferred, label) {
  if (await isPortFree(preferred)) return preferred;
  const port = await freePort();
  say(`port ${preferred} is busy: ${label} uses port ${port} instead`);
  return port;
}

/** A shipped example workflow, with the demo's credential and a fixed id for the CLI import. */
function demoWorkflow(file = WORKFLOW_FILE, id = WORKFLOW_ID) {
  const wf = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const node of wf.nodes) {
    if (node.credentials && node.credentials.kadoaApi) node.credentials.kadoaApi = { ...CREDENTIAL };
  }
  return { ...wf, id, active: false };
}

/** Whether pid is a live demo.js (not a recycled pid). */
function isDemoProcess(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('demo.js');
  } catch {
    return false;
  }
}

/** run.sh's temp folder (the packed package): removed on the way out. */
function removeTmp() {
  const tmp = process.env.KADOA_DEMO_TMP;
  if (tmp && path.basename(tmp).startsWith('kadoa-demo-')) fs.rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', removeTmp);

async function main() {
  const reset = process.argv.includes('--reset') || process.env.KADOA_DEMO_RESET === '1';
  const tgz = process.env.KADOA_DEMO_TGZ;
  if (!tgz || !fs.existsSync(tgz)) throw new Error('KADOA_DEMO_TGZ must name the packed package (npm run demo packs it)');

  // One demo at a time: they would share the n8n folder.
  fs.mkdirSync(DEMO_DIR, { recursive: true });
  const pidFile = path.join(DEMO_DIR, 'demo.pid');
  const other = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : 0;
  if (other && other !== process.pid && isDemoProcess(other)) {
    throw new Error(`a demo is already running (pid ${other}); stop it first (Ctrl-C in its terminal, or kill ${other})`);
  }
  if (reset) {
    say(`--reset: emptying ${DEMO_DIR}`);
    for (const entry of fs.readdirSync(DEMO_DIR)) fs.rmSync(path.join(DEMO_DIR, entry), { recursive: true, force: true });
  }
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  process.on('exit', () => {
    try {
      if (Number(fs.readFileSync(pidFile, 'utf8')) === process.pid) fs.rmSync(pidFile);
    } catch {
      /* gone */
    }
  });

  say(`n8n ${N8N_VERSION}: checking ${CACHE} (the first run installs Node 24 and n8n: a few minutes, ~3 GB)`);
  const { nodeBin, n8nDir, ms: installMs } = installN8n(N8N_VERSION);
  say(`n8n ${N8N_VERSION} ready (${(installMs / 1000).toFixed(1)} s)`);

  let sim;
  let n8n;
  let stopping = false;
  let tail;
  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    clearInterval(tail);
    say('stopping n8n and the Kadoa simulator…');
    try {
      if (n8n) {
        const r = await n8n.stop();
        say(`n8n stopped (${r.ms} ms${r.forced ? ', had to be killed' : ''})`);
        await n8n.dispose();
      }
    } catch (e) {
      say(`n8n stop: ${e.message}`);
    }
    try {
      if (sim) await sim.stop();
    } catch (e) {
      say(`simulator stop: ${e.message}`);
    }
    removeTmp();
    say(`stopped. The n8n folder stays in ${DEMO_DIR} (npm run demo -- --reset to start over).`);
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stopAll(0));

  try {
    const simPort = await pickPort(Number(process.env.KADOA_DEMO_SIM_PORT || 5680), 'the Kadoa simulator');
    const interval = Number(process.env.KADOA_DEMO_INTERVAL_MS || 4000);
    sim = await startSimulator({
      port: simPort,
      apiKeys: [SIM_API_KEY],
      teamId: 'demo-team',
      extraArgs: ['--demo', '--demo-interval-ms', String(interval)],
    });
    say(`Kadoa simulator on ${sim.apiUrl}: a data change every ${interval / 1000} s (pid ${sim.pid})`);

    const n8nPort = await pickPort(Number(process.env.KADOA_DEMO_PORT || 5678), 'n8n');
    n8n = new N8nInstance({ nodeBin, n8nDir, name: 'demo', root: DEMO_DIR, port: n8nPort, signals: false, logLevel: 'info' });
    await n8n.init();
    const fresh = !fs.existsSync(path.join(n8n.n8nFolder, 'database.sqlite'));
    say(`n8n folder ${DEMO_DIR} (${fresh ? 'new' : 'kept from the last run'})`);

    let t = Date.now();
    await n8n.installPackage(tgz);
    say(`installed n8n-nodes-kadoa into ${n8n.nodesDir} (${Date.now() - t} ms)`);

    t = Date.now();
    // Every run: the credential points at this run's simulator (same id: n8n updates it).
    await n8n.importCredentials([{ ...CREDENTIAL, type: 'kadoaApi', data: { apiKey: SIM_API_KEY, apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl } }]);
    const marker = path.join(DEMO_DIR, 'demo-workflow-imported');
    if (!fs.existsSync(marker)) {
      await n8n.importWorkflow(demoWorkflow());
      await n8n.activateWorkflow(WORKFLOW_ID);
      fs.writeFileSync(marker, `${WORKFLOW_ID}\n`);
      say(`imported the credential and the example workflow, active (${Date.now() - t} ms)`);
    } else {
      say(`updated the credential; the example workflow is already there (${Date.now() - t} ms)`);
    }
    // Its own marker, so that demo folders made before it existed get it too.
    const getDataMarker = path.join(DEMO_DIR, 'demo-get-data-imported');
    if (!fs.existsSync(getDataMarker)) {
      await n8n.importWorkflow(demoWorkflow(GET_DATA_FILE, GET_DATA_ID));
      fs.writeFileSync(getDataMarker, `${GET_DATA_ID}\n`);
      say('imported the second example workflow "Kadoa change → full data" (inactive)');
    }

    t = Date.now();
    say(`starting n8n on ${n8n.baseUrl} (log: ${n8n.logPath})`);
    await n8n.start();
    say(`n8n is up (${((Date.now() - t) / 1000).toFixed(1)} s)`);

    const owner = await n8n.ensureOwner(OWNER);
    if (owner === 'created') say(`created the owner account ${OWNER.email}`);
    const activation = await n8n.waitForActivation(WORKFLOW_ID, { timeoutMs: 60000, allowFailure: true });
    if (activation.status !== 'published') {
      say(`WARNING: the example workflow is ${activation.status}: ${JSON.stringify(activation.triggers)}`);
    }
    await sim.waitForState((s) => s.subscribes.length >= 1, { timeoutMs: 30000, what: 'the Kadoa Trigger to subscribe' });

    const url = n8n.baseUrl;
    process.stdout.write(
      [
        '',
        '  ┌──────────────────────────────────────────────────────────────────────────',
        `  │ n8n with the Kadoa Trigger is running: open ${url}/workflow/${WORKFLOW_ID}`,
        `  │ log in as   ${OWNER.email}`,
        `  │ password    ${OWNER.password}`,
        '  │',
        `  │ Workflow "Kadoa price watch" is active; each Kadoa change runs it once.`,
        `  │ Executions: ${url}/workflow/${WORKFLOW_ID}/executions`,
        `  │ Also there, inactive: "Kadoa change → full data" (${url}/workflow/${GET_DATA_ID})`,
        '  │ Stop: press Ctrl-C here (stops n8n and the simulator).',
        '  └──────────────────────────────────────────────────────────────────────────',
        '',
      ].join('\n') + '\n',
    );

    // Show the stream: the simulator's "demo:" lines, and n8n's execution count now and then.
    let offset = 0;
    let lastCount = -1;
    let ticks = 0;
    tail = setInterval(async () => {
      try {
        const text = sim.readLog();
        const fresh2 = text.slice(offset);
        offset = text.length;
        for (const line of fresh2.split('\n')) {
          const m = line.match(/demo: (.*) \((evt-[^)]+)\)$/);
          if (m) say(`Kadoa event ${m[2]}: ${m[1]}`);
        }
        if (++ticks % 15 === 0 && !stopping) {
          const count = await n8n.executionCount(WORKFLOW_ID);
          if (count !== lastCount && !stopping) say(`n8n has run "Kadoa price watch" ${count} time(s) so far`);
          lastCount = count;
        }
        if (n8n.exited && !stopping) {
          say(`n8n exited unexpectedly (${JSON.stringify(n8n.exited)}); last lines of its log:\n${n8n.logTail(30)}`);
          await stopAll(1);
        }
      } catch {
        /* a failed poll is not worth stopping the demo */
      }
    }, 1000);
    await new Promise(() => {}); // until a signal
  } catch (e) {
    process.stderr.write(`[demo] FAILED: ${e && e.stack ? e.stack : e}\n`);
    if (n8n && n8n.logPath && fs.existsSync(n8n.logPath)) process.stderr.write(`---- last lines of ${n8n.logPath} ----\n${n8n.logTail(40)}\n`);
    await sleep(10);
    await stopAll(1);
  }
}

main().catch((e) => {
  process.stderr.write(`[demo] FAILED: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
