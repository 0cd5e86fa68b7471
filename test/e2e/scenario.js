'use strict';
// What every kadoa-* scenario shares: its frame (the packed package, n8n installed, one
// N8nInstance, the helper processes it started stopped at the end, logs printed on failure),
// the Kadoa Trigger → sink workflow they build, and the check that no secret reached n8n's log
// or disk.

const fs = require('fs');
const { installN8n, N8nInstance } = require('./n8n-instance');
const { sinkNode } = require('./sink');
const { Timer, printFailureLog } = require('./util');

const TRIGGER_TYPE = 'n8n-nodes-kadoa.kadoaTrigger';

/**
 * Runs `body({ tgz, t, n8n, started, showOnFailure })` in a fresh n8n with the package tarball
 * of KADOA_E2E_TGZ. `started` collects helper processes and servers (each with close() or
 * stop()), stopped last-first after n8n; `showOnFailure(label, sim)` names a simulator whose log
 * tail is printed if the body throws. Prints the phase timings, and PASS when the body returned.
 */
async function kadoaScenario(name, body, { failureLogLines = 80 } = {}) {
  const tgz = process.env.KADOA_E2E_TGZ;
  if (!tgz || !fs.existsSync(tgz)) throw new Error('KADOA_E2E_TGZ must name the packed package (test/e2e/run.sh kadoa packs it)');
  const t = new Timer();
  const { nodeBin, n8nDir } = t.phaseSync('install n8n (install-n8n.sh)', () => installN8n());
  const n8n = new N8nInstance({ nodeBin, n8nDir, name, logLevel: process.env.N8N_E2E_LOG_LEVEL || 'debug' });
  const started = [];
  const sims = [];
  try {
    await body({ tgz, t, n8n, started, showOnFailure: (label, sim) => sims.push([label, sim]) });
  } catch (e) {
    printFailureLog(n8n, failureLogLines);
    for (const [label, sim] of sims) console.error(`---- ${label} log ----\n${sim.readLog().split('\n').slice(-20).join('\n')}`);
    throw e;
  } finally {
    await n8n.dispose();
    for (const s of started.reverse()) await (s.close ? s.close() : s.stop());
    t.print(`${name} (n8n ${n8n.version})`);
  }
  console.log(`[${name}] PASS`);
}

/** Kadoa Trigger → HTTP Request POST {executionId, workflowId, item} → sink. */
function triggerToSinkWorkflow({ id, name, sinkUrl, credential, triggerNodeId, sinkNodeId, parameters }) {
  return {
    id,
    name,
    nodes: [
      {
        id: triggerNodeId,
        name: 'Kadoa Trigger',
        type: TRIGGER_TYPE,
        typeVersion: 1,
        position: [0, 0],
        parameters,
        credentials: { kadoaApi: { id: credential.id, name: credential.name } },
      },
      sinkNode({
        id: sinkNodeId,
        sinkUrl,
        jsonBody: '={{ JSON.stringify({ executionId: $execution.id, workflowId: $workflow.id, item: $json }) }}',
      }),
    ],
    connections: { 'Kadoa Trigger': { main: [[{ node: 'Post to sink', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

/** The API key and every access token a tap proxy saw, labelled for the checks. */
function secretsOf(key, tap, prefix = '') {
  return [[`${prefix}API key`, key], ...tap.tokens.map((token, i) => [`${prefix}access token #${i + 1}`, token])];
}

/** Checks (util.js Checks) that no secret is in n8n's log or anywhere in its folder in clear. */
function checkNoSecrets(c, n8n, secrets) {
  const logText = n8n.readLog();
  for (const [what, secret] of secrets) {
    c.ok(!logText.includes(secret), `${what} not in n8n's log`);
    c.equal(n8n.findInFiles(secret), [], `${what} nowhere on disk in clear`);
  }
}

module.exports = { TRIGGER_TYPE, kadoaScenario, triggerToSinkWorkflow, secretsOf, checkNoSecrets };
