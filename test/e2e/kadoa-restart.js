'use strict';
// Delivery across a crash and a re-save in a real n8n (issue 11's proof):
//
//   WF   "finished"    Kadoa Trigger (acknowledge executionFinished) → HTTP Request → sink F
//   WS1  "succeeded"   Kadoa Trigger (acknowledge executionSucceeded, Retry Failed Events After
//                      600 s) → HTTP Request → sink S1, which answers 500 to the first attempt
//   WS2  "succeeded"   the same with Retry Failed Events After 5 s → sink S2, which answers 500
//                      until the workflow was saved with the fix
// Each has its own simulator process (own team channel) behind a recording proxy (acks with
// event ids and times).
//
//  (b1) executionSucceeded: an event's run fails; it stays unacknowledged. The workflow is then
//       saved again through the public API (PUT /workflows/:id) with a change to the trigger's
//       parameters, before any other event arrives; an active workflow is re-activated (n8n
//       removes and re-adds the trigger): the event runs again, succeeds, and is acknowledged
//       once, after that success (long before the 600 s retry).
//  (b2) the same, but the save changes only the downstream node, as a user fixing it would.
//       n8n 1.x re-adds every trigger on a save; n8n 2.x re-registers a trigger only when its
//       own name/type/version/credentials/parameters changed (workflows/publication/trigger-diff.js,
//       "0 to add, 0 to remove" in its debug log), so there the trigger must fetch the event
//       again by itself (Retry Failed Events After): it runs again after the fix, succeeds, and
//       is acknowledged once, after that success.
//  (a)  executionFinished: `kill -9` of n8n while an execution runs (sink F holds the request
//       open), then `n8n start` in the same folder. On n8n 1.x the event runs again and is then
//       acknowledged once. On n8n 2.x the node passes n8n a de-duplication key
//       (kadoa:<workflow>:<node>:<event id>) in this mode; n8n keeps the cut-off execution
//       (status crashed after its start-up recovery) and its unique deduplicationKey index
//       refuses a second execution with the same key (ExecutionPersistence: only a tombstone with
//       status "new" is reclaimed). So there the event does not run again: the scenario asserts
//       exactly that (the first execution is listed as crashed and carries the node's key, no
//       second execution, the event acknowledged once) and prints it. A second run is accepted
//       too (the issue's first choice), and reported.
// Then: SIGTERM; no event runs again after that restart; no key or token in n8n's log or folder.
// Checks that fail are collected and all reported at the end (util.js Checks).
// Needs KADOA_E2E_TGZ and a built simulator (test/e2e/run.sh kadoa-restart does both).

const assert = require('assert');
const { makeId } = require('./n8n-instance');
const { checkNoSecrets, kadoaScenario, secretsOf, triggerToSinkWorkflow } = require('./scenario');
const { startSimulator } = require('./sim-process');
const { startSink } = require('./sink');
const { startTapProxy } = require('./tap-proxy');
const { Checks, runScenario, waitUntil } = require('./util');

const NAME = 'kadoa-restart';
const TRIGGER_NODE_ID = 'kad0a000-0000-4000-8000-00000000b001';
const HOLD_S = 3; // Hold Unclaimed Events: acknowledgements at start-up wait this long (default 60 s)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${NAME}] ${msg}`);

function workflow({ id, name, sinkUrl, credential, acknowledge, options = {} }) {
  return triggerToSinkWorkflow({
    id,
    name,
    sinkUrl,
    credential,
    triggerNodeId: TRIGGER_NODE_ID,
    sinkNodeId: 'kad0a000-0000-4000-8000-00000000b002',
    parameters: { events: ['workflow_data_change'], acknowledge, output: 'event', options: { unclaimedHold: HOLD_S, ...options } },
  });
}

