'use strict';
// n8n's command line against one instance's user folder: importing credentials and workflows,
// and marking workflows active or inactive. The CLI writes to the sqlite database directly and
// a running n8n does not notice: every step here belongs before `n8n start`.

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { makeId } = require('./util');

class N8nCli {
  /**
   * @param {object} o
   * @param {string} o.node      the node binary
   * @param {string} o.n8nBin    n8n's bin/n8n
   * @param {string} o.workDir   cwd of the CLI, and where the import files are written
   * @param {() => object} o.env the environment of every n8n process
   * @param {import('./n8n-log').LogFile} o.log  where the output goes
   * @param {number} o.major     n8n's major version (the CLI differs between 1.x and 2.x)
   * @param {() => boolean} [o.serverRunning]  refuse the activation steps while true
   */
  constructor(o) {
    Object.assign(this, { node: o.node, n8nBin: o.n8nBin, workDir: o.workDir, env: o.env, log: o.log, major: o.major });
    this.serverRunning = o.serverRunning || (() => false);
    this.children = new Set(); // running CLI processes, for an emergency kill
  }

  /**
   * Runs `n8n <args>` to completion; output goes to the log.
   * Resolves { code, signal, stdout, stderr, ms }; rejects on a non-zero exit unless allowFailure.
   */
  run(args, { timeoutMs = 120000, allowFailure = false } = {}) {
    const t0 = Date.now();
    this.log.note(`$ n8n ${args.join(' ')}`);
    return new Promise((resolve, reject) => {
      const child = spawn(this.node, [this.n8nBin, ...args], { cwd: this.workDir, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      this.children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
        this.log.append(d);
      });
      child.stderr.on('data', (d) => {
        stderr += d;
        this.log.append(d);
      });
      const timer = setTimeout(() => {
        this.log.note(`n8n ${args[0]} timed out after ${timeoutMs} ms: SIGKILL pid ${child.pid}`);
        try {
          child.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        this.children.delete(child);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.children.delete(child);
        const ms = Date.now() - t0;
        this.log.note(`n8n ${args[0]} exited ${code ?? signal} after ${ms} ms`);
        const r = { code, signal, stdout, stderr, ms };
        if ((code !== 0 || signal) && !allowFailure) reject(new Error(`n8n ${args.join(' ')} failed (${code ?? signal}):\n${stdout}\n${stderr}`));
        else resolve(r);
      });
    });
  }

  _writeWork(name, data) {
    const file = path.join(this.workDir, name);
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
      await this.run(['import:credentials', `--input=${file}`]);
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
    await this.run(['import:workflow', `--input=${file}`]);
    const ids = list.map((w) => w.id);
    return Array.isArray(wf) ? ids : ids[0];
  }

  /** Marks an imported workflow active, so `n8n start` activates its triggers. */
  async activateWorkflow(id) {
    if (this.serverRunning()) throw new Error('activateWorkflow must run before start(): the running n8n would not notice');
    if (this.major >= 2) await this.run(['publish:workflow', `--id=${id}`]);
    else await this.run(['update:workflow', `--id=${id}`, '--active=true']);
  }

  /** Marks a workflow inactive. */
  async deactivateWorkflow(id) {
    if (this.serverRunning()) throw new Error('deactivateWorkflow must run before start()');
    if (this.major >= 2) await this.run(['unpublish:workflow', `--id=${id}`]);
    else await this.run(['update:workflow', `--id=${id}`, '--active=false']);
  }

  /** SIGKILL to every CLI process still running (process exit / Ctrl-C). */
  killAll() {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }
}

module.exports = { N8nCli };
