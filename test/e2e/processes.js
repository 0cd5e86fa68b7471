'use strict';
// Process bookkeeping from /proc: which processes a spawned n8n (or worker) left behind, and
// killing them by pid only (never by name).

const fs = require('fs');

/** { pid, ppid, pgrp, session, start } of a live process, or null (gone or zombie). */
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

/**
 * Remembers every process seen in a root process's tree (pid + start time, so a reused pid is
 * not mistaken for ours), to tell later which of them are still alive.
 */
class ProcessTracker {
  constructor() {
    this.known = new Map(); // pid -> start time
    this.rootPid = null;
    this.rootAlive = () => false;
  }

  /** Tracks the tree of `pid` while `alive()` says the root runs. */
  track(pid, alive) {
    this.rootPid = pid;
    this.rootAlive = alive;
    this.remember();
  }

  remember() {
    if (!this.rootPid) return;
    for (const p of processTree(this.rootPid)) this.known.set(p.pid, p.start);
  }

  /** Tracked processes still alive, plus any new member of a live root's tree: [{ pid, cmd }]. */
  leftovers() {
    if (this.rootPid && this.rootAlive()) this.remember();
    const left = [];
    for (const [pid, start] of this.known) {
      const s = procStat(pid);
      if (s && s.start === start) left.push({ pid, cmd: cmdline(pid) });
    }
    if (this.rootPid) {
      for (const s of processTree(this.rootPid)) {
        if (!left.some((l) => l.pid === s.pid) && this.known.get(s.pid) === undefined) left.push({ pid: s.pid, cmd: cmdline(s.pid) });
      }
    }
    return left;
  }

  /** Signals every leftover by pid; returns them. */
  kill(signal) {
    const left = this.leftovers();
    killPids(left, signal);
    return left;
  }
}

module.exports = { procStat, processTree, cmdline, killPids, ProcessTracker };
