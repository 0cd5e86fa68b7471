'use strict';
// A real, headless n8n (2.x on Node 24, or 1.x on the system Node) for end-to-end tests: one
// user folder, one main process (and in queue mode one worker), and the APIs to drive it.
// Plain CommonJS on Node built-ins only, so the system Node 20 runs it without a build step.
//
//   const { installN8n, N8nInstance } = require('./n8n-instance');
//   const { nodeBin, n8nDir } = installN8n('2.41.1');        // runs install-n8n.sh (cached)
//   const n8n = new N8nInstance({ nodeBin, n8nDir });         // logLevel: N8N_E2E_LOG_LEVEL or 'info'
//   await n8n.init();                                         // temp folders + free ports
//   await n8n.installPackage('/tmp/x/n8n-nodes-kadoa-0.1.0.tgz');
//   await n8n.importCredentials([{ id, name, type: 'kadoaApi', data: { apiKey } }]);
//   const id = await n8n.importWorkflow(workflowJson);        // fixed 16-char id (made if missing)
//   await n8n.activateWorkflow(id);                           // publish:workflow (2.x) / update:workflow (1.x)
//   await n8n.start();                                        // n8n start, waits for readiness + REST
//   await n8n.waitForActivation(id);                          // the workflow's triggers are running
//   ... n8n.readLog(), await n8n.waitForLog(/text/), await n8n.listExecutions({ workflowId: id })
//   await n8n.stop();                                         // SIGTERM, SIGKILL after a timeout
//   n8n.leftoverProcesses()                                   // [] when nothing survived
//   n8n.findInFiles(secret)                                   // [] when the secret is nowhere in clear
//   await n8n.dispose();                                      // stop + remove every temp folder
// See README.md for the whole API.
//
// This file puts the parts together; each part has its own module:
//   n8n-env.js      installN8n(), the environment of every n8n process
//   n8n-cli.js      `n8n import:*`, publish/unpublish (before start)
//   n8n-package.js  installing a community-package tarball
//   n8n-process.js  the main and worker processes: spawn, readiness, stop, leftovers
//   n8n-rest.js     the /rest API as the owner and the public /api/v1 API
//   n8n-log.js      the log file, 1.x activation from the log, secrets on disk
//   processes.js, ports.js   /proc bookkeeping, free ports

const fs = require('fs');
const os = require('os');
const path = require('path');
const { N8nCli } = require('./n8n-cli');
const { installN8n, n8nEnv, DEFAULT_N8N_VERSION, DEFAULT_ENCRYPTION_KEY } = require('./n8n-env');
const { LogFile, activationFromLog, findInFiles } = require('./n8n-log');
const { installPackage } = require('./n8n-package');
const { ServerProcess } = require('./n8n-process');
const { N8nClient, OWNER } = require('./n8n-rest');
const { freePort, freePorts, isPortFree } = require('./ports');
const { processTree } = require('./processes');
const { makeId } = require('./util');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Instances alive in this process, for emergency cleanup on exit / Ctrl-C.
const live = new Set();
let handlersInstalled = false;
let signalHandlersInstalled = false;
function installExitHandlers({ signals = true } = {}) {
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('exit', () => {
      for (const inst of live) inst._emergencyCleanup();
    });
  }
  if (!signals || signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      for (const inst of live) inst._emergencyCleanup();
      process.exit(128 + (os.constants.signals[sig] || 1));
    });
  }
}

