'use strict';
// Installing a packed community-node tarball where n8n looks for community packages
// (<N8N_USER_FOLDER>/.n8n/nodes), the way n8n's own installer does it.

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { cleanParentEnv } = require('./n8n-env');

/**
 * n8n scans nodes/node_modules/n8n-nodes-* and nodes/node_modules/@scope/n8n-nodes-* at start-up.
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
 *
 * @param {string} tgz
 * @param {object} o { nodesDir, workDir, nodeBin, log (LogFile), method = 'n8n', timeoutMs = 300000 }
 * @returns {{ name, version, dir, ms }}
 */
function installPackage(tgz, { nodesDir, workDir, nodeBin, log, method = 'n8n', timeoutMs = 300000 }) {
  const t0 = Date.now();
  tgz = path.resolve(tgz);
  if (!fs.existsSync(tgz)) throw new Error(`installPackage: no such tarball ${tgz}`);
  fs.mkdirSync(nodesDir, { recursive: true });
  const nodesPkgPath = path.join(nodesDir, 'package.json');
  if (!fs.existsSync(nodesPkgPath)) {
    fs.writeFileSync(nodesPkgPath, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
  }
  const npm = path.join(nodeBin, 'npm');
  // npm reads the registry settings from the real user's npmrc: run it with the real HOME.
  const npmEnv = cleanParentEnv(process.env);
  npmEnv.PATH = `${nodeBin}:${npmEnv.PATH || '/usr/bin:/bin'}`;
  const run = (cmd, args, cwd) => {
    log.note(`$ (cd ${cwd} && ${path.basename(cmd)} ${args.join(' ')})`);
    const r = spawnSync(cmd, args, { cwd, env: npmEnv, encoding: 'utf8', timeout: timeoutMs });
    log.append((r.stdout || '') + (r.stderr || ''));
    if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  let name;
  let version;
  let dir;
  if (method === 'n8n') {
    const unpack = fs.mkdtempSync(path.join(workDir, 'unpack-'));
    run('tar', ['-xzf', tgz, '-C', unpack, '--strip-components=1'], workDir);
    const pkgJson = JSON.parse(fs.readFileSync(path.join(unpack, 'package.json'), 'utf8'));
    ({ name, version } = pkgJson);
    if (!/^(@[^/]+\/)?n8n-nodes-/.test(name)) {
      throw new Error(`package ${name}: n8n only loads packages named n8n-nodes-* or @scope/n8n-nodes-*`);
    }
    dir = path.join(nodesDir, 'node_modules', ...name.split('/'));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.renameSync(unpack, dir);
    const { devDependencies, peerDependencies, optionalDependencies, ...kept } = pkgJson;
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(kept, null, 2));
    run(
      npm,
      ['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow',
        '--ignore-scripts=true', '--package-lock=false', '--loglevel=error'],
      dir,
    );
    const nodesPkg = JSON.parse(fs.readFileSync(nodesPkgPath, 'utf8'));
    nodesPkg.dependencies = { ...(nodesPkg.dependencies || {}), [name]: version };
    fs.writeFileSync(nodesPkgPath, JSON.stringify(nodesPkg, null, 2));
  } else if (method === 'npm') {
    run(npm, ['install', '--omit=dev', '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', tgz], nodesDir);
    const list = spawnSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' });
    ({ name, version } = JSON.parse(list.stdout));
    dir = path.join(nodesDir, 'node_modules', ...name.split('/'));
  } else {
    throw new Error(`installPackage: unknown method ${method}`);
  }
  const ms = Date.now() - t0;
  log.note(`installed ${name}@${version} into ${dir} (${method}, ${ms} ms)`);
  return { name, version, dir, ms };
}

module.exports = { installPackage };
