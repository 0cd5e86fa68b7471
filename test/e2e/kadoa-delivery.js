'use strict';
// Kadoa delivery scenario: the packed n8n-nodes-kadoa in a real n8n, four workflows, two n8n
// starts in the same user folder, n8n at debug log level.
//
//   W1 "finished"  Kadoa Trigger (acknowledge: executionFinished, heartbeatTimeout 2 s) → HTTP Request → sink 1
//   W2 "emitted"   Kadoa Trigger (acknowledge: emitted) → HTTP Request → sink 2   (the control group)
//   W3 "bad key"   Kadoa Trigger with an API key the simulator refuses
//   W4 "succeeded" Kadoa Trigger (acknowledge: executionSucceeded) → HTTP Request → sink 4, which
//                  fails (HTTP 500) the first attempt of each event
//
// W1 and W3 are active when n8n starts (activation mode init); W2 and W4 are activated through
// n8n's public API once it runs (mode activate).
// Each workflow has its own Kadoa simulator (its own team channel, so acks cannot mix). W1
// reaches its simulator through a recording proxy (tap-proxy.js) that notes every ack's time
// and event id and every access token; W2 connects directly. Both sinks answer 1.2 s late (a
// slow downstream node), so an execution lasts at least that long.
//
// Asserts, in order:
//  1. start-up: W1 and W2 subscribe to their team channel (no cursor yet); the node and
//     credential types are listed.
//  2. several events run W1 once each, with the right item fields (eventId, eventType, timestamp,
//     time, changeId, workflowId, url, createdAt, data, differences, summary, links); each is
//     acknowledged exactly once, and only after its execution finished (ack time > the sink's
//     answer time). W2's events were acknowledged before the sink answered (emitted mode): the
//     measurement tells the modes apart.
//  2b. executionSucceeded: W4's failed execution (n8n lists it as error) leaves the event
//     unacknowledged; after the reconnect (3.) it is delivered again, runs again, succeeds and is
//     acknowledged once; it does not run a third time after the restart.
//  3. dropAll: events published while the socket is gone run once after the reconnect, which
//     subscribes with lastCursor = the last settled event.
//  4. black hole (open TCP, no frames): the trigger gives up after its 2 s heartbeat timeout,
//     reconnects, and the events published meanwhile run once.
//  5. wrong key: W3's activation at start-up fails with the refused-key message (2.x publication
//     status, 1.x log); activating it again through the public API reports the same; n8n keeps
//     running.
//  6. deactivating W2 through n8n's public API closes its socket (simulator openSockets 0) while
//     W1 stays connected; n8n lists one successful execution per W1 event.
//  7. SIGTERM leaves no socket open at any simulator and no process behind.
//  8. events published while n8n is down; restart in the same folder: W1 resubscribes with the
//     stored cursor (a settled event's), the missed events run once, events replayed because
//     the stored cursor lags are acknowledged again; they never run again on n8n 2.x (the node's
//     de-duplication key), and at most once more on 1.x (README's duplicate window), W2 stays off.
//  9. SIGTERM again; neither API key nor any access token appears in n8n's debug log or
//     anywhere under its folder (log, event log, sqlite database).
// Needs KADOA_E2E_TGZ and a built simulator (test/e2e/run.sh kadoa does both).
// N8N_E2E_VERSION=1.123.81 runs it on n8n 1.x (Node 20).

const assert = require('assert');
const fs = require('fs');
const { installN8n, N8nInstance, makeId } = require('./n8n-instance');
const { startSink, sinkNode } = require('./sink');
const { startSimulator } = require('./sim-process');
const { startTapProxy } = require('./tap-proxy');
const { Timer, printFailureLog, runScenario, waitUntil } = require('./util');

