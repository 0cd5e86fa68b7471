/**
 * 2. Latency at a steady rate: a pacer process publishes ~2 KB workflow_data_change events
 * through the simulator's control API at `rate`/s, stamping each event id with the
 * CLOCK_MONOTONIC time it sent it. Latency = that stamp → `emit` (trigger) or → the frame
 * parsed (baselines). The control hop (pacer → simulator) is in every figure; the baselines
 * measure exactly that path, so trigger − baseline is the node's own share.
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';

import type { PacerReport } from '../pacer';
import { RawClient } from '../lib/raw-client';
import { SimProcess } from '../lib/sim';
import { percentile, round, sortNumbers, type Figure } from '../lib/stats';
import { BenchTrigger } from '../lib/trigger';
import { until } from '../lib/wait';
import { ACK_CONCURRENCY } from './throughput';

type Kind = 'a' | 'b' | 'trigger';

export interface LatencyOptions {
	rate: number;
	durationMs: number;
	/** Samples of the first `warmupMs` are dropped (JIT, agents warming up). */
	warmupMs: number;
	rowBytes: number;
	log: (line: string) => void;
}

export interface LatencyRun {
	kind: Kind;
	samples: number;
	p50: number;
	p99: number;
	max: number;
	pacer: PacerReport;
}

function stampOf(id: unknown): bigint | undefined {
	if (typeof id !== 'string' || !id.startsWith('lat-')) return undefined;
	const end = id.indexOf('-', 4);
	return BigInt(id.slice(4, end));
}

export async function latency(options: LatencyOptions): Promise<{ figures: Figure[]; runs: LatencyRun[] }> {
	const sim = await SimProcess.start({ heartbeatMs: 15_000 });
	const pacer = fork(path.resolve(__dirname, '../pacer.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
	const runs: LatencyRun[] = [];
	try {
		for (const kind of ['a', 'b', 'trigger'] as Kind[]) {
			await sim.control.resetRecords(true);
			const latencies: number[] = [];
			let received = 0;
			const record = (id: unknown, atNs: bigint) => {
				received++;
				const stamp = stampOf(id);
				if (stamp !== undefined) latencies.push(Number(atNs - stamp) / 1e6);
			};
			let raw: RawClient | undefined;
			let trigger: BenchTrigger | undefined;
			if (kind === 'trigger') {
				trigger = await BenchTrigger.activate(sim, {
					parameters: { acknowledge: 'emitted', output: 'event' },
					onEmit: (emission, at) => record(emission.json[0]?.eventId, at),
				});
			} else {
				raw = new RawClient({
					apiUrl: sim.apiUrl,
					realtimeUrl: sim.realtimeUrl,
					ackConcurrency: kind === 'b' ? ACK_CONCURRENCY : 0,
					onEvent: (frame, at) => record(frame.id, at),
				});
				await raw.connect();
			}
			await sim.control.waitForState((s) => s.subscribes.length >= 1, 10_000, 'a subscribe');
			const report = await new Promise<PacerReport>((resolve) => {
				pacer.once('message', (message: { type: string; report: PacerReport }) => resolve(message.report));
				pacer.send({ cmd: 'run', apiUrl: sim.apiUrl, rate: options.rate, durationMs: options.durationMs, rowBytes: options.rowBytes });
			});
			await until(() => received >= report.sent - report.failed, 10_000, 'the last events');
			await raw?.close();
			await trigger?.close();
			const skip = Math.round((options.rate * options.warmupMs) / 1000);
			const sorted = sortNumbers(latencies.slice(skip));
			const run: LatencyRun = {
				kind,
				samples: sorted.length,
				p50: percentile(sorted, 50),
				p99: percentile(sorted, 99),
				max: sorted[sorted.length - 1],
				pacer: report,
			};
			runs.push(run);
			options.log(`${kind}: ${run.samples} samples, p50 ${run.p50.toFixed(3)} ms, p99 ${run.p99.toFixed(3)} ms, max ${run.max.toFixed(3)} ms (pacer lag p99 ${report.lagP99Ms.toFixed(2)} ms)`);
		}
	} finally {
		pacer.send({ cmd: 'exit' });
		await sim.stop();
	}
	return { figures: figuresOf(runs, options.rate), runs };
}

function figuresOf(runs: LatencyRun[], rate: number): Figure[] {
	const scenario = `2 latency @${rate}/s`;
	const get = (kind: Kind) => runs.find((run) => run.kind === kind);
	const a = get('a');
	const b = get('b');
	const t = get('trigger');
	const figures: Figure[] = [];
	if (a) figures.push({ scenario, name: 'baseline (a) send → parsed: p50 / p99', value: round(a.p50, 3), unit: 'ms', note: `p99 ${round(a.p99, 3)} ms, max ${round(a.max, 2)} ms (reference)` });
	if (b) figures.push({ scenario, name: 'baseline (b) send → parsed: p50 / p99', value: round(b.p50, 3), unit: 'ms', note: `p99 ${round(b.p99, 3)} ms, max ${round(b.max, 2)} ms (reference)` });
	if (t) {
		const base = b ?? a;
		const baseName = b ? '(b)' : '(a)';
		figures.push({ scenario, name: 'Kadoa Trigger send → emit: p50', value: round(t.p50, 3), unit: 'ms', baseline: base ? { name: `${baseName} p50`, value: round(base.p50, 3), unit: 'ms' } : undefined, ratio: base ? t.p50 / base.p50 : undefined });
		figures.push({ scenario, name: 'Kadoa Trigger send → emit: p99', value: round(t.p99, 3), unit: 'ms', baseline: base ? { name: `${baseName} p99`, value: round(base.p99, 3), unit: 'ms' } : undefined, ratio: base ? t.p99 / base.p99 : undefined, target: '< 5 ms', met: t.p99 < 5 });
		figures.push({ scenario, name: 'Kadoa Trigger send → emit: max', value: round(t.max, 2), unit: 'ms', baseline: base ? { name: `${baseName} max`, value: round(base.max, 2), unit: 'ms' } : undefined, ratio: base ? t.max / base.max : undefined, note: `${t.samples} samples after warm-up` });
	}
	return figures;
}
