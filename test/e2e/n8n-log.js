'use strict';
// Reading what n8n wrote: its log file (stdout + stderr of the server and the CLI steps, plus
// the harness's own lines), what the log says about a workflow's activation on n8n 1.x, and
// which files under a folder hold a secret in clear.

const fs = require('fs');
const path = require('path');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One append-only log file. */
class LogFile {
  /**
   * @param {string} file
   * @param {object} [o]
   * @param {(line: string) => void} [o.echo]  also gets every harness line (N8N_E2E_ECHO)
   */
  constructor(file, { echo } = {}) {
    this.path = file;
    this.echo = echo;
  }

  /** Creates (or empties) the file. */
  reset() {
    fs.writeFileSync(this.path, '');
  }

  /** Appends raw output (a process's stdout/stderr). */
  append(text) {
    fs.appendFileSync(this.path, text);
  }

  /** Appends one timestamped harness line. */
  note(msg) {
    const line = `[e2e ${new Date().toISOString()}] ${msg}\n`;
    fs.appendFileSync(this.path, line);
    if (this.echo) this.echo(line);
  }

  read() {
    return fs.existsSync(this.path) ? fs.readFileSync(this.path, 'utf8') : '';
  }

  /** The current length: pass it as `from` to waitFor to look only at newer output. */
  mark() {
    return fs.statSync(this.path).size;
  }

  /** The last n lines. */
  tail(n = 60) {
    return this.read().split('\n').slice(-n).join('\n');
  }

  /**
   * Waits until the text after byte offset `from` matches `pattern` (RegExp or string); resolves
   * with the match. Rejects on timeout, or as soon as `failIf()` returns a reason (e.g. the
   * process that writes the log exited).
   */
  async waitFor(pattern, { timeoutMs = 60000, from = 0, intervalMs = 100, failIf = () => null, what = 'log' } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = fs.readFileSync(this.path).subarray(from).toString('utf8');
      const m = typeof pattern === 'string' ? (text.includes(pattern) ? [pattern] : null) : text.match(pattern);
      if (m) return m;
      const reason = failIf();
      if (reason) throw new Error(`${reason} before ${what} matched ${pattern}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${pattern}`);
      await sleep(intervalMs);
    }
  }
}

/**
 * n8n 1.x has no publication-status route: a workflow's activation as its log tells it →
 * { status: 'published' | 'failed' | 'in_progress', triggers: [{ status, errorMessage }] }.
 * Lines: "Activated workflow ... (ID: id)" and "Issue on initial workflow activation try of ... (ID: id)".
 */
function activationFromLog(log, id) {
  if (new RegExp(`Activated workflow .*\\(ID: ${id}\\)`).test(log)) return { status: 'published', triggers: [] };
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
 * Files under `root` (node_modules skipped) whose bytes contain `needle`, as paths relative to
 * root: a secret that n8n stores encrypted and never logs gives [].
 */
function findInFiles(root, needle) {
  const hits = [];
  const buf = Buffer.from(String(needle));
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (e.isFile()) {
        try {
          if (fs.readFileSync(p).includes(buf)) hits.push(path.relative(root, p));
        } catch {
          /* vanished */
        }
      }
    }
  };
  walk(root);
  return hits;
}

module.exports = { LogFile, activationFromLog, findInFiles };
