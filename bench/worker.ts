/**
 * One benchmark scenario in its own process (forked by run.ts with --expose-gc), so that heap
 * and CPU figures are its own. Usage: node --expose-gc build/bench/worker.js SCENARIO [--key value]...
 * Sends {type:'result', ...} over IPC when forked, or prints it as JSON otherwise.
 */
import type { Figure } from './lib/stats';
import { ackpath } from './scenarios/ackpath';
import { connections } from './scenarios/connections';
import { failure } from './scenarios/failure';
import { idle, type IdleKind } from './scenarios/idle';
import { latency } from './scenarios/latency';
import { replay } from './scenarios/replay';
import { snapshot } from './scenarios/snapshot';
import { team } from './scenarios/team';
import { throughput, type ClientKind } from './scenarios/throughput';

export interface WorkerMessage {
	type: 'result' | 'progress' | 'ready' | 'error';
	scenario: string;
	figures?: Figure[];
	details?: unknown;
	text?: string;
}

function send(message: WorkerMessage): void {
	if (process.send) process.send(message);
	else if (message.type === 'progress' || message.type === 'ready') process.stderr.write(`[${message.scenario}] ${message.text ?? message.type}\n`);
	else process.stdout.write(`${JSON.stringify(message, null, 2)}\n`);
}

export function argValue(name: string, fallback: string): string {
	const index = process.argv.indexOf(`--${name}`);
	return index > 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

function numArg(name: string, fallback: number): number {
	const value = Number(argValue(name, String(fallback)));
	return Number.isFinite(value) ? value : fallback;
}

type Runner = (progress: (text: string) => void, ready: (text: string) => void) => Promise<{ figures: Figure[]; details?: unknown }>;

const SCENARIOS: Record<string, Runner> = {
	throughput: async (progress) => {
		const kinds = argValue('kinds', 'a,b,c,d,trigger').split(',') as ClientKind[];
		const result = await throughput({
			count: numArg('count', 20_000),
			rowBytes: numArg('row-bytes', 2_000),
			rounds: numArg('rounds', 5),
			warmupCount: numArg('warmup', 5_000),
			kinds,
			log: progress,
		});
		return { figures: result.figures, details: result.runs };
	},
	latency: async (progress) => {
		const result = await latency({
			rate: numArg('rate', 1_000),
			durationMs: numArg('duration-ms', 4_000),
			warmupMs: numArg('warmup-ms', 500),
			rounds: numArg('rounds', 3),
			rowBytes: numArg('row-bytes', 2_000),
			spinMs: numArg('spin-ms', 0),
			log: progress,
		});
		return { figures: result.figures, details: result.runs };
	},
	snapshot: async (progress) => {
		const result = await snapshot({ rows: numArg('rows', 50_000), rowBytes: numArg('row-bytes', 200), reps: numArg('reps', 5), log: progress });
		return { figures: result.figures, details: result.runs };
	},
	replay: async (progress) => {
		const result = await replay({ count: numArg('count', 10_000), rowBytes: numArg('row-bytes', 2_000), execMs: numArg('exec-ms', 20), log: progress });
		return { figures: result.figures, details: result.result };
	},
	ackpath: async (progress) => ackpath({ count: numArg('count', 5_000), rounds: numArg('rounds', 8), log: progress }),
	connections: async (progress) => {
		const result = await connections({ n: numArg('n', 50), events: numArg('events', 100), log: progress });
		return { figures: result.figures, details: result.result };
	},
	failure: async (progress, ready) => {
		const result = await failure({ n: numArg('n', 5), log: progress, ready, mayRestart: restartPermission });
		return { figures: result.figures, details: result.result };
	},
	team: async (progress) => {
		const result = await team({
			k: numArg('k', 20),
			events: numArg('events', 2_000),
			rowBytes: numArg('row-bytes', 200),
			rounds: numArg('rounds', 5),
			warmup: numArg('warmup', 2_000),
			snapshotRows: numArg('snapshot-rows', 38_000),
			snapshotReps: numArg('snapshot-reps', 3),
			log: progress,
		});
		return { figures: [], details: result };
	},
	idle: async (progress, ready) => {
		const result = await idle({
			kind: argValue('kind', 'trigger') as IdleKind,
			apiUrl: argValue('api-url', ''),
			realtimeUrl: argValue('realtime-url', ''),
			windowMs: numArg('window-ms', 60_000),
			settleMs: numArg('settle-ms', 5_000),
			ready,
			progress,
		});
		return { figures: [], details: result };
	},
};

/** Forked by run.ts: wait for its 'go' message. Standalone: go at once. */
function restartPermission(): Promise<void> {
	if (!process.send) return Promise.resolve();
	return new Promise<void>((resolve) => {
		if (permitted) return resolve();
		process.on('message', (message: { type?: string }) => {
			if (message.type === 'go') resolve();
		});
	});
}

let permitted = false;
process.on('message', (message: { type?: string }) => {
	if (message.type === 'go') permitted = true;
});

async function main(): Promise<void> {
	const scenario = process.argv[2] ?? '';
	const runner = SCENARIOS[scenario];
	if (!runner) {
		process.stderr.write(`unknown scenario "${scenario}"; one of ${Object.keys(SCENARIOS).join(', ')}\n`);
		process.exit(2);
	}
	try {
		const result = await runner(
			(text) => send({ type: 'progress', scenario, text }),
			(text) => send({ type: 'ready', scenario, text }),
		);
		send({ type: 'result', scenario, figures: result.figures, details: result.details });
	} catch (error) {
		send({ type: 'error', scenario, text: error instanceof Error ? (error.stack ?? error.message) : String(error) });
		process.exitCode = 1;
	}
	// Lingering keep-alive sockets or timers must not keep a finished worker alive.
	setTimeout(() => process.exit(), 200).unref();
	if (process.connected) process.disconnect();
}

void main();
