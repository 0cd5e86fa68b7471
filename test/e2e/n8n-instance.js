'use strict';
// Runs a real, headless n8n (2.x on Node 24, or 1.x on the system Node) for end-to-end tests.
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
// All CLI steps (import, publish) must run before start(): the CLI writes to the same sqlite
// database and a running n8n does not notice the change.

const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const { httpJson } = require('./util');
const net = require('net');
const os = require('os');
const path = require('path');

const E2E_DIR = __dirname;
const DEFAULT_N8N_VERSION = '2.41.1';
const DEFAULT_ENCRYPTION_KEY = 'n8n-nodes-kadoa-e2e-fixed-encryption-key';
const OWNER = {
  email: 'e2e-owner@example.com',
  firstName: 'E2E',
  lastName: 'Owner',
  password: 'E2e-Owner-Passw0rd',
};

const now = () => Date.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs install-n8n.sh (instant when cached) and returns { nodeBin, n8nDir, version, ms }.
 * nodeBin is the folder holding `node` and `npm` to use for this n8n.
 */
function installN8n(version = process.env.N8N_E2E_VERSION || DEFAULT_N8N_VERSION) {
  const t0 = now();
  const res = spawnSync('bash', [path.join(E2E_DIR, 'install-n8n.sh'), version], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    env: cleanParentEnv(process.env),
  });
  if (res.status !== 0) throw new Error(`install-n8n.sh ${version} failed (exit ${res.status})`);
  const out = Object.fromEntries(
    res.stdout
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  if (!out.NODE_BIN || !out.N8N_DIR) throw new Error(`install-n8n.sh printed no NODE_BIN/N8N_DIR:\n${res.stdout}`);
  return { nodeBin: out.NODE_BIN, n8nDir: out.N8N_DIR, version, ms: now() - t0 };
}

/** Whether a TCP port on 127.0.0.1 can be bound right now. */
function isPortFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1 (bind to 0, read, close). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The parent's environment without anything that could steer n8n or npm by accident:
 * n8n's own settings, and the npm_* variables `npm run` injects.
 */
function cleanParentEnv(env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^(N8N_|DB_|EXECUTIONS_|QUEUE_|npm_|NODE_OPTIONS$|NODE_PATH$|WEBHOOK_URL$|GENERIC_TIMEZONE$|CODE_ENABLE_STDOUT$)/.test(k)) continue;
    out[k] = v;
  }
  return out;
}

/** A 16-character workflow/credential id, like n8n's own nanoid ids. */
function makeId() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(16);
  let id = '';
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return id;
}

// ---------------------------------------------------------------- process bookkeeping (/proc)

/** [pid, ppid, pgrp, session, starttime] of a live process, or null. */
function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: split after the last ')'.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return null; // zombie: already dead
    return { pid, ppid: +rest[1], pgrp: +rest[2], session: +rest[3], start: rest[19] };
  } catch {
    return null;
  }
}

