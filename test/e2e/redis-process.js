'use strict';
// A throw-away Redis for n8n's queue mode (kadoa-queue.js): Debian's redis-server on a free
// 127.0.0.1 port, no persistence (--save '' --appendonly no), in a temp folder, stopped by pid.
//
//   const { ensureRedisServer, startRedis } = require('./redis-process');
//   ensureRedisServer();                       // installs Debian's redis-server if missing (root)
//   const redis = await startRedis();          // { port, pid, dir, logPath, cli(...args), stop() }
//   redis.cli('LLEN', 'bull:jobs:wait')        // redis-cli against it → trimmed stdout
//   await redis.stop()                         // SIGTERM by pid (SIGKILL after 5 s), folder removed
//
// CI runs on a fresh machine as root: the first run installs the package with
// `apt-get update` + `apt-get install -y redis-server` (a few seconds). Installing it does not
// start a system Redis here (no init system); this module never uses one.

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { freePort } = require('./ports');
const { guardChild } = require('./util');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

/** Makes sure `redis-server` and `redis-cli` exist; installs Debian's package when run as root. */
function ensureRedisServer({ log = (m) => process.stderr.write(`[redis] ${m}\n`) } = {}) {
  if (which('redis-server') && which('redis-cli')) return { installed: false };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('redis-server is missing and this is not root: run `apt-get update && apt-get install -y redis-server`');
  }
  const t0 = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'redis-server']]) {
    log(`apt-get ${args.join(' ')}`);
    const r = spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: 300000 });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  if (!which('redis-server') || !which('redis-cli')) throw new Error('apt-get installed redis-server, but redis-server/redis-cli are not on PATH');
  log(`redis-server installed in ${Date.now() - t0} ms`);
  return { installed: true, ms: Date.now() - t0 };
}

async function startRedis({ port, timeoutMs = 10000 } = {}) {
  port = port || (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-redis-'));
  const logPath = path.join(dir, 'redis.log');
  const fd = fs.openSync(logPath, 'a');
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice'],
    { cwd: dir, stdio: ['ignore', fd, fd] },
  );
  fs.closeSync(fd);
  const guard = guardChild(child);

  const cli = (...args) => {
    const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--raw', ...args.map(String)], { encoding: 'utf8', timeout: 5000 });
    if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout.trim();
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (guard.exited()) throw new Error(`redis-server exited (${JSON.stringify(guard.exited())}): ${fs.readFileSync(logPath, 'utf8')}`);
    try {
      if (cli('PING') === 'PONG') break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      guard.kill();
      throw new Error(`redis-server not answering after ${timeoutMs} ms: ${fs.readFileSync(logPath, 'utf8')}`);
    }
    await sleep(50);
  }
  return {
    port,
    pid: child.pid,
    dir,
    logPath,
    cli,
    get exited() {
      return guard.exited();
    },
    async stop() {
      await guard.stop();
      if (process.env.N8N_E2E_KEEP === '1') process.stderr.write(`[e2e] kept ${dir}\n`);
      else fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { ensureRedisServer, startRedis };
