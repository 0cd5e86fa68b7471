/**
 * `npm run bench`: every benchmark of issue 6, each scenario in its own process, each figure
 * beside a baseline measured in the same run and its target. Prints a table and writes the
 * same to bench/results/latest.json. Asserts nothing about time: the exit code is non-zero
 * only when a scenario could not run.
 *
 * Schedule: the long, idle scenarios (5 failure detection, 6 idle CPU) start first and wait
 * on timers in their own processes (CPU time and timer precision are per process); once they
 * are subscribed, the CPU-bound ones (1, 1b, 2, 3, 4, 7, 8) run one at a time. The simulator
 * restart of scenario 5 (a process start) waits until those are done. Scenario 8 runs one
 * worker per K (memory figures of one K must not carry another's), compared here.
 *
 * Flags: --only 1,3,…  (scenario numbers) · --profile (CPU profile of scenario 1's trigger run)
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { formatSummary, summarise, type ProfileSummary } from './profile';
import { SIM_CLI, SimProcess } from './lib/sim';
import { round, type Figure } from './lib/stats';
import type { IdleResult } from './scenarios/idle';
import type { TeamResult } from './scenarios/team';
import { teamFigures } from './scenarios/team-figures';
import type { WorkerMessage } from './worker';

const WORKER = path.resolve(__dirname, 'worker.js');
const RESULTS_DIR = path.resolve(__dirname, '../../bench/results');
const IDLE_WINDOW_MS = 60_000;
/** Scenario 8: triggers on one Kadoa team (issue 10). */
const TEAM_KS = [1, 5, 20, 100];

interface WorkerHandle {
	child: ChildProcess;
	ready: Promise<string>;
	done: Promise<WorkerMessage>;
}

