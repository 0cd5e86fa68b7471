/**
 * 2. Latency at a steady rate: the simulator publishes ~2 KB workflow_data_change events at
 * `rate`/s from its own loop (a paced publish) and stamps each event id with the CLOCK_MONOTONIC
 * time it handed the frame to the socket: `lat-<ns>-<seq>`. Latency = that stamp → `emit`
 * (trigger) or → the frame parsed (baselines): the socket, the client's event loop and its own
 * work, with no control hop in it. Trigger − baseline is the node's own share; it is also
 * measured in-process (ws 'message' → emit).
 */
import type { PacedResult } from '../../test/simulator/simulator';
import { RawClient } from '../lib/raw-client';
import { SimProcess } from '../lib/sim';
import { median, percentile, round, sortNumbers, type Figure } from '../lib/stats';
import { BenchTrigger } from '../lib/trigger';
import { until } from '../lib/wait';
import { wsProbe } from '../lib/ws-probe';
import { ACK_CONCURRENCY } from './throughput';

type Kind = 'a' | 'b' | 'trigger';

export interface LatencyOptions {
	rate: number;
	durationMs: number;
	/** Samples of the first `warmupMs` are dropped (JIT, agents warming up). */
	warmupMs: number;
	rounds: number;
	rowBytes: number;
	/**
	 * The simulator's pacing loop spins (setImmediate) this close to a due time; 0 (default) sleeps on
	 * timers only: the stamp is taken at the send, so pacing precision does not enter the figures, while
	 * a spinning simulator takes a core from the client on a small machine.
	 */
	spinMs: number;
	log: (line: string) => void;
}

export interface LatencyRun {
	kind: Kind;
	samples: number;
	p50: number;
	p99: number;
	max: number;
	/** Over all segments pooled (a single noisy segment shows here). */
	pooledP99: number;
	pooledMax: number;
	/** The simulator's send lateness (due → sent) per segment, p99 and max: how noisy the machine was. */
	simLateP99Ms: number[];
	simLateMaxMs: number[];
	/** Stamp → ws.send returned in the simulator, max per segment (what the stamp leaves out). */
	stampToSentMaxMs: number[];
}

function stampOf(id: unknown): bigint | undefined {
	if (typeof id !== 'string' || !id.startsWith('lat-')) return undefined;
	const end = id.indexOf('-', 4);
	return BigInt(id.slice(4, end));
}

export async function latency(options: LatencyOptions): Promise<{ figures: Figure[]; runs: LatencyRun[] }> {
	const sim = await SimProcess.start({ heartbeatMs: 15_000 });
	const count = Math.round((options.rate * options.durationMs) / 1000);
	const runs: LatencyRun[] = [];
	let ownShare: { samples: number; p50: number; p99: number; max: number } | undefined;
	try {
		// Short segments in rotating order, so that a noisy neighbour hits every client alike.
		const order: Kind[] = [];
		for (let r = 0; r < options.rounds; r++) for (let i = 0; i < 3; i++) order.push((['a', 'b', 'trigger'] as Kind[])[(i + r) % 3]);
		const all: Record<Kind, number[]> = { a: [], b: [], trigger: [] };
		const segments: Record<Kind, Array<{ p50: number; p99: number; max: number }>> = { a: [], b: [], trigger: [] };
		/** Trigger only: the node's own share, ws 'message' → emit, in this process. */
		const own: number[] = [];
		const ws = wsProbe();
		const simLate: Record<Kind, PacedResult[]> = { a: [], b: [], trigger: [] };
		for (const kind of order) {
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
					onEmit: (emission, at) => {
						// Synchronous from the frame's 'message' event: lastMessageNs is this frame's.
						if (received >= Math.round((options.rate * options.warmupMs) / 1000)) own.push(Number(at - ws.lastMessageNs) / 1e6);
						record(emission.json[0]?.eventId, at);
					},
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
			const paced = await sim.control.request<PacedResult>(
				'POST',
				'/__sim/publish',
				{ count, rowBytes: options.rowBytes, ratePerSec: options.rate, stamp: true, spinMs: options.spinMs },
				options.durationMs + 30_000,
			);
			await until(() => received >= paced.sent, 10_000, 'the last events');
			await raw?.close();
			await trigger?.close();
			const skip = Math.round((options.rate * options.warmupMs) / 1000);
			const kept = latencies.slice(skip);
			all[kind].push(...kept);
			simLate[kind].push(paced);
			const sorted = sortNumbers(kept);
			segments[kind].push({ p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] });
			options.log(`${kind}: ${sorted.length} samples, p50 ${percentile(sorted, 50).toFixed(3)} ms, p99 ${percentile(sorted, 99).toFixed(3)} ms, max ${sorted[sorted.length - 1].toFixed(3)} ms (sim send lateness p99 ${paced.lateness.p99Ms.toFixed(2)} ms, max ${paced.lateness.maxMs.toFixed(2)} ms; stamp → sent p99 ${paced.stampToSent.p99Ms.toFixed(3)} ms, max ${paced.stampToSent.maxMs.toFixed(3)} ms)`);
		}
		for (const kind of ['a', 'b', 'trigger'] as Kind[]) {
			const sorted = sortNumbers(all[kind]);
			// One noisy neighbour can ruin a segment: the figures are medians over segments.
			const seg = segments[kind];
			runs.push({
				kind,
				samples: sorted.length,
				p50: median(seg.map((x) => x.p50)),
				p99: median(seg.map((x) => x.p99)),
				max: median(seg.map((x) => x.max)),
				pooledP99: percentile(sorted, 99),
				pooledMax: sorted[sorted.length - 1],
				simLateP99Ms: simLate[kind].map((p) => p.lateness.p99Ms),
				simLateMaxMs: simLate[kind].map((p) => p.lateness.maxMs),
				stampToSentMaxMs: simLate[kind].map((p) => p.stampToSent.maxMs),
			});
		}
		const ownSorted = sortNumbers(own);
		ownShare = { samples: ownSorted.length, p50: percentile(ownSorted, 50), p99: percentile(ownSorted, 99), max: ownSorted[ownSorted.length - 1] };
		options.log(`node's own share (message → emit): p50 ${ownShare.p50.toFixed(3)} ms, p99 ${ownShare.p99.toFixed(3)} ms, max ${ownShare.max.toFixed(3)} ms`);
	} finally {
		await sim.stop();
	}
	return { figures: figuresOf(runs, options.rate, ownShare), runs };
}

