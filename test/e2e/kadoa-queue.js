'use strict';
// Kadoa queue-mode scenario: the packed n8n-nodes-kadoa in a real n8n 2.x in queue mode
// (EXECUTIONS_MODE=queue): one `n8n start` main and one `n8n worker` sharing the same
// N8N_USER_FOLDER (sqlite: n8n warns "Scaling mode is not officially supported with sqlite"; it
// works for one main + one worker, and the scenario fails on any SQLITE_BUSY / "database is
// locked" line), a throw-away Redis (Debian's redis-server, installed on first use, free
// 127.0.0.1 port, no persistence), n8n at debug log level.
//
//   W  Kadoa Trigger (acknowledge: executionFinished, Execution Timeout 45 s, Retry Failed Events
//      After 5 s, Hold Unclaimed Events 1 s) → HTTP Request → sink
//      The trigger reaches the simulator through tap-proxy.js (time and id of every ack, tokens).
//      The sink answers late (1.5 s; 4 s for the events a worker stop interrupts), and notes which
//      process sent each request (the sender's TCP port looked up in /proc).
//
// n8n's queue settings: QUEUE_WORKER_LOCK_DURATION 55 s (default 60 s), QUEUE_WORKER_LOCK_RENEW_TIME
// 5 s (10 s), QUEUE_WORKER_STALLED_INTERVAL 2 s (30 s): the same mechanism as the defaults, only
// short enough to watch n8n's own verdict on a killed worker's job within the run. The lock stays
// longer than the node's Execution Timeout, so the node's bound fires first. The Execution
// Timeout (45 s) is above a worker restart on a loaded 2-core machine (15-40 s measured): events
// queued while no worker runs must still have their outcome reported in time.
//
// Asserts, in order:
//  1. main only: the realtime socket (and every connection to Kadoa) belongs to the main's
//     process; the worker has none and logs no Kadoa line; one subscribe.
//  2. five events run once each ON THE WORKER: the sink's request came from the worker's process,
//     the main logs "Enqueued execution N" / "Execution N finished", the worker "Worker started /
//     finished execution N"; each is acknowledged exactly once and only after the sink answered
//     (executionFinished: the main's donePromise resolved after the worker finished).
//  3. worker SIGTERM while an execution runs: the worker pauses its queue, finishes the running
//     execution (acked after it finished) and exits 0; events emitted meanwhile wait as jobs in
//     Redis (their execution ids are in bull's wait list), are not acked, and run once each
//     after the worker is started again, acked after they finished.
//  4. worker SIGKILL while an execution runs: the killed job stays "active" in Redis under the
//     dead worker's lock, so the main's donePromise does not settle; the node gives up after its
//     Execution Timeout (warning in the log) and leaves the event unacknowledged so that it runs
//     again; after Retry Failed Events After it fetches it again on a replacement connection,
//     Kadoa redelivers it, and n8n refuses the second execution (the killed execution keeps the
//     node's de-duplication key: "Scheduled execution skipped: duplicate deduplication key"), so
//     the node acknowledges without a second run. n8n's own verdict comes later (Bull's stalled
//     check on the restarted worker; n8n sets maxStalledCount 0: execution marked error "job
//     stalled more than maxStalledCount", never re-run); the late outcome neither acknowledges
//     again nor runs the event again. An event emitted while no worker ran waits in Redis and
//     runs once after the restart, acked after it finished.
//  4b. no worker for longer than the Execution Timeout: an event's job waits in Redis; the node
//     gives up on its outcome and fetches it again after Retry Failed Events After; n8n enqueues
//     a second execution and deletes the waiting one (same de-duplication key, status "new":
//     execution-persistence.js reclaimTombstone); nothing is acknowledged meanwhile. Once a
//     worker is back the older job finds no execution ("Worker failed to find data"), the newer
//     one runs, once, and the event is acknowledged after it finished.
//  5. worker stops and starts never touch the trigger: one connection and one subscribe, plus one
//     replacement connection per retry the node logged ("fetching events left to run again"),
//     one token exchange each; every event acknowledged, none twice.
//  6. main SIGTERM leaves no socket at the simulator and no process; the worker stops cleanly.
//  7. neither the API key nor any access token appears in the main's or the worker's debug log,
//     anywhere under the n8n folder (logs, event logs, sqlite), or in Redis.
// Needs KADOA_E2E_TGZ and a built simulator (test/e2e/run.sh kadoa-queue does both); n8n 2.x only
// (run.sh runs it on 2.x only; on 1.x it prints SKIP).

