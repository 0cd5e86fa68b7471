'use strict';
// What a headless n8n runs with: the installed n8n and Node (install-n8n.sh), and the
// environment of every n8n process (loopback only, nothing phoning home, sqlite, a fixed
// encryption key, plus the 1.x/2.x differences).

const { spawnSync } = require('child_process');
const path = require('path');

const DEFAULT_N8N_VERSION = '2.41.1';
const DEFAULT_ENCRYPTION_KEY = 'n8n-nodes-kadoa-e2e-fixed-encryption-key';

/**
 * Runs install-n8n.sh (instant when cached) and returns { nodeBin, n8nDir, version, ms }.
 * nodeBin is the folder holding `node` and `npm` to use for this n8n.
 */
function installN8n(version = process.env.N8N_E2E_VERSION || DEFAULT_N8N_VERSION) {
  const t0 = Date.now();
  const res = spawnSync('bash', [path.join(__dirname, 'install-n8n.sh'), version], {
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
  return { nodeBin: out.NODE_BIN, n8nDir: out.N8N_DIR, version, ms: Date.now() - t0 };
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

/**
 * The environment of every n8n process (CLI, server, worker) of one instance.
 * @param {object} o { nodeBin, home, userFolder, encryptionKey, port, brokerPort, baseUrl, logLevel, major, extraEnv }
 *   extraEnv: added last; an undefined or null value unsets the variable.
 */
function n8nEnv(o) {
  const env = cleanParentEnv(process.env);
  Object.assign(env, {
    PATH: `${o.nodeBin}:${env.PATH || '/usr/bin:/bin'}`, // the JS task runner is spawned as plain `node`
    HOME: o.home,
    N8N_USER_FOLDER: o.userFolder,
    N8N_ENCRYPTION_KEY: o.encryptionKey,
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_PORT: String(o.port),
    N8N_PROTOCOL: 'http',
    N8N_EDITOR_BASE_URL: `${o.baseUrl}/`,
    N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
    N8N_RUNNERS_BROKER_PORT: String(o.brokerPort),
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
    N8N_LOG_LEVEL: o.logLevel,
    GENERIC_TIMEZONE: 'UTC',
    TZ: 'UTC',
    NO_COLOR: '1', // n8n's logger colours even when not on a TTY: plain text is greppable
  });
  if (o.major >= 2) {
    env.N8N_DISABLED_MODULES = 'mcp-registry'; // stops an outbound call at start-up; 1.x rejects the name
    env.N8N_WEBHOOK_URL = `${o.baseUrl}/`; // 2.x deprecates WEBHOOK_URL
  } else {
    env.WEBHOOK_URL = `${o.baseUrl}/`;
    env.N8N_EXPRESSION_ENGINE = 'legacy'; // n8n 1.x on Node 20 (see n8n-trigger-notes.md)
    // 1.x defaults to one shared sqlite connection; with executions saving every second while
    // the owner was set up, its fresh session cookie was refused (401) in 3 of 6 runs. With the
    // pooled driver (the only one in 2.x) 5 of 5 runs passed.
    env.DB_SQLITE_POOL_SIZE = '2';
    env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS = 'true'; // silences a warning about config's mode
  }
  for (const [k, v] of Object.entries(o.extraEnv || {})) {
    if (v === undefined || v === null) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

module.exports = { installN8n, cleanParentEnv, n8nEnv, DEFAULT_N8N_VERSION, DEFAULT_ENCRYPTION_KEY };
