'use strict';
// The Kadoa API credential's "Test" button, as n8n runs it: POST /rest/credentials/test (what the
// credential dialog calls) in a real n8n with the packed package, against the simulator as its
// own process.
//
// n8n runs a credential's own declarative `test` request when the credential class has one and
// then ignores the node's `testedBy` (CredentialsTester.getCredentialTestFunction, 1.x and 2.x).
// The Kadoa credential has none, so n8n must run the Kadoa Trigger's check, which tells apart:
//   good key + realtime              OK, names the team; the probe socket is closed, nothing subscribed
//   refused key                      "Kadoa refused the API key (HTTP 401 ...)"
//   no realtime access (Enterprise)  "The API key works, but Kadoa refused realtime access (HTTP 403 ...)"
//   API URL that is not Kadoa        a server that answers 200 without a token (the sink), or 404 (a wrong path)
//   unreachable API URL              a closed port on 127.0.0.1
//   unreachable Realtime URL         a closed port on 127.0.0.1 (the key bought a token first)
//   http:// / ws:// to another host  refused before anything is sent: http://example.invalid, and a
//                                    tripwire, http://[::ffff:127.0.0.1]:<sink port>, which would reach
//                                    the sink on 127.0.0.1 if the key were sent (it never is)
// Also: the credential type carries no `test` and the node's credential entry names `testedBy`
// (what the editor reads to offer the button); no API key in n8n's log or on disk.
// Needs KADOA_E2E_TGZ and a built simulator (test/e2e/run.sh kadoa-credential-test does both).

const assert = require('assert');
const { makeId } = require('./n8n-instance');
const { freePort } = require('./ports');
const { checkNoSecrets, kadoaScenario } = require('./scenario');
const { startSimulator } = require('./sim-process');
const { startSink } = require('./sink');
const { Checks, runScenario } = require('./util');

const NAME = 'kadoa-credential-test';
const PKG = 'n8n-nodes-kadoa';
const log = (msg) => console.log(`[${NAME}] ${msg}`);