const NAME = 'kadoa-delivery';
const PKG = 'n8n-nodes-kadoa';
const NODE_TYPE = `${PKG}.kadoaTrigger`;
const SINK_DELAY_MS = 1200;
const HEARTBEAT_TIMEOUT_S = 2;
// Hold Unclaimed Events: at n8n's start-up the trigger holds acknowledgements this long (default
// 60 s, so that triggers activated one after another lose nothing to each other; kadoa-multi.js
// tests that). Each workflow here has a team of its own: 1 s keeps the timing assertions as before.
const HOLD_S = 1;
const KADOA_WORKFLOW_ID = '6650a1f2c3d4e5f60718293a'; // the simulator's first sample workflow

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${NAME}] ${msg}`);


/** A workflow: Kadoa Trigger → HTTP Request POST {executionId, workflowId, item} → sink. */
function workflow({ id, name, sinkUrl, credential, parameters = {} }) {
  return {
    id,
    name,
    nodes: [
      {
        id: 'kad0a000-0000-4000-8000-000000000001',
        name: 'Kadoa Trigger',
        type: NODE_TYPE,
        typeVersion: 1,
        position: [0, 0],
        parameters: { events: ['workflow_data_change'], acknowledge: 'emitted', output: 'event', ...parameters },
        credentials: { kadoaApi: { id: credential.id, name: credential.name } },
      },
      sinkNode({
        id: 'kad0a000-0000-4000-8000-000000000002',
        sinkUrl,
        jsonBody: '={{ JSON.stringify({ executionId: $execution.id, workflowId: $workflow.id, item: $json }) }}',
      }),
    ],
    connections: { 'Kadoa Trigger': { main: [[{ node: 'Post to sink', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

/** Publishes one data change with known fields; returns { id, cursor, change, timestamp, label }. */
let changeSeq = 0;
async function publishChange(sim, label) {
  const n = ++changeSeq;
  const change = {
    id: `c0ffee${String(n).padStart(18, '0')}`,
    workflowId: KADOA_WORKFLOW_ID,
    url: `https://shop.example/laptops?e2e=${label}`,
    createdAt: new Date(Date.UTC(2025, 0, 8, 20, 20, n)).toISOString(),
    data: [
      { name: `ThinkPad X1 #${n}`, price: 1000 + n, currency: 'USD' },
      { name: `MacBook Air #${n}`, price: 1200 + n, currency: 'USD' },
    ],
    differences: [
      { type: 'changed', fields: [{ key: 'name', value: `ThinkPad X1 #${n}` }, { key: 'price', value: 1000 + n, previousValue: 1100 + n }] },
      { type: 'added', fields: [{ key: 'name', value: `MacBook Air #${n}` }, { key: 'price', value: 1200 + n }] },
    ],
    summary: `e2e ${label}: 1 price change, 1 new product.`,
  };
  const timestamp = 1736367600000 + n * 1000;
  const { event } = await sim.publish({ dataChange: { ...change, timestamp } });
  return { id: event.id, cursor: event.cursor, change, timestamp, label };
}

/** The item an event must produce in output mode `event`. */
function checkItem(item, ev) {
  const c = ev.change;
  assert.strictEqual(item.eventId, ev.id, 'eventId');
  assert.strictEqual(item.eventType, 'workflow_data_change', 'eventType');
  assert.strictEqual(item.timestamp, ev.timestamp, 'timestamp');
  assert.strictEqual(item.time, new Date(ev.timestamp).toISOString(), 'time');
  assert.strictEqual(item.changeId, c.id, 'changeId');
  assert.strictEqual(item.workflowId, c.workflowId, 'workflowId');
  assert.strictEqual(item.url, c.url, 'url');
  assert.strictEqual(item.createdAt, c.createdAt, 'createdAt');
  assert.deepStrictEqual(item.data, c.data, 'data (the snapshot rows)');
  assert.deepStrictEqual(item.differences, c.differences, 'differences');
  assert.strictEqual(item.summary, c.summary, 'summary');
  assert.deepStrictEqual(item.links, {
    change: `https://www.kadoa.com/data-diff/${c.id}`,
    workflow: `https://www.kadoa.com/workflow/${c.workflowId}`,
  }, 'links');
}

/** Sink records per event id. */
function byEvent(sink) {
  const m = new Map();
  for (const r of sink.records) {
    const id = r.body && r.body.item && r.body.item.eventId;
    if (!m.has(id)) m.set(id, []);
    m.get(id).push(r);
  }
  return m;
}

/** Waits until every event has reached the sink (answered) and been acknowledged through the tap. */
async function waitDelivered(sink, tap, events, what, timeoutMs = 30000) {
  await waitUntil(
    () => {
      const seen = byEvent(sink);
      const acked = tap.ackCounts();
      return events.every((e) => (seen.get(e.id) || []).some((r) => r.answeredAt) && acked.get(e.id) >= 1);
    },
    { timeoutMs, what: `${what}: ${events.map((e) => e.id).join(', ')} run and acknowledged` },
  );
}