class N8nInstance {
  /**
   * @param {object} o
   * @param {string} o.nodeBin   folder with the node/npm binaries for this n8n (from installN8n)
   * @param {string} o.n8nDir    folder whose node_modules holds n8n (from installN8n)
   * @param {string} [o.logLevel]  N8N_LOG_LEVEL; default env N8N_E2E_LOG_LEVEL or 'info'
   * @param {object} [o.env]     extra env for every n8n process (undefined value = unset)
   * @param {string} [o.encryptionKey]
   * @param {boolean} [o.keep]   keep the temp folder on dispose (default env N8N_E2E_KEEP=1)
   * @param {string} [o.name]    label used in log lines and the temp folder name
   * @param {boolean} [o.echo]   also copy the harness's lines to this process's stderr (env N8N_E2E_ECHO=1)
   * @param {string} [o.root]    a fixed, persistent folder instead of a temp one (never removed:
   *                             the demo keeps its n8n there between runs)
   * @param {number} [o.port]    n8n's port (default: a free one); must be free at init()
   * @param {boolean} [o.signals] install SIGINT/SIGTERM handlers that kill n8n (default true;
   *                             false when the caller stops n8n itself on a signal)
   */
  constructor(o) {
    if (!o || !o.nodeBin || !o.n8nDir) throw new Error('N8nInstance needs { nodeBin, n8nDir } (see installN8n())');
    this.nodeBin = o.nodeBin;
    this.n8nDir = o.n8nDir;
    this.node = path.join(o.nodeBin, 'node');
    this.n8nBin = path.join(o.n8nDir, 'node_modules', 'n8n', 'bin', 'n8n');
    const pkg = JSON.parse(fs.readFileSync(path.join(o.n8nDir, 'node_modules', 'n8n', 'package.json'), 'utf8'));
    this.version = pkg.version;
    this.major = Number(pkg.version.split('.')[0]);
    this.logLevel = o.logLevel || process.env.N8N_E2E_LOG_LEVEL || 'info';
    this.extraEnv = o.env || {};
    this.encryptionKey = o.encryptionKey || DEFAULT_ENCRYPTION_KEY;
    this.keep = o.keep ?? process.env.N8N_E2E_KEEP === '1';
    this.echo = o.echo ?? process.env.N8N_E2E_ECHO === '1';
    this.name = o.name || 'n8n';
    this.fixedRoot = o.root ? path.resolve(o.root) : null;
    this.fixedPort = o.port || null;
    this.signals = o.signals !== false;
    this.client = new N8nClient({ baseUrl: null, major: this.major, browserId: `e2e-${makeId()}` });
    this.main = null; // ServerProcess of `n8n start` (init)
    this.worker = null; // queue mode: ServerProcess of `n8n worker` plus its ports (startWorker)
    this.disposed = false;
  }

  /** Creates the folders, the log and the CLI, and picks two free loopback ports. */
  async init() {
    if (this.fixedRoot) fs.mkdirSync((this.root = this.fixedRoot), { recursive: true });
    else this.root = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-e2e-${this.name}-`));
    this.userFolder = path.join(this.root, 'user'); // N8N_USER_FOLDER; n8n uses <it>/.n8n
    this.n8nFolder = path.join(this.userFolder, '.n8n');
    this.nodesDir = path.join(this.n8nFolder, 'nodes');
    this.home = path.join(this.root, 'home');
    this.work = path.join(this.root, 'work');
    for (const d of [this.n8nFolder, this.home, this.work]) fs.mkdirSync(d, { recursive: true });
    this.log = new LogFile(path.join(this.root, 'n8n.log'), { echo: this.echo ? (line) => process.stderr.write(`[${this.name}] ${line}`) : undefined });
    this.log.reset();
    this.main = new ServerProcess({ label: 'n8n', log: this.log });
    this.commands = new N8nCli({ node: this.node, n8nBin: this.n8nBin, workDir: this.work, env: () => this.env(), log: this.log, major: this.major, serverRunning: () => this.main.running });
    this.port = this.fixedPort || (await freePort());
    [this.brokerPort] = await freePorts(1, [this.port]);
    this.client.baseUrl = this.baseUrl;
    live.add(this);
    installExitHandlers({ signals: this.signals });
    this.log.note(`n8n ${this.version} in ${this.root}, port ${this.port}, runner broker ${this.brokerPort}`);
    return this;
  }

  get baseUrl() {
    return this.port ? `http://127.0.0.1:${this.port}` : undefined;
  }

  /** Environment of every n8n process (CLI and server). */
  env() {
    const { nodeBin, home, userFolder, encryptionKey, port, brokerPort, baseUrl, logLevel, major, extraEnv } = this;
    return n8nEnv({ nodeBin, home, userFolder, encryptionKey, port, brokerPort, baseUrl, logLevel, major, extraEnv });
  }

  // ------------------------------------------------------------ log (n8n-log.js)

  get logPath() {
    return this.log && this.log.path;
  }

  _log(msg) {
    this.log.note(msg);
  }

  /** Everything n8n (CLI steps and server) printed so far, plus this harness's own lines. */
  readLog() {
    return this.log.read();
  }

