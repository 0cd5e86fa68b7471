'use strict';
// Small helpers shared by the e2e scenarios.

const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

/** A 16-character workflow/credential id, like n8n's own nanoid ids. */
function makeId() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (const b of crypto.randomBytes(16)) id += alphabet[b % alphabet.length];
  return id;
}

/** Times named phases and prints them as a table. */
class Timer {
  constructor() {
    this.rows = [];
    this.t0 = Date.now();
  }

  async phase(name, fn) {
    const t = Date.now();
    try {
      return await fn();
    } finally {
      this.note(name, Date.now() - t);
    }
  }

  phaseSync(name, fn) {
    const t = Date.now();
    try {
      return fn();
    } finally {
      this.note(name, Date.now() - t);
    }
  }

  note(name, ms) {
    this.rows.push([name, ms]);
    console.log(`[timing] ${name}: ${ms} ms`);
  }

  print(title) {
    const w = Math.max(...this.rows.map(([n]) => n.length), 10);
    console.log(`\n== timings: ${title} ==`);
    for (const [n, ms] of this.rows) console.log(`  ${n.padEnd(w)}  ${String(ms).padStart(7)} ms`);
    console.log(`  ${'total (wall)'.padEnd(w)}  ${String(Date.now() - this.t0).padStart(7)} ms\n`);
  }
}

/** Prints the tail of an instance's log (on failure), if it got that far. */
function printFailureLog(n8n, lines = 80) {
  try {
    if (n8n && n8n.logPath) {
      console.error(`---- last ${lines} lines of ${n8n.logPath} ----\n${n8n.logTail(lines)}\n---- end of log ----`);
    }
  } catch {
    /* no log */
  }
}

/**
 * `npm pack` of a package folder into destDir (created if needed); returns the tarball's path.
 * Uses the given Node's npm when nodeBin is set. Scripts are not run (--ignore-scripts): build first.
 */
function npmPack(pkgDir, destDir, { nodeBin } = {}) {
  fs.mkdirSync(destDir, { recursive: true });
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('npm_')) delete env[k];
  if (nodeBin) env.PATH = `${nodeBin}:${env.PATH}`;
  const r = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destDir], {
    cwd: pkgDir,
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`npm pack in ${pkgDir} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const [info] = JSON.parse(r.stdout);
  return path.join(destDir, info.filename);
}

/**
 * One HTTP request to a local server. body: object (sent as JSON) or string.
 * Resolves { status, headers, text, json } whatever the status.
 */
function httpJson(baseUrl, method, urlPath, { body, headers = {}, timeoutMs = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      `${baseUrl}${urlPath}`,
      {
        method,
        headers: {
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
        timeout: timeoutMs,
        // A fresh connection per request: Node's global agent keeps sockets alive, and reusing
        // one the server is just closing fails with "socket hang up" (seen on a loaded machine).
        agent: false,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Polls an async condition until it returns something truthy (which is returned), or throws. */
async function waitUntil(fn, { timeoutMs = 30000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Checks that do not stop the scenario: each failure is printed at once and collected, so one
 * run reports every expectation that fails (a behaviour still being built fails several).
 * `done()` throws an AssertionError listing them all.
 */
class Checks {
  constructor(name) {
    this.name = name;
    this.failures = [];
    this.passed = 0;
  }

  ok(cond, message) {
    if (cond) this.passed++;
    else {
      this.failures.push(message);
      console.error(`[${this.name}] CHECK FAILED: ${message}`);
    }
    return Boolean(cond);
  }

  equal(actual, expected, message) {
    const same = JSON.stringify(actual) === JSON.stringify(expected);
    return this.ok(same, same ? message : `${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }

  done() {
    console.log(`[${this.name}] checks: ${this.passed} passed, ${this.failures.length} failed`);
    if (this.failures.length) {
      const e = new Error(`${this.failures.length} check(s) failed:\n  - ${this.failures.join('\n  - ')}`);
      e.name = 'AssertionError';
      throw e;
    }
  }
}

/** Runs a scenario's main() when the file is executed directly; a failure sets exit code 1. */
function runScenario(name, mod, main) {
  if (require.main !== mod) return;
  main().catch((e) => {
    console.error(`[${name}] FAIL: ${e && e.stack ? e.stack : e}`);
    process.exitCode = 1;
  });
}

/**
 * Tracks a spawned child's exit and SIGKILLs it if this process exits first, so no server
 * outlives a crashed scenario. `exited()` tells how it exited (null: running); `stop()` ends it.
 */
function guardChild(child) {
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const killOnExit = () => {
    if (!exited) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  process.on('exit', killOnExit);
  const release = () => process.removeListener('exit', killOnExit);
  /** SIGTERM, SIGKILL after `graceMs`, then waits for the exit and stops guarding. */
  const stop = async (graceMs = 5000) => {
    const pause = () => new Promise((r) => setTimeout(r, 50));
    if (!exited) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const deadline = Date.now() + graceMs;
      while (!exited && Date.now() < deadline) await pause();
      if (!exited) {
        killOnExit();
        while (!exited) await pause();
      }
    }
    release();
  };
  return { exited: () => exited, kill: killOnExit, release, stop };
}

module.exports = { makeId, Checks, Timer, printFailureLog, npmPack, runScenario, guardChild, waitUntil, httpJson };
