'use strict';
// Measurement, not a test (issue 10: "choose the hold from measurements of n8n's start-up with
// many workflows"). Not named kadoa-*.js, so `run.sh kadoa` and CI do not pick it up; run it by
// hand (it takes minutes and asserts nothing about timings):
//
//   KADOA_E2E_TGZ=/x/n8n-nodes-kadoa-0.1.0.tgz KADOA_E2E_SIM=/x/build/test/simulator/cli.js \
//     N8N_E2E_VERSION=2.41.1 node test/e2e/measure-activation.js
//
// `node test/e2e/measure-activation.js --table FILE...` prints the tables of MEASURE_JSON files.
// Env: MEASURE_SIZES (default "1,20,100": N workflows), MEASURE_RESAVES (default 3),
// MEASURE_REPLAY ("all", the simulator's default: a subscribe with lastCursor replays every
// later event too, so a trigger that registers after the hold still gets its event from its
// cursor; "unacked": only unacknowledged events, so the hold alone keeps them),
// MEASURE_JSON (a file: one JSON line per run is appended), KADOA_E2E_TEAM_SIM (the simulator
// launcher with K workflows, build/bench/lib/team-sim.js by default, next to KADOA_E2E_SIM),
// N8N_E2E_KEEP=1 (keep n8n's folder and log). A TMPDIR of its own keeps the temp folders out of
// reach of other runs' clean-ups; `taskset -c 0 node ...` measures n8n on one CPU.
// DEFAULT_HOLD_S below must follow DEFAULT_HOLD_MS (it only labels the "after the hold" count).
//
// Per N: one simulator with N Kadoa workflows (bench/lib/team-sim.ts, BENCH_SIM_WORKFLOWS=N:
// `GET /v4/workflows` lists them, so each trigger's activation check finds its own), one n8n,
// one Kadoa credential, N workflows each holding one Kadoa Trigger on its own Kadoa workflow
// (product defaults: acknowledge when emitted, Hold Unclaimed Events 60 s). Set-up: start n8n,
// activate all N through the public API, publish one event per Kadoa workflow so that every
// trigger has run once and stored a cursor (as in production), stop. Then two measured starts
// in the same folder, which are what the hold has to cover (n8n restarting with N active
// workflows; on 2.x activation mode "init", the start-up hold is on):
//   quiet   nothing happened while n8n was down
//   events  one event per Kadoa workflow published while n8n was down (the case the hold is
//           for: each event waits at Kadoa for its trigger); each must then run once, in its own
//           workflow (checked from the trigger's "emitted" debug lines)
// and after the "events" start, MEASURE_RESAVES re-saves of one workflow through the public API
// (PUT /workflows/:id, the editor's Save) with one trigger parameter changed (on 2.x only a
// changed trigger is restarted), timed from the trigger's close to its join.
//
// Times come from n8n's own log (N8N_LOG_FORMAT=json: every line carries its timestamp; the
// trigger's lines carry the n8n workflow id) and from the simulator's records, all on this
// machine's clock. Per start: t0 = `n8n start` spawned;
//   ready      readiness + REST answering (N8nInstance.start)
//   first      the first trigger registered ("Kadoa realtime connected and subscribed": the first
//              trigger opens the shared connection, the start-up hold runs from its join, which
//              comes a token exchange and a handshake earlier; a second trigger's join line may
//              come before it, and then counts as first)
//   last       the last trigger registered ("Kadoa: joined the team connection ...")
//   span       last - first: what the start-up hold must cover
//   n8n begins n8n starts activating (2.x "Started processing workflow publication outbox
//              record" of the first workflow, 1.x "Start Active Workflows:")
//   n8n done   n8n's own last activation line (2.x "Finished processing workflow publication
//              outbox record", 1.x "Activated workflow")
//   longest gap   the longest time between two consecutive registrations
//   one activation  n8n's time per workflow (2.x: outbox record started → finished, five at a
//              time; 1.x: one after another, previous "Activated workflow" line → this one's)
//   replacements  "opening a replacement connection" lines in n8n's log during the start

const fs = require('fs');
const os = require('os');
const path = require('path');
const { installN8n, N8nInstance, makeId } = require('./n8n-instance');
const { startSimulator } = require('./sim-process');
const { printFailureLog, runScenario, waitUntil } = require('./util');

