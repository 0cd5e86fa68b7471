/**
 * One benchmark scenario in its own process (forked by run.ts with --expose-gc), so that heap
 * and CPU figures are its own. Usage: node --expose-gc build/bench/worker.js SCENARIO [--key value]...
 * Sends {type:'result', ...} over IPC when forked, or prints it as JSON otherwise.
 */
import type { Figure } from './lib/stats';
import { latency } from './scenarios/latency';
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
		const kinds = argValue('kinds', 'a,b,trigger').split(',') as ClientKind[];
		const result = await throughput({
			count: numArg('count', 20_000),
			rowBytes: numArg('row-bytes', 2_000),
			rounds: numArg('rounds', 3),
			warmupCount: numArg('warmup', 5_000),
			kinds,
			log: progress,
		});
		return { figures: result.figures, details: result.runs };
	},
	latency: async (progress) => {
		const result = await latency({
			rate: numArg('rate', 1_000),
			durationMs: numArg('duration-ms', 8_000),
			warmupMs: numArg('warmup-ms', 1_000),
			rowBytes: numArg('row-bytes', 2_000),
			log: progress,
		});
		return { figures: result.figures, details: result.runs };
	},
};

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