const assert = require('assert');
const fs = require('fs');
const { installN8n, N8nInstance, makeId, processTree } = require('./n8n-instance');
const { startSink } = require('./sink');
const { startSimulator } = require('./sim-process');
const { startTapProxy } = require('./tap-proxy');
const { ensureRedisServer, startRedis } = require('./redis-process');
const { workflow } = require('./kadoa-delivery');
const { Timer, printFailureLog, runScenario, waitUntil } = require('./util');

const NAME = 'kadoa-queue';
const SINK_DELAY_MS = 1500;
const LONG_DELAY_MS = 4000;
const EXECUTION_TIMEOUT_S = 45;
const RETRY_DELAY_S = 5;
const LOCK_DURATION_MS = 55000;
const KADOA_WORKFLOW_ID = '6650a1f2c3d4e5f60718293a';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${NAME}] ${msg}`);


// ---------------------------------------------------------------- which process holds a socket (/proc)

/** Client-side TCP connections on this machine to 127.0.0.1:port: [{ localPort, inode }]. */
function connectionsTo(port) {
  const out = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '01') continue; // ESTABLISHED only
      const remPort = parseInt(f[2].split(':').pop(), 16);
      if (remPort !== port) continue;
      out.push({ localPort: parseInt(f[1].split(':').pop(), 16), inode: f[9] });
    }
  }
  return out;
}

/** pid → 'main' | 'worker' for every live process of the main's and the worker's trees. */
function processRoles(n8n) {
  const roles = new Map();
  if (n8n.pid && !n8n.exited) for (const p of processTree(n8n.pid)) roles.set(p.pid, 'main');
  if (n8n.workerPid) for (const p of processTree(n8n.workerPid)) roles.set(p.pid, 'worker');
  return roles;
}

/** The owners of the connections to port (optionally only the one from localPort): [{ localPort, pid, role }]. */
function connectionOwners(n8n, port, localPort) {
  const conns = connectionsTo(port).filter((c) => localPort === undefined || c.localPort === localPort);
  const roles = processRoles(n8n);
  const byInode = new Map(conns.map((c) => [`socket:[${c.inode}]`, { localPort: c.localPort, pid: null, role: 'other' }]));
  for (const [pid, role] of roles) {
    let fds = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const hit = byInode.get(target);
      if (hit && hit.pid === null) Object.assign(hit, { pid, role });
    }
  }
  return [...byInode.values()];
}

// ---------------------------------------------------------------- Redis (bull) inspection

/** Jobs of n8n's queue in a bull list ('wait' | 'active'): [{ jobId, executionId, lockTtlMs }]. */
function bullJobs(redis, list) {
  const ids = redis.cli('LRANGE', `bull:jobs:${list}`, 0, -1).split('\n').filter(Boolean);
  return ids.map((jobId) => {
    let executionId;
    try {
      executionId = JSON.parse(redis.cli('HGET', `bull:jobs:${jobId}`, 'data')).executionId;
    } catch {
      executionId = undefined;
    }
    return { jobId, executionId, lockTtlMs: Number(redis.cli('PTTL', `bull:jobs:${jobId}:lock`)) };
  });
}

/** Every string value in Redis (hashes, lists, strings, sets): to prove a secret is not there. */
function redisDump(redis) {
  const keys = redis.cli('KEYS', '*').split('\n').filter(Boolean);
  let all = '';
  for (const k of keys) {
    const type = redis.cli('TYPE', k);
    if (type === 'hash') all += redis.cli('HGETALL', k);
    else if (type === 'list') all += redis.cli('LRANGE', k, 0, -1);
    else if (type === 'string') all += redis.cli('GET', k);
    else if (type === 'set') all += redis.cli('SMEMBERS', k);
    else if (type === 'zset') all += redis.cli('ZRANGE', k, 0, -1);
    all += '\n';
  }
  return { keys: keys.length, text: all };
}

// ---------------------------------------------------------------- events

let changeSeq = 0;
async function publishChange(sim, label) {
  const n = ++changeSeq;
  const change = {
    id: `9ee0e${String(n).padStart(19, '0')}`,
    workflowId: KADOA_WORKFLOW_ID,
    url: `https://shop.example/queue?e2e=${label}`,
    createdAt: new Date(Date.UTC(2025, 0, 9, 10, 0, n)).toISOString(),
    data: [{ name: `Laptop #${n}`, price: 900 + n }],
    differences: [{ type: 'changed', fields: [{ key: 'price', value: 900 + n, previousValue: 950 + n }] }],
  };
  const publishedAt = Date.now();
  const { event } = await sim.publish({ dataChange: change });
  return { id: event.id, cursor: event.cursor, change, label, publishedAt };
}

