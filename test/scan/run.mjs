#!/usr/bin/env node
// `npm run scan`: n8n's community-package scanner (@n8n/scan-community-package), offline.
// The scanner itself downloads a published package and its provenance-attested source; here
// its own ESLint configuration (buildScanConfig, exported by scanner.mjs) runs the same two
// legs on local files, with the scanner's ESLint options:
//   source:  package.json + {nodes,credentials}/**/*.{js,ts,json} of this checkout
//   package: **/*.js + package.json of the `npm pack` tarball, unpacked
// Every finding (error or warning) must be on the allow-list in README's "Package rules",
// and every allow-list row must still match a finding. Exit 1 otherwise.
// Needs a current build (`npm run build`): the tarball packs dist/.
// Options: --verbose (list allowed findings too), --keep (keep the unpacked package).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { allowedBy, parseAllowList, shortRule, subjects } from './allow-list.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = new Set(process.argv.slice(2));
const verbose = args.has('--verbose');
const keep = args.has('--keep');

// As in analyzePackageByName (scanner.mjs), where the tarball leg's patterns are inline.
const PACKAGE_FILE_PATTERNS = ['**/*.js', 'package.json'];

const log = (msg) => console.log(`[scan] ${msg}`);

// eslint and fast-glob as the scanner resolves them (its exact eslint 9.29.0).
const require = createRequire(import.meta.url);
const scannerManifest = require.resolve('@n8n/scan-community-package/package.json');
const fromScanner = createRequire(scannerManifest);
const { ESLint } = fromScanner('eslint');
const glob = fromScanner('fast-glob');
const scanner = await import(path.join(path.dirname(scannerManifest), 'scanner', 'scanner.mjs'));
// scanner.mjs makes a temp folder when loaded (for its downloads); have tmp remove it at exit.
fromScanner('tmp').setGracefulCleanup();

async function lint(dir, patterns, leg) {
	// The options of the scanner's analyzePackage: no inline disables, no project config.
	const eslint = new ESLint({
		cwd: dir,
		allowInlineConfig: false,
		overrideConfigFile: true,
		overrideConfig: await scanner.buildScanConfig(),
	});
	const files = glob.sync(patterns, {
		cwd: dir,
		absolute: true,
		ignore: ['node_modules/**', '**/package-lock.json'],
	});
	const results = await eslint.lintFiles(files);
	const findings = [];
	for (const r of results) {
		for (const m of r.messages) {
			findings.push({
				leg,
				file: path.relative(dir, r.filePath).split(path.sep).join('/'),
				line: m.line ?? 0,
				rule: m.ruleId ?? '(fatal)',
				message: m.message,
				severity: m.severity,
			});
		}
	}
	return { files: files.length, findings };
}

/** dist/ must be built from the current source, or the package leg scans old code. */
function checkBuild() {
	const stale = [];
	for (const src of glob.sync(['{nodes,credentials}/**/*.{ts,svg,png}', 'nodes/**/*.node.json'], { cwd: ROOT })) {
		if (src.endsWith('.d.ts')) continue;
		const out = path.join(ROOT, 'dist', src.endsWith('.ts') ? src.replace(/\.ts$/, '.js') : src);
		// 1 ms of slack: gulp copies assets with the source's mtime, rounded to about a ms.
		const mtime = (file) => fs.statSync(file).mtimeMs;
		if (!fs.existsSync(out) || mtime(out) < mtime(path.join(ROOT, src)) - 1) stale.push(src);
	}
	if (stale.length > 0) {
		throw new Error(`dist/ is missing or older than ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', ...' : ''}: run \`npm run build\` first`);
	}
}

function pack(tmp) {
	const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
		cwd: ROOT,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const [{ filename }] = JSON.parse(out);
	const dir = path.join(tmp, 'package');
	fs.mkdirSync(dir);
	execFileSync('tar', ['-xzf', path.join(tmp, filename), '-C', dir, '--strip-components=1']);
	return { filename, dir };
}

function dependenciesOf(dir) {
	const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
	return Object.keys(manifest.dependencies ?? {});
}

function describe(f) {
	const kind = f.severity === 2 ? 'error' : 'warning';
	return `${f.leg === 'source' ? '' : 'package: '}${f.file}:${f.line} ${kind} ${shortRule(f.rule)} — ${f.message}`;
}

async function main() {
	const entries = parseAllowList(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
	const scannerVersion = JSON.parse(fs.readFileSync(scannerManifest, 'utf8')).version;
	const pluginMain = fromScanner.resolve('@n8n/eslint-plugin-community-nodes'); // <pkg>/dist/plugin.js
	const pluginVersion = JSON.parse(fs.readFileSync(path.join(path.dirname(pluginMain), '..', 'package.json'), 'utf8')).version;
	log(`@n8n/scan-community-package ${scannerVersion} (rules: @n8n/eslint-plugin-community-nodes ${pluginVersion}, eslint-plugin-n8n-nodes-base)`);

	checkBuild();
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kadoa-scan-'));
	try {
		const packed = pack(tmp);
		const legs = [
			{ name: 'source', dir: ROOT, patterns: scanner.SOURCE_FILE_PATTERNS, label: 'source' },
			{ name: 'package', dir: packed.dir, patterns: PACKAGE_FILE_PATTERNS, label: `package ${packed.filename}` },
		];
		const used = new Map(entries.map((e) => [e, 0]));
		const rejected = [];
		for (const leg of legs) {
			const { files, findings } = await lint(leg.dir, leg.patterns, leg.name);
			const dependencies = dependenciesOf(leg.dir);
			const errors = findings.filter((f) => f.severity === 2).length;
			let allowed = 0;
			for (const f of findings) {
				const entry = allowedBy(f, entries, dependencies);
				if (entry) {
					allowed++;
					used.set(entry, used.get(entry) + 1);
					if (verbose) console.log(`  allowed (README line ${entry.line}) ${describe(f)}`);
				} else {
					rejected.push({ finding: f, names: subjects(f, dependencies) });
				}
			}
			log(`${leg.label}: ${files} files, ${findings.length} findings (${errors} errors, ${findings.length - errors} warnings), ${allowed} on the allow-list`);
		}

		for (const [entry, count] of used) {
			log(`  ${count} × ${entry.rule} [${entry.names.join(', ')}] in ${entry.where.join(', ')}`);
		}
		const unused = [...used].filter(([, count]) => count === 0).map(([e]) => e);
		for (const { finding, names } of rejected) {
			const what = names.filter((n) => !n.startsWith('(')).join(', ');
			console.log(`NOT ALLOWED ${describe(finding)}${what ? ` [${what}]` : ''}`);
		}
		for (const e of unused) {
			console.log(`UNUSED README line ${e.line}: ${e.rule} [${e.names.join(', ')}] allows no finding: remove the row, or see the findings above that it no longer covers`);
		}
		if (rejected.length > 0 || unused.length > 0) {
			log(`FAILED: ${rejected.length} findings not on README's "Package rules" allow-list, ${unused.length} unused rows`);
			process.exitCode = 1;
		} else {
			log('passed: every finding is on the allow-list, with its reason in README ("Package rules")');
		}
	} finally {
		if (keep) log(`kept ${tmp}`);
		else fs.rmSync(tmp, { recursive: true, force: true });
	}
}

main().catch((err) => {
	console.error(`[scan] ${err instanceof Error ? err.message : String(err)}`);
	process.exitCode = 1;
});
