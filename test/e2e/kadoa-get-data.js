'use strict';
// The shipped example workflow test/demo/kadoa-get-data.json (Kadoa Trigger → Kadoa "Data: Get"
// of the changed workflow → a no-op to replace) in a real n8n (issue 12's proof). The test
// changes only what a user would: the credential (pointing at the simulator, through the
// recording proxy) and the last node, swapped for an HTTP Request to a sink that posts one
// request per row: { executionId, eventId, changedWorkflowId (via the Kadoa Trigger's paired
// item), row }.
//
// Asserts:
//  1. the example, activated through n8n's public API, subscribes; the trigger read Kadoa's notification settings (the
//     simulator's default preset sends workflow_data_change to the WebSocket channel) and logged
//     no notification-settings warning.
//  2. two data changes, for two Kadoa workflows (B: 130 rows, more than one page of Return All;
//     C: 3 rows): each runs the workflow once (one successful execution per event); the sink gets
//     every row of the changed workflow's data, with its values, in order, once, from the
//     execution of that event; the node read B's data in two pages and C's in one; each event is
//     acknowledged exactly once.
//  3. (the onboarding check) with the simulator's notification preset 'unsubscribed', activating
//     a second copy of the example through n8n's public API fails with "Kadoa does not send the
//     chosen events to n8n" (1.x: the API answer; 2.x: the publication status), n8n keeps running.
//  4. SIGTERM leaves no process; no API key or access token in n8n's log or folder.
// Failed checks are collected (util.js Checks) and reported together.
// Needs KADOA_E2E_TGZ and a built simulator (test/e2e/run.sh kadoa-get-data does both).

const fs = require('fs');
const path = require('path');
const { makeId } = require('./n8n-instance');
const { checkNoSecrets, kadoaScenario, secretsOf } = require('./scenario');
const { startSimulator } = require('./sim-process');
const { startSink, sinkNode } = require('./sink');
const { startTapProxy } = require('./tap-proxy');
const { Checks, runScenario } = require('./util');