const NAME = 'measure-activation';
const NODE_TYPE = 'n8n-nodes-kadoa.kadoaTrigger';
const NODE_ID = 'kad0a000-0000-4000-8000-00000000m001';
const DEFAULT_HOLD_S = 60; // nodes/KadoaTrigger/delivery/team-connection.ts DEFAULT_HOLD_MS

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${NAME}] ${msg}`);
const sec = (ms) => (ms === undefined || ms === null || Number.isNaN(ms) ? '–' : (ms / 1000).toFixed(2));
const secs = (s) => (typeof s === 'number' ? s.toFixed(2) : '–');

/** The Kadoa workflow ids team-sim.ts lists for K workflows (its teamWorkflows()). */
function kadoaWorkflowId(i) {
  return `be7c4000${i.toString(16).padStart(16, '0')}`;
}

/** One Kadoa Trigger on one Kadoa workflow, nothing else (product defaults otherwise). */
function workflow({ id, name, credential, kadoaId }) {
  return {
    id,
    name,
    nodes: [
      {
        id: NODE_ID,
        name: 'Kadoa Trigger',
        type: NODE_TYPE,
        typeVersion: 1,
        position: [0, 0],
        parameters: { events: ['workflow_data_change'], workflowIds: [kadoaId], options: {} },
        credentials: { kadoaApi: { id: credential.id, name: credential.name } },
      },
    ],
    connections: {},
    settings: { executionOrder: 'v1' },
  };
}

/** n8n's JSON log lines after byte offset `from` → [{ at, level, message, meta }]. */
function logEntries(n8n, from) {
  const text = fs.readFileSync(n8n.logPath).subarray(from).toString('utf8');
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let j;
    try {
      j = JSON.parse(line);
    } catch {
      continue;
    }
    const meta = j.metadata && typeof j.metadata === 'object' ? j.metadata : j;
    const ts = j.timestamp || meta.timestamp;
    const at = ts ? Date.parse(ts) : NaN;
    if (Number.isNaN(at)) continue;
    out.push({ at, level: j.level, message: String(j.message || ''), meta });
  }
  return out;
}

const isJoin = (e) => e.message.startsWith('Kadoa: joined the team connection');
const isFirstConnect = (e) => e.message.startsWith('Kadoa realtime connected and subscribed');
const isReplacement = (e) => e.message.includes('opening a replacement connection');
const isClosed = (e) => e.message.startsWith('Kadoa realtime subscription closed');
const emittedId = (e) => {
  const m = /^Kadoa: event (\S+) \(.*\) emitted with/.exec(e.message);
  return m ? m[1] : undefined;
};
/** n8n's own "this workflow's activation is done" line → workflow id. */
function n8nActivated(e) {
  if (e.message === 'Finished processing workflow publication outbox record') return e.meta.workflowId;
  const m = /^Activated workflow .*\(ID: ([^)]+)\)/.exec(e.message);
  return m ? m[1] : undefined;
}

/** When each trigger (n8n workflow id) registered with the shared connection during this start. */
function registrations(entries) {
  const at = new Map();
  for (const e of entries) {
    const wf = e.meta.workflowId;
    if (!wf || at.has(wf)) continue;
    if (isJoin(e) || isFirstConnect(e)) at.set(wf, e.at);
  }
  return at;
}

/**
 * How long n8n took per workflow activation (2.x: outbox record started → finished; 1.x: the
 * previous workflow's "Activated workflow" line → this one's, activations being one after
 * another there): median and longest, in seconds.
 */
function activationTimes(entries, kadoaOf) {
  const started = new Map();
  const took = [];
  let previous;
  for (const e of entries) {
    const wf = e.meta.workflowId;
    if (e.message === 'Started processing workflow publication outbox record' && kadoaOf.has(wf)) started.set(wf, e.at);
    else if (e.message === 'Start Active Workflows:') previous = e.at;
    const done = n8nActivated(e);
    if (!done || !kadoaOf.has(done)) continue;
    if (started.has(done)) took.push(e.at - started.get(done));
    else if (previous !== undefined) took.push(e.at - previous);
    previous = e.at;
  }
  took.sort((a, b) => a - b);
  if (took.length === 0) return { activationP50S: null, activationMaxS: null };
  return { activationP50S: took[Math.floor((took.length - 1) / 2)] / 1000, activationMaxS: took[took.length - 1] / 1000 };
}

/**
 * The figures of one start from n8n's log entries of that start (`t0`: `n8n start` spawned;
 * `kadoaOf`: the measured n8n workflow ids). Times in seconds from t0.
 */
function startFigures(entries, kadoaOf, t0) {
  const regTimes = [...registrations(entries).values()].sort((a, b) => a - b);
  const begins = entries.filter((e) => e.message === 'Start Active Workflows:' || (e.message === 'Started processing workflow publication outbox record' && kadoaOf.has(e.meta.workflowId)));
  const done = entries.filter((e) => n8nActivated(e) && kadoaOf.has(n8nActivated(e))).map((e) => e.at);
  const first = regTimes[0];
  const last = regTimes[regTimes.length - 1];
  return {
    registered: regTimes.length,
    n8nBeginS: begins.length ? (begins[0].at - t0) / 1000 : null,
    firstS: regTimes.length ? (first - t0) / 1000 : null,
    lastS: regTimes.length ? (last - t0) / 1000 : null,
    spanS: regTimes.length ? (last - first) / 1000 : null,
    // the longest wait between two registrations: what a start-up window that each start-up
    // registration extended would have to cover, instead of the whole span
    maxGapS: regTimes.length > 1 ? Math.max(...regTimes.slice(1).map((x, i) => x - regTimes[i])) / 1000 : null,
    ...activationTimes(entries, kadoaOf),
    n8nDoneS: done.length ? (Math.max(...done) - t0) / 1000 : null,
    replacements: entries.filter(isReplacement).length,
    // how n8n 2.x brought them back (the reconciler's reason; at start-up the mode is "init")
    n8nRepublish: [...new Set(entries.filter((e) => /^Re-(publishing|enqueuing)/.test(e.message)).map((e) => e.message))],
  };
}

async function measureSize({ nodeBin, n8nDir, version }, n, { tgz, teamSim, resaves, replay, results }) {
  const key = `kadoa-measure-${makeId()}`;
  const sim = await startSimulator({ cli: teamSim, apiKeys: [key], teamId: `team-measure-${n}`, env: { BENCH_SIM_WORKFLOWS: String(n), KADOA_SIM_REPLAY: replay } });
  const n8n = new N8nInstance({ nodeBin, n8nDir, name: `${NAME}-${n}`, logLevel: 'debug', env: { N8N_LOG_FORMAT: 'json' } });
  try {
    await n8n.init();
    log(`N = ${n}: n8n ${n8n.version} at ${n8n.baseUrl}, log ${n8n.logPath}`);
    await n8n.installPackage(tgz);
    const credential = { id: makeId(), name: 'Kadoa team', type: 'kadoaApi', data: { apiKey: key, apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl } };
    await n8n.importCredentials([credential]);
    const wfs = Array.from({ length: n }, (_, i) => workflow({ id: makeId(), name: `Measure ${i + 1}`, credential, kadoaId: kadoaWorkflowId(i) }));
    await n8n.importWorkflow(wfs);
    const kadoaOf = new Map(wfs.map((w, i) => [w.id, kadoaWorkflowId(i)]));

    // ---- set-up: activate all, let each trigger run once (a stored cursor each), stop
    const t = Date.now();
    await n8n.start();
    await n8n.createApiKey();
    for (const w of wfs) await n8n.client.activate(w.id);
    // 2.x publishes through its outbox; 1.x has activated by the time the call answers (and logs
    // no "Activated workflow" line for it, which waitForActivation reads on 1.x).
    if (n8n.major >= 2) for (const w of wfs) await n8n.waitForActivation(w.id, { timeoutMs: 120000 });
    log(`N = ${n}: set-up: n8n started and ${n} workflows activated through the public API in ${sec(Date.now() - t)} s`);
    for (let i = 0; i < n; i++) await sim.publish({ dataChange: { workflowId: kadoaWorkflowId(i), summary: `set-up ${i}` } });
    await sim.waitForState((s) => s.acks >= n && s.unacked === 0, { timeoutMs: 300000, intervalMs: 500, what: `the ${n} set-up events acknowledged` });
    await sleep(1000); // the last executions' static data saved
    await n8n.stop();

    for (const kind of ['quiet', 'events']) {
      await sim.resetRecords();
      const published = [];
      if (kind === 'events') {
        for (let i = 0; i < n; i++) published.push((await sim.publish({ dataChange: { workflowId: kadoaWorkflowId(i), summary: `down ${i}` } })).event.id);
      }
      const load = os.loadavg()[0];
      const mark = n8n.logMark();
      const t0 = Date.now();
      const started = await n8n.start({ timeoutMs: 300000 });
      const tReady = Date.now();
      let tAllAcked;
      // Every trigger registered (or 10 minutes).
      await waitUntil(() => registrations(logEntries(n8n, mark)).size >= n, { timeoutMs: 600000, intervalMs: 250, what: `${n} triggers registered` }).catch((e) => log(`N = ${n} ${kind}: ${e.message}`));
      if (kind === 'events') {
        // Acknowledgements wait for the start-up window (the hold after the last registration).
        await sim.waitForState((s) => s.unacked === 0, { timeoutMs: 240000, intervalMs: 500, what: 'every event published while n8n was down acknowledged' }).catch((e) => log(`N = ${n} ${kind}: ${e.message}`));
        tAllAcked = Date.now();
      }
      await sleep(4000); // the replacement asked for by the last joins (2 s after the last one at start-up) is logged by now
      const entries = logEntries(n8n, mark);
      const s = await sim.state();
      const row = {
        version,
        n,
        kind,
        replay,
        cpus: os.availableParallelism(), // the CPUs this process (and the n8n it spawns) may use: `taskset -c 0 node ...` makes it one
        load1: Number(load.toFixed(2)),
        readyS: (tReady - t0) / 1000,
        readinessS: started.readyMs / 1000,
        firstSubscribeS: s.subscribes.length ? (s.subscribes[0].at - t0) / 1000 : null,
        ...startFigures(entries, kadoaOf, t0),
        connections: s.connections,
        tokenRequests: s.tokenRequestsOk,
        subscribes: s.subscribes.length,
        openSockets: s.openSockets,
      };
      if (kind === 'events') {
        // Each event published while n8n was down ran once, in its own workflow.
        const emits = new Map(); // event id → [n8n workflow id]
        for (const e of entries) {
          const id = emittedId(e);
          if (id) emits.set(id, [...(emits.get(id) || []), e.meta.workflowId]);
        }
        const byKadoa = new Map(wfs.map((w, i) => [kadoaWorkflowId(i), w.id]));
        const events = published;
        let once = 0;
        const wrong = [];
        for (let i = 0; i < events.length; i++) {
          const where = emits.get(events[i]) || [];
          if (where.length === 1 && where[0] === byKadoa.get(kadoaWorkflowId(i))) once++;
          else wrong.push(`${events[i]} → ${JSON.stringify(where)}`);
        }
        row.eventsRanOnce = `${once}/${events.length}`;
        // Triggers that registered more than the hold after the first subscribe: their events
        // arrived with it, unclaimed, and were held only that long.
        if (s.subscribes.length) {
          const holdEnds = s.subscribes[0].at + DEFAULT_HOLD_S * 1000;
          row.registeredAfterHold = [...registrations(entries).values()].filter((at) => at > holdEnds).length;
        }
        row.unacked = s.unacked;
        row.allAckedS = tAllAcked === undefined ? null : (tAllAcked - t0) / 1000; // polled every 0.5 s
        row.acks = s.acks; // ack requests; replays of acknowledged set-up events after a stored cursor are acknowledged again
        row.duplicateAcks = s.duplicateAcks;
        if (wrong.length) log(`N = ${n} events: not run exactly once in its own workflow: ${wrong.slice(0, 10).join('; ')}${wrong.length > 10 ? ' ...' : ''}`);
      }
      log(`N = ${n} ${kind}: ${JSON.stringify(row)}`);
      results.push(row);
      if (process.env.MEASURE_JSON) fs.appendFileSync(process.env.MEASURE_JSON, `${JSON.stringify(row)}\n`);

      if (kind === 'events' && resaves > 0) {
        // ---- re-saves of one workflow (the middle one) while the others stay active
        const target = wfs[Math.floor(n / 2)];
        for (let r = 0; r < resaves; r++) {
          await sleep(2000);
          const rmark = n8n.logMark();
          const tPut = Date.now();
          await n8n.client.updateWorkflow(target.id, (wf) => {
            const trigger = wf.nodes.find((node) => node.type === NODE_TYPE);
            trigger.parameters.options = { ...trigger.parameters.options, heartbeatTimeout: 31 + (r % 2) }; // a trigger parameter changed
            return wf;
          });
          const tAnswered = Date.now();
          const rejoined = await waitUntil(
            () => {
              const es = logEntries(n8n, rmark).filter((e) => e.meta.workflowId === target.id);
              const closed = es.find(isClosed);
              const joined = closed && es.find((e) => (isJoin(e) || isFirstConnect(e)) && e.at >= closed.at);
              return joined ? { closed, joined } : null;
            },
            { timeoutMs: 120000, intervalMs: 100, what: 're-saved trigger closed and joined again' },
          ).catch((e) => {
            log(`N = ${n} re-save ${r + 1}: ${e.message}`);
            return null;
          });
          await sleep(4000);
          const rentries = logEntries(n8n, rmark);
          const rs = {
            version,
            n,
            kind: `re-save ${r + 1}`,
            load1: Number(os.loadavg()[0].toFixed(2)),
            putS: (tAnswered - tPut) / 1000,
            closeToJoinS: rejoined ? (rejoined.joined.at - rejoined.closed.at) / 1000 : null,
            putToJoinS: rejoined ? (rejoined.joined.at - tPut) / 1000 : null,
            replacements: rentries.filter(isReplacement).length,
            otherTriggersClosed: rentries.filter((e) => isClosed(e) && e.meta.workflowId !== target.id).length,
          };
          log(`N = ${n} ${rs.kind}: ${JSON.stringify(rs)}`);
          results.push(rs);
          if (process.env.MEASURE_JSON) fs.appendFileSync(process.env.MEASURE_JSON, `${JSON.stringify(rs)}\n`);
        }
      }
      await n8n.stop();
    }
  } catch (e) {
    printFailureLog(n8n, 40);
    throw e;
  } finally {
    await n8n.dispose();
    await sim.stop();
  }
}

function printTable(results) {
  console.log('\n| n8n | N | start | replay | CPUs | load (1 min) | ready | n8n begins | first trigger | last trigger | span first→last | longest gap | one activation (median / max) | n8n done | first subscribe | replacements | connections / tokens / subscribes | events run once | all acknowledged |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results.filter((x) => x.kind === 'quiet' || x.kind === 'events')) {
    console.log(
      `| ${r.version} | ${r.n} | ${r.kind} | ${r.replay || 'all'} | ${r.cpus || ''} | ${r.load1} | ${secs(r.readyS)} s | ${secs(r.n8nBeginS)} s | ${secs(r.firstS)} s | ${secs(r.lastS)} s | **${secs(r.spanS)} s** | ${secs(r.maxGapS)} s | ${secs(r.activationP50S)} / ${secs(r.activationMaxS)} s | ${secs(r.n8nDoneS)} s | ${secs(r.firstSubscribeS)} s | ${r.replacements} | ${r.connections} / ${r.tokenRequests} / ${r.subscribes} | ${r.eventsRanOnce || '–'} | ${r.allAckedS == null ? '–' : `${secs(r.allAckedS)} s`} |`,
    );
  }
  const resaves = results.filter((x) => x.kind.startsWith('re-save'));
  if (resaves.length) {
    console.log('\n| n8n | N | re-save | load (1 min) | PUT answered | close → join | PUT → join | replacements | other triggers closed |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of resaves) {
      console.log(`| ${r.version} | ${r.n} | ${r.kind} | ${r.load1} | ${secs(r.putS)} s | **${secs(r.closeToJoinS)} s** | ${secs(r.putToJoinS)} s | ${r.replacements} | ${r.otherTriggersClosed} |`);
    }
  }
  console.log(`\n(times from \`n8n start\`; the hold default is ${DEFAULT_HOLD_S} s)`);
}

