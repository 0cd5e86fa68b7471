/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, and the same for
 * the project's own code (nodes/, and the test harness standing in for n8n).
 * Usage: node build/bench/profile.js FILE.cpuprofile [--top N]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface CallFrame {
	functionName: string;
	url: string;
	lineNumber: number;
}

interface ProfileNode {
	id: number;
	callFrame: CallFrame;
	children?: number[];
}

interface CpuProfile {
	nodes: ProfileNode[];
	startTime: number;
	endTime: number;
	samples: number[];
	timeDeltas: number[];
}

export interface SelfTime {
	function: string;
	location: string;
	selfMs: number;
	percent: number;
	ours: boolean;
}

export interface ProfileSummary {
	file: string;
	totalMs: number;
	top: SelfTime[];
	ours: SelfTime[];
	/** Self time of our code grouped by file. */
	byFile: Array<{ file: string; selfMs: number; percent: number }>;
}

const ROOT = path.resolve(__dirname, '../..');

function shortUrl(url: string): string {
	const clean = url.replace(/^file:\/\//, '');
	if (clean.startsWith(ROOT)) return clean.slice(ROOT.length + 1);
	return clean;
}

function isOurs(url: string): boolean {
	const clean = shortUrl(url);
	return clean.startsWith('build/nodes/') || clean.startsWith('build/test/harness/') || clean.startsWith('build/credentials/');
}

export function summarise(file: string, topN = 20): ProfileSummary {
	const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
	const byId = new Map<number, ProfileNode>();
	for (const node of profile.nodes) byId.set(node.id, node);
	const selfUs = new Map<number, number>();
	for (let i = 0; i < profile.samples.length; i++) {
		const id = profile.samples[i];
		selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
	}
	const totalUs = profile.endTime - profile.startTime;
	const byFunction = new Map<string, SelfTime>();
	const byFile = new Map<string, number>();
	for (const [id, us] of selfUs) {
		const frame = byId.get(id)?.callFrame;
		if (!frame) continue;
		const name = frame.functionName || '(anonymous)';
		const location = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
		const key = `${name} ${location}`;
		const ours = isOurs(frame.url);
		const entry = byFunction.get(key) ?? { function: name, location, selfMs: 0, percent: 0, ours };
		entry.selfMs += us / 1000;
		byFunction.set(key, entry);
		if (ours) byFile.set(shortUrl(frame.url), (byFile.get(shortUrl(frame.url)) ?? 0) + us / 1000);
	}
	const all = [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs);
	for (const entry of all) {
		entry.selfMs = Math.round(entry.selfMs * 10) / 10;
		entry.percent = Math.round((entry.selfMs / (totalUs / 1000)) * 1000) / 10;
	}
	return {
		file,
		totalMs: Math.round(totalUs / 1000),
		top: all.slice(0, topN),
		ours: all.filter((entry) => entry.ours).slice(0, topN),
		byFile: [...byFile.entries()]
			.map(([name, ms]) => ({ file: name, selfMs: Math.round(ms * 10) / 10, percent: Math.round((ms / (totalUs / 1000)) * 1000) / 10 }))
			.sort((a, b) => b.selfMs - a.selfMs),
	};
}

export function formatSummary(summary: ProfileSummary): string {
	const row = (entry: SelfTime) => `  ${entry.selfMs.toFixed(1).padStart(8)} ms ${entry.percent.toFixed(1).padStart(5)} %  ${entry.function}  ${entry.location}`;
	return [
		`profile ${path.basename(summary.file)}: ${summary.totalMs} ms sampled`,
		'top self time (all code):',
		...summary.top.map(row),
		'top self time in our code (nodes/, test/harness/):',
		...summary.ours.map(row),
		'our code by file:',
		...summary.byFile.map((entry) => `  ${entry.selfMs.toFixed(1).padStart(8)} ms ${entry.percent.toFixed(1).padStart(5)} %  ${entry.file}`),
	].join('\n');
}

if (require.main === module) {
	const file = process.argv[2];
	if (!file) {
		process.stderr.write('usage: node build/bench/profile.js FILE.cpuprofile [--top N]\n');
		process.exit(2);
	}
	const topIndex = process.argv.indexOf('--top');
	const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 20;
	process.stdout.write(`${formatSummary(summarise(file, top))}\n`);
}