const NAME = 'kadoa-get-data';
const EXAMPLE = path.resolve(__dirname, '../demo/kadoa-get-data.json');
const REPLACED_NODE = 'Use the rows';
// The simulator's sample workflows (fixtures.ts DEMO_WORKFLOWS); the first is the default of a
// published change, so the events here name the others: the node must follow the event's id.
const KADOA_B = '6650a1f2c3d4e5f60718293b';
const KADOA_C = '6650a1f2c3d4e5f60718293c';
const GAP_WORDS = /Kadoa will not send|could not read the notification settings|Could not set up realtime delivery|does not send the chosen events/;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${NAME}] ${msg}`);

/** The example workflow with the credential set and its last node swapped for the sink (same name, id, place). */
function exampleWorkflow({ name, sinkUrl, credential }) {
  const wf = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const i = wf.nodes.findIndex((n) => n.name === REPLACED_NODE);
  if (i < 0) throw new Error(`${EXAMPLE} has no node "${REPLACED_NODE}" to replace`);
  const old = wf.nodes[i];
  const sink = sinkNode({
    id: old.id,
    sinkUrl,
    position: old.position,
    jsonBody:
      "={{ JSON.stringify({ executionId: $execution.id, eventId: $('Kadoa Trigger').item.json.eventId, changedWorkflowId: $('Kadoa Trigger').item.json.workflowId, row: $json }) }}",
  });
  wf.nodes[i] = { ...sink, name: old.name };
  for (const node of wf.nodes) if (node.credentials && node.credentials.kadoaApi) node.credentials.kadoaApi = { id: credential.id, name: credential.name };
  return { ...wf, name, active: false };
}

/** `n` rows with distinct values of several JSON types (nested, null, boolean). */
function rows(n, tag) {
  return Array.from({ length: n }, (_, k) => ({
    name: `${tag} item ${k + 1}`,
    price: Math.round((19.99 + k * 3.5) * 100) / 100,
    currency: k % 3 === 0 ? 'EUR' : 'USD',
    inStock: k % 2 === 0,
    note: k % 5 === 0 ? null : `note ${k}`,
    specs: { sku: `${tag}-${String(k).padStart(4, '0')}`, tags: [tag, `t${k % 4}`] },
  }));
}

async function main() {
  const c = new Checks(NAME);
  const key = `kadoa-e2e-getdata-${makeId()}`;
  await kadoaScenario(NAME, async ({ tgz, t, n8n, started, showOnFailure }) => {
    const sim = await t.phase('simulator', () => startSimulator({ apiKeys: [key], teamId: 'team-e2e-get-data' }));
    started.push(sim);
    showOnFailure('simulator', sim);
    const tap = await startTapProxy({ targetPort: sim.port });
    started.push(tap);
    const sink = await startSink();
    started.push(sink);
    await n8n.init();
    log(`n8n ${n8n.version} at ${n8n.baseUrl}, log ${n8n.logPath}`);
    await t.phase('installPackage', () => n8n.installPackage(tgz));
    // The CLI, not the public API: n8n 1.x's public API wants credential fields it adds itself.
    const credential = { id: makeId(), name: 'Kadoa account', type: 'kadoaApi', data: { apiKey: key, apiUrl: tap.apiUrl, realtimeUrl: tap.realtimeUrl } };
    await t.phase('import:credentials', () => n8n.importCredentials([credential]));

    // ------------------------------------------------------------------ 1. activation
    // The example goes in through n8n's public API once n8n runs (a CLI boot fewer) and is
    // activated there, as a person switches it on (mode "activate"): at n8n's start-up the
    // trigger would hold every acknowledgement for Hold Unclaimed Events (60 s by default,
    // README "The hold"), which the example keeps.
    await t.phase('n8n start → readiness', () => n8n.start());
    const [w1, w2] = await t.phase('2 workflows (public API)', async () => {
      const ids = [];
      for (const name of ['E2E Kadoa change → full data', 'E2E Kadoa change → full data (activated while unsubscribed)']) {
        const { nodes, connections, settings } = exampleWorkflow({ name, sinkUrl: sink.url, credential });
        ids.push((await n8n.api('POST', '/workflows', { name, nodes, connections, settings })).id);
      }
      return ids;
    });
    await t.phase('activate (public API) → active and subscribed', async () => {
      c.equal((await n8n.client.activate(w1)).active, true, 'activated through the public API');
      // 1.x activates within the request (and logs no "Activated workflow" for it); 2.x publishes after it.
      if (n8n.major >= 2) await n8n.waitForActivation(w1, { timeoutMs: 60000 });
      await sim.waitForState((s) => s.subscribes.length >= 1 && s.openSockets === 1, { timeoutMs: 30000, what: 'the trigger subscribed' });
    });
    const settingsRead = tap.requests.filter((r) => r.method === 'GET' && r.path === '/v5/notifications/settings');
    c.ok(settingsRead.some((r) => r.status === 200), `the trigger read Kadoa's notification settings at activation (${JSON.stringify(settingsRead)})`);

    // ------------------------------------------------------------------ 2. two data changes
    const events = [];
    for (const [kadoaId, tag, n] of [[KADOA_B, 'B', 130], [KADOA_C, 'C', 3]]) {
      const data = rows(n, tag);
      const { event } = await sim.publish({ dataChange: { workflowId: kadoaId, data, differences: [], summary: `e2e get-data ${tag}`, createdAt: new Date().toISOString() } });
      events.push({ id: event.id, kadoaId, tag, data });
    }
    const total = events.reduce((s, e) => s + e.data.length, 0);
    await t.phase(`events → ${total} rows at the sink`, () => sink.waitFor(total, { timeoutMs: 45000 }));
    const execs = await t.phase('executions finished', () => n8n.waitForExecutions(events.length, { workflowId: w1, timeoutMs: 30000 }));
    await sim.waitForState((s) => s.unacked === 0, { timeoutMs: 15000, what: 'both events acknowledged' }).catch((e) => c.ok(false, e.message));
    await sleep(1500); // a second run or a second ack would show by now

    c.equal(execs.map((e) => e.status), events.map(() => 'success'), 'one successful execution per event');
    c.equal((await n8n.listExecutions({ workflowId: w1 })).length, events.length, 'no further execution');
    c.equal(sink.count(), total, `the sink got ${total} rows in all`);
    const acks = tap.ackCounts();
    for (const ev of events) {
      const recs = sink.records.filter((r) => r.body && r.body.eventId === ev.id);
      c.equal(recs.map((r) => r.body.row), ev.data, `event ${ev.tag}: every row of Kadoa workflow ${ev.kadoaId}, with its values, in order, once`);
      c.ok(recs.every((r) => r.body.changedWorkflowId === ev.kadoaId), `event ${ev.tag}: each row paired with its trigger item (changed workflow ${ev.kadoaId})`);
      c.equal([...new Set(recs.map((r) => r.body.executionId))].length, 1, `event ${ev.tag}: all rows from one execution`);
      const pages = tap.requests.filter((r) => r.method === 'GET' && r.path === `/v4/workflows/${ev.kadoaId}/data`);
      c.equal(pages.map((r) => r.status), ev.data.length > 100 ? [200, 200] : [200], `event ${ev.tag}: the node read ${ev.kadoaId}'s data page by page (100 rows a page)`);
      c.equal(acks.get(ev.id), 1, `event ${ev.tag}: acknowledged once`);
    }
    const unknown = sink.records.filter((r) => !events.some((ev) => r.body && r.body.eventId === ev.id));
    c.equal(unknown.length, 0, 'no row from anything but the two events');
    const st = await sim.state();
    c.equal({ acks: st.acks, duplicateAcks: st.duplicateAcks, failedAcks: st.failedAcks, unacked: st.unacked }, { acks: 2, duplicateAcks: 0, failedAcks: 0, unacked: 0 }, 'simulator: each event acknowledged once');
    log(`${events.map((ev) => `${ev.tag}: ${ev.data.length} rows`).join(', ')} reached the sink; acks ${st.acks}`);
    const gap = n8n.readLog().match(GAP_WORDS); // before the unsubscribed activation below
    c.ok(!gap, `no notification-settings warning in n8n's log while subscribed${gap ? ` (found "${gap[0]}")` : ''}`);

    // ------------------------------------------------------------------ 3. unsubscribed: activation fails
    await sim.control('POST', '/__sim/rest/notifications', { preset: 'unsubscribed' });
    // n8n 1.x answers the activation request with the trigger's error; 2.x accepts it (200) and
    // publishes through its outbox, whose publication status then reads failed with the error.
    const activation = await t.phase('activate while unsubscribed (public API)', async () => {
      const res = await n8n.request('POST', `/api/v1/workflows/${w2}/activate`, { headers: { 'x-n8n-api-key': n8n.apiKey } });
      if (res.status >= 400) return { http: res.status, error: res.text };
      const st2 = await n8n.waitForActivation(w2, { timeoutMs: 30000, allowFailure: true });
      return { http: res.status, status: st2.status, error: JSON.stringify(st2.triggers) };
    });
    log(`activated while unsubscribed → HTTP ${activation.http}${activation.status ? `, publication ${activation.status}` : ''}; error: ${activation.error.slice(0, 400)}`);
    c.ok(activation.http >= 400 || activation.status === 'failed', 'activating while Kadoa sends nothing to n8n fails');
    c.ok(/Kadoa does not send the chosen events to n8n/.test(activation.error), 'the error says Kadoa does not send the chosen events to n8n');
    c.equal(n8n.exited, null, 'n8n keeps running');
    c.equal((await sim.state()).openSockets, 1, 'the first workflow keeps its socket');

    // ------------------------------------------------------------------ 4. SIGTERM, secrets
    const stop = await t.phase('stop (SIGTERM)', () => n8n.stop());
    c.equal(stop.forced, false, 'n8n exited on SIGTERM');
    await sim.waitForState((s) => s.openSockets === 0, { timeoutMs: 5000, what: 'no socket after SIGTERM' }).catch((e) => c.ok(false, e.message));
    c.equal(n8n.leftoverProcesses(), [], 'no process left');
    c.ok(tap.tokens.length >= 1, `access tokens recorded (${tap.tokens.length})`);
    checkNoSecrets(c, n8n, secretsOf(key, tap));
    c.done();
  });
}

runScenario(NAME, module, main);

module.exports = { exampleWorkflow, main };