function figuresOf(runs: LatencyRun[], rate: number, own: { samples: number; p50: number; p99: number; max: number } | undefined): Figure[] {
	const scenario = `2 latency @${rate}/s`;
	const get = (kind: Kind) => runs.find((run) => run.kind === kind);
	const a = get('a');
	const b = get('b');
	const t = get('trigger');
	const figures: Figure[] = [];
	if (a) figures.push({ scenario, name: 'baseline (a) send → parsed: p50 / p99', value: round(a.p50, 3), unit: 'ms', note: `p99 ${round(a.p99, 3)} ms, max ${round(a.max, 2)} ms (reference)`, ratio: undefined });
	if (b) figures.push({ scenario, name: 'baseline (b) send → parsed: p50 / p99', value: round(b.p50, 3), unit: 'ms', note: `p99 ${round(b.p99, 3)} ms, max ${round(b.max, 2)} ms (reference)` });
	if (t) {
		const base = b ?? a;
		const baseName = b ? '(b)' : '(a)';
		figures.push({ scenario, name: 'Kadoa Trigger send → emit: p50', value: round(t.p50, 3), unit: 'ms', baseline: base ? { name: `${baseName} p50`, value: round(base.p50, 3), unit: 'ms' } : undefined, ratio: base ? t.p50 / base.p50 : undefined });
		figures.push({ scenario, name: 'Kadoa Trigger send → emit: p99 (median of segments)', value: round(t.p99, 3), unit: 'ms', baseline: base ? { name: `${baseName} p99`, value: round(base.p99, 3), unit: 'ms' } : undefined, ratio: base ? t.p99 / base.p99 : undefined, target: '< 5 ms', met: t.p99 < 5 });
		figures.push({ scenario, name: 'Kadoa Trigger send → emit: max (median of segments)', value: round(t.max, 2), unit: 'ms', baseline: base ? { name: `${baseName} max`, value: round(base.max, 2), unit: 'ms' } : undefined, ratio: base ? t.max / base.max : undefined, note: `${t.samples} samples after warm-up; pooled p99 ${round(t.pooledP99, 2)} ms, max ${round(t.pooledMax, 1)} ms; sim send lateness per segment p99 ${t.simLateP99Ms.map((l) => round(l, 2)).join('/')} ms, max ${t.simLateMaxMs.map((l) => round(l, 1)).join('/')} ms` });
	}
	const late = runs.flatMap((run) => run.simLateP99Ms);
	if (late.length) {
		figures.push({
			scenario,
			name: 'simulator send lateness (due → sent): p99 (median of segments)',
			value: round(median(late), 3),
			unit: 'ms',
			note: `max ${round(Math.max(...runs.flatMap((run) => run.simLateMaxMs)), 2)} ms over ${late.length} segments; stamp → ws.send returned max ${round(Math.max(...runs.flatMap((run) => run.stampToSentMaxMs)), 3)} ms (reference: how steady the pacing was; latency starts at the stamp)`,
		});
	}
	if (own) {
		figures.push({
			scenario,
			name: "Kadoa Trigger, node's own share (ws message → emit): p99",
			value: round(own.p99, 3),
			unit: 'ms',
			note: `p50 ${round(own.p50, 3)} ms, max ${round(own.max, 2)} ms; in-process, free of cross-process scheduling noise`,
		});
	}
	return figures;
}
