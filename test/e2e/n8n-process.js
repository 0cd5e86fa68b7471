'use strict';
// One long-running n8n process (`n8n start`, or `n8n worker` in queue mode): spawned in its own
// session so that its task runner is tracked with it, output appended to a log file, readiness
// polled, stopped by pid with a signal (SIGTERM: n8n's graceful shutdown; SIGKILL: a crash),
// and whatever of its tree survives killed by pid.

const { spawn } = require('child_process');
const fs = require('fs');
const { ProcessTracker } = require('./processes');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class ServerProcess {
  /**
   * @param {object} o
   * @param {string} o.label   'n8n' or 'n8n worker', for log lines and errors
   * @param {import('./n8n-log').LogFile} o.log    receives the process's stdout and stderr
   * @param {import('./n8n-log').LogFile} [o.notes]  receives the harness's lines about it (default: o.log)
   */
  constructor({ label, log, notes }) {
    this.label = label;
    this.log = log;
    this.notes = notes || log;
    this.proc = null;
    this.pid = null;
    this.exited = null; // { code, signal } once the process exited
    this.tracker = new ProcessTracker();
  }

  /** Spawns `node args` detached, in cwd with env; returns at once (see waitReady). */
  spawn({ node, args, cwd, env }) {
    if (this.proc) throw new Error(`${this.label} already started`);
    const fd = fs.openSync(this.log.path, 'a');
    const child = spawn(node, args, { cwd, env, stdio: ['ignore', fd, fd], detached: true });
    fs.closeSync(fd);
    this.proc = child;
    this.pid = child.pid;
    this.exited = null;
    this.tracker.track(child.pid, () => this.proc === child && !this.exited);
    child.on('exit', (code, signal) => {
      if (this.proc === child) this.exited = { code, signal };
      this.notes.note(`${this.label} (pid ${child.pid}) exited ${code ?? signal}`);
      if (this.log !== this.notes) this.log.note(`${this.label} pid ${child.pid} exited ${code ?? signal}`);
    });
    return child;
  }

  /** Whether the process was started and has not been stopped through stop(). */
  get running() {
    return Boolean(this.proc);
  }

  /**
   * Polls `check()` (an async probe; true when ready; a throw counts as not yet) until it holds.
   * Rejects, with the log's tail, when the process exits first or at `deadline` (epoch ms).
   */
  async waitReady(check, { deadline, what = 'ready', intervalMs = 150 }) {
    for (;;) {
      if (this.exited) throw new Error(`${this.label} exited during start-up (${JSON.stringify(this.exited)}):\n${this.log.tail(40)}`);
      try {
        if (await check()) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`${this.label} not ${what} after the deadline:\n${this.log.tail(40)}`);
      await sleep(intervalMs);
    }
  }

  /** Records every process currently in its tree (to verify later that all are gone). */
  remember() {
    if (this.proc && !this.exited) this.tracker.remember();
  }

  /** Processes started by it that are still alive: [{ pid, cmd }]. */
  leftovers() {
    return this.tracker.leftovers();
  }

  /**
   * Sends `signal` by pid; SIGKILL to the whole tree after timeoutMs; then gives the children
   * (task runner) 5 s to follow and kills what is left by pid.
   * Returns { ms, code, signal, forced, leftovers }: `forced` when the process ignored the
   * signal, or when a SIGTERM left processes behind (a SIGKILL leaves its children by design).
   */
  async stop({ signal = 'SIGTERM', timeoutMs = 20000 } = {}) {
    if (!this.proc) return { ms: 0, code: null, signal: null, forced: false, leftovers: [] };
    const t0 = Date.now();
    this.remember();
    let forced = false;
    if (!this.exited) {
      this.notes.note(`${signal} ${this.label} pid ${this.pid}`);
      try {
        process.kill(this.pid, signal);
      } catch {
        /* already gone */
      }
      const deadline = Date.now() + timeoutMs;
      while (!this.exited && Date.now() < deadline) await sleep(50);
      if (!this.exited) {
        forced = true;
        this.notes.note(`${this.label} did not exit within ${timeoutMs} ms: SIGKILL`);
        this.tracker.kill('SIGKILL');
        while (!this.exited) await sleep(50);
      }
    }
    const graceEnd = Date.now() + 5000;
    while (this.leftovers().length && Date.now() < graceEnd) await sleep(50);
    const leftovers = this.leftovers();
    if (leftovers.length) {
      if (signal !== 'SIGKILL') forced = true;
      this.notes.note(`left behind by ${this.label}: ${JSON.stringify(leftovers)}: SIGKILL`);
      this.tracker.kill('SIGKILL');
      await sleep(200);
    }
    const ms = Date.now() - t0;
    const { code, signal: exitSignal } = this.exited;
    this.notes.note(`${this.label} stopped in ${ms} ms (exit ${code ?? exitSignal}${forced ? ', forced' : ''})`);
    this.proc = null;
    return { ms, code, signal: exitSignal, forced, leftovers };
  }

  /** Synchronous last resort (process exit / Ctrl-C): SIGKILL by pid. */
  killNow() {
    if (this.proc) this.tracker.kill('SIGKILL');
  }
}

module.exports = { ServerProcess };
