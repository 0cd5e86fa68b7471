'use strict';
// Small helpers shared by the e2e scenarios.

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

module.exports = { Timer, printFailureLog };