async function main() {
  const tgz = process.env.KADOA_E2E_TGZ;
  if (!tgz || !fs.existsSync(tgz)) throw new Error('KADOA_E2E_TGZ must name the packed package (npm run build && npm pack)');
  const simCli = process.env.KADOA_E2E_SIM || path.resolve(__dirname, '../../build/test/simulator/cli.js');
  const teamSim = process.env.KADOA_E2E_TEAM_SIM || path.resolve(path.dirname(simCli), '../../bench/lib/team-sim.js');
  if (!fs.existsSync(teamSim)) throw new Error(`no simulator launcher with K workflows at ${teamSim} (npm run build:tools)`);
  const sizes = (process.env.MEASURE_SIZES || '1,20,100').split(',').map(Number).filter((x) => x > 0);
  const resaves = Number(process.env.MEASURE_RESAVES || 3);
  const replay = process.env.MEASURE_REPLAY === 'unacked' ? 'unacked' : 'all';
  const install = installN8n();
  const results = [];
  try {
    for (const n of sizes) await measureSize(install, n, { tgz, teamSim, resaves, replay, results });
  } finally {
    printTable(results);
  }
}

if (require.main === module && process.argv[2] === '--table') {
  // The tables again from MEASURE_JSON files: node test/e2e/measure-activation.js --table FILE...
  printTable(process.argv.slice(3).flatMap((file) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))));
} else {
  runScenario(NAME, module, main);
}

module.exports = { main, workflow, logEntries, startFigures, printTable };
