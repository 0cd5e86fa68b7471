'use strict';
// Test fixture trigger: emits one item every `intervalMs` while active, like a push trigger.
// Proves, inside a real n8n: the package loads from <N8N_USER_FOLDER>/.n8n/nodes, its
// production dependency (ws) resolves, n8n-workflow resolves to the HOST's copy (peer dep),
// credentials decrypt, static data persists across restarts, closeFunction runs on shutdown.
// Each item carries a fingerprint of the API key, never the key itself.
// With label "throw", trigger() throws: a failed activation, as with a revoked key.
const crypto = require('crypto');

class E2eFixtureTrigger {
  constructor() {
    this.description = {
      displayName: 'E2E Fixture Trigger',
      name: 'e2eFixtureTrigger',
      icon: 'file:fixture.svg',
      group: ['trigger'],
      version: 1,
      description: 'Emits a test item every few seconds (e2e fixture)',
      defaults: { name: 'E2E Fixture Trigger' },
      inputs: [],
      outputs: ['main'],
      credentials: [{ name: 'e2eFixtureApi', required: true }],
      properties: [
        { displayName: 'Interval (ms)', name: 'intervalMs', type: 'number', default: 1000 },
        { displayName: 'Label', name: 'label', type: 'string', default: 'fixture' },
      ],
    };
  }

  async trigger() {
    const intervalMs = this.getNodeParameter('intervalMs', 1000);
    const label = this.getNodeParameter('label', 'fixture');
    const creds = await this.getCredentials('e2eFixtureApi');
    const keyFingerprint = crypto.createHash('sha256').update(String(creds.apiKey)).digest('hex').slice(0, 12);
    const wsLoaded = typeof require('ws').WebSocket === 'function';
    const n8nWorkflowPath = require.resolve('n8n-workflow');
    const staticData = this.getWorkflowStaticData('node');
    const mode = this.getMode();
    const activationMode = typeof this.getActivationMode === 'function' ? this.getActivationMode() : undefined;
    const startedAt = new Date().toISOString();
    if (label === 'throw') throw new Error('E2E fixture: activation refused (label "throw")');
    this.logger.info(`E2E fixture trigger started (label ${label}, mode ${mode}, activation ${activationMode})`);

    const emitOne = () => {
      staticData.seq = (staticData.seq || 0) + 1;
      this.emit([
        this.helpers.returnJsonArray([
          { seq: staticData.seq, label, keyFingerprint, wsLoaded, n8nWorkflowPath, mode, activationMode, startedAt },
        ]),
      ]);
    };
    let timer = null;
    if (mode === 'trigger') timer = setInterval(emitOne, intervalMs);

    return {
      closeFunction: async () => {
        if (timer) clearInterval(timer);
        this.logger.info(`E2E fixture trigger closed (label ${label}, last seq ${staticData.seq || 0})`);
      },
      manualTriggerFunction: async () => {
        setTimeout(emitOne, 10);
      },
    };
  }
}
exports.E2eFixtureTrigger = E2eFixtureTrigger;