function recordsOf(sink, ev) {
  return sink.records.filter((r) => r.body && r.body.item && r.body.item.eventId === ev.id);
}

async function waitDelivered(sink, tap, events, what, timeoutMs = 30000) {
  await waitUntil(
    () => {
      const acked = tap.ackCounts();
      return events.every((e) => recordsOf(sink, e).some((r) => r.answeredAt) && acked.get(e.id) >= 1);
    },
    { timeoutMs, what: `${what}: ${events.map((e) => e.label).join(', ')} run and acknowledged` },
  );
}

/** Ran once (one sink record), answered, acknowledged exactly once after the answer; returns the record. */
function assertOnceAckedAfter(sink, tap, ev, what) {
  const recs = recordsOf(sink, ev);
  assert.strictEqual(recs.length, 1, `${what}: event ${ev.label} ran ${recs.length} time(s)`);
  const [rec] = recs;
  const acks = tap.acks.filter((a) => a.id === ev.id && a.status === 200);
  assert.strictEqual(acks.length, 1, `${what}: event ${ev.label} acknowledged ${acks.length} time(s)`);
  assert.ok(rec.answeredAt, `${what}: the sink answered ${ev.label}`);
  assert.ok(acks[0].at > rec.answeredAt, `${what}: ${ev.label} acknowledged (${acks[0].at}) only after its execution finished (sink answered ${rec.answeredAt})`);
  assert.strictEqual(rec.body.item.changeId, ev.change.id, `${what}: ${ev.label} item carries its change`);
  return { rec, ack: acks[0] };
}

// ---------------------------------------------------------------- scenario

