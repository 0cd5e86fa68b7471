'use strict';
// Package scenario: proves the community-package path of the scaffolding with a tiny fixture
// package (test/e2e/fixture-package, plain JS, no build), the same way the Kadoa tarball goes in:
//   npm pack → installPackage (n8n's own way) → credential + workflow import → publish → start
//   E2E Fixture Trigger (emits every 1 s) → HTTP Request POST → sink
// Asserts: n8n loads the package's node and credential types; production deps only (ws in,
// typescript and n8n-workflow out); n8n-workflow resolves to the host's copy; the credential
// decrypts; closeFunction runs on SIGTERM; static data survives a restart in the same folder;
// the secret never appears in the log; no process is left.
// Run: node test/e2e/package.js

const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { installN8n, N8nInstance, makeId } = require('./n8n-instance');
const { startSink, sinkNode } = require('./sink');
const { Timer, printFailureLog, npmPack, runScenario } = require('./util');

const FIXTURE_DIR = path.join(__dirname, 'fixture-package');
const PKG = 'n8n-nodes-e2e-fixture';

function fixtureWorkflow({ id, sinkUrl, credential, intervalMs = 1000, label = 'pkg-scenario' }) {
  return {
    id,
    name: `E2E package: fixture trigger (${label}) → sink`,
    nodes: [
      {
        id: 'f1x70000-0000-4000-8000-000000000001',
        name: 'Fixture Trigger',
        type: `${PKG}.e2eFixtureTrigger`,
        typeVersion: 1,
        position: [0, 0],
        parameters: { intervalMs, label },
        credentials: { e2eFixtureApi: { id: credential.id, name: credential.name } },
      },
      sinkNode({
        id: 'f1x70000-0000-4000-8000-000000000002',
        sinkUrl,
        jsonBody: '={{ JSON.stringify({ executionId: $execution.id, item: $json }) }}',
      }),
    ],
    connections: { 'Fixture Trigger': { main: [[{ node: 'Post to sink', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

function findDirs(root, name) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      if (e.name === name) out.push(p);
      walk(p);
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out;
}

async function main() {
  const t = new Timer();
  const { nodeBin, n8nDir } = t.phaseSync('install n8n (install-n8n.sh)', () => installN8n());
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-pack-'));
  const sink = await startSink();
  const n8n = new N8nInstance({ nodeBin, n8nDir, name: 'package' });
  let ok = false;
  try {
    const tgz = t.phaseSync('npm pack fixture', () => npmPack(FIXTURE_DIR, packDir, { nodeBin }));
    await n8n.init();
    console.log(`[package] n8n ${n8n.version} at ${n8n.baseUrl}, log ${n8n.logPath}`);

    const installed = await t.phase('installPackage (n8n way)', () => n8n.installPackage(tgz));
    assert.strictEqual(installed.name, PKG);
    assert.ok(fs.existsSync(path.join(installed.dir, 'node_modules', 'ws')), 'production dependency ws installed');
    assert.deepStrictEqual(findDirs(n8n.nodesDir, 'typescript'), [], 'devDependencies not installed');
    assert.deepStrictEqual(findDirs(n8n.nodesDir, 'n8n-workflow'), [], 'peer dependency n8n-workflow not installed');

    const secret = `fixture-key-${makeId()}`;
    const credential = { id: makeId(), name: 'E2E fixture key', type: 'e2eFixtureApi', data: { apiKey: secret } };
    await t.phase('import:credentials', () => n8n.importCredentials([credential]));
    // Two workflows in one import: a good one, and one whose trigger throws on activation.
    const [wfId, badId] = await t.phase('import:workflow (2 workflows)', () =>
      n8n.importWorkflow([
        fixtureWorkflow({ id: makeId(), sinkUrl: sink.url, credential }),
        fixtureWorkflow({ id: makeId(), sinkUrl: sink.url, credential, label: 'throw' }),
      ]),
    );
    await t.phase(n8n.major >= 2 ? 'publish:workflow (2x)' : 'update:workflow --active (2x)', async () => {
      await n8n.activateWorkflow(wfId);
      await n8n.activateWorkflow(badId);
    });

    const startedAt = Date.now();
    await t.phase('n8n start → readiness', () => n8n.start());
    const [first] = await t.phase('readiness → first item at sink', () => sink.waitFor(1, { timeoutMs: 60000 }));
    t.note('n8n start → first item at sink', first.at - startedAt);
    await n8n.waitForLog('E2E fixture trigger started', { timeoutMs: 5000 });
    const active = await t.phase('activation status (good workflow)', () => n8n.waitForActivation(wfId, { timeoutMs: 30000 }));
    console.log(`[package] good workflow: ${JSON.stringify(active)}`);
    const bad = await t.phase('activation status (throwing trigger)', () =>
      n8n.waitForActivation(badId, { timeoutMs: 30000, allowFailure: true }),
    );
    console.log(`[package] throwing workflow: ${JSON.stringify(bad)}`);
    assert.strictEqual(bad.status, 'failed');
    assert.match(JSON.stringify(bad.triggers), /activation refused/, 'the trigger error is reported');

    const item = first.body.item;
    assert.strictEqual(item.label, 'pkg-scenario');
    assert.strictEqual(item.keyFingerprint, crypto.createHash('sha256').update(secret).digest('hex').slice(0, 12), 'credential decrypted');
    assert.strictEqual(item.wsLoaded, true, 'package dependency resolves');
    assert.ok(item.n8nWorkflowPath.startsWith(fs.realpathSync(n8nDir)) || item.n8nWorkflowPath.startsWith(n8nDir), `n8n-workflow from the host, got ${item.n8nWorkflowPath}`);
    assert.strictEqual(item.mode, 'trigger');
    console.log(`[package] activation mode at start-up: ${item.activationMode}`);

    const types = await t.phase('owner + GET /types/*.json', async () => ({
      nodes: (await n8n.nodeTypes()).map((n) => n.name),
      creds: (await n8n.credentialTypes()).map((c) => c.name),
    }));
    assert.ok(types.nodes.includes(`${PKG}.e2eFixtureTrigger`), 'node type listed');
    assert.ok(types.creds.includes('e2eFixtureApi'), 'credential type listed');

    await sink.waitFor(2, { timeoutMs: 15000 });
    const stop1 = await t.phase('stop #1', () => n8n.stop());
    assert.strictEqual(stop1.forced, false);
    assert.match(n8n.readLog(), /E2E fixture trigger closed/, 'closeFunction ran on SIGTERM');
    const lastSeq = Math.max(...sink.bodies().map((b) => b.item.seq));
    const before = sink.count();

    await t.phase('restart (same folder) → readiness', () => n8n.start());
    const afterRestart = await t.phase('restart → next item', async () => (await sink.waitFor(before + 1, { timeoutMs: 30000 }))[before]);
    assert.ok(afterRestart.body.item.seq > lastSeq, `static data survived the restart: seq ${afterRestart.body.item.seq} > ${lastSeq}`);
    assert.notStrictEqual(afterRestart.body.item.startedAt, item.startedAt);

    const pid = n8n.pid;
    const stop2 = await t.phase('stop #2', () => n8n.stop());
    assert.strictEqual(stop2.forced, false);
    assert.deepStrictEqual(n8n.leftoverProcesses(), [], 'no n8n process left');
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    assert.ok(!n8n.readLog().includes(secret), 'the API key never appears in the n8n log');
    assert.deepStrictEqual(n8n.findInFiles(secret), [], 'the API key is nowhere on disk in clear (log, event log, database)');
    ok = true;
  } catch (e) {
    printFailureLog(n8n);
    throw e;
  } finally {
    const root = n8n.root;
    await n8n.dispose();
    await sink.close();
    fs.rmSync(packDir, { recursive: true, force: true });
    if (ok && root && !n8n.keep) assert.ok(!fs.existsSync(root), 'temp folder removed');
    t.print(`package (n8n ${n8n.version})`);
  }
  console.log('[package] PASS');
}

runScenario('package', module, main);

module.exports = { fixtureWorkflow, main };