  /** The log's current length: pass it as `from` to waitForLog to look only at newer output. */
  logMark() {
    return this.log.mark();
  }

  /** The last n lines of the log (for failure reports). */
  logTail(n = 60) {
    return this.log.tail(n);
  }

  /** Waits until the log (after byte offset `from`) matches; rejects on timeout or if n8n exits meanwhile. */
  waitForLog(pattern, { timeoutMs = 60000, from = 0, intervalMs = 100 } = {}) {
    return this.log.waitFor(pattern, { timeoutMs, from, intervalMs, failIf: () => (this.exited ? `n8n exited (${JSON.stringify(this.exited)})` : null) });
  }

  /** Files under the temp folder (logs, event log, sqlite + WAL; not node_modules) containing `needle`. */
  findInFiles(needle) {
    return findInFiles(this.root, needle);
  }

  // ------------------------------------------------------------ CLI steps, before start (n8n-cli.js, n8n-package.js)

  cli(args, options) {
    return this.commands.run(args, options);
  }

  importCredentials(creds) {
    return this.commands.importCredentials(creds);
  }

  importWorkflow(wf) {
    return this.commands.importWorkflow(wf);
  }

  activateWorkflow(id) {
    return this.commands.activateWorkflow(id);
  }

  deactivateWorkflow(id) {
    return this.commands.deactivateWorkflow(id);
  }

  async installPackage(tgz, { method = 'n8n', timeoutMs = 300000 } = {}) {
    return installPackage(tgz, { nodesDir: this.nodesDir, workDir: this.work, nodeBin: this.nodeBin, log: this.log, method, timeoutMs });
  }

  // ------------------------------------------------------------ the main process (n8n-process.js)

  get pid() {
    return this.main ? this.main.pid : null;
  }

  /** { code, signal } once the current main process exited, else null. */
  get exited() {
    return this.main ? this.main.exited : null;
  }

  get proc() {
    return this.main ? this.main.proc : null;
  }

  /**
   * Starts `n8n start` and waits for GET /healthz/readiness → 200 and then for the REST API
   * (GET /rest/settings → 200; n8n 1.x is "ready" seconds before its routes exist). If a port was
   * taken in the meantime (n8n exits with "already in use"), picks new ports and tries again.
   * Restartable after stop() (same folder, same ports). Returns { ms (to REST up), readyMs, attempts }.
   */
  async start({ timeoutMs = 180000, portRetries = 2 } = {}) {
    const t0 = Date.now();
    for (let attempt = 1; ; attempt++) {
      const mark = this.logMark();
      try {
        await this._startOnce(t0 + timeoutMs);
        const ms = Date.now() - t0;
        this._log(`n8n ready after ${ms} ms (readiness ${this.readyMs} ms)`);
        return { ms, readyMs: this.readyMs, attempts: attempt };
      } catch (e) {
        const text = fs.readFileSync(this.logPath).subarray(mark).toString('utf8');
        if (this.exited && attempt <= portRetries && /already in use|EADDRINUSE/.test(text)) {
          this.main.proc = null;
          this.port = await freePort();
          [this.brokerPort] = await freePorts(1, [this.port]);
          this.client.baseUrl = this.baseUrl;
          this._log(`port taken: retrying on port ${this.port}, runner broker ${this.brokerPort}`);
          continue;
        }
        throw e;
      }
    }
  }

  async _startOnce(deadline) {
    const t0 = Date.now();
    this._log('$ n8n start');
    this.main.spawn({ node: this.node, args: [this.n8nBin, 'start'], cwd: this.work, env: this.env() });
    await this.main.waitReady(async () => (await this.request('GET', '/healthz/readiness', { timeoutMs: 2000 })).status === 200, { deadline, what: 'ready' });
    this.readyMs = Date.now() - t0;
    // n8n 1.x answers readiness before its REST routes exist (POST /rest/owner/setup → 404 for a
    // few seconds): also wait for the (unauthenticated) settings route.
    await this.main.waitReady(async () => {
      const r = await this.request('GET', '/rest/settings', { timeoutMs: 2000 });
      return r.status === 200 && r.json;
    }, { deadline, what: 'serving its REST API' });
    this.main.remember();
  }