async function main() {
  const tgz = process.env.KADOA_E2E_TGZ;
  if (!tgz || !fs.existsSync(tgz)) throw new Error('KADOA_E2E_TGZ must name the packed package (test/e2e/run.sh kadoa-queue packs it)');
  const t = new Timer();
  const { nodeBin, n8nDir } = t.phaseSync('install n8n (install-n8n.sh)', () => installN8n());
  const probe = new N8nInstance({ nodeBin, n8nDir, name: NAME });
  if (probe.major < 2) {
    log(`SKIP: queue mode is tested on n8n 2.x only (this is ${probe.version})`);
    return;
  }
  const redisInstall = t.phaseSync('redis-server present (apt-get if missing)', () => ensureRedisServer());
  if (redisInstall.installed) log(`installed Debian's redis-server (${redisInstall.ms} ms)`);

  const apiKey = `kadoa-e2e-queue-${makeId()}`;
  const started = [];
  let n8n;
  let sim;
  let redis;
  let ok = false;
  try {
    redis = await t.phase('redis-server', () => startRedis());
    started.push(redis);
    log(`redis-server pid ${redis.pid} on 127.0.0.1:${redis.port} (no persistence)`);
    sim = await startSimulator({ apiKeys: [apiKey], teamId: 'team-e2e-queue', heartbeatMs: 1000 });
    started.push(sim);
    const tap = await startTapProxy({ targetPort: sim.port });
    started.push(tap);
    const sink = await startSink();
    started.push(sink);
    const longFor = new Set(); // event ids whose execution the sink holds for LONG_DELAY_MS
    sink.respondWith((rec) => {
      // The request is still open here: look up which process sent it.
      [rec.sender] = connectionOwners(n8n, sink.port, rec.remotePort);
      const id = rec.body && rec.body.item && rec.body.item.eventId;
      return { status: 200, body: { ok: true }, delayMs: longFor.has(id) ? LONG_DELAY_MS : SINK_DELAY_MS };
    });

    n8n = new N8nInstance({
      nodeBin,
      n8nDir,
      name: NAME,
      logLevel: process.env.N8N_E2E_LOG_LEVEL || 'debug',
      env: {
        EXECUTIONS_MODE: 'queue',
        QUEUE_BULL_REDIS_HOST: '127.0.0.1',
        QUEUE_BULL_REDIS_PORT: redis.port,
        QUEUE_WORKER_LOCK_DURATION: LOCK_DURATION_MS,
        QUEUE_WORKER_LOCK_RENEW_TIME: 5000,
        QUEUE_WORKER_STALLED_INTERVAL: 2000,
      },
    });
    await n8n.init();
    log(`n8n ${n8n.version} at ${n8n.baseUrl} (queue mode, log level ${n8n.logLevel}), logs ${n8n.logPath} and worker.log`);
    await t.phase('installPackage', () => n8n.installPackage(tgz));
    const cred = { id: makeId(), name: 'Kadoa queue', type: 'kadoaApi', data: { apiKey, apiUrl: tap.apiUrl, realtimeUrl: tap.realtimeUrl } };
    await t.phase('import:credentials', () => n8n.importCredentials([cred]));
    const wfId = await t.phase('import:workflow', () =>
      n8n.importWorkflow(
        workflow({
          id: makeId(),
          name: 'E2E queue: acknowledge when the execution finished',
          sinkUrl: sink.url,
          credential: cred,
          parameters: { acknowledge: 'executionFinished', options: { executionTimeout: EXECUTION_TIMEOUT_S, retryDelay: RETRY_DELAY_S, unclaimedHold: 1 } },
        }),
      ),
    );
    await t.phase('publish:workflow', () => n8n.activateWorkflow(wfId));

    // ---------------------------------------------------------------- 1. main only
    const startedAt = Date.now();
    const [mainStart, workerStart] = await t.phase('n8n start + n8n worker → ready', () => Promise.all([n8n.start(), n8n.startWorker()]));
    log(`main pid ${n8n.pid} ready in ${mainStart.ms} ms; worker pid ${n8n.workerPid} ready in ${workerStart.ms} ms`);
    assert.strictEqual((await n8n.waitForActivation(wfId, { timeoutMs: 30000 })).status, 'published');
    await t.phase('ready → subscribed', () => sim.waitForState((s) => s.subscribes.length === 1 && s.openSockets === 1, { timeoutMs: 30000, what: 'subscribe' }));
    t.note('n8n start → subscribed', Date.now() - startedAt);
    await sleep(1000); // a worker that wrongly ran the trigger too would have connected by now
    const kadoaConns = connectionOwners(n8n, tap.port);
    log(`connections to Kadoa (tap :${tap.port}): ${JSON.stringify(kadoaConns)}`);
    assert.ok(kadoaConns.length >= 1, 'the realtime socket is open');
    assert.ok(kadoaConns.every((c) => c.role === 'main'), `every connection to Kadoa belongs to the main: ${JSON.stringify(kadoaConns)}`);
    assert.ok(/Kadoa realtime connected and subscribed/.test(n8n.readLog()), 'the main logs the subscription');
    const kadoaWorkerLines = n8n.readWorkerLog().split('\n').filter((l) => /Kadoa realtime|Kadoa:|kadoa realtime/.test(l));
    assert.deepStrictEqual(kadoaWorkerLines, [], 'the worker runs no Kadoa trigger');
    assert.match(n8n.readWorkerLog(), /n8n worker is now ready/);
    const sqliteWarn = /Scaling mode is not officially supported with sqlite/.test(n8n.readLog() + n8n.readWorkerLog());
    log(`sqlite in queue mode: n8n warns "${sqliteWarn ? 'Scaling mode is not officially supported with sqlite' : '(no warning)'}"`);

    // ---------------------------------------------------------------- 2. events run on the worker
    const batch = [];
    for (let i = 1; i <= 5; i++) batch.push(await publishChange(sim, `q${i}`));
    await t.phase('5 events → run on the worker + acked', () => waitDelivered(sink, tap, batch, 'batch'));
    const mainLog = () => n8n.readLog();
    const workerLog = () => n8n.readWorkerLog();
    for (const e of batch) {
      const { rec, ack } = assertOnceAckedAfter(sink, tap, e, 'batch');
      const x = rec.body.executionId;
      assert.strictEqual(rec.body.workflowId, wfId);
      assert.ok(rec.sender && rec.sender.role === 'worker', `${e.label}: the HTTP Request node ran in the worker's process: ${JSON.stringify(rec.sender)}`);
      const job = (mainLog().match(new RegExp(`Enqueued execution ${x} \\(job (\\d+)\\)`)) || [])[1];
      assert.ok(job, `${e.label}: the main enqueued execution ${x}`);
      assert.ok(workerLog().includes(`Worker started execution ${x} (job ${job})`), `${e.label}: the worker started execution ${x}`);
      assert.ok(workerLog().includes(`Worker finished execution ${x} (job ${job})`), `${e.label}: the worker finished execution ${x}`);
      assert.ok(mainLog().includes(`Execution ${x} (job ${job}) finished`), `${e.label}: the main heard that execution ${x} finished`);
      log(`${e.label}: execution ${x} (job ${job}) ran in worker pid ${rec.sender.pid}; sink answered +${rec.answeredAt - rec.at} ms, acked +${ack.at - rec.at} ms after the request`);
    }
    assert.ok(!/Worker started execution/.test(mainLog()), 'the main runs no execution itself');
    const execs = await n8n.waitForExecutions(batch.length, { workflowId: wfId, timeoutMs: 15000 });
    assert.deepStrictEqual(execs.map((e) => e.status), batch.map(() => 'success'), 'n8n lists one successful execution per event');

    // ---------------------------------------------------------------- 3. worker SIGTERM mid-flight
    const e1 = await publishChange(sim, 'term-running');
    longFor.add(e1.id);
    await waitUntil(() => recordsOf(sink, e1).length === 1, { what: 'term-running at the sink' });
    const wMark = n8n.workerLogMark();
    const mMark = n8n.logMark();
    const tTerm = Date.now();
    const termStop = n8n.stopWorker(); // SIGTERM
    await n8n.waitForWorkerLog(/Paused all queues|Waiting for \d+ active executions to finish/, { from: wMark, timeoutMs: 10000 });
    const queuedT = [await publishChange(sim, 'term-queued1'), await publishChange(sim, 'term-queued2')];
    await waitUntil(() => (n8n.readLog().slice(mMark).match(/Enqueued execution \d+/g) || []).length >= 2, { what: 'the main enqueued the 2 events' });
    const term = await t.phase('worker SIGTERM → exit (running execution finishes)', () => termStop);
    const termExitAt = Date.now();
    log(`worker SIGTERM: exit ${term.code ?? term.signal} after ${term.ms} ms (graceful: drained the running execution)`);
    assert.strictEqual(term.code, 0, 'the worker exits 0 on SIGTERM');
    assert.strictEqual(term.forced, false);
    const { rec: r1, ack: a1 } = assertOnceAckedAfter(sink, tap, e1, 'SIGTERM (running)');
    assert.ok(r1.answeredAt <= termExitAt, 'the worker finished the running execution before it exited');
    log(`term-running: request +0, SIGTERM +${tTerm - r1.at} ms, answered +${r1.answeredAt - r1.at} ms, acked +${a1.at - r1.at} ms, worker gone by +${termExitAt - r1.at} ms`);
    for (const e of queuedT) {
      assert.strictEqual(recordsOf(sink, e).length, 0, `${e.label} did not run on the stopping worker`);
      assert.ok(!tap.ackCounts().get(e.id), `${e.label} not acknowledged while no worker runs`);
    }
    const waiting = bullJobs(redis, 'wait');
    const activeAfterTerm = bullJobs(redis, 'active');
    log(`Redis with no worker: wait ${JSON.stringify(waiting)}, active ${JSON.stringify(activeAfterTerm)}`);
    assert.strictEqual(waiting.length, 2, 'the 2 queued events wait as jobs in Redis');
    assert.strictEqual(activeAfterTerm.length, 0, 'no job is active after a graceful worker stop');
    assert.deepStrictEqual(n8n.workerLeftoverProcesses(), [], 'the worker left no process (task runner)');
    const restart1 = await t.phase('worker start (after SIGTERM)', () => n8n.startWorker());
    await t.phase('queued events run after the restart', () => waitDelivered(sink, tap, queuedT, 'after the worker restart', (EXECUTION_TIMEOUT_S + 15) * 1000));
    for (const e of queuedT) {
      const { rec, ack } = assertOnceAckedAfter(sink, tap, e, 'SIGTERM (queued)');
      assert.strictEqual(rec.sender && rec.sender.pid, restart1.pid, `${e.label} ran on the restarted worker`);
      assert.ok(waiting.some((j) => String(j.executionId) === String(rec.body.executionId)), `${e.label}: execution ${rec.body.executionId} is the job that waited in Redis`);
      log(`${e.label}: published +0, ran +${rec.at - e.publishedAt} ms (execution ${rec.body.executionId}, from Redis), acked +${ack.at - e.publishedAt} ms`);
    }

    // ---------------------------------------------------------------- 4. worker SIGKILL mid-flight
    const k1 = await publishChange(sim, 'kill-running');
    longFor.add(k1.id);
    await waitUntil(() => recordsOf(sink, k1).length === 1, { what: 'kill-running at the sink' });
    const k1Exec = String(recordsOf(sink, k1)[0].body.executionId);
    const kill = await n8n.stopWorker({ signal: 'SIGKILL' });
    const tKill = Date.now();
    log(`worker SIGKILL while execution ${k1Exec} ran: gone in ${kill.ms} ms (task runner left behind and killed by pid: ${kill.leftovers.length})`);
    const mMark2 = n8n.logMark();
    const k2 = await publishChange(sim, 'kill-queued');
    await waitUntil(() => /Enqueued execution \d+/.test(n8n.readLog().slice(mMark2)), { what: 'the main enqueued kill-queued' });
    const activeAfterKill = bullJobs(redis, 'active');
    const waitAfterKill = bullJobs(redis, 'wait');
    log(`Redis after SIGKILL: active ${JSON.stringify(activeAfterKill)}, wait ${JSON.stringify(waitAfterKill)}`);
    const k1Job = activeAfterKill.find((j) => String(j.executionId) === k1Exec);
    assert.ok(k1Job, `the killed execution ${k1Exec} stays an active job in Redis`);
    assert.ok(k1Job.lockTtlMs > 0, 'held by the dead worker\'s lock');
    assert.strictEqual(waitAfterKill.length, 1, 'the event emitted while no worker runs waits in Redis');
    const restart2 = await t.phase('worker start (after SIGKILL)', () => n8n.startWorker());
    await t.phase('queued event runs after the restart', () => waitDelivered(sink, tap, [k2], 'kill-queued'));
    {
      const { rec, ack } = assertOnceAckedAfter(sink, tap, k2, 'SIGKILL (queued)');
      assert.strictEqual(rec.sender && rec.sender.pid, restart2.pid, 'kill-queued ran on the restarted worker');
      log(`kill-queued: published +0, ran +${rec.at - k2.publishedAt} ms, acked +${ack.at - k2.publishedAt} ms`);
    }
    // The node's bound: no outcome within Execution Timeout → left unacknowledged to run again.
    const gaveUp = new RegExp(`no outcome for the execution of event ${k1.id} within ${EXECUTION_TIMEOUT_S} s; leaving it unacknowledged so that it runs again`);
    await t.phase('killed execution: node gives up after Execution Timeout', () => n8n.waitForLog(gaveUp, { timeoutMs: (EXECUTION_TIMEOUT_S + 15) * 1000 }));
    const gaveUpAt = Date.now();
    const stillActive = bullJobs(redis, 'active').some((j) => j.jobId === k1Job.jobId);
    const lockAtGiveUp = Number(redis.cli('PTTL', `bull:jobs:${k1Job.jobId}:lock`));
    assert.ok(stillActive, 'when the node gave up, n8n still had the killed job as active (no outcome to report)');
    assert.ok(!tap.ackCounts().get(k1.id), 'not acknowledged when the node gave up');
    const k1Ack = await t.phase('killed execution: fetched again, n8n refuses a second run, acknowledged', () =>
      waitUntil(() => tap.acks.find((a) => a.id === k1.id && a.status === 200), { timeoutMs: (RETRY_DELAY_S + 40) * 1000, what: 'kill-running acknowledged' }),
    );
    const k1Rec = recordsOf(sink, k1)[0];
    const k1AtAck = (await n8n.listExecutions({ workflowId: wfId })).find((e) => String(e.id) === k1Exec);
    log(`kill-running: request +0, SIGKILL +${tKill - k1Rec.at} ms, node gave up +${gaveUpAt - k1Rec.at} ms (job still active in Redis ${stillActive}, dead worker's lock ${lockAtGiveUp} ms left), ` +
      `acked +${k1Ack.at - k1Rec.at} ms (${k1Ack.at - k1.publishedAt} ms after publish); n8n's record then ${k1AtAck ? `"${k1AtAck.status}"` : '(not listed)'}`);
    assert.ok(k1Ack.at - k1.publishedAt >= EXECUTION_TIMEOUT_S * 1000 - 500, 'not acknowledged before the Execution Timeout');
    assert.match(n8n.readLog(), /Kadoa: fetching events left to run again/, 'the node fetched the event again');
    assert.ok(new RegExp(`Scheduled execution skipped: duplicate deduplication key[^\n]*${k1.id}`).test(n8n.readLog()), 'n8n refused a second execution of the killed one (its de-duplication key)');
    // n8n's own verdict: the restarted worker's stalled check finds the job once the dead worker's
    // lock expired, fails it (maxStalledCount 0), and the main resolves the donePromise with an error run.
    const k1Final = await t.phase('killed execution: n8n\'s own verdict (stalled job)', () =>
      waitUntil(
        async () => {
          const list = await n8n.listExecutions({ workflowId: wfId });
          const x = list.find((e) => String(e.id) === k1Exec);
          return x && x.stoppedAt && /job stalled more than maxStalledCount/.test(n8n.readLog()) ? x : null;
        },
        { timeoutMs: LOCK_DURATION_MS + 30000, intervalMs: 500, what: `n8n's verdict on execution ${k1Exec}` },
      ),
    );
    log(`kill-running: n8n marked execution ${k1Exec} "${k1Final.status}" ${Date.now() - tKill} ms after the SIGKILL ("job stalled more than maxStalledCount"; not re-queued)`);
    assert.ok(['error', 'crashed'].includes(k1Final.status), `the killed execution ends as error/crashed: ${k1Final.status}`);
    await sleep(1500); // a second ack or a re-run, if any, would be in by now
    assert.strictEqual(recordsOf(sink, k1).length, 1, 'the killed execution is not run again');
    assert.strictEqual(tap.ackCounts().get(k1.id), 1, 'the late outcome does not acknowledge again');

    // ---------------------------------------------------------------- 4b. a job waits in Redis past Execution Timeout
    const idleStop = await t.phase('worker SIGTERM (idle)', () => n8n.stopWorker());
    assert.strictEqual(idleStop.code, 0, 'the idle worker exits 0 on SIGTERM');
    const mMark3 = n8n.logMark();
    const enqueuedSince = () => [...n8n.readLog().slice(mMark3).matchAll(/Enqueued execution (\d+)/g)].map((m) => m[1]);
    const w1 = await publishChange(sim, 'long-queued');
    await waitUntil(() => enqueuedSince().length >= 1, { what: 'the main enqueued long-queued' });
    const [w1First] = enqueuedSince();
    const gaveUpW = new RegExp(`no outcome for the execution of event ${w1.id} within ${EXECUTION_TIMEOUT_S} s; leaving it unacknowledged so that it runs again`);
    await t.phase('long-queued: node gives up after Execution Timeout', () => n8n.waitForLog(gaveUpW, { timeoutMs: (EXECUTION_TIMEOUT_S + 15) * 1000 }));
    await t.phase('long-queued: fetched again, n8n enqueues its replacement', () =>
      waitUntil(() => enqueuedSince().length >= 2, { timeoutMs: (RETRY_DELAY_S + 30) * 1000, what: 'a second execution of long-queued enqueued' }),
    );
    const w1Second = enqueuedSince()[1];
    assert.ok(!tap.ackCounts().get(w1.id), 'long-queued: not acknowledged while its job waits in Redis');
    assert.ok(!/Scheduled execution skipped: duplicate deduplication key/.test(n8n.readLog().slice(mMark3)), 'long-queued: n8n does not refuse the retry of a waiting execution');
    const waitingLong = bullJobs(redis, 'wait').map((j) => String(j.executionId));
    log(`long-queued: executions ${w1First} then ${w1Second} enqueued with no worker; Redis wait ${JSON.stringify(waitingLong)}`);
    assert.ok([w1First, w1Second].every((x) => waitingLong.includes(x)), 'long-queued: both jobs wait in Redis');
    const restart3 = await t.phase('worker start (after a stop longer than Execution Timeout)', () => n8n.startWorker());
    await t.phase('long-queued runs after the restart, acknowledged after it finished', () =>
      waitDelivered(sink, tap, [w1], 'long-queued', (EXECUTION_TIMEOUT_S + 40) * 1000),
    );
    await sleep(3000); // a run of the older job, or a second ack, would be in by now
    {
      const { rec, ack } = assertOnceAckedAfter(sink, tap, w1, 'long-queued');
      assert.notStrictEqual(String(rec.body.executionId), w1First, 'long-queued: the older execution did not run (n8n replaced it: same de-duplication key, still "new")');
      assert.strictEqual(rec.sender && rec.sender.pid, restart3.pid, 'long-queued ran on the restarted worker');
      assert.ok(n8n.readWorkerLog().includes(`Worker failed to find data for execution ${w1First}`), `long-queued: the worker dropped the older job (execution ${w1First} was replaced)`);
      log(`long-queued: execution ${rec.body.executionId} ran +${rec.at - w1.publishedAt} ms after publish, acked +${ack.at - w1.publishedAt} ms; the older job (execution ${w1First}) found no execution`);
    }

    // ---------------------------------------------------------------- 5. totals
    const all = [...batch, e1, ...queuedT, k1, k2, w1];
    for (const e of all) {
      assert.strictEqual(recordsOf(sink, e).length, 1, `${e.label} ran once`);
      assert.strictEqual(tap.ackCounts().get(e.id), 1, `${e.label} acknowledged once`);
    }
    const st = await sim.state();
    const retries = (n8n.readLog().match(/Kadoa: fetching events left to run again/g) || []).length;
    log(`connections: ${st.connections} (1 + ${retries} replacement(s) for events left to run again), subscribes ${st.subscribes.length}, token exchanges ${st.tokenRequests}`);
    assert.deepStrictEqual(
      { events: st.events, unacked: st.unacked, duplicateAcks: st.duplicateAcks, connections: st.connections, subscribes: st.subscribes.length, tokenRequests: st.tokenRequests },
      { events: all.length, unacked: 0, duplicateAcks: 0, connections: 1 + retries, subscribes: 1 + retries, tokenRequests: 1 + retries },
      'worker stops and starts cost no reconnect: one connection, plus one per retry; every event acknowledged once',
    );
    const sqliteTrouble = (n8n.readLog() + n8n.readWorkerLog()).split('\n').filter((l) => /SQLITE_BUSY|database is locked/i.test(l));
    assert.deepStrictEqual(sqliteTrouble, [], 'sqlite shared by main and worker: no locking errors (else use PostgreSQL)');

    // ---------------------------------------------------------------- 6. main SIGTERM
    const tMainTerm = Date.now();
    const mainStopP = n8n.stop();
    await sim.waitForState((s) => s.openSockets === 0, { timeoutMs: 5000, what: 'no socket after the main\'s SIGTERM' });
    const socketGoneMs = Date.now() - tMainTerm;
    const mainStop = await t.phase('main SIGTERM → exit', () => mainStopP);
    log(`main SIGTERM: socket closed after ${socketGoneMs} ms, main exited ${mainStop.code ?? mainStop.signal} after ${mainStop.ms} ms`);
    assert.strictEqual(mainStop.forced, false, 'the main exits on SIGTERM');
    // n8n 2.41.1's main has once died of SIGSEGV in its own native shutdown (after the trigger had
    // closed its socket and n8n its executions), on a machine at load 9-12; it exits 0 otherwise.
    // That crash is n8n's, not this package's: what the node owes (socket closed, no process
    // left) is asserted below either way, and the crash is printed.
    if (mainStop.signal === 'SIGSEGV') log('WARNING: n8n main crashed with SIGSEGV during its own shutdown (after the Kadoa socket was closed)');
    else assert.strictEqual(mainStop.code, 0);
    assert.deepStrictEqual(connectionsTo(tap.port), [], 'no connection to Kadoa left');
    assert.deepStrictEqual(n8n.leftoverProcesses(), [], 'no main process left');
    const workerStop = await t.phase('worker SIGTERM → exit', () => n8n.stopWorker());
    assert.strictEqual(workerStop.code, 0);
    assert.deepStrictEqual(n8n.workerLeftoverProcesses(), [], 'no worker process left');

    // ---------------------------------------------------------------- 7. secrets
    const logs = { 'main log': n8n.readLog(), 'worker log': n8n.readWorkerLog() };
    const dump = redisDump(redis);
    assert.ok(/Kadoa/.test(logs['main log']) && /debug/.test(logs['main log']), 'the main log holds the node\'s debug lines');
    const secrets = [['API key', apiKey], ...tap.tokens.map((tk, i) => [`access token #${i + 1}`, tk])];
    assert.ok(tap.tokens.length >= 1, 'a token was recorded');
    for (const [what, secret] of secrets) {
      for (const [where, text] of Object.entries(logs)) assert.ok(!text.includes(secret), `${what} never appears in the ${where}`);
      assert.deepStrictEqual(n8n.findInFiles(secret), [], `${what} is nowhere on disk in clear (logs, event logs, database)`);
      assert.ok(!dump.text.includes(secret), `${what} is not in Redis`);
    }
    log(`checked the API key and ${tap.tokens.length} token(s) against ${((logs['main log'].length + logs['worker log'].length) / 1024).toFixed(0)} KB of main + worker debug log, the n8n folder and ${dump.keys} Redis keys`);
    ok = true;
  } catch (e) {
    if (n8n) {
      printFailureLog(n8n, 100);
      try {
        console.error(`---- last 60 lines of the worker log ----\n${n8n.readWorkerLog().split('\n').slice(-60).join('\n')}`);
      } catch {
        /* none */
      }
    }
    if (sim) console.error(`---- simulator log ----\n${sim.readLog().split('\n').slice(-25).join('\n')}`);
    throw e;
  } finally {
    const root = n8n && n8n.root;
    if (n8n) await n8n.dispose();
    for (const s of started.reverse()) await (s.close ? s.close() : s.stop());
    if (ok && root && !n8n.keep) assert.ok(!fs.existsSync(root), 'temp folder removed');
    t.print(`${NAME} (n8n ${probe.version})`);
  }
  log('PASS');
}

runScenario(NAME, module, main);

module.exports = { main };
