'use strict';
// A client for one running n8n's HTTP APIs: the internal /rest API as the owner (session
// cookie, what the editor uses) and the public /api/v1 API (API key).

const { httpJson } = require('./util');

const OWNER = {
  email: 'e2e-owner@example.com',
  firstName: 'E2E',
  lastName: 'Owner',
  password: 'E2e-Owner-Passw0rd',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class N8nClient {
  /**
   * @param {object} o
   * @param {string} o.baseUrl  n8n's URL (mutable: the instance updates it when it moves ports)
   * @param {number} o.major    n8n's major version (login differs between 1.x and 2.x)
   * @param {string} [o.browserId]  the `browser-id` header bound to the session cookie
   */
  constructor({ baseUrl, major, browserId }) {
    this.baseUrl = baseUrl;
    this.major = major;
    this.browserId = browserId;
    this.cookie = null;
    this.apiKey = null;
  }

  /**
   * An HTTP request to this n8n (or to `baseUrl`, e.g. a worker's health server). body: object
   * (sent as JSON) or string. Resolves { status, headers, text, json }.
   */
  request(method, urlPath, { body, headers = {}, timeoutMs = 15000, baseUrl = this.baseUrl } = {}) {
    return httpJson(baseUrl, method, urlPath, { body, headers, timeoutMs });
  }

  _ownerHeaders() {
    return { cookie: this.cookie, 'browser-id': this.browserId };
  }

  /** A request to the internal /rest API as the owner (sets the owner up first if needed). Returns `data`. */
  async rest(method, urlPath, body, { timeoutMs } = {}) {
    if (!this.cookie) await this.setupOwner();
    const r = await this.request(method, `/rest${urlPath}`, { body, headers: this._ownerHeaders(), timeoutMs });
    if (r.status >= 400) throw new Error(`${method} /rest${urlPath} → ${r.status}: ${r.text.slice(0, 500)}`);
    return r.json && 'data' in r.json ? r.json.data : r.json;
  }

  _keepAuthCookie(r, what) {
    const setCookie = [].concat(r.headers['set-cookie'] || []);
    const auth = setCookie.map((c) => c.split(';')[0]).find((c) => c.startsWith('n8n-auth='));
    if (!auth) throw new Error(`${what}: no n8n-auth cookie in ${JSON.stringify(setCookie)}`);
    this.cookie = auth;
  }

  /** Creates the owner account on a fresh instance and keeps its session cookie. */
  async setupOwner(owner = OWNER) {
    const r = await this.request('POST', '/rest/owner/setup', { body: owner, headers: { 'browser-id': this.browserId } });
    if (r.status !== 200) throw new Error(`owner setup → ${r.status}: ${r.text.slice(0, 500)}`);
    this._keepAuthCookie(r, 'owner setup');
    return r.json && r.json.data;
  }

  /** Logs in as an existing user (2.x: emailOrLdapLoginId; 1.x: email), keeps the session cookie. Returns the user. */
  async login({ email, password } = OWNER) {
    const body = this.major >= 2 ? { emailOrLdapLoginId: email, password } : { email, password };
    const r = await this.request('POST', '/rest/login', { body, headers: { 'browser-id': this.browserId } });
    if (r.status !== 200) throw new Error(`login → ${r.status}: ${r.text.slice(0, 300)}`);
    this._keepAuthCookie(r, 'login');
    return r.json && r.json.data;
  }

  /** Sets the owner up on a fresh instance, or logs in when one exists (a kept folder). Returns 'created' or 'existing'. */
  async ensureOwner(owner = OWNER) {
    const settings = await this.request('GET', '/rest/settings');
    const um = settings.json && settings.json.data && settings.json.data.userManagement;
    if (um && um.showSetupOnFirstLoad === false) {
      await this.login(owner);
      return 'existing';
    }
    await this.setupOwner(owner);
    return 'created';
  }

  /** GET a path as the owner (session cookie), e.g. the editor's type files. */
  async ownerGet(urlPath) {
    if (!this.cookie) await this.setupOwner();
    const r = await this.request('GET', urlPath, { headers: this._ownerHeaders() });
    if (r.status >= 400) throw new Error(`GET ${urlPath} → ${r.status}: ${r.text.slice(0, 300)}`);
    return r.json;
  }

  /** Node types n8n loaded: [{ name: 'n8n-nodes-x.y', displayName, version, ... }]. */
  nodeTypes() {
    return this.ownerGet('/types/nodes.json');
  }

  /** Credential types n8n loaded: [{ name, displayName, properties, ... }]. */
  credentialTypes() {
    return this.ownerGet('/types/credentials.json');
  }

  /**
   * The credential dialog's "Test": POST /rest/credentials/test { credentials: { id, name, type,
   * data } } as the owner. `id` names a stored credential (n8n merges the stored secrets into
   * `data` where the editor sent its blanked placeholder). Returns { status: 'OK' | 'Error', message }.
   */
  testCredential({ id, name = '', type, data }, { timeoutMs = 30000 } = {}) {
    return this.rest('POST', '/credentials/test', { credentials: { id, name, type, data } }, { timeoutMs });
  }

  /** 2.x: GET /rest/workflows/:id/publication-status. */
  publicationStatus(id) {
    return this.rest('GET', `/workflows/${id}/publication-status`);
  }

  /** How many executions of a workflow n8n has stored (internal REST API). */
  async executionCount(workflowId) {
    const q = new URLSearchParams({ filter: JSON.stringify({ workflowId }), limit: '1' });
    const data = await this.rest('GET', `/executions?${q}`);
    return data && typeof data.count === 'number' ? data.count : data && data.results ? data.results.length : 0;
  }

  /** Creates a public-API key (all the owner's scopes by default). Returns the raw key (also kept). */
  async createApiKey({ scopes, label = 'e2e' } = {}) {
    if (!this.cookie) await this.setupOwner();
    if (!scopes) scopes = await this.rest('GET', '/api-keys/scopes');
    const created = await this.rest('POST', '/api-keys', { label, scopes, expiresAt: null });
    this.apiKey = created.rawApiKey;
    if (!this.apiKey) throw new Error(`api key creation returned no rawApiKey: ${JSON.stringify(created).slice(0, 300)}`);
    return this.apiKey;
  }

  /** A public API call (/api/v1...) with the API key (created first if needed). */
  async api(method, urlPath, body) {
    if (!this.apiKey) await this.createApiKey();
    const r = await this.request(method, `/api/v1${urlPath}`, { body, headers: { 'x-n8n-api-key': this.apiKey } });
    if (r.status >= 400) throw new Error(`${method} /api/v1${urlPath} → ${r.status}: ${r.text.slice(0, 500)}`);
    return r.json;
  }

  /** Public API: activate (2.x: publish) a workflow in the running n8n. */
  activate(id) {
    return this.api('POST', `/workflows/${id}/activate`);
  }

  /** Public API: deactivate a workflow in the running n8n (its triggers' closeFunction runs). */
  deactivate(id) {
    return this.api('POST', `/workflows/${id}/deactivate`);
  }

  /**
   * Public API: a workflow saved again as the editor's Save does, through PUT /workflows/:id
   * with the fields that endpoint takes (name, nodes, connections, settings). Returns the
   * stored workflow. `change(wf)` may edit a copy first (e.g. a node parameter).
   */
  async updateWorkflow(id, change = (wf) => wf) {
    const current = await this.api('GET', `/workflows/${id}`);
    const next = change(JSON.parse(JSON.stringify(current))) || current;
    const body = { name: next.name, nodes: next.nodes, connections: next.connections, settings: pickSettings(next.settings) };
    return this.api('PUT', `/workflows/${id}`, body);
  }

  /** Executions from the public API, newest first: [{ id, status, mode, workflowId, data? }]. Follows the cursor up to `max`. */
  async listExecutions({ workflowId, status, includeData = false, limit = 100, max = 1000 } = {}) {
    const out = [];
    let cursor;
    do {
      const q = new URLSearchParams({ limit: String(limit), includeData: String(includeData) });
      if (workflowId) q.set('workflowId', workflowId);
      if (status) q.set('status', status);
      if (cursor) q.set('cursor', cursor);
      const page = await this.api('GET', `/executions?${q}`);
      out.push(...(page.data || []));
      cursor = page.nextCursor;
    } while (cursor && out.length < max);
    return out;
  }

  /** Polls listExecutions until `count` finished executions match; resolves with them. */
  async waitForExecutions(count, { workflowId, status, includeData = false, timeoutMs = 60000, intervalMs = 500 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = (await this.listExecutions({ workflowId, status, includeData })).filter((e) => e.finished || e.stoppedAt);
      if (list.length >= count) return list;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} execution(s), got ${list.length}`);
      await sleep(intervalMs);
    }
  }
}

/** The settings keys the public API's workflow schema accepts (it refuses unknown ones). */
function pickSettings(settings = {}) {
  const allowed = ['saveExecutionProgress', 'saveManualExecutions', 'saveDataErrorExecution', 'saveDataSuccessExecution',
    'executionTimeout', 'errorWorkflow', 'timezone', 'executionOrder', 'callerPolicy', 'callerIds'];
  return Object.fromEntries(Object.entries(settings || {}).filter(([k]) => allowed.includes(k)));
}

module.exports = { N8nClient, OWNER };