/** Every event ran exactly once (one sink record) and was acknowledged exactly once. */
function assertExactlyOnce(sink, tap, events, what) {
  const seen = byEvent(sink);
  const acked = tap.ackCounts();
  for (const e of events) {
    assert.strictEqual((seen.get(e.id) || []).length, 1, `${what}: event ${e.id} (${e.label}) ran ${(seen.get(e.id) || []).length} time(s)`);
    assert.strictEqual(acked.get(e.id), 1, `${what}: event ${e.id} (${e.label}) acknowledged ${acked.get(e.id) || 0} time(s)`);
  }
  const unknown = [...seen.keys()].filter((id) => !events.some((e) => e.id === id));
  assert.deepStrictEqual(unknown, [], `${what}: no execution for an event that was not published`);
}

async function main() {
  const tgz = process.env.KADOA_E2E_TGZ;
  if (!tgz || !fs.existsSync(tgz)) throw new Error('KADOA_E2E_TGZ must name the packed package (test/e2e/run.sh kadoa packs it)');
  const t = new Timer();
  const { nodeBin, n8nDir } = t.phaseSync('install n8n (install-n8n.sh)', () => installN8n());

  const key1 = `kadoa-e2e-key1-${makeId()}`;
  const key2 = `kadoa-e2e-key2-${makeId()}`;
  const key3Good = `kadoa-e2e-key3-${makeId()}`;
  const key3Bad = `kadoa-e2e-wrong-${makeId()}`;
  const key4 = `kadoa-e2e-key4-${makeId()}`;
  const started = [];
  const n8n = new N8nInstance({ nodeBin, n8nDir, name: NAME, logLevel: process.env.N8N_E2E_LOG_LEVEL || 'debug' });
  let sim1;
  let sim2;
  let sim3;
  let sim4;
  let ok = false;
  try {
    [sim1, sim2, sim3, sim4] = await t.phase('4 simulators', () =>
      Promise.all([
        // Heartbeats every 500 ms: W1's 2 s heartbeat timeout must only fire on the black hole.
        startSimulator({ apiKeys: [key1], teamId: 'team-e2e-finished', heartbeatMs: 500 }),
        startSimulator({ apiKeys: [key2], teamId: 'team-e2e-emitted', heartbeatMs: 500 }),
        startSimulator({ apiKeys: [key3Good], teamId: 'team-e2e-badkey' }),
        startSimulator({ apiKeys: [key4], teamId: 'team-e2e-succeeded', heartbeatMs: 500 }),
      ]),
    );
    started.push(sim1, sim2, sim3, sim4);
    const tap1 = await startTapProxy({ targetPort: sim1.port });
    started.push(tap1);
    const sink1 = await startSink();
    const sink2 = await startSink();
    const sink4 = await startSink();
    started.push(sink1, sink2, sink4);
    // W4's downstream node fails (HTTP 500) the first time it sees an event, and works after.
    sink4.respondWith((rec) => {
      const id = rec.body && rec.body.item && rec.body.item.eventId;
      const earlier = sink4.records.filter((r) => r !== rec && r.body && r.body.item && r.body.item.eventId === id).length;
      return earlier === 0 ? { status: 500, body: { error: 'e2e: first attempt fails' } } : { status: 200, body: { ok: true } };
    });
    sink1.respondWith(() => ({ status: 200, body: { ok: true }, delayMs: SINK_DELAY_MS }));
    // W2 talks to its simulator directly (no proxy): the sink notes how many events the simulator
    // had seen acknowledged when it answered.
    sink2.respondWith(async (rec) => {
      await sleep(SINK_DELAY_MS);
      rec.ackedIdsAtAnswer = (await sim2.state()).ackedIds;
      return { status: 200, body: { ok: true } };
    });

    await n8n.init();
    log(`n8n ${n8n.version} at ${n8n.baseUrl} (log level ${n8n.logLevel}), log ${n8n.logPath}`);
    await t.phase('installPackage', () => n8n.installPackage(tgz));
    const cred1 = { id: makeId(), name: 'Kadoa W1', type: 'kadoaApi', data: { apiKey: key1, apiUrl: tap1.apiUrl, realtimeUrl: tap1.realtimeUrl } };
    const cred2 = { id: makeId(), name: 'Kadoa W2', type: 'kadoaApi', data: { apiKey: key2, apiUrl: sim2.apiUrl, realtimeUrl: sim2.realtimeUrl } };
    const cred3 = { id: makeId(), name: 'Kadoa wrong key', type: 'kadoaApi', data: { apiKey: key3Bad, apiUrl: sim3.apiUrl, realtimeUrl: sim3.realtimeUrl } };
    const cred4 = { id: makeId(), name: 'Kadoa W4', type: 'kadoaApi', data: { apiKey: key4, apiUrl: sim4.apiUrl, realtimeUrl: sim4.realtimeUrl } };
    await t.phase('import:credentials (4)', () => n8n.importCredentials([cred1, cred2, cred3, cred4]));
    const [w1, w2, w3, w4] = await t.phase('import:workflow (4)', () =>
      n8n.importWorkflow([
        workflow({
          id: makeId(),
          name: 'E2E W1: acknowledge when the execution finished',
          sinkUrl: sink1.url,
          credential: cred1,
          parameters: { acknowledge: 'executionFinished', options: { heartbeatTimeout: HEARTBEAT_TIMEOUT_S, unclaimedHold: HOLD_S } },
        }),
        workflow({
          id: makeId(),
          name: 'E2E W2: acknowledge when emitted',
          sinkUrl: sink2.url,
          credential: cred2,
          parameters: { acknowledge: 'emitted', options: { heartbeatTimeout: HEARTBEAT_TIMEOUT_S, unclaimedHold: HOLD_S } },
        }),
        workflow({ id: makeId(), name: 'E2E W3: wrong API key', sinkUrl: sink1.url, credential: cred3 }),
        workflow({
          id: makeId(),
          name: 'E2E W4: acknowledge when the execution succeeded',
          sinkUrl: sink4.url,
          credential: cred4,
          parameters: { acknowledge: 'executionSucceeded', options: { heartbeatTimeout: HEARTBEAT_TIMEOUT_S, unclaimedHold: HOLD_S } },
        }),
      ]),
    );
    // W1 and W3 are active when n8n starts (activation mode "init"); W2 and W4 are activated
    // through the public API once it runs (mode "activate"), as a person would.
    await t.phase(n8n.major >= 2 ? 'publish:workflow (2)' : 'update:workflow --active (2)', async () => {
      for (const id of [w1, w3]) await n8n.activateWorkflow(id);
    });

    // ---------------------------------------------------------------- 1. start-up
    const startedAt = Date.now();
    await t.phase('n8n start → readiness', () => n8n.start());
    await n8n.createApiKey();
    for (const id of [w2, w4]) assert.strictEqual((await n8n.api('POST', `/workflows/${id}/activate`)).active, true, 'activated through the public API');
    const [, s1, s2] = await t.phase('readiness → W1, W2 and W4 subscribed', () =>
      Promise.all([
        sim4.waitForState((s) => s.subscribes.length >= 1 && s.openSockets === 1, { timeoutMs: 30000, what: 'W4 subscribe' }),
        sim1.waitForState((s) => s.subscribes.length >= 1 && s.openSockets === 1, { timeoutMs: 30000, what: 'W1 subscribe' }),
        sim2.waitForState((s) => s.subscribes.length >= 1 && s.openSockets === 1, { timeoutMs: 30000, what: 'W2 subscribe' }),
      ]),
    );
    t.note('n8n start → subscribed', Date.now() - startedAt);
    assert.strictEqual(s1.subscribes[0].channel, 'team-e2e-finished', 'W1 subscribed to its team channel');
    assert.strictEqual(s1.subscribes[0].lastCursor, undefined, 'first subscribe has no cursor');
    assert.strictEqual(s2.subscribes[0].channel, 'team-e2e-emitted', 'W2 subscribed to its team channel');
    assert.strictEqual((await n8n.waitForActivation(w1, { timeoutMs: 15000 })).status, 'published');
    if (n8n.major >= 2) {
      // 1.x logs no activation line for API activations; its API answers only once they worked.
      assert.strictEqual((await n8n.waitForActivation(w2, { timeoutMs: 15000 })).status, 'published');
      assert.strictEqual((await n8n.waitForActivation(w4, { timeoutMs: 15000 })).status, 'published');
    }
    const nodeType = (await n8n.nodeTypes()).find((n) => n.name === NODE_TYPE);
    assert.ok(nodeType, `${NODE_TYPE} loaded`);
    // n8n reads the codex (categories, search aliases, documentation links) from
    // KadoaTrigger.node.json beside KadoaTrigger.node.js in the installed package.
    assert.ok(nodeType.codex, 'n8n found the codex (dist/nodes/KadoaTrigger/KadoaTrigger.node.json) for the Kadoa Trigger');
    assert.ok((nodeType.codex.alias || []).includes('web scraping'), `codex aliases loaded: ${JSON.stringify(nodeType.codex)}`);
    assert.ok((await n8n.credentialTypes()).some((c) => c.name === 'kadoaApi'), 'kadoaApi loaded');

    // ---------------------------------------------------------------- 2. events, fields, acks after the execution
    const batch = [];
    for (const label of ['a1', 'a2', 'a3']) batch.push(await publishChange(sim1, label));
    const control = [];
    for (const label of ['b1', 'b2']) control.push(await publishChange(sim2, label));
    await t.phase('3 events → run + ack (W1), 2 events (W2)', () =>
      Promise.all([
        waitDelivered(sink1, tap1, batch, 'W1'),
        waitUntil(async () => sink2.records.filter((r) => r.answeredAt).length >= control.length && (await sim2.state()).unacked === 0, {
          timeoutMs: 30000,
          what: 'W2: 2 events run and acknowledged',
        }),
      ]),
    );
    const seen1 = byEvent(sink1);
    for (const e of batch) {
      const [rec] = seen1.get(e.id);
      checkItem(rec.body.item, e);
      assert.strictEqual(rec.body.workflowId, w1);
      const ack = tap1.acks.find((a) => a.id === e.id && a.status === 200);
      log(`W1 ${e.label}: sink received +0 ms, answered +${rec.answeredAt - rec.at} ms, acknowledged +${ack.at - rec.at} ms (execution ${rec.body.executionId})`);
      assert.ok(ack.at > rec.answeredAt, `executionFinished: event ${e.id} acknowledged (${ack.at}) only after the sink answered (${rec.answeredAt})`);
    }
    const seen2 = byEvent(sink2);
    for (const e of control) {
      const [rec] = seen2.get(e.id);
      checkItem(rec.body.item, e);
      log(`W2 ${e.label}: sink answered +${rec.answeredAt - rec.at} ms; events acknowledged by then: ${rec.ackedIdsAtAnswer} of ${control.length}`);
      assert.strictEqual(rec.ackedIdsAtAnswer, control.length, `emitted (control): event ${e.id} acknowledged before its execution finished`);
      assert.strictEqual(seen2.get(e.id).length, 1, `W2: event ${e.label} ran once`);
    }
    assertExactlyOnce(sink1, tap1, batch, 'W1 batch');
    const st2 = await sim2.state();
    assert.deepStrictEqual(
      { events: st2.events, ackedIds: st2.ackedIds, acks: st2.acks, duplicateAcks: st2.duplicateAcks, failedAcks: st2.failedAcks, unacked: st2.unacked },
      { events: 2, ackedIds: 2, acks: 2, duplicateAcks: 0, failedAcks: 0, unacked: 0 },
      'simulator 2: every event acknowledged once',
    );
    const st1 = await sim1.state();
    assert.deepStrictEqual(
      { events: st1.events, ackedIds: st1.ackedIds, acks: st1.acks, duplicateAcks: st1.duplicateAcks, failedAcks: st1.failedAcks, unacked: st1.unacked },
      { events: 3, ackedIds: 3, acks: 3, duplicateAcks: 0, failedAcks: 0, unacked: 0 },
      'simulator 1: every event acknowledged once',
    );

    // ---------------------------------------------------------------- 2b. executionSucceeded: a failed run is not acknowledged
    const retried = await publishChange(sim4, 'f1');
    await t.phase('W4: failing execution → error, not acknowledged', async () => {
      await waitUntil(() => sink4.records.some((r) => r.answeredAt), { timeoutMs: 30000, what: 'W4 first attempt at the sink' });
      await n8n.waitForExecutions(1, { workflowId: w4, status: 'error', timeoutMs: 30000 });
    });
    checkItem(sink4.records[0].body.item, retried);
    await sleep(500); // an ack, if the node wrongly sent one, would be in by now
    let st4 = await sim4.state();
    assert.deepStrictEqual({ acks: st4.acks, unacked: st4.unacked }, { acks: 0, unacked: 1 }, 'executionSucceeded: the failed execution left the event unacknowledged');

    // ---------------------------------------------------------------- 3. dropAll
    const done = [...batch];
    let subs = st1.subscribes.length;
    await sim1.fault({ kind: 'dropAll' });
    await sim4.fault({ kind: 'dropAll' });
    const tDrop = Date.now();
    const dropped = [await publishChange(sim1, 'drop1'), await publishChange(sim1, 'drop2')];
    await t.phase('dropAll → missed events run', () => waitDelivered(sink1, tap1, dropped, 'after dropAll'));
    await t.phase('W4: redelivered after dropAll → runs again, succeeds, acknowledged', async () => {
      await waitUntil(() => sink4.records.filter((r) => r.answeredAt).length >= 2, { timeoutMs: 30000, what: 'W4 second attempt at the sink' });
      await sim4.waitForState((x) => x.unacked === 0, { timeoutMs: 15000, what: 'W4 event acknowledged after its successful run' });
    });
    st4 = await sim4.state();
    assert.strictEqual(sink4.records.length, 2, 'executionSucceeded: the failed event ran again after the reconnect, once');
    assert.ok(sink4.records.every((r) => r.body.item.eventId === retried.id));
    assert.deepStrictEqual({ acks: st4.acks, duplicateAcks: st4.duplicateAcks, unacked: st4.unacked }, { acks: 1, duplicateAcks: 0, unacked: 0 }, 'W4: acknowledged once, after the success');
    const w4Execs = await n8n.waitForExecutions(2, { workflowId: w4, timeoutMs: 15000 });
    assert.deepStrictEqual(w4Execs.map((e) => e.status).sort(), ['error', 'success'], 'W4: one failed and one successful execution');
    log(`W4 (executionSucceeded): first run failed (HTTP 500 downstream), not acknowledged; redelivered after dropAll, ran again, succeeded, acknowledged once`);
    let st = await sim1.state();
    assert.ok(st.subscribes.length > subs, 'W1 subscribed again after dropAll');
    const afterDrop = st.subscribes[subs];
    log(`dropAll: resubscribed after ${afterDrop.at - tDrop} ms with lastCursor ${afterDrop.lastCursor}`);
    assert.strictEqual(afterDrop.lastCursor, done[done.length - 1].cursor, 'resubscribe carries the cursor of the last settled event');
    done.push(...dropped);
    subs = st.subscribes.length;

    // ---------------------------------------------------------------- 4. black hole
    await sim1.fault({ kind: 'blackhole', on: true, existingOnly: true });
    const tHole = Date.now();
    const holed = [await publishChange(sim1, 'hole1'), await publishChange(sim1, 'hole2')];
    await t.phase('black hole → missed events run', () => waitDelivered(sink1, tap1, holed, 'after the black hole'));
    st = await sim1.waitForState((s) => s.openSockets === 1, { timeoutMs: 10000, what: 'the black-holed socket closed by the client' });
    assert.ok(st.subscribes.length > subs, 'W1 subscribed again after the black hole');
    const afterHole = st.subscribes[subs];
    const gaveUpAfter = afterHole.at - tHole;
    log(`black hole: resubscribed after ${gaveUpAfter} ms (heartbeat timeout ${HEARTBEAT_TIMEOUT_S} s) with lastCursor ${afterHole.lastCursor}`);
    assert.ok(gaveUpAfter >= HEARTBEAT_TIMEOUT_S * 1000 - 600, `did not give up before the heartbeat timeout (${gaveUpAfter} ms)`);
    assert.ok(gaveUpAfter < HEARTBEAT_TIMEOUT_S * 1000 + 6000, `noticed the dead connection soon after the heartbeat timeout (${gaveUpAfter} ms)`);
    assert.strictEqual(afterHole.lastCursor, done[done.length - 1].cursor, 'resubscribe carries the cursor of the last settled event');
    done.push(...holed);
    assertExactlyOnce(sink1, tap1, done, 'W1 after dropAll and black hole');

    // ---------------------------------------------------------------- 1b. wrong key: activation error, n8n alive
    const bad = await t.phase('W3 activation status', () => n8n.waitForActivation(w3, { timeoutMs: 60000, allowFailure: true }));
    log(`W3 (wrong key): ${JSON.stringify(bad).slice(0, 400)}`);
    assert.strictEqual(bad.status, 'failed', 'the wrong key fails the activation');
    assert.match(JSON.stringify(bad.triggers), /Kadoa refused the API key \(HTTP 401/, 'the activation error names the refused key');
    assert.strictEqual(n8n.exited, null, 'n8n keeps running');
    assert.strictEqual((await n8n.request('GET', '/healthz/readiness')).status, 200, 'n8n still ready');
    const st3 = await sim3.state();
    assert.ok(st3.tokenRequests >= 1 && st3.tokenRequestsOk === 0 && st3.openSockets === 0, 'W3 asked for a token, got none, opened nothing');
    // A person activating it again (off, then on, through the public API) is told why: n8n 1.x
    // answers the request with the error; 2.x accepts it (200) and publishes through its outbox,
    // whose publication status then reads failed with the error.
    await n8n.api('POST', `/workflows/${w3}/deactivate`);
    if (n8n.major >= 2) {
      await waitUntil(async () => (await n8n.workflowActivation(w3)).status === 'not_published', { timeoutMs: 10000, what: 'W3 unpublished' });
    }
    const reactivate = await n8n.request('POST', `/api/v1/workflows/${w3}/activate`, { headers: { 'x-n8n-api-key': n8n.apiKey } });
    let reactivateError;
    if (reactivate.status >= 400) reactivateError = reactivate.text;
    else {
      const again = await n8n.waitForActivation(w3, { timeoutMs: 30000, allowFailure: true });
      assert.strictEqual(again.status, 'failed', 'activating W3 again fails');
      reactivateError = JSON.stringify(again.triggers);
    }
    log(`W3 activated again via public API → HTTP ${reactivate.status}; error: ${reactivateError.slice(0, 300)}`);
    assert.match(reactivateError, /Kadoa refused the API key/, 'the error names the refused key');
    assert.strictEqual(n8n.exited, null, 'n8n keeps running');

    // ---------------------------------------------------------------- 5. deactivate W2
    await t.phase('deactivate W2 (public API) → socket closed', async () => {
      await n8n.api('POST', `/workflows/${w2}/deactivate`);
      await sim2.waitForState((s) => s.openSockets === 0, { timeoutMs: 10000, what: 'W2 socket closed on deactivation' });
    });
    assert.strictEqual((await sim1.state()).openSockets, 1, 'W1 still connected');
    const w2Subscribes = (await sim2.state()).subscribes.length;

    // ---------------------------------------------------------------- 6. SIGTERM
    const execs = await n8n.waitForExecutions(done.length, { workflowId: w1, timeoutMs: 20000 });
    assert.strictEqual(execs.length, done.length, `n8n lists one execution per W1 event (${execs.length})`);
    assert.ok(execs.every((e) => e.status === 'success'), 'every W1 execution succeeded');
    const stop1 = await t.phase('stop #1 (SIGTERM)', () => n8n.stop());
    assert.strictEqual(stop1.forced, false, 'n8n exited on SIGTERM');
    assert.deepStrictEqual(n8n.leftoverProcesses(), [], 'no process left after SIGTERM');
    for (const [sim, w] of [[sim1, 'W1'], [sim2, 'W2'], [sim3, 'W3'], [sim4, 'W4']]) {
      await sim.waitForState((s) => s.openSockets === 0, { timeoutMs: 5000, what: `${w}: no socket after SIGTERM` });
    }
    const beforeRestart = await sim1.state();
    assert.strictEqual(beforeRestart.duplicateAcks, 0, 'no event acknowledged twice before the restart');
    assert.strictEqual(beforeRestart.unacked, 0, 'every event acknowledged before the restart');

    // ---------------------------------------------------------------- 7. restart
    const down = [await publishChange(sim1, 'down1'), await publishChange(sim1, 'down2')];
    subs = beforeRestart.subscribes.length;
    const restartAt = Date.now();
    await t.phase('restart (same folder) → readiness', () => n8n.start());
    await t.phase('restart → missed events run', () => waitDelivered(sink1, tap1, down, 'after the restart', 60000));
    t.note('restart → missed events acknowledged', Date.now() - restartAt);
    st = await sim1.state();
    const resumed = st.subscribes[subs];
    assert.ok(resumed, 'W1 subscribed after the restart');
    const doneCursors = done.map((e) => e.cursor);
    log(`restart: subscribed with lastCursor ${resumed.lastCursor} (last settled before the stop: ${doneCursors[doneCursors.length - 1]})`);
    assert.ok(resumed.lastCursor, 'the resubscribe after a restart carries the stored cursor');
    // n8n saves static data only when an execution starts, so the stored cursor is the one that
    // was settled when the last execution started: it lags behind the events that were still
    // running then (README: Delivery guarantees). It must be a settled event's cursor, never
    // beyond one; the simulator replays everything after it. Those events were stored as
    // "started" (their outcome unknown at the last save), which is README's one window for a
    // duplicate: on n8n 2.x the node's de-duplication key makes n8n refuse the second execution
    // (acknowledged again, not run); n8n 1.x has no such key, so there such an event may run a
    // second time (never a third), and is acknowledged again after it.
    assert.ok(doneCursors.includes(resumed.lastCursor), `stored cursor ${resumed.lastCursor} is a settled event's cursor`);
    const lag = done.filter((e) => e.cursor > resumed.lastCursor);
    log(`restart: the stored cursor lags the last settled event by ${lag.length} event(s) (${lag.map((e) => e.label).join(', ') || 'none'}): replayed, ${n8n.major >= 2 ? 'must not run again (de-duplication key)' : 'may run once more (n8n 1.x: no de-duplication key)'}`);
    await sleep(2000); // anything replayed by mistake would have run by now
    const all = [...done, ...down];
    const seen = byEvent(sink1);
    const runsOf = (e) => (seen.get(e.id) || []).length;
    for (const e of all) {
      if (lag.includes(e) && n8n.major < 2) assert.ok(runsOf(e) === 1 || runsOf(e) === 2, `after restart: event ${e.label} (stored as started) ran ${runsOf(e)} time(s): once, or twice on 1.x`);
      else assert.strictEqual(runsOf(e), 1, `after restart: event ${e.label} ran ${runsOf(e)} time(s)`);
    }
    const again = lag.filter((e) => runsOf(e) === 2);
    if (again.length) log(`restart (n8n 1.x): ${again.map((e) => e.label).join(', ')} ran a second time: README's duplicate window (finished after the last save of the trigger's state)`);
    const acked = tap1.ackCounts();
    for (const e of down) assert.strictEqual(acked.get(e.id), 1, `event ${e.label} acknowledged once`);
    for (const e of done) {
      const expected = lag.includes(e) ? 2 : 1;
      assert.strictEqual(acked.get(e.id), expected, `event ${e.label} acknowledged ${expected === 2 ? 'again after its replay' : 'once'}: ${acked.get(e.id)}`);
    }
    st = await sim1.state();
    assert.strictEqual(st.unacked, 0, 'every event acknowledged after the restart');
    assert.strictEqual((await sim2.state()).subscribes.length, w2Subscribes, 'the deactivated W2 stays off after the restart');
    await sim4.waitForState((x) => x.openSockets === 1, { timeoutMs: 15000, what: 'W4 connected again after the restart' });
    assert.strictEqual(sink4.records.length, 2, 'W4: the event that finally succeeded does not run again after the restart');
    assert.strictEqual((await sim4.state()).duplicateAcks, 0);
    assert.strictEqual((await sim2.state()).openSockets, 0);

    // ---------------------------------------------------------------- 8. SIGTERM, secrets
    const stop2 = await t.phase('stop #2 (SIGTERM)', () => n8n.stop());
    assert.strictEqual(stop2.forced, false);
    await sim1.waitForState((s) => s.openSockets === 0, { timeoutMs: 5000, what: 'W1: no socket after the second SIGTERM' });
    assert.deepStrictEqual(n8n.leftoverProcesses(), []);
    const logText = n8n.readLog();
    const tokens = [...tap1.tokens];
    assert.ok(tokens.length >= 4, `tokens recorded (${tokens.length})`);
    assert.ok(/Kadoa/.test(logText) && /debug/i.test(logText), 'the log holds the node\'s debug lines');
    for (const [what, secret] of [['W1 API key', key1], ['W2 API key', key2], ['wrong API key', key3Bad], ...tokens.map((tk, i) => [`access token #${i + 1}`, tk])]) {
      assert.ok(!logText.includes(secret), `${what} never appears in n8n's log`);
      assert.deepStrictEqual(n8n.findInFiles(secret), [], `${what} is nowhere on disk in clear (log, event log, database)`);
    }
    assert.ok(!/access_token=[^&\s"']+/.test(logText), 'no access_token= in the log');
    log(`checked ${tokens.length} access tokens and 3 API keys against ${(logText.length / 1024).toFixed(0)} KB of debug log and the n8n folder`);
    ok = true;
  } catch (e) {
    printFailureLog(n8n, 120);
    for (const [i, s] of [sim1, sim2, sim3, sim4].entries()) {
      if (s) console.error(`---- simulator ${i + 1} log ----\n${s.readLog().split('\n').slice(-25).join('\n')}`);
    }
    throw e;
  } finally {
    const root = n8n.root;
    await n8n.dispose();
    for (const s of started.reverse()) await (s.close ? s.close() : s.stop());
    if (ok && root && !n8n.keep) assert.ok(!fs.existsSync(root), 'temp folder removed');
    t.print(`${NAME} (n8n ${n8n.version})`);
  }
  log('PASS');
}

runScenario(NAME, module, main);

module.exports = { workflow, main };