function log(line: string): void {
	process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

function startWorker(scenario: string, args: string[] = [], execArgv: string[] = []): WorkerHandle {
	const child = fork(WORKER, [scenario, ...args], { execArgv: ['--expose-gc', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
	let markReady: (text: string) => void = () => {};
	const ready = new Promise<string>((resolve) => {
		markReady = resolve;
	});
	const done = new Promise<WorkerMessage>((resolve) => {
		let result: WorkerMessage | undefined;
		child.on('message', (message: WorkerMessage) => {
			if (message.type === 'progress') log(`[${scenario}] ${message.text ?? ''}`);
			else if (message.type === 'ready') {
				log(`[${scenario}] ${message.text ?? 'ready'}`);
				markReady(message.text ?? '');
			} else {
				result = message;
				markReady('finished');
			}
		});
		child.on('exit', (code) => {
			markReady('exited');
			resolve(result ?? { type: 'error', scenario, text: `worker exited with code ${code} without a result` });
		});
	});
	return { child, ready, done };
}

interface MachineInfo {
	nproc: number;
	cpuModel: string;
	node: string;
	platform: string;
	memoryGb: number;
}

function machine(): MachineInfo {
	let cpuModel = os.cpus()[0]?.model ?? 'unknown';
	try {
		const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
		if (line) cpuModel = line.split(':')[1].trim();
	} catch {
		// not Linux: os.cpus() is enough
	}
	return {
		nproc: os.availableParallelism?.() ?? os.cpus().length,
		cpuModel,
		node: process.version,
		platform: `${os.type()} ${os.release()}`,
		memoryGb: round(os.totalmem() / 1024 ** 3, 1),
	};
}

function idleFigures(results: IdleResult[]): Figure[] {
	const get = (kind: string) => results.find((r) => r.kind === kind);
	const trigger = get('trigger');
	const raw = get('raw');
	const bare = get('bare');
	const scenario = `6 idle CPU over ${IDLE_WINDOW_MS / 1000} s`;
	const figures: Figure[] = [];
	if (bare) figures.push({ scenario, name: 'bare Node process (no socket)', value: round(bare.cpuMs, 1), unit: 'ms CPU', note: `${round(bare.percentOfCore, 4)} % of a core (reference)` });
	if (raw) figures.push({ scenario, name: 'raw ws client (a), subscribed', value: round(raw.cpuMs, 1), unit: 'ms CPU', note: `${round(raw.percentOfCore, 4)} % of a core, ${raw.heartbeats} heartbeats (reference)` });
	if (trigger) {
		figures.push({
			scenario,
			name: 'Kadoa Trigger, subscribed: process CPU time',
			value: round(trigger.cpuMs, 1),
			unit: 'ms CPU',
			baseline: raw ? { name: 'raw ws client', value: round(raw.cpuMs, 1), unit: 'ms CPU' } : undefined,
			ratio: raw ? trigger.cpuMs / raw.cpuMs : undefined,
			note: `${trigger.heartbeats} heartbeats received`,
		});
		// The target applies to the whole process: Node's own idle work is included.
		figures.push({
			scenario,
			name: 'Kadoa Trigger, subscribed: share of one core',
			value: round(trigger.percentOfCore, 4),
			unit: '%',
			baseline: raw ? { name: 'raw ws client', value: round(raw.percentOfCore, 4), unit: '%' } : undefined,
			target: '< 0.1 %',
			met: trigger.percentOfCore < 0.1,
		});
	}
	return figures;
}

function fmt(value: number | undefined, digits = 2): string {
	if (value === undefined || !Number.isFinite(value)) return '';
	return Math.abs(value) >= 100 ? String(Math.round(value)) : String(round(value, digits));
}

export function table(figures: Figure[]): string {
	const rows = figures.map((f) => [
		f.scenario,
		f.name,
		`${fmt(f.value, 3)} ${f.unit}`,
		f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value, 3)} ${f.baseline.unit}` : '',
		f.ratio !== undefined ? `${fmt(f.ratio, 3)}×` : '',
		f.target ?? '',
		f.met === undefined ? '' : f.met ? 'yes' : 'NO',
		f.note ?? '',
	]);
	const header = ['scenario', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', 'met', 'note'];
	const widths = header.map((h, i) => Math.min(70, Math.max(h.length, ...rows.map((r) => r[i].length))));
	const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
	return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

async function profileRun(): Promise<ProfileSummary | undefined> {
	// Under build/ (ignored by git): a .cpuprofile is tens of MB.
	const dir = path.resolve(__dirname, 'profile');
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	log('[profile] scenario 1, trigger only, under --cpu-prof');
	const handle = startWorker('throughput', ['--kinds', 'trigger', '--rounds', '1', '--warmup', '5000'], ['--cpu-prof', '--cpu-prof-dir', dir]);
	const message = await handle.done;
	if (message.type === 'error') {
		log(`[profile] failed: ${message.text ?? ''}`);
		return undefined;
	}
	const file = fs.readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
	if (!file) return undefined;
	const summary = summarise(path.join(dir, file), 20);
	process.stdout.write(`\n${formatSummary(summary)}\n`);
	return summary;
}

async function main(): Promise<void> {
	if (!fs.existsSync(SIM_CLI)) {
		process.stderr.write(`simulator not built (${SIM_CLI}); run npm run build:tools\n`);
		process.exit(2);
	}
	const onlyIndex = process.argv.indexOf('--only');
	const only = onlyIndex > 0 ? new Set(process.argv[onlyIndex + 1].split(',')) : undefined;
	const want = (n: number) => !only || only.has(String(n));
	const started = Date.now();
	const info = { ...machine(), loadAverageAtStart: os.loadavg().map((l) => round(l, 2)) };
	log(`machine: ${JSON.stringify(info)}`);

	const figures: Figure[] = [];
	const details: Record<string, unknown> = {};
	const errors: string[] = [];
	const collect = (message: WorkerMessage) => {
		if (message.type === 'error') {
			errors.push(`${message.scenario}: ${message.text ?? ''}`);
			log(`[${message.scenario}] FAILED: ${message.text ?? ''}`);
			return;
		}
		figures.push(...(message.figures ?? []));
		details[message.scenario] = message.details;
	};

	// Long, timer-bound scenarios first, in their own processes.
	let idleSim: SimProcess | undefined;
	const idleHandles: WorkerHandle[] = [];
	if (want(6)) {
		idleSim = await SimProcess.start({ heartbeatMs: 15_000 });
		for (const kind of ['trigger', 'raw', 'bare']) {
			// V8's memory reducer runs one or two ~65 ms full GCs some seconds after start-up in any
			// Node process, at a time that varies: a start-up cost that would land in the window of
			// one process and not another. Switched off for all three alike.
			idleHandles.push(
				startWorker('idle', ['--kind', kind, '--api-url', idleSim.apiUrl, '--realtime-url', idleSim.realtimeUrl, '--window-ms', String(IDLE_WINDOW_MS)], ['--no-memory-reducer']),
			);
		}
	}
	const failureHandle = want(5) ? startWorker('failure', ['--n', '5']) : undefined;
	await Promise.all([...idleHandles, ...(failureHandle ? [failureHandle] : [])].map((handle) => handle.ready));

	// CPU-bound scenarios, one at a time.
	const sequential: Array<[number, string, string[]]> = [
		[1, 'throughput', []],
		[1, 'ackpath', []],
		[2, 'latency', []],
		[3, 'snapshot', []],
		[4, 'replay', []],
		[7, 'connections', []],
	];
	for (const [n, scenario, args] of sequential) {
		if (!want(n)) continue;
		log(`[${scenario}] starting`);
		collect(await startWorker(scenario, args).done);
	}
	if (want(8)) {
		const teamResults: TeamResult[] = [];
		for (const k of TEAM_KS) {
			log(`[team] starting K = ${k}`);
			const message = await startWorker('team', ['--k', String(k)]).done;
			if (message.type === 'error') collect(message);
			else teamResults.push(message.details as TeamResult);
		}
		figures.push(...teamFigures(teamResults));
		details.team = teamResults;
	}
	failureHandle?.child.send({ type: 'go' });

	const idleResults: IdleResult[] = [];
	for (const handle of idleHandles) {
		const message = await handle.done;
		if (message.type === 'error') collect(message);
		else idleResults.push(message.details as IdleResult);
	}
	await idleSim?.stop();
	if (idleResults.length) {
		figures.push(...idleFigures(idleResults));
		details.idle = idleResults;
	}
	if (failureHandle) collect(await failureHandle.done);

	const profile = process.argv.includes('--profile') ? await profileRun() : undefined;

	const order = (f: Figure) => parseFloat(f.scenario) || 99;
	figures.sort((a, b) => order(a) - order(b));
	const output = {
		date: new Date().toISOString(),
		machine: { ...info, loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)) },
		durationS: round((Date.now() - started) / 1000, 1),
		figures,
		details,
		profile,
		errors,
	};
	fs.mkdirSync(RESULTS_DIR, { recursive: true });
	fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(output, null, 2)}\n`);
	process.stdout.write(`\n${table(figures)}\n\n`);
	process.stdout.write(`machine: ${info.nproc} × ${String(info.cpuModel)}, Node ${process.version}; load average ${info.loadAverageAtStart.join(' ')} at start, ${output.machine.loadAverageAtEnd.join(' ')} at end; ${output.durationS} s\n`);
	process.stdout.write(`written: ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest.json'))}\n`);
	if (errors.length) {
		process.stdout.write(`\n${errors.length} scenario(s) failed:\n${errors.join('\n')}\n`);
		process.exitCode = 1;
	}
}

void main();