function allPids() {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Every live descendant of pid (by parent links) plus every member of its session. */
function processTree(rootPid) {
  const stats = allPids().map(procStat).filter(Boolean);
  const children = new Map();
  for (const s of stats) {
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(s);
  }
  const found = new Map();
  const queue = [rootPid];
  while (queue.length) {
    const p = queue.shift();
    for (const c of children.get(p) || []) {
      if (!found.has(c.pid)) {
        found.set(c.pid, c);
        queue.push(c.pid);
      }
    }
  }
  for (const s of stats) if (s.session === rootPid && s.pid !== rootPid) found.set(s.pid, s);
  const root = procStat(rootPid);
  if (root) found.set(rootPid, root);
  return [...found.values()];
}

function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Sends a signal to each { pid } (by pid only); ignores the ones already gone. */
function killPids(list, signal) {
  for (const { pid } of list) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

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

// ---------------------------------------------------------------- the instance

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
   * @param {boolean} [o.echo]   also copy n8n's output to this process's stderr (env N8N_E2E_ECHO=1)
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
    this.npm = path.join(o.nodeBin, 'npm');
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
    this.proc = null;
    this.pid = null;
    this.exited = null; // { code, signal } once the n8n process exited
    this.knownPids = new Map(); // pid -> starttime, every process seen in n8n's tree
    this.cliChildren = new Set(); // running `n8n <command>` CLI processes
    this.apiKey = null;
    this.cookie = null;
    this.browserId = `e2e-${makeId()}`;
    this.disposed = false;
    this.worker = null; // queue mode: the `n8n worker` process (startWorker)
  }

  /** Creates the temp folders and picks two free loopback ports. */
  async init() {
    if (this.fixedRoot) fs.mkdirSync((this.root = this.fixedRoot), { recursive: true });
    else this.root = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-e2e-${this.name}-`));
    this.userFolder = path.join(this.root, 'user'); // N8N_USER_FOLDER; n8n uses <it>/.n8n
    this.n8nFolder = path.join(this.userFolder, '.n8n');
    this.nodesDir = path.join(this.n8nFolder, 'nodes');
    this.home = path.join(this.root, 'home');
    this.work = path.join(this.root, 'work');
    for (const d of [this.n8nFolder, this.home, this.work]) fs.mkdirSync(d, { recursive: true });
    this.logPath = path.join(this.root, 'n8n.log');
    fs.writeFileSync(this.logPath, '');
    this.port = this.fixedPort || (await freePort());
    do this.brokerPort = await freePort();
    while (this.brokerPort === this.port);
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    live.add(this);
    installExitHandlers({ signals: this.signals });
    this._log(`n8n ${this.version} in ${this.root}, port ${this.port}, runner broker ${this.brokerPort}`);
    return this;
  }

  /** Environment of every n8n process (CLI and server). */
  env() {
    const env = cleanParentEnv(process.env);
    Object.assign(env, {
      PATH: `${this.nodeBin}:${env.PATH || '/usr/bin:/bin'}`, // the JS task runner is spawned as plain `node`
      HOME: this.home,
      N8N_USER_FOLDER: this.userFolder,
      N8N_ENCRYPTION_KEY: this.encryptionKey,
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      N8N_HOST: '127.0.0.1',
      N8N_PORT: String(this.port),
      N8N_PROTOCOL: 'http',
      N8N_EDITOR_BASE_URL: `${this.baseUrl}/`,
      N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
      N8N_RUNNERS_BROKER_PORT: String(this.brokerPort),
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      N8N_PERSONALIZATION_ENABLED: 'false',
      N8N_HIRING_BANNER_ENABLED: 'false',
      N8N_DYNAMIC_BANNERS_ENABLED: 'false',
      N8N_AI_ENABLED: 'false',
      N8N_SECURE_COOKIE: 'false',
      DB_TYPE: 'sqlite',
      EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
      EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
      EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS: 'true',
      N8N_LOG_LEVEL: this.logLevel,
      GENERIC_TIMEZONE: 'UTC',
      TZ: 'UTC',
      NO_COLOR: '1', // n8n's logger colours even when not on a TTY: plain text is greppable
    });
    if (this.major >= 2) {
      env.N8N_DISABLED_MODULES = 'mcp-registry'; // stops an outbound call at start-up; 1.x rejects the name
      env.N8N_WEBHOOK_URL = `${this.baseUrl}/`; // 2.x deprecates WEBHOOK_URL
    } else {
      env.WEBHOOK_URL = `${this.baseUrl}/`;
      env.N8N_EXPRESSION_ENGINE = 'legacy'; // n8n 1.x on Node 20 (see n8n-trigger-notes.md)
      // 1.x defaults to one shared sqlite connection; with executions saving every second while
      // the owner was set up, its fresh session cookie was refused (401) in 3 of 6 runs. With the
      // pooled driver (the only one in 2.x) 5 of 5 runs passed.
      env.DB_SQLITE_POOL_SIZE = '2';
      env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS = 'true'; // silences a warning about config's mode
    }
    for (const [k, v] of Object.entries(this.extraEnv)) {
      if (v === undefined || v === null) delete env[k];
      else env[k] = String(v);
    }
    return env;
  }

  // ------------------------------------------------------------ logging

  _log(msg) {
    const line = `[e2e ${new Date().toISOString()}] ${msg}\n`;
    if (this.logPath) fs.appendFileSync(this.logPath, line);
    if (this.echo) process.stderr.write(`[${this.name}] ${line}`);
  }

  /** Everything n8n (CLI steps and server) printed so far, plus this harness's own lines. */
  readLog() {
    return fs.readFileSync(this.logPath, 'utf8');
  }

  /** The log's current length: pass it as `from` to waitForLog to look only at newer output. */
  logMark() {
    return fs.statSync(this.logPath).size;
  }

  /**
   * Waits until the log (after byte offset `from`) matches `pattern` (RegExp or string).
   * Resolves with the match; rejects on timeout or if n8n exits meanwhile.
   */
  async waitForLog(pattern, { timeoutMs = 60000, from = 0, intervalMs = 100 } = {}) {
    const deadline = now() + timeoutMs;
    for (;;) {
      const text = fs.readFileSync(this.logPath).subarray(from).toString('utf8');
      const m = typeof pattern === 'string' ? (text.includes(pattern) ? [pattern] : null) : text.match(pattern);
      if (m) return m;
      if (this.exited) throw new Error(`n8n exited (${JSON.stringify(this.exited)}) before log matched ${pattern}`);
      if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for log ${pattern}`);
      await sleep(intervalMs);
    }
  }

  /**
   * Files under this instance's temp folder (n8n log, n8n's event logs, the sqlite database and
   * its WAL, config, ...; installed packages excluded) whose bytes contain `needle`. A secret
   * that n8n stores encrypted and never logs gives []. Returns paths relative to the temp folder.
   */
  findInFiles(needle) {
    const hits = [];
    const buf = Buffer.from(String(needle));
    const walk = (dir) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'node_modules') walk(p);
        } else if (e.isFile()) {
          try {
            if (fs.readFileSync(p).includes(buf)) hits.push(path.relative(this.root, p));
          } catch {
            /* vanished */
          }
        }
      }
    };
    walk(this.root);
    return hits;
  }

  /** The last n lines of the log (for failure reports). */
  logTail(n = 60) {
    return this.readLog().split('\n').slice(-n).join('\n');
  }

  // ------------------------------------------------------------ CLI

  /**
   * Runs `n8n <args>` to completion with this instance's env; output goes to the log.
   * Resolves { code, stdout, stderr, ms }; rejects on non-zero exit unless allowFailure.
   */
  cli(args, { timeoutMs = 120000, allowFailure = false } = {}) {
    const t0 = now();
    this._log(`$ n8n ${args.join(' ')}`);
    return new Promise((resolve, reject) => {
      const child = spawn(this.node, [this.n8nBin, ...args], {
        cwd: this.work,
        env: this.env(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.cliChildren.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
        fs.appendFileSync(this.logPath, d);
      });
      child.stderr.on('data', (d) => {
        stderr += d;
        fs.appendFileSync(this.logPath, d);
      });
      const timer = setTimeout(() => {
        this._log(`n8n ${args[0]} timed out after ${timeoutMs} ms: SIGKILL pid ${child.pid}`);
        try {
          child.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        this.cliChildren.delete(child);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.cliChildren.delete(child);
        const ms = now() - t0;
        this._log(`n8n ${args[0]} exited ${code ?? signal} after ${ms} ms`);
        const r = { code, signal, stdout, stderr, ms };
        if ((code !== 0 || signal) && !allowFailure) {
          reject(new Error(`n8n ${args.join(' ')} failed (${code ?? signal}):\n${stdout}\n${stderr}`));
        } else resolve(r);
      });
    });
  }

  _writeWork(name, data) {
    const file = path.join(this.work, name);
    fs.writeFileSync(file, JSON.stringify(data, null, 2));
    return file;
  }

  /**
   * Imports credentials. Each entry: { id?, name, type, data: { plain fields } }; n8n encrypts
   * `data` on import. Returns the ids (generated when missing). The JSON file holding the
   * plain secrets is deleted right after the import.
   */
  async importCredentials(creds) {
    const list = (Array.isArray(creds) ? creds : [creds]).map((c) => ({ id: c.id || makeId(), ...c }));
    const file = this._writeWork(`credentials-${makeId()}.json`, list);
    try {
      await this.cli(['import:credentials', `--input=${file}`]);
    } finally {
      fs.rmSync(file, { force: true });
    }
    return list.map((c) => c.id);
  }

  /**
   * Imports one workflow (object) or several (array, one CLI run). A missing `id` gets a
   * 16-character one; missing `name`, `settings`, `connections`, `pinData` get defaults.
   * Returns the id (or the ids). Inactive until activateWorkflow(id).
   */
  async importWorkflow(wf) {
    const list = (Array.isArray(wf) ? wf : [wf]).map((w) => ({
      name: 'E2E workflow',
      settings: { executionOrder: 'v1' },
      connections: {},
      pinData: {},
      ...w,
      id: w.id || makeId(),
      active: false,
    }));
    const file = this._writeWork(`workflows-${makeId()}.json`, list);
    await this.cli(['import:workflow', `--input=${file}`]);
    const ids = list.map((w) => w.id);
    return Array.isArray(wf) ? ids : ids[0];
  }

  /** Marks an imported workflow active, so `n8n start` activates its triggers. Before start(). */
  async activateWorkflow(id) {
    if (this.proc) throw new Error('activateWorkflow must run before start(): the running n8n would not notice');
    if (this.major >= 2) await this.cli(['publish:workflow', `--id=${id}`]);
    else await this.cli(['update:workflow', `--id=${id}`, '--active=true']);
  }

  /** Marks a workflow inactive. Before start(). */
  async deactivateWorkflow(id) {
    if (this.proc) throw new Error('deactivateWorkflow must run before start()');
    if (this.major >= 2) await this.cli(['unpublish:workflow', `--id=${id}`]);
    else await this.cli(['update:workflow', `--id=${id}`, '--active=false']);
  }

  // ------------------------------------------------------------ community package

  /**
   * Installs a packed community-node tarball into <N8N_USER_FOLDER>/.n8n/nodes, where n8n
   * scans node_modules/n8n-nodes-* and node_modules/@scope/n8n-nodes-* at start-up.
   *
   * method 'n8n' (default) mirrors n8n 2.x's own installer (CommunityPackagesService
   *   .downloadPackage): unpack into nodes/node_modules/<name>, drop devDependencies,
   *   peerDependencies and optionalDependencies from its package.json, then
   *   `npm install --audit=false --fund=false --bin-links=false --install-strategy=shallow
   *   --ignore-scripts=true --package-lock=false` inside it, and record it in nodes/package.json.
   * method 'npm': `npm install --omit=dev --omit=peer --ignore-scripts <tgz>` in the nodes
   *   folder (with a package.json), the classic manual way. --omit=peer matters: npm ≥ 7 would
   *   otherwise install its own n8n-workflow@* next to the package, and the node would load
   *   that instead of the host's.
   * Returns { name, version, dir, ms }.
   */
  async installPackage(tgz, { method = 'n8n', timeoutMs = 300000 } = {}) {
    const t0 = now();
    tgz = path.resolve(tgz);
    if (!fs.existsSync(tgz)) throw new Error(`installPackage: no such tarball ${tgz}`);
    fs.mkdirSync(this.nodesDir, { recursive: true });
    const nodesPkgPath = path.join(this.nodesDir, 'package.json');
    if (!fs.existsSync(nodesPkgPath)) {
      fs.writeFileSync(nodesPkgPath, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
    }
    // npm reads the registry settings from the real user's npmrc: run it with the real HOME.
    const npmEnv = cleanParentEnv(process.env);
    npmEnv.PATH = `${this.nodeBin}:${npmEnv.PATH || '/usr/bin:/bin'}`;
    const run = (cmd, args, cwd) => {
      this._log(`$ (cd ${cwd} && ${path.basename(cmd)} ${args.join(' ')})`);
      const r = spawnSync(cmd, args, { cwd, env: npmEnv, encoding: 'utf8', timeout: timeoutMs });
      fs.appendFileSync(this.logPath, (r.stdout || '') + (r.stderr || ''));
      if (r.status !== 0) {
        throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
      }
      return r;
    };

    let name;
    let version;
    let dir;
    if (method === 'n8n') {
      const unpack = fs.mkdtempSync(path.join(this.work, 'unpack-'));
      run('tar', ['-xzf', tgz, '-C', unpack, '--strip-components=1'], this.work);
      const pkgJson = JSON.parse(fs.readFileSync(path.join(unpack, 'package.json'), 'utf8'));
      ({ name, version } = pkgJson);
      if (!/^(@[^/]+\/)?n8n-nodes-/.test(name)) {
        throw new Error(`package ${name}: n8n only loads packages named n8n-nodes-* or @scope/n8n-nodes-*`);
      }
      dir = path.join(this.nodesDir, 'node_modules', ...name.split('/'));
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      fs.renameSync(unpack, dir);
      const { devDependencies, peerDependencies, optionalDependencies, ...kept } = pkgJson;
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(kept, null, 2));
      run(
        this.npm,
        ['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow',
          '--ignore-scripts=true', '--package-lock=false', '--loglevel=error'],
        dir,
      );
      const nodesPkg = JSON.parse(fs.readFileSync(nodesPkgPath, 'utf8'));
      nodesPkg.dependencies = { ...(nodesPkg.dependencies || {}), [name]: version };
      fs.writeFileSync(nodesPkgPath, JSON.stringify(nodesPkg, null, 2));
    } else if (method === 'npm') {
      run(
        this.npm,
        ['install', '--omit=dev', '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', tgz],
        this.nodesDir,
      );
      const list = spawnSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' });
      ({ name, version } = JSON.parse(list.stdout));
      dir = path.join(this.nodesDir, 'node_modules', ...name.split('/'));
    } else {
      throw new Error(`installPackage: unknown method ${method}`);
    }
    const ms = now() - t0;
    this._log(`installed ${name}@${version} into ${dir} (${method}, ${ms} ms)`);
    return { name, version, dir, ms };
  }

  // ------------------------------------------------------------ server lifecycle

  /**
   * Starts `n8n start` in its own session (so its task runner is tracked with it), output
   * appended to the log, and waits for GET /healthz/readiness → 200 and then for the REST API
   * (GET /rest/settings → 200; n8n 1.x is "ready" seconds before its routes exist). If a port was taken in
   * the meantime (n8n exits with "already in use"), picks new ports and tries again (twice).
   * Returns { ms (to REST API up), readyMs (to readiness), attempts }.
   */
  async start({ timeoutMs = 180000, portRetries = 2 } = {}) {
    const t0 = now();
    for (let attempt = 1; ; attempt++) {
      const mark = this.logMark();
      try {
        await this._startOnce(timeoutMs - (now() - t0));
        const ms = now() - t0;
        this._log(`n8n ready after ${ms} ms (readiness ${this.readyMs} ms)`);
        return { ms, readyMs: this.readyMs, attempts: attempt };
      } catch (e) {
        const text = fs.readFileSync(this.logPath).subarray(mark).toString('utf8');
        if (this.exited && attempt <= portRetries && /already in use|EADDRINUSE/.test(text)) {
          this.proc = null;
          this.port = await freePort();
          do this.brokerPort = await freePort();
          while (this.brokerPort === this.port);
          this.baseUrl = `http://127.0.0.1:${this.port}`;
          this._log(`port taken: retrying on port ${this.port}, runner broker ${this.brokerPort}`);
          continue;
        }
        throw e;
      }
    }
  }

  async _startOnce(timeoutMs) {
    if (this.proc) throw new Error('n8n already started');
    const t0 = now();
    this._log('$ n8n start');
    const fd = fs.openSync(this.logPath, 'a');
    const child = spawn(this.node, [this.n8nBin, 'start'], {
      cwd: this.work,
      env: this.env(),
      stdio: ['ignore', fd, fd],
      detached: true, // own process group and session: tracked and killable as one
    });
    fs.closeSync(fd);
    this.proc = child;
    this.pid = child.pid;
    this.exited = null;
    this._remember();
    child.on('exit', (code, signal) => {
      if (this.proc === child) this.exited = { code, signal };
      this._log(`n8n (pid ${child.pid}) exited ${code ?? signal}`);
    });
    const deadline = t0 + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`n8n exited during start-up (${JSON.stringify(this.exited)}):\n${this.logTail(40)}`);
      try {
        const r = await this.request('GET', '/healthz/readiness', { timeoutMs: 2000 });
        if (r.status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (now() > deadline) throw new Error(`n8n not ready after ${timeoutMs} ms:\n${this.logTail(40)}`);
      await sleep(150);
    }
    this.readyMs = now() - t0;
    // n8n 1.x answers readiness before its REST routes exist (POST /rest/owner/setup → 404 for a
    // few seconds): also wait for the (unauthenticated) settings route.
    for (;;) {
      if (this.exited) throw new Error(`n8n exited during start-up (${JSON.stringify(this.exited)}):\n${this.logTail(40)}`);
      try {
        const r = await this.request('GET', '/rest/settings', { timeoutMs: 2000 });
        if (r.status === 200 && r.json) break;
      } catch {
        /* not yet */
      }
      if (now() > deadline) throw new Error(`n8n REST API not up after ${timeoutMs} ms:\n${this.logTail(40)}`);
      await sleep(150);
    }
    this._remember();
  }

  /** Records every process currently in n8n's tree (to verify later that all are gone). */
  _remember() {
    if (!this.pid) return;
    for (const p of processTree(this.pid)) this.knownPids.set(p.pid, p.start);
  }

  /** Processes started by this instance that are still alive: [{ pid, cmd }]. */
  leftoverProcesses() {
    if (this.pid && !this.exited) this._remember();
    const left = [];
    for (const [pid, start] of this.knownPids) {
      const s = procStat(pid);
      if (s && s.start === start) left.push({ pid, cmd: cmdline(pid) });
    }
    if (this.pid) {
      for (const s of processTree(this.pid)) {
        if (!left.some((l) => l.pid === s.pid) && this.knownPids.get(s.pid) === undefined) {
          left.push({ pid: s.pid, cmd: cmdline(s.pid) });
        }
      }
    }
    return left;
  }

  _killLeftovers(signal) {
    const left = this.leftoverProcesses();
    for (const { pid } of left) {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    }
    return left;
  }

  /**
   * SIGTERM to n8n (it calls every trigger's closeFunction and stops its task runner), then
   * SIGKILL to it and anything it left behind after timeoutMs. Returns
   * { ms, code, signal, forced, leftovers }.
   */
  async stop({ timeoutMs = 20000 } = {}) {
    if (!this.proc) return { ms: 0, code: null, signal: null, forced: false, leftovers: [] };
    const t0 = now();
    this._remember();
    let forced = false;
    if (!this.exited) {
      this._log(`SIGTERM n8n pid ${this.pid}`);
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const deadline = now() + timeoutMs;
      while (!this.exited && now() < deadline) await sleep(50);
      if (!this.exited) {
        forced = true;
        this._log(`n8n did not exit within ${timeoutMs} ms: SIGKILL`);
        this._killLeftovers('SIGKILL');
        while (!this.exited) await sleep(50);
      }
    }
    // Children (task runner) get a moment to follow their parent, then are killed by pid.
    const graceEnd = now() + 5000;
    while (this.leftoverProcesses().length && now() < graceEnd) await sleep(50);
    const leftovers = this.leftoverProcesses();
    if (leftovers.length) {
      forced = true;
      this._log(`left behind after stop: ${JSON.stringify(leftovers)}: SIGKILL`);
      this._killLeftovers('SIGKILL');
      await sleep(200);
    }
    const ms = now() - t0;
    const { code, signal } = this.exited;
    this._log(`stopped in ${ms} ms (exit ${code ?? signal}${forced ? ', forced' : ''})`);
    this.proc = null;
    return { ms, code, signal, forced, leftovers };
  }

  /** stop(), then remove the temp folder (kept with keep / N8N_E2E_KEEP=1). */
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
    try {
      if (this.worker && this.worker.proc) killPids(this.workerLeftoverProcesses(), 'SIGKILL');
    } catch {
      /* best effort */
    }
    try {
      if (this.proc && !this.exited) this._killLeftovers('SIGKILL');
      for (const c of this.cliChildren) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
    } catch {
      /* best effort */
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
    if (this.worker && this.worker.proc) throw new Error('worker already started');
    const t0 = now();
    if (!this.worker) {
      const taken = new Set([this.port, this.brokerPort]);
      const pick = async () => {
        let p;
        do p = await freePort();
        while (taken.has(p));
        taken.add(p);
        return p;
      };
      this.worker = { logPath: path.join(this.root, 'worker.log'), port: await pick(), brokerPort: await pick(), knownPids: new Map() };
      fs.writeFileSync(this.worker.logPath, '');
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
    this._log(`$ n8n worker (log ${w.logPath}, health port ${w.port}, runner broker ${w.brokerPort})`);
    fs.appendFileSync(w.logPath, `[e2e ${new Date().toISOString()}] $ n8n ${args.slice(1).join(' ')}\n`);
    const fd = fs.openSync(w.logPath, 'a');
    const child = spawn(this.node, args, { cwd: this.work, env, stdio: ['ignore', fd, fd], detached: true });
    fs.closeSync(fd);
    w.proc = child;
    w.pid = child.pid;
    w.exited = null;
    child.on('exit', (code, signal) => {
      if (w.proc === child) w.exited = { code, signal };
      this._log(`n8n worker (pid ${child.pid}) exited ${code ?? signal}`);
      fs.appendFileSync(w.logPath, `[e2e ${new Date().toISOString()}] worker pid ${child.pid} exited ${code ?? signal}\n`);
    });
    const deadline = t0 + timeoutMs;
    for (;;) {
      for (const p of processTree(w.pid)) w.knownPids.set(p.pid, p.start);
      if (w.exited) throw new Error(`n8n worker exited during start-up (${JSON.stringify(w.exited)}):\n${this.readWorkerLog().split('\n').slice(-40).join('\n')}`);
      try {
        const r = await this.request('GET', '/healthz/readiness', { timeoutMs: 2000, baseUrl: `http://127.0.0.1:${w.port}` });
        if (r.status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (now() > deadline) throw new Error(`n8n worker not ready after ${timeoutMs} ms:\n${this.readWorkerLog().split('\n').slice(-40).join('\n')}`);
      await sleep(150);
    }
    const ms = now() - t0;
    this._log(`n8n worker pid ${w.pid} ready after ${ms} ms`);
    return { ms, pid: w.pid };
  }

  /** Processes of the worker's tree (task runner included) still alive: [{ pid, cmd }]. */
  workerLeftoverProcesses() {
    const w = this.worker;
    if (!w) return [];
    if (w.proc && !w.exited) for (const p of processTree(w.pid)) w.knownPids.set(p.pid, p.start);
    const left = [];
    for (const [pid, start] of w.knownPids) {
      const s = procStat(pid);
      if (s && s.start === start) left.push({ pid, cmd: cmdline(pid) });
    }
    return left;
  }

  /**
   * Stops the worker by pid. SIGTERM (default): n8n's graceful shutdown (it stops taking jobs
   * and lets running executions finish, up to N8N_GRACEFUL_SHUTDOWN_TIMEOUT), SIGKILL after
   * timeoutMs. signal 'SIGKILL': a crash, nothing runs on the way out. Either way, whatever
   * of its tree is left afterwards (task runner) is killed by pid after a short grace.
   * Returns { ms, code, signal, forced, leftovers }.
   */
  async stopWorker({ signal = 'SIGTERM', timeoutMs = 40000 } = {}) {
    const w = this.worker;
    if (!w || !w.proc) return { ms: 0, code: null, signal: null, forced: false, leftovers: [] };
    const t0 = now();
    this.workerLeftoverProcesses(); // remember the current tree
    let forced = false;
    if (!w.exited) {
      this._log(`${signal} n8n worker pid ${w.pid}`);
      try {
        process.kill(w.pid, signal);
      } catch {
        /* already gone */
      }
      const deadline = now() + timeoutMs;
      while (!w.exited && now() < deadline) await sleep(50);
      if (!w.exited) {
        forced = true;
        this._log(`n8n worker did not exit within ${timeoutMs} ms: SIGKILL`);
        killPids(this.workerLeftoverProcesses(), 'SIGKILL');
        while (!w.exited) await sleep(50);
      }
    }
    const graceEnd = now() + 5000;
    while (this.workerLeftoverProcesses().length && now() < graceEnd) await sleep(50);
    const leftovers = this.workerLeftoverProcesses();
    if (leftovers.length) {
      this._log(`left behind by the worker: ${JSON.stringify(leftovers)}: SIGKILL`);
      killPids(leftovers, 'SIGKILL');
      await sleep(200);
    }
    const ms = now() - t0;
    const { code, signal: exitSignal } = w.exited;
    this._log(`worker stopped in ${ms} ms (exit ${code ?? exitSignal}${forced ? ', forced' : ''})`);
    w.proc = null;
    return { ms, code, signal: exitSignal, forced, leftovers };
  }

  /** The worker's pid while it runs (else null), and its exit ({ code, signal }) once it exited. */
  get workerPid() {
    return this.worker && this.worker.proc ? this.worker.pid : null;
  }

  get workerLogPath() {
    return this.worker ? this.worker.logPath : null;
  }

  /** Everything the worker printed so far (all its starts) plus the harness's lines about it. */
  readWorkerLog() {
    return this.worker && fs.existsSync(this.worker.logPath) ? fs.readFileSync(this.worker.logPath, 'utf8') : '';
  }

  workerLogMark() {
    return this.worker ? fs.statSync(this.worker.logPath).size : 0;
  }

  /** waitForLog on the worker's log. */
  async waitForWorkerLog(pattern, { timeoutMs = 60000, from = 0, intervalMs = 100 } = {}) {
    const deadline = now() + timeoutMs;
    for (;;) {
      const text = fs.readFileSync(this.worker.logPath).subarray(from).toString('utf8');
      const m = typeof pattern === 'string' ? (text.includes(pattern) ? [pattern] : null) : text.match(pattern);
      if (m) return m;
      if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for worker log ${pattern}`);
      await sleep(intervalMs);
    }
  }

  // ------------------------------------------------------------ HTTP / REST / public API

  /**
   * An HTTP request to this n8n (or to `baseUrl`, e.g. the worker's health server). body: object (sent as JSON) or string.
   * Resolves { status, headers, text, json }.
   */
  request(method, urlPath, { body, headers = {}, timeoutMs = 15000, baseUrl = this.baseUrl } = {}) {
    return httpJson(baseUrl, method, urlPath, { body, headers, timeoutMs });
  }

  /** A request to the internal /rest API as the owner (sets the owner up first if needed). Returns `data`. */
  async rest(method, urlPath, body) {
    if (!this.cookie) await this.setupOwner();
    const r = await this.request(method, `/rest${urlPath}`, {
      body,
      headers: { cookie: this.cookie, 'browser-id': this.browserId },
    });
    if (r.status >= 400) throw new Error(`${method} /rest${urlPath} → ${r.status}: ${r.text.slice(0, 500)}`);
    return r.json && 'data' in r.json ? r.json.data : r.json;
  }

  /** Creates the owner account on a fresh instance and keeps its session cookie. */
  async setupOwner(owner = OWNER) {
    const r = await this.request('POST', '/rest/owner/setup', { body: owner, headers: { 'browser-id': this.browserId } });
    if (r.status !== 200) throw new Error(`owner setup → ${r.status}: ${r.text.slice(0, 500)}`);
    const setCookie = [].concat(r.headers['set-cookie'] || []);
    const auth = setCookie.map((c) => c.split(';')[0]).find((c) => c.startsWith('n8n-auth='));
    if (!auth) throw new Error(`owner setup: no n8n-auth cookie in ${JSON.stringify(setCookie)}`);
    this.cookie = auth;
    return r.json && r.json.data;
  }

  /**
   * Logs in as an existing user (2.x: emailOrLdapLoginId; 1.x: email) and keeps the session
   * cookie. Returns the user.
   */
  async login({ email, password } = OWNER) {
    const body = this.major >= 2 ? { emailOrLdapLoginId: email, password } : { email, password };
    const r = await this.request('POST', '/rest/login', { body, headers: { 'browser-id': this.browserId } });
    if (r.status !== 200) throw new Error(`login → ${r.status}: ${r.text.slice(0, 300)}`);
    const auth = [].concat(r.headers['set-cookie'] || []).map((c) => c.split(';')[0]).find((c) => c.startsWith('n8n-auth='));
    if (!auth) throw new Error('login: no n8n-auth cookie');
    this.cookie = auth;
    return r.json && r.json.data;
  }

  /**
   * Sets the owner up on a fresh instance, or logs in when an owner exists already (a kept
   * user folder). Returns 'created' or 'existing'.
   */
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

  /** How many executions of a workflow n8n has stored (as the owner, internal REST API). */
  async executionCount(workflowId) {
    const q = new URLSearchParams({ filter: JSON.stringify({ workflowId }), limit: '1' });
    const data = await this.rest('GET', `/executions?${q}`);
    return data && typeof data.count === 'number' ? data.count : (data && data.results ? data.results.length : 0);
  }

  /**
   * Creates a public-API key for the owner (setupOwner() first, done here if needed).
   * scopes: default = every scope the owner may grant. Returns the raw key (also kept in this.apiKey).
   */
  async createApiKey({ scopes, label = 'e2e' } = {}) {
    if (!this.cookie) await this.setupOwner();
    if (!scopes) scopes = await this.rest('GET', '/api-keys/scopes');
    const created = await this.rest('POST', '/api-keys', { label, scopes, expiresAt: null });
    this.apiKey = created.rawApiKey;
    if (!this.apiKey) throw new Error(`api key creation returned no rawApiKey: ${JSON.stringify(created).slice(0, 300)}`);
    return this.apiKey;
  }

  /** A public API call (/api/v1...) with the API key (createApiKey() first, done here if needed). */
  async api(method, urlPath, body) {
    if (!this.apiKey) await this.createApiKey();
    const r = await this.request(method, `/api/v1${urlPath}`, { body, headers: { 'x-n8n-api-key': this.apiKey } });
    if (r.status >= 400) throw new Error(`${method} /api/v1${urlPath} → ${r.status}: ${r.text.slice(0, 500)}`);
    return r.json;
  }

  /** GET a path as the owner (session cookie), e.g. the editor's type files. */
  async ownerGet(urlPath) {
    if (!this.cookie) await this.setupOwner();
    const r = await this.request('GET', urlPath, { headers: { cookie: this.cookie, 'browser-id': this.browserId } });
    if (r.status >= 400) throw new Error(`GET ${urlPath} → ${r.status}: ${r.text.slice(0, 300)}`);
    return r.json;
  }

  /** Node types this n8n loaded: [{ name: 'n8n-nodes-x.y', displayName, version, ... }]. */
  nodeTypes() {
    return this.ownerGet('/types/nodes.json');
  }

  /** Credential types this n8n loaded: [{ name, displayName, properties, ... }]. */
  credentialTypes() {
    return this.ownerGet('/types/credentials.json');
  }

  /**
   * Whether the triggers of an active workflow are running in this n8n.
   * 2.x: GET /rest/workflows/:id/publication-status (as the owner) →
   *   { status: 'in_progress' | 'not_published' | 'published' | 'partial' | 'failed',
   *     triggers: [{ nodeId, status: 'activated' | 'failed' | ..., errorMessage }] }.
   * 1.x (no such route): derived from the log lines "Activated workflow ... (ID: id)" and
   *   "Issue on initial workflow activation try of ... (ID: id)" → same shape, triggers [].
   */
  async workflowActivation(id) {
    if (this.major >= 2) return this.rest('GET', `/workflows/${id}/publication-status`);
    const log = this.readLog();
    if (log.includes(`Activated workflow`) && new RegExp(`Activated workflow .*\\(ID: ${id}\\)`).test(log)) {
      return { status: 'published', triggers: [] };
    }
    const lines = log.split('\n');
    const i = lines.findIndex((l) => l.includes('Issue on initial workflow activation try of') && l.includes(`(ID: ${id})`));
    if (i >= 0) {
      // The error itself is logged on the lines just before, without the workflow id.
      const cause = lines.slice(Math.max(0, i - 40), i).reverse().find((l) => /problem activating the workflow/.test(l));
      return { status: 'failed', triggers: [{ status: 'failed', errorMessage: `${cause ? `${cause.trim()} | ` : ''}${lines[i].trim()}` }] };
    }
    return { status: 'in_progress', triggers: [] };
  }

  /**
   * Polls workflowActivation(id) until it settles. Resolves with it when 'published'; when
   * 'failed' or 'partial', rejects with the trigger errors unless allowFailure (then resolves).
   */
  async waitForActivation(id, { timeoutMs = 60000, intervalMs = 200, allowFailure = false } = {}) {
    const deadline = now() + timeoutMs;
    for (;;) {
      const st = await this.workflowActivation(id);
      if (st.status === 'published') return st;
      if (st.status === 'failed' || st.status === 'partial') {
        if (allowFailure) return st;
        throw new Error(`workflow ${id} activation ${st.status}: ${JSON.stringify(st.triggers)}`);
      }
      if (this.exited) throw new Error(`n8n exited while waiting for workflow ${id} to activate`);
      if (now() > deadline) throw new Error(`workflow ${id} not active after ${timeoutMs} ms: ${JSON.stringify(st)}`);
      await sleep(intervalMs);
    }
  }

  /**
   * Executions from the public API, newest first: [{ id, status, mode, workflowId, data? }].
   * Follows the cursor up to `max` entries.
   */
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
    const deadline = now() + timeoutMs;
    for (;;) {
      const list = (await this.listExecutions({ workflowId, status, includeData })).filter((e) => e.finished || e.stoppedAt);
      if (list.length >= count) return list;
      if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} execution(s), got ${list.length}`);
      await sleep(intervalMs);
    }
  }
}

module.exports = { installN8n, N8nInstance, freePort, isPortFree, makeId, processTree, DEFAULT_N8N_VERSION, OWNER };