async function main() {
  const c = new Checks(NAME);
  await kadoaScenario(NAME, async ({ tgz, t, n8n, started, showOnFailure }) => {
    // One team (simulator + proxy + credential + sink) per workflow: acks cannot mix.
    const teams = {};
    for (const k of ['F', 'S1', 'S2']) {
      const key = `kadoa-e2e-restart-${k}-${makeId()}`;
      const sim = await startSimulator({ apiKeys: [key], teamId: `team-e2e-restart-${k}`, heartbeatMs: 1000 });
      started.push(sim);
      showOnFailure(`simulator ${k}`, sim);
      const tap = await startTapProxy({ targetPort: sim.port });
      const sink = await startSink();
      started.push(tap, sink);
      const credential = { id: makeId(), name: `Kadoa (${k})`, type: 'kadoaApi', data: { apiKey: key, apiUrl: tap.apiUrl, realtimeUrl: tap.realtimeUrl } };
      teams[k] = { key, sim, tap, sink, credential };
    }
    const { F, S1, S2 } = teams;
    // Sink F holds the request of the event marked `hold` open until release(): an execution
    // that is running when n8n is killed.
    const held = { id: null, release: null };
    F.sink.respondWith((rec) => {
      if (rec.body && rec.body.item && rec.body.item.eventId === held.id && !held.release) {
        return new Promise((resolve) => {
          held.release = () => resolve({ status: 200, body: { ok: true } });
        });
      }
      return { status: 200, body: { ok: true } };
    });
    // Sink S1 fails the first attempt of each event (a failing downstream node).
    S1.sink.respondWith((rec) => {
      const id = rec.body && rec.body.item && rec.body.item.eventId;
      const earlier = S1.sink.records.filter((r) => r !== rec && r.body && r.body.item && r.body.item.eventId === id).length;
      return earlier === 0 ? { status: 500, body: { error: 'e2e: first attempt fails' } } : { status: 200, body: { ok: true } };
    });
    // Sink S2 fails every attempt until the workflow was saved with the fix.
    const fix = { savedAt: null };
    S2.sink.respondWith(() => (fix.savedAt ? { status: 200, body: { ok: true } } : { status: 500, body: { error: 'e2e: broken until fixed' } }));

    await n8n.init();
    log(`n8n ${n8n.version} at ${n8n.baseUrl}, log ${n8n.logPath}`);
    await t.phase('installPackage', () => n8n.installPackage(tgz));
    await t.phase('import:credentials (3)', () => n8n.importCredentials([F.credential, S1.credential, S2.credential]));
    const [wfF, wfS1, wfS2] = await t.phase('import:workflow (3)', () =>
      n8n.importWorkflow([
        workflow({ id: makeId(), name: 'E2E restart: executionFinished', sinkUrl: F.sink.url, credential: F.credential, acknowledge: 'executionFinished' }),
        workflow({ id: makeId(), name: 'E2E restart: executionSucceeded, re-saved trigger', sinkUrl: S1.sink.url, credential: S1.credential, acknowledge: 'executionSucceeded', options: { retryDelay: 600 } }),
        workflow({ id: makeId(), name: 'E2E restart: executionSucceeded, fixed downstream node', sinkUrl: S2.sink.url, credential: S2.credential, acknowledge: 'executionSucceeded', options: { retryDelay: 5 } }),
      ]),
    );
    await t.phase('activate (3, CLI)', async () => {
      for (const id of [wfF, wfS1, wfS2]) await n8n.activateWorkflow(id);
    });

    const runs = (team, id) => team.sink.records.filter((r) => r.body && r.body.item && r.body.item.eventId === id);
    const acks = (team, id) => team.tap.acks.filter((a) => a.id === id && a.status === 200);
    const publish = async (team, label) => (await team.sim.publish({ dataChange: { summary: `e2e ${label}` } })).event;
    const triggerOf = (wf) => wf.nodes.find((n) => n.id === TRIGGER_NODE_ID);

    await t.phase('n8n start → readiness', () => n8n.start());
    await n8n.createApiKey();
    for (const id of [wfF, wfS1, wfS2]) c.equal((await n8n.waitForActivation(id, { timeoutMs: 60000, allowFailure: true })).status, 'published', `workflow ${id} active`);
    await Promise.all(Object.entries(teams).map(([k, team]) => team.sim.waitForState((st) => st.subscribes.length >= 1, { timeoutMs: 30000, what: `${k} subscribed` })));

    // A first event in WF runs normally (and gives WF a successful execution, so that n8n's
    // "too many crashed executions" auto-deactivation cannot be what happens below).
    const warmF = await publish(F, 'warm-up F');
    await t.phase('warm-up event runs and is acknowledged', () =>
      waitUntil(() => runs(F, warmF.id).some((r) => r.answeredAt) && acks(F, warmF.id).length === 1, { timeoutMs: 90000, what: 'warm-up event run and acknowledged' }),
    );

    // ------------------------------------------------------------------ (b1) failed run, then a re-save of the trigger
    const ev1 = await publish(S1, 'fails first (b1)');
    await t.phase('(b1) first run fails', () => waitUntil(() => runs(S1, ev1.id).some((r) => r.answeredAt), { timeoutMs: 60000, what: '(b1) first attempt' }));
    await n8n.waitForExecutions(1, { workflowId: wfS1, timeoutMs: 30000 });
    await sleep(2000);
    c.equal(acks(S1, ev1.id).length, 0, '(b1) the failed run leaves the event unacknowledged');
    c.equal(runs(S1, ev1.id).length, 1, '(b1) nothing runs it again before the re-save');
    c.equal((await n8n.listExecutions({ workflowId: wfS1 })).map((e) => e.status), ['error'], '(b1) n8n lists the failed execution');
    const resave1 = Date.now();
    await t.phase('(b1) re-save with a trigger change (public API PUT)', () =>
      n8n.client.updateWorkflow(wfS1, (wf) => {
        triggerOf(wf).parameters.options.heartbeatTimeout = 31; // any change to the trigger's parameters
        return wf;
      }),
    );
    await t.phase('(b1) re-save → runs again and acknowledged', () =>
      waitUntil(() => runs(S1, ev1.id).length >= 2 && acks(S1, ev1.id).length >= 1, { timeoutMs: 90000, what: '(b1) second run and ack after the re-save' }).catch((e) => c.ok(false, e.message)),
    );
    await sleep(2000);
    const second1 = runs(S1, ev1.id)[1];
    const ack1 = acks(S1, ev1.id);
    c.equal(runs(S1, ev1.id).length, 2, '(b1) after the re-save the event runs again, once');
    c.equal(ack1.length, 1, '(b1) acknowledged once');
    if (second1 && ack1[0]) {
      c.ok(ack1[0].at >= second1.answeredAt, '(b1) acknowledged after the successful run');
      log(`(b1) re-saved → ran again ${((second1.at - resave1) / 1000).toFixed(1)} s later → acknowledged ${((ack1[0].at - second1.answeredAt) / 1000).toFixed(1)} s after it succeeded`);
    }

    // ------------------------------------------------------------------ (b2) failed run, then the downstream node fixed
    const ev2 = await publish(S2, 'fails until fixed (b2)');
    await t.phase('(b2) first run fails', () => waitUntil(() => runs(S2, ev2.id).some((r) => r.answeredAt), { timeoutMs: 60000, what: '(b2) first attempt' }));
    c.equal(acks(S2, ev2.id).length, 0, '(b2) the failed run leaves the event unacknowledged');
    const mark2 = n8n.readLog().length;
    await t.phase('(b2) re-save with the downstream node changed (public API PUT)', () =>
      n8n.client.updateWorkflow(wfS2, (wf) => {
        wf.nodes.find((n) => n.name === 'Post to sink').parameters.options = { timeout: 20000 }; // the "fix"
        return wf;
      }),
    );
    fix.savedAt = Date.now();
    const failedBefore = runs(S2, ev2.id).length;
    await t.phase('(b2) after the fix → runs again and acknowledged', () =>
      waitUntil(() => runs(S2, ev2.id).some((r) => r.at >= fix.savedAt && r.answeredAt) && acks(S2, ev2.id).length >= 1, { timeoutMs: 120000, what: '(b2) a run after the fix, and its ack' }).catch((e) => c.ok(false, e.message)),
    );
    await sleep(2000);
    const after2 = runs(S2, ev2.id).filter((r) => r.at >= fix.savedAt);
    const ack2 = acks(S2, ev2.id);
    const diff2 = (n8n.readLog().slice(mark2).match(/Calculated trigger diff for workflow publication: (\d+) to add, (\d+) to remove[^\n]*/g) || []).filter((l) => l.includes(wfS2));
    log(`(b2) ${failedBefore} failed attempt(s) before the fix; n8n ${n8n.major >= 2 ? `on the save: ${diff2.map((l) => l.replace(/ \{.*$/, '')).join('; ') || '(no trigger diff line)'}` : '1.x re-adds every trigger on save'}`);
    c.equal(after2.length, 1, '(b2) after the fix the event runs again, once');
    c.equal(ack2.length, 1, '(b2) acknowledged once');
    if (after2[0] && ack2[0]) {
      c.ok(ack2[0].at >= after2[0].answeredAt, '(b2) acknowledged after the successful run');
      log(`(b2) fixed → ran again ${((after2[0].at - fix.savedAt) / 1000).toFixed(1)} s later → acknowledged ${((ack2[0].at - after2[0].answeredAt) / 1000).toFixed(1)} s after it succeeded`);
    }

    // ------------------------------------------------------------------ (a) kill -9 while an execution runs
    const evF = await publish(F, 'cut off by kill -9');
    held.id = evF.id;
    await t.phase('(a) execution running (sink holds it)', () => waitUntil(() => runs(F, evF.id).length === 1, { timeoutMs: 60000, what: '(a) the execution reached the sink' }));
    const killed = await t.phase('(a) kill -9 n8n', () => n8n.stop({ signal: 'SIGKILL' }));
    log(`(a) n8n killed (${killed.signal}); left behind and killed by pid: ${killed.leftovers.length} process(es)`);
    c.equal(acks(F, evF.id).length, 0, '(a) not acknowledged before the crash');
    if (held.release) held.release();
    for (const [k, team] of Object.entries(teams)) await team.sim.waitForState((st) => st.openSockets === 0, { timeoutMs: 10000, what: `${k}: socket gone with the killed n8n` });
    const restartAt = Date.now();
    const restartMark = n8n.readLog().length;
    await t.phase('(a) n8n start after kill -9', () => n8n.start());
    await t.phase('(a) after the restart: acknowledged', () =>
      waitUntil(() => acks(F, evF.id).length >= 1, { timeoutMs: 90000, what: '(a) the event acknowledged after the restart' }).catch((e) => c.ok(false, e.message)),
    );
    await sleep(3000); // a second run, if any, has reached the sink by now
    const runsF = runs(F, evF.id);
    const execs = await n8n.listExecutions({ workflowId: wfF });
    const first = execs.find((e) => String(e.id) === String(runsF[0] && runsF[0].body.executionId));
    log(`(a) executions of WF: ${JSON.stringify(execs.map((e) => ({ id: e.id, status: e.status })))}`);
    c.equal(acks(F, evF.id).length, 1, '(a) acknowledged once after the restart');
    if (runsF.length >= 2) {
      log(`(a) the cut-off event ran again ${((runsF[1].at - restartAt) / 1000).toFixed(1)} s after n8n was started again`);
      c.equal(runsF.length, 2, '(a) it ran again exactly once');
      c.ok(acks(F, evF.id)[0].at >= runsF[1].answeredAt, '(a) acknowledged after the second run finished');
    } else {
      // n8n prevented the second run. Only n8n 2.x may (its de-duplication key); say precisely what it did.
      c.ok(n8n.major >= 2, `(a) n8n ${n8n.version}: the cut-off event must run again (n8n 1.x has no de-duplication key)`);
      c.ok(first && first.status === 'crashed', `(a) n8n lists the cut-off execution as crashed (got ${first && first.status})`);
      // The list leaves the key out; the single execution carries it (2.x public API).
      const key = first ? (await n8n.api('GET', `/executions/${first.id}`)).deduplicationKey : undefined;
      c.ok(typeof key === 'string' && key.startsWith('kadoa:') && key.endsWith(`:${evF.id}`), `(a) that execution holds the node's de-duplication key for the event (got ${key})`);
      c.equal(execs.length, 2, '(a) no second execution of the event (WF: the warm-up and the cut-off one)');
      // n8n's own words: "[Recovery] ... amended execution", then at the emit
      // "Scheduled execution skipped: duplicate deduplication key" (trigger-execution-context.factory.js).
      const since = n8n.readLog().slice(restartMark);
      c.ok(/Scheduled execution skipped: duplicate deduplication key/.test(since) && since.includes(evF.id), '(a) n8n logged that it skipped the execution for its duplicate de-duplication key');
      log(`(a) n8n ${n8n.version} did NOT run the cut-off event again: execution ${first && first.id} is "${first && first.status}" and keeps deduplicationKey ${key};` +
        ' the unique index refuses a second execution with it, the trigger takes that answer as "n8n has it" and acknowledges. Retry it from the executions list.');
    }
    // The events that succeeded in (b1) and (b2) do not come back after the restart.
    await sleep(HOLD_S * 1000);
    c.equal(runs(S1, ev1.id).length, 2, '(b1) after the restart the succeeded event does not run a third time');
    c.equal(acks(S1, ev1.id).length, 1, '(b1) and is not acknowledged again');
    c.equal(runs(S2, ev2.id).filter((r) => r.at >= fix.savedAt).length, 1, '(b2) after the restart the succeeded event does not run again');
    c.equal(acks(S2, ev2.id).length, 1, '(b2) and is not acknowledged again');

    // ------------------------------------------------------------------ the end
    const stop = await t.phase('stop (SIGTERM)', () => n8n.stop());
    c.equal(stop.forced, false, 'n8n exited on SIGTERM');
    assert.deepStrictEqual(n8n.leftoverProcesses(), []);
    for (const [k, team] of Object.entries(teams)) {
      const st = await team.sim.waitForState((x) => x.openSockets === 0, { timeoutMs: 5000, what: `${k}: no socket after SIGTERM` });
      c.equal(st.duplicateAcks, 0, `${k}: no event acknowledged twice`);
      c.equal(st.unacked, 0, `${k}: every event acknowledged in the end`);
    }
    checkNoSecrets(c, n8n, Object.entries(teams).flatMap(([k, team]) => secretsOf(team.key, team.tap, `${k} `)));
    c.done();
  });
}

runScenario(NAME, module, main);

module.exports = { workflow, main };
