/**
 * 4. Replay burst: `count` unacknowledged events wait in the simulator when the trigger
 * connects (acknowledge: executionFinished, default maxInFlight, executions of `execMs`).
 * Figures: drain time against the ideal count × execMs / maxInFlight, peak heap against the
 * backlog's size on the wire, executions running at once, acknowledgements at the end.
 */
import { SimProcess, sleep } from '../lib/sim';
import { HeapSampler, fullGc, heapUsed, oldSpaceUsed, mb, msSince, nowNs, round, type Figure } from '../lib/stats';
import type { RunResult } from '../../test/harness/trigger-harness';
import { BenchTrigger, ackProbe } from '../lib/trigger';
import { until } from '../lib/wait';
import { wsProbe } from '../lib/ws-probe';

/** The node's default "Max Executions Awaiting Acknowledgement" (settings.ts). */
export const DEFAULT_MAX_IN_FLIGHT = 10;

export interface ReplayOptions {
	count: number;
	rowBytes: number;
	execMs: number;
	log: (line: string) => void;
}

export interface ReplayResult {
	count: number;
	drainMs: number;
	idealMs: number;
	firstEmitMs: number;
	peakHeapMb: number;
	/** Old generation + large objects: what survived young-generation collections. */
	peakOldMb: number;
	backlogMb: number;
	peakRunning: number;
	/** Most frames received and not yet emitted at one time (heartbeats included). */
	peakBuffered: number;
	emitted: number;
	acked: number;
	unackedAtEnd: number;
	duplicateAcks: number;
}

export async function replay(options: ReplayOptions): Promise<{ figures: Figure[]; result: ReplayResult }> {
	const sim = await SimProcess.start({ heartbeatMs: 15_000 });
	const acks = ackProbe();
	const ws = wsProbe();
	try {
		await sim.control.publish({ count: options.count, rowBytes: options.rowBytes });
		await sleep(200);
		fullGc();
		const h0 = heapUsed();
		acks.reset();
		ws.reset();
		let running = 0;
		let peakRunning = 0;
		const sampler = new HeapSampler(5);
		const o0 = oldSpaceUsed();
		// Frames handed over by ws but not emitted yet: what the node holds while it waits for a slot.
		let trigger: BenchTrigger | undefined;
		let peakBuffered = 0;
		const bufferTimer = setInterval(() => {
			if (!trigger) return;
			const buffered = ws.messages - trigger.emitted;
			if (buffered > peakBuffered) peakBuffered = buffered;
		}, 2);
		const t0 = nowNs();
		trigger = await BenchTrigger.activate(sim, {
			parameters: { acknowledge: 'executionFinished', output: 'event' },
			execute: async (): Promise<RunResult> => {
				running++;
				if (running > peakRunning) peakRunning = running;
				await sleep(options.execMs);
				running--;
				return 'success';
			},
		});
		let progress = 0;
		await until(
			() => {
				if (acks.count - progress >= 2_000) {
					progress = acks.count;
					options.log(`${progress} acknowledged after ${round(msSince(t0) / 1000, 1)} s (peak heap +${round(mb(sampler.stop() - h0), 1)} MB so far)`);
				}
				return acks.count >= options.count;
			},
			10 * 60_000,
			`${options.count} acks`,
			20,
		);
		const drainMs = msSince(t0, acks.lastNs);
		clearInterval(bufferTimer);
		const node = trigger;
		const peak = sampler.stop();
		const peakOld = sampler.peakOld;
		const state = await sim.control.state();
		const emitted = node.emitted;
		const firstEmitMs = msSince(t0, node.firstEmitNs);
		await node.close();
		const frameBytes = ws.messages > 0 ? ws.bytes / ws.messages : 0;
		const result: ReplayResult = {
			count: options.count,
			drainMs,
			idealMs: (options.count * options.execMs) / DEFAULT_MAX_IN_FLIGHT,
			firstEmitMs,
			peakHeapMb: mb(peak - h0),
			peakOldMb: mb(peakOld - o0),
			backlogMb: mb(frameBytes * options.count),
			peakRunning,
			peakBuffered,
			emitted,
			acked: acks.count,
			unackedAtEnd: state.unacked,
			duplicateAcks: state.duplicateAcks,
		};
		options.log(`drained in ${round(drainMs / 1000, 2)} s (ideal ${result.idealMs / 1000} s), peak heap +${round(result.peakHeapMb, 1)} MB, peak running ${peakRunning}, unacked ${state.unacked}`);
		return { figures: figuresOf(result, options.execMs), result };
	} finally {
		await sim.stop();
	}
}

function figuresOf(r: ReplayResult, execMs: number): Figure[] {
	const scenario = `4 replay ${r.count.toLocaleString('en')} × ${execMs} ms`;
	const againstBacklog = (name: string, mbValue: number, note: string): Figure => ({
		scenario,
		name,
		value: round(mbValue, 1),
		unit: 'MB',
		baseline: { name: 'backlog on the wire', value: round(r.backlogMb, 1), unit: 'MB' },
		ratio: mbValue / r.backlogMb,
		note,
	});
	return [
		{
			scenario,
			name: 'time to drain (connect → last ack)',
			value: round(r.drainMs / 1000, 2),
			unit: 's',
			baseline: { name: `ideal n×${execMs}ms/${DEFAULT_MAX_IN_FLIGHT}`, value: r.idealMs / 1000, unit: 's' },
			ratio: r.drainMs / r.idealMs,
			note: `first emit after ${round(r.firstEmitMs, 0)} ms`,
		},
		againstBacklog('peak heap above idle', r.peakHeapMb, 'heapUsed, young-generation garbage included'),
		againstBacklog('peak old generation above idle', r.peakOldMb, 'promoted objects, garbage included until a major GC: depends on GC timing'),
		{
			scenario,
			name: 'peak events received but not yet emitted',
			value: r.peakBuffered,
			unit: 'events',
			baseline: { name: 'backlog', value: r.count, unit: 'events' },
			ratio: r.peakBuffered / r.count,
			target: 'bounded (≪ backlog)',
			met: r.peakBuffered < r.count / 20,
			note: 'back-pressure: the rest stays in the socket and at Kadoa',
		},
		{
			scenario,
			name: 'peak executions running at once',
			value: r.peakRunning,
			unit: 'executions',
			target: `≤ maxInFlight (${DEFAULT_MAX_IN_FLIGHT})`,
			met: r.peakRunning <= DEFAULT_MAX_IN_FLIGHT,
		},
		{
			scenario,
			name: 'unacknowledged at the end',
			value: r.unackedAtEnd,
			unit: 'events',
			target: '0',
			met: r.unackedAtEnd === 0,
			note: `${r.emitted} emitted, ${r.acked} acknowledged, ${r.duplicateAcks} duplicate ack(s)`,
		},
	];
}