  /** Processes started by this instance's main that are still alive: [{ pid, cmd }]. */
  leftoverProcesses() {
    return this.main ? this.main.leftovers() : [];
  }

  /**
   * Stops n8n by pid. SIGTERM (default): n8n calls every trigger's closeFunction and stops its
   * task runner; SIGKILL after timeoutMs. signal 'SIGKILL': a crash (`kill -9`), nothing runs on
   * the way out. Leftovers are then killed by pid. Returns { ms, code, signal, forced, leftovers }.
   */
  stop({ signal = 'SIGTERM', timeoutMs = 20000 } = {}) {
    return this.main ? this.main.stop({ signal, timeoutMs }) : { ms: 0, code: null, signal: null, forced: false, leftovers: [] };
  }

  /** stopWorker(), stop(), then remove the temp folder (kept with keep / N8N_E2E_KEEP=1). */
  async dispose() {
    if (this.disposed) return;
    try {
      await this.stopWorker();
      await this.stop();
    } finally {
      this.disposed = true;
      live.delete(this);
      if (this.root && !this.keep && !this.fixedRoot) fs.rmSync(this.root, { recursive: true, force: true });
      else if (this.root && !this.fixedRoot) process.stderr.write(`[e2e] kept ${this.root}\n`);
    }
  }

