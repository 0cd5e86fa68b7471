'use strict';
// Kadoa scenario (first one; a template for more): the packed n8n-nodes-kadoa inside a real n8n,
// against the Kadoa simulator as its own process.
//   Kadoa Trigger (workflow_data_change, acknowledge when emitted) → HTTP Request POST → sink
// Asserts: the package's node and credential types load; the trigger connects and subscribes on
// start-up; one published change reaches the sink as one item and is acknowledged; SIGTERM
// closes the socket (closeFunction) and leaves no process; neither the API key nor a realtime
// token appears in n8n's log.
// Needs KADOA_E2E_TGZ (the packed package) and a built simulator (KADOA_E2E_SIM or
// build/test/simulator/cli.js): test/e2e/run.sh kadoa does both.

const assert = require('assert');
const fs = require('fs');
const { installN8n, N8nInstance, makeId } = require('./n8n-instance');
const { startSink } = require('./sink');
const { startSimulator } = require('./sim-process');
const { Timer, printFailureLog } = require('./util');

const PKG = 'n8n-nodes-kadoa';
const NODE_TYPE = `${PKG}.kadoaTrigger`;

/** The workflow under test. Adjust `parameters` as the node's description evolves. */
function kadoaWorkflow({ id, sinkUrl, credential, parameters = {} }) {
  return {
    id,
    name: 'E2E Kadoa: trigger → sink',
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
      {
        id: 'kad0a000-0000-4000-8000-000000000002',
        name: 'Post to sink',
        type: 'n8n-nodes-base.httpRequest',
        typeVersion: 4.2,
        position: [300, 0],
        parameters: {
          method: 'POST',
          url: sinkUrl,
          sendBody: true,
          specifyBody: 'json',
          jsonBody: '={{ JSON.stringify({ executionId: $execution.id, item: $json }) }}',
          options: {},
        },
      },
    ],
    connections: { 'Kadoa Trigger': { main: [[{ node: 'Post to sink', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

async function main() {
  const tgz = process.env.KADOA_E2E_TGZ;
  if (!tgz || !fs.existsSync(tgz)) throw new Error('KADOA_E2E_TGZ must name the packed package (test/e2e/run.sh kadoa packs it)');
  const t = new Timer();
  const { nodeBin, n8nDir } = t.phaseSync('install n8n (install-n8n.sh)', () => installN8n());
  const apiKey = `kadoa-e2e-key-${makeId()}`;
  const sim = await t.phase('simulator start', () => startSimulator({ apiKeys: [apiKey], teamId: 'team-e2e' }));
  const sink = await startSink();
  const n8n = new N8nInstance({ nodeBin, n8nDir, name: 'kadoa-basic' });
  let ok = false;
  try {
    await n8n.init();
    console.log(`[kadoa-basic] n8n ${n8n.version} at ${n8n.baseUrl}, simulator ${sim.apiUrl}, log ${n8n.logPath}`);
    await t.phase('installPackage', () => n8n.installPackage(tgz));
    const credential = {
      id: makeId(),
      name: 'Kadoa (simulator)',
      type: 'kadoaApi',
      data: { apiKey, apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl },
    };
    await t.phase('import:credentials', () => n8n.importCredentials([credential]));
    const wfId = await t.phase('import:workflow', () => n8n.importWorkflow(kadoaWorkflow({ id: makeId(), sinkUrl: sink.url, credential })));
    await t.phase(n8n.major >= 2 ? 'publish:workflow' : 'update:workflow --active', () => n8n.activateWorkflow(wfId));

    const startedAt = Date.now();
    await t.phase('n8n start → readiness', () => n8n.start());
    const subscribed = await t.phase('readiness → subscribed', () =>
      sim.waitForState((s) => s.subscribes.length >= 1 && s.openSockets >= 1, { timeoutMs: 30000, what: 'a subscribe' }),
    );
    t.note('n8n start → subscribed', Date.now() - startedAt);
    const activation = await n8n.waitForActivation(wfId, { timeoutMs: 15000 });
    assert.strictEqual(activation.status, 'published', 'n8n reports the trigger active');
    assert.strictEqual(subscribed.subscribes[0].channel, 'team-e2e', 'subscribed to the team channel');

    const types = await n8n.nodeTypes();
    assert.ok(types.some((n) => n.name === NODE_TYPE), `${NODE_TYPE} loaded`);
    assert.ok((await n8n.credentialTypes()).some((c) => c.name === 'kadoaApi'), 'kadoaApi loaded');

    const published = await sim.publish({ dataChange: {} });
    const [rec] = await t.phase('publish → item at sink', () => sink.waitFor(1, { timeoutMs: 30000 }));
    console.log(`[kadoa-basic] event ${published.event.id} → item keys: ${Object.keys(rec.body.item).join(', ')}`);
    assert.ok(JSON.stringify(rec.body.item).includes(published.event.id), 'the item refers to the published event id');
    await t.phase('item → acknowledged', () => sim.waitForState((s) => s.acks >= 1, { timeoutMs: 15000, what: 'an ack' }));

    const pid = n8n.pid;
    const stopped = await t.phase('stop (SIGTERM)', () => n8n.stop());
    assert.strictEqual(stopped.forced, false, 'n8n exited on SIGTERM');
    await sim.waitForState((s) => s.openSockets === 0, { timeoutMs: 10000, what: 'the socket to close' });
    assert.deepStrictEqual(n8n.leftoverProcesses(), []);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);

    const log = n8n.readLog();
    assert.ok(!log.includes(apiKey), 'the API key never appears in the n8n log');
    assert.deepStrictEqual(n8n.findInFiles(apiKey), [], 'the API key is nowhere on disk in clear (log, event log, database)');
    assert.ok(!/access_token=[^&\s"']+/.test(log), 'no realtime token in the n8n log');
    ok = true;
  } catch (e) {
    printFailureLog(n8n);
    console.error(`---- simulator log ----\n${sim.readLog().split('\n').slice(-30).join('\n')}`);
    throw e;
  } finally {
    const root = n8n.root;
    await n8n.dispose();
    await sink.close();
    await sim.stop();
    if (ok && root && !n8n.keep) assert.ok(!fs.existsSync(root), 'temp folder removed');
    t.print(`kadoa-basic (n8n ${n8n.version})`);
  }
  console.log('[kadoa-basic] PASS');
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`[kadoa-basic] FAIL: ${e && e.stack ? e.stack : e}`);
    process.exitCode = 1;
  });
}

module.exports = { kadoaWorkflow, main };
