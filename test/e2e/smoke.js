'use strict';
// Smoke scenario: proves the e2e scaffolding with n8n's own nodes only (no Kadoa package).
//   Schedule Trigger (every 2 s) / Manual Trigger → HTTP Request POST (header-auth credential) → sink
// Asserts: the sink receives the item with the credential's header, executions are listed via
// the public API, the secret never appears in n8n's log, SIGTERM stops n8n and every child.
// Run: node test/e2e/smoke.js   (env: N8N_E2E_VERSION, N8N_E2E_LOG_LEVEL, N8N_E2E_KEEP=1, N8N_E2E_ECHO=1)

const assert = require('assert');
const fs = require('fs');
const { installN8n, N8nInstance, makeId } = require('./n8n-instance');
const { startSink, sinkNode } = require('./sink');
const { Timer, printFailureLog, runScenario } = require('./util');

function smokeWorkflow({ id, sinkUrl, credential }) {
  return {
    id,
    name: 'E2E smoke: schedule → HTTP Request → sink',
    nodes: [
      {
        id: 'c0a80001-0000-4000-8000-000000000001',
        name: 'Schedule Trigger',
        type: 'n8n-nodes-base.scheduleTrigger',
        typeVersion: 1.2,
        position: [0, 0],
        parameters: { rule: { interval: [{ field: 'seconds', secondsInterval: 2 }] } },
      },
      {
        id: 'c0a80001-0000-4000-8000-000000000002',
        name: 'Manual Trigger',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 200],
        parameters: {},
      },
      sinkNode({
        id: 'c0a80001-0000-4000-8000-000000000003',
        sinkUrl,
        position: [300, 100],
        extra: { authentication: 'genericCredentialType', genericAuthType: 'httpHeaderAuth' },
        credentials: { httpHeaderAuth: { id: credential.id, name: credential.name } },
        jsonBody: '={{ JSON.stringify({ smoke: true, workflowId: $workflow.id, executionId: $execution.id, item: $json }) }}',
      }),
    ],
    connections: {
      'Schedule Trigger': { main: [[{ node: 'Post to sink', type: 'main', index: 0 }]] },
      'Manual Trigger': { main: [[{ node: 'Post to sink', type: 'main', index: 0 }]] },
    },
    settings: { executionOrder: 'v1' },
  };
}

async function main() {
  const t = new Timer();
  const { nodeBin, n8nDir, version } = t.phaseSync('install n8n (install-n8n.sh)', () => installN8n());
  const sink = await startSink();
  const n8n = new N8nInstance({ nodeBin, n8nDir, name: 'smoke' });
  let ok = false;
  try {
    await t.phase('init (temp folder, ports)', () => n8n.init());
    console.log(`[smoke] n8n ${n8n.version} (requested ${version}) at ${n8n.baseUrl}, log ${n8n.logPath}`);

    const secret = `e2e-secret-${makeId()}`;
    const credential = { id: makeId(), name: 'E2E sink header', type: 'httpHeaderAuth', data: { name: 'X-E2E-Token', value: secret } };
    await t.phase('import:credentials', () => n8n.importCredentials([credential]));
    const wfId = makeId();
    await t.phase('import:workflow', () => n8n.importWorkflow(smokeWorkflow({ id: wfId, sinkUrl: sink.url, credential })));
    await t.phase(n8n.major >= 2 ? 'publish:workflow' : 'update:workflow --active', () => n8n.activateWorkflow(wfId));

    const startedAt = Date.now();
    await t.phase('n8n start → /healthz/readiness', () => n8n.start());
    const [first] = await t.phase('readiness → first item at sink', () => sink.waitFor(1, { timeoutMs: 60000 }));
    t.note('n8n start → first item at sink', first.at - startedAt);

    assert.strictEqual(first.method, 'POST');
    assert.strictEqual(first.json, true, 'sink got JSON');
    assert.strictEqual(first.body.smoke, true);
    assert.strictEqual(first.body.workflowId, wfId);
    assert.strictEqual(first.headers['x-e2e-token'], secret, 'credential header reached the sink');

    await t.phase('second scheduled item', () => sink.waitFor(2, { timeoutMs: 30000 }));
    const activation = await t.phase('owner + activation status', () => n8n.waitForActivation(wfId, { timeoutMs: 10000 }));
    assert.strictEqual(activation.status, 'published');

    const execs = await t.phase('owner + API key + list executions', async () => {
      await n8n.createApiKey();
      return n8n.waitForExecutions(1, { workflowId: wfId, status: 'success', timeoutMs: 30000 });
    });
    assert.ok(execs.length >= 1, 'at least one successful execution listed');
    assert.strictEqual(String(execs[0].workflowId), wfId);
    assert.strictEqual(execs[0].mode, 'trigger');
    const withData = await n8n.api('GET', `/executions/${execs[0].id}?includeData=true`);
    assert.ok(withData.data.resultData.runData['Post to sink'], 'execution data holds the HTTP Request node run');

    const pid = n8n.pid;
    const children = n8n.leftoverProcesses().filter((p) => p.pid !== pid);
    console.log(`[smoke] n8n pid ${pid}, children: ${children.map((c) => `${c.pid} (${c.cmd.slice(0, 80)})`).join(', ') || 'none'}`);
    const stopped = await t.phase('stop (SIGTERM → exit)', () => n8n.stop());
    assert.strictEqual(stopped.forced, false, 'n8n exited on SIGTERM without SIGKILL');
    assert.deepStrictEqual(n8n.leftoverProcesses(), [], 'no n8n process left');
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'n8n pid is gone');

    const log = n8n.readLog();
    assert.ok(!log.includes(secret), 'the credential secret never appears in the n8n log');
    assert.deepStrictEqual(n8n.findInFiles(secret), [], 'the secret is nowhere on disk in clear (log, event log, database)');
    assert.ok(/n8n ready after/.test(log));
    ok = true;
  } catch (e) {
    printFailureLog(n8n);
    throw e;
  } finally {
    const root = n8n.root;
    await n8n.dispose();
    await sink.close();
    if (ok && root && !n8n.keep) assert.ok(!fs.existsSync(root), 'temp folder removed');
    t.print(`smoke (n8n ${n8n.version})`);
  }
  console.log('[smoke] PASS');
}

runScenario('smoke', module, main);

module.exports = { smokeWorkflow, main };