  /** Synchronous last resort (process exit / Ctrl-C): SIGKILL by pid, remove folders. */
  _emergencyCleanup() {
    for (const kill of [() => this.worker && this.worker.process.killNow(), () => this.main && this.main.killNow(), () => this.commands && this.commands.killAll()]) {
      try {
        kill();
      } catch {
        /* best effort */
      }
    }
    try {
      if (this.root && !this.keep && !this.fixedRoot) fs.rmSync(this.root, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
    live.delete(this);
  }

  // ------------------------------------------------------------ queue mode: a worker process

  /**
   * Starts `n8n worker` beside the main (queue mode: put EXECUTIONS_MODE=queue and
   * QUEUE_BULL_REDIS_HOST/PORT into `env`): the same env and N8N_USER_FOLDER, its own session,
   * its own log file (`worker.log` beside n8n.log), its own task-runner broker port, and its
   * health server (QUEUE_HEALTH_CHECK_*) on a free 127.0.0.1 port. Waits for the worker's
   * GET /healthz/readiness → 200 (database, Redis, queue processing). Restartable after
   * stopWorker() (same ports, same log). Returns { ms, pid }.
   */
  async startWorker({ timeoutMs = 120000, concurrency } = {}) {
    if (this.worker && this.worker.process.running) throw new Error('worker already started');
    const t0 = Date.now();
    if (!this.worker) {
      const [port, brokerPort] = await freePorts(2, [this.port, this.brokerPort]);
      const log = new LogFile(path.join(this.root, 'worker.log'));
      log.reset();
      this.worker = { port, brokerPort, log, process: new ServerProcess({ label: 'n8n worker', log, notes: this.log }) };
    }
    const w = this.worker;
    const env = {
      ...this.env(),
      N8N_RUNNERS_BROKER_PORT: String(w.brokerPort), // the main's broker port is taken
      QUEUE_HEALTH_CHECK_ACTIVE: 'true',
      QUEUE_HEALTH_CHECK_PORT: String(w.port),
      N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
    };
    const args = [this.n8nBin, 'worker', ...(concurrency ? [`--concurrency=${concurrency}`] : [])];
    this._log(`$ n8n worker (log ${w.log.path}, health port ${w.port}, runner broker ${w.brokerPort})`);
    w.log.note(`$ n8n ${args.slice(1).join(' ')}`);
    w.process.spawn({ node: this.node, args, cwd: this.work, env });
    const baseUrl = `http://127.0.0.1:${w.port}`;
    await w.process.waitReady(async () => (await this.request('GET', '/healthz/readiness', { timeoutMs: 2000, baseUrl })).status === 200, {
      deadline: t0 + timeoutMs,
      what: 'ready',
    });
    w.process.remember();
    const ms = Date.now() - t0;
    this._log(`n8n worker pid ${w.process.pid} ready after ${ms} ms`);
    return { ms, pid: w.process.pid };
  }

  /** Processes of the worker's tree (task runner included) still alive: [{ pid, cmd }]. */
  workerLeftoverProcesses() {
    return this.worker ? this.worker.process.leftovers() : [];
  }

  /**
   * Stops the worker by pid (as stop() does for the main). SIGTERM (default): it stops taking
   * jobs and lets running executions finish, up to N8N_GRACEFUL_SHUTDOWN_TIMEOUT; 'SIGKILL': a crash.
   */
  stopWorker({ signal = 'SIGTERM', timeoutMs = 40000 } = {}) {
    if (!this.worker) return { ms: 0, code: null, signal: null, forced: false, leftovers: [] };
    return this.worker.process.stop({ signal, timeoutMs });
  }

  /** The worker's pid while it runs (else null). */
  get workerPid() {
    return this.worker && this.worker.process.running ? this.worker.process.pid : null;
  }

  get workerLogPath() {
    return this.worker ? this.worker.log.path : null;
  }

  /** Everything the worker printed so far (all its starts) plus the harness's lines about it. */
  readWorkerLog() {
    return this.worker ? this.worker.log.read() : '';
  }

  workerLogMark() {
    return this.worker ? this.worker.log.mark() : 0;
  }

  /** waitForLog on the worker's log. */
  waitForWorkerLog(pattern, { timeoutMs = 60000, from = 0, intervalMs = 100 } = {}) {
    return this.worker.log.waitFor(pattern, { timeoutMs, from, intervalMs, what: 'worker log' });
  }

  // ------------------------------------------------------------ HTTP / REST / public API (n8n-rest.js)

  get apiKey() {
    return this.client.apiKey;
  }

  get cookie() {
    return this.client.cookie;
  }

  request(method, urlPath, options) {
    return this.client.request(method, urlPath, options);
  }

  rest(method, urlPath, body, options) {
    return this.client.rest(method, urlPath, body, options);
  }

  setupOwner(owner) {
    return this.client.setupOwner(owner);
  }

  login(owner) {
    return this.client.login(owner);
  }

  ensureOwner(owner) {
    return this.client.ensureOwner(owner);
  }

  executionCount(workflowId) {
    return this.client.executionCount(workflowId);
  }

  createApiKey(options) {
    return this.client.createApiKey(options);
  }

  api(method, urlPath, body) {
    return this.client.api(method, urlPath, body);
  }

  ownerGet(urlPath) {
    return this.client.ownerGet(urlPath);
  }

  nodeTypes() {
    return this.client.nodeTypes();
  }

  credentialTypes() {
    return this.client.credentialTypes();
  }

  listExecutions(options) {
    return this.client.listExecutions(options);
  }

  waitForExecutions(count, options) {
    return this.client.waitForExecutions(count, options);
  }

  /**
   * Whether the triggers of an active workflow are running in this n8n.
   * 2.x: GET /rest/workflows/:id/publication-status →
   *   { status: 'in_progress' | 'not_published' | 'published' | 'partial' | 'failed',
   *     triggers: [{ nodeId, status: 'activated' | 'failed' | ..., errorMessage }] }.
   * 1.x (no such route): the same shape, derived from the log (n8n-log.js activationFromLog).
   */
  async workflowActivation(id) {
    if (this.major >= 2) return this.client.publicationStatus(id);
    return activationFromLog(this.readLog(), id);
  }

  /**
   * Polls workflowActivation(id) until it settles. Resolves with it when 'published'; when
   * 'failed' or 'partial', rejects with the trigger errors unless allowFailure (then resolves).
   */
  async waitForActivation(id, { timeoutMs = 60000, intervalMs = 200, allowFailure = false } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = await this.workflowActivation(id);
      if (st.status === 'published') return st;
      if (st.status === 'failed' || st.status === 'partial') {
        if (allowFailure) return st;
        throw new Error(`workflow ${id} activation ${st.status}: ${JSON.stringify(st.triggers)}`);
      }
      if (this.exited) throw new Error(`n8n exited while waiting for workflow ${id} to activate`);
      if (Date.now() > deadline) throw new Error(`workflow ${id} not active after ${timeoutMs} ms: ${JSON.stringify(st)}`);
      await sleep(intervalMs);
    }
  }
}

module.exports = { installN8n, N8nInstance, freePort, isPortFree, makeId, processTree, DEFAULT_N8N_VERSION, OWNER };