async function main() {
  const key = `kadoa-e2e-cred-${makeId()}`;
  const wrongKey = `kadoa-e2e-wrong-${makeId()}`;
  await kadoaScenario(NAME, async ({ tgz, t, n8n, started, showOnFailure }) => {
    const sim = await t.phase('simulator', () => startSimulator({ apiKeys: [key], teamId: 'team-e2e-credential' }));
    started.push(sim);
    showOnFailure('simulator', sim);
    const sink = await startSink(); // "not Kadoa": answers every request 200 {"ok":true}
    started.push(sink);
    const closed = await freePort(); // nothing listens there
    await n8n.init();
    log(`n8n ${n8n.version} at ${n8n.baseUrl}, log ${n8n.logPath}`);
    await t.phase('installPackage', () => n8n.installPackage(tgz));
    const good = { apiKey: key, apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl };
    const credential = { id: makeId(), name: 'Kadoa (credential test)', type: 'kadoaApi', data: good };
    await t.phase('import:credentials', () => n8n.importCredentials([credential]));
    await t.phase('n8n start → readiness', () => n8n.start());

    // What the editor reads to decide how to test the credential.
    const credType = (await n8n.credentialTypes()).find((c) => c.name === 'kadoaApi');
    assert.ok(credType, 'n8n lists the kadoaApi credential type');
    assert.strictEqual(credType.test, undefined, 'the credential type has no declarative test (n8n would run it instead of the node\'s)');
    const trigger = (await n8n.nodeTypes()).find((n) => n.name === `${PKG}.kadoaTrigger`);
    const entry = trigger && (trigger.credentials || []).find((c) => c.name === 'kadoaApi');
    assert.strictEqual(entry && entry.testedBy, 'kadoaApiConnectionTest', 'the Kadoa Trigger names its credential test');

    const test = (data) => n8n.client.testCredential({ id: credential.id, name: credential.name, type: 'kadoaApi', data });
    const results = [];
    const check = async (what, data, expected) => {
      const before = await sim.state();
      const r = await t.phase(`test: ${what}`, () => test(data));
      log(`${what}: ${r.status}: ${r.message}`);
      results.push([what, r]);
      assert.strictEqual(r.status, expected.status, `${what}: status ${r.status} (${r.message})`);
      assert.match(r.message, expected.message, `${what}: message`);
      assert.ok(!r.message.includes(key) && !r.message.includes(wrongKey), `${what}: no key in the message`);
      const after = await sim.state();
      return { r, tokenRequests: after.tokenRequests - before.tokenRequests, connectionAttempts: after.connectionAttempts - before.connectionAttempts };
    };

    // 1. A good key with realtime access.
    const okRun = await check('good key', good, { status: 'OK', message: /^Connected: the key works and realtime events are enabled for team team-e2e-credential$/ });
    assert.strictEqual(okRun.tokenRequests, 1, 'one token exchange');
    assert.strictEqual(okRun.connectionAttempts, 1, 'one probe socket');
    const afterOk = await sim.waitForState((s) => s.openSockets === 0, { timeoutMs: 5000, what: 'the probe socket closed' });
    assert.strictEqual(afterOk.subscribes.length, 0, 'the probe subscribes to nothing (no event can reach it)');

    // 2. A refused key.
    const refused = await check('refused key', { ...good, apiKey: wrongKey }, { status: 'Error', message: /^Kadoa refused the API key \(HTTP 401: Invalid API key\)\. Check the API key/ });
    assert.strictEqual(refused.connectionAttempts, 0, 'refused key: no socket opened');

    // 3. No realtime access (Kadoa Enterprise feature off: the upgrade gets 403).
    await sim.fault({ kind: 'realtime', on: false });
    try {
      await check('no realtime access', good, {
        status: 'Error',
        message: /^The API key works, but Kadoa refused realtime access \(HTTP 403.*\)\. Realtime events are a Kadoa Enterprise feature/,
      });
    } finally {
      await sim.fault({ kind: 'realtime', on: true });
    }

    // 4. An API URL that is not Kadoa: a server that answers 200 without a token, and a wrong path (404).
    await check('API URL not Kadoa (answers 200, no token)', { ...good, apiUrl: sink.url.replace(/\/$/, '') }, {
      status: 'Error',
      message: /^The API URL does not lead to Kadoa's API: The Kadoa token endpoint at http:\/\/127\.0\.0\.1:\d+\/v4\/oauth2\/token answered without an access token or team id\. Clear the API URL/,
    });
    const notFound = await check('API URL not Kadoa (404)', { ...good, apiUrl: `${sim.apiUrl}/not-kadoa` }, {
      status: 'Error',
      message: /^The API URL does not lead to Kadoa's API: Unexpected answer from the Kadoa token endpoint \(HTTP 404\)/,
    });
    assert.strictEqual(notFound.connectionAttempts, 0, 'API URL not Kadoa: no socket opened');

    // 5. An unreachable API URL.
    await check('API URL unreachable', { ...good, apiUrl: `http://127.0.0.1:${closed}` }, {
      status: 'Error',
      message: new RegExp(`^No answer from the API URL \\(cannot reach 127\\.0\\.0\\.1:${closed}: connection refused\\)\\. Check it in the credential`),
    });

    // 6. An unreachable Realtime URL: the key still buys a token first.
    const rtDown = await check('Realtime URL unreachable', { ...good, realtimeUrl: `ws://127.0.0.1:${closed}` }, {
      status: 'Error',
      message: new RegExp(`^The API key works, but there is no answer from the Realtime URL \\(cannot reach 127\\.0\\.0\\.1:${closed}: connection refused\\)`),
    });
    assert.strictEqual(rtDown.tokenRequests, 1, 'Realtime URL unreachable: the key was checked first');

    // 7. Plain-text URLs to another host: refused before anything is sent.
    const sinkBefore = sink.count();
    const invalid = await check('API URL http://example.invalid', { ...good, apiUrl: 'http://example.invalid' }, {
      status: 'Error',
      message: /^API URL must use https:\/\/ \(plain http:\/\/ is only allowed for localhost\), got "http:\/\/example\.invalid"\. The API key was not sent\./,
    });
    assert.strictEqual(invalid.tokenRequests, 0);
    await check('API URL http://[::ffff:127.0.0.1] (tripwire)', { ...good, apiUrl: `http://[::ffff:127.0.0.1]:${sink.port}` }, {
      status: 'Error',
      message: /^API URL must use https:\/\/ .*The API key was not sent\./,
    });
    await check('Realtime URL ws://[::ffff:127.0.0.1] (tripwire)', { ...good, realtimeUrl: `ws://[::ffff:127.0.0.1]:${sink.port}` }, {
      status: 'Error',
      message: /^Realtime URL must use wss:\/\/ .*The API key was not sent\./,
    });
    const wsOther = await check('Realtime URL ws://realtime.example.com', { ...good, realtimeUrl: 'ws://realtime.example.com' }, {
      status: 'Error',
      message: /^Realtime URL must use wss:\/\/ \(plain ws:\/\/ is only allowed for localhost\), got "ws:\/\/realtime\.example\.com"\. The API key was not sent\./,
    });
    assert.strictEqual(wsOther.tokenRequests, 0, 'a refused Realtime URL: the key is not sent to the (valid) API URL either');
    assert.strictEqual(sink.count(), sinkBefore, 'the tripwire sink received nothing: the key was never sent');

    // 8. The same credential tests OK again (nothing above changed what is stored).
    await check('good key again', good, { status: 'OK', message: /^Connected: / });

    // 9. No key in n8n's debug log or under its folder (it is stored encrypted).
    await t.phase('stop (SIGTERM)', () => n8n.stop());
    assert.deepStrictEqual(n8n.leftoverProcesses(), []);
    const checks = new Checks(NAME);
    checkNoSecrets(checks, n8n, [['API key', key], ['refused key', wrongKey]]);
    checks.done();
    log(`${results.length} credential tests through POST /rest/credentials/test`);
  });
}

runScenario(NAME, module, main);

module.exports = { main };
