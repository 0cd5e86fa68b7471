/**
 * 1. Throughput: `count` workflow_data_change events of ~2 KB published back to back by the
 * simulator (POST /__sim/publish {count, rowBytes}) to one subscribed client in this process.
 * Clients, in rotating order per round: (a) raw ws + JSON.parse, (b) (a) + one ack per event
 * over a node:http keep-alive agent with ACK_CONCURRENCY requests at a time, (c) the same over
 * an undici Pool (the transport the node's Acknowledger uses), (d) (c) inside n8n: a minimal
 * trigger node through the same harness that emits every parsed frame (lib/minimal-trigger.ts),
 * and the real node through the trigger harness (acknowledge: emitted). Times run from the
 * publish request to the last frame parsed / event emitted / acknowledgement answered.
 */
import { RawClient } from '../lib/raw-client';
import { MinimalTrigger } from '../lib/minimal-trigger';
import { SimProcess } from '../lib/sim';
import { fullGc, median, msSince, nowNs, round, type Figure } from '../lib/stats';
import { BenchTrigger, ackProbe } from '../lib/trigger';
import { until } from '../lib/wait';
import { wsProbe } from '../lib/ws-probe';

/** The node's Acknowledger sends 8 at a time over one keep-alive agent: (b) gets the same. */
export const ACK_CONCURRENCY = 8;

export type ClientKind = 'a' | 'b' | 'c' | 'd' | 'trigger';

export interface RunResult {
	kind: ClientKind;
	round: number;
	count: number;
	/** publish → last frame parsed (a, b) or last emit (trigger). */
	receiveMs: number;
	/** publish → last successful ack (b, trigger). */
	ackMs?: number;
	/** The simulator's own time to build and queue the burst. */
	simBurstMs: number;
	frameBytes: number;
	unackedAtEnd?: number;
	failedAcks?: number;
	/** CPU time of this (client) process from publish to the end, per event. */
	cpuUsPerEvent: number;
}

export interface ThroughputOptions {
	count: number;
	rowBytes: number;
	rounds: number;
	warmupCount: number;
	kinds: ClientKind[];
	log: (line: string) => void;
}

async function subscribedOnce(sim: SimProcess): Promise<void> {
	await sim.control.waitForState((s) => s.subscribes.length >= 1, 10_000, 'a subscribe');
}

export async function runOnce(sim: SimProcess, kind: ClientKind, count: number, rowBytes: number): Promise<RunResult> {
	await sim.control.resetRecords(true);
	fullGc();
	const ws = wsProbe();
	const acks = ackProbe();
	ws.reset();
	acks.reset();
	let raw: RawClient | undefined;
	let trigger: BenchTrigger | undefined;
	let minimal: MinimalTrigger | undefined;
	if (kind === 'trigger') {
		trigger = await BenchTrigger.activate(sim, { parameters: { acknowledge: 'emitted', output: 'event' } });
	} else if (kind === 'd') {
		minimal = await MinimalTrigger.activate(sim, ACK_CONCURRENCY);
		raw = minimal.client;
	} else {
		raw = new RawClient({ apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl, ackConcurrency: kind === 'a' ? 0 : ACK_CONCURRENCY, ackTransport: kind === 'c' ? 'undici' : 'http' });
		await raw.connect();
	}
	await subscribedOnce(sim);
	const cpu0 = process.cpuUsage();
	const t0 = nowNs();
	const burst = await sim.control.publish<{ ms: number }>({ count, rowBytes });
	const timeout = 120_000;
	let receiveMs: number;
	let ackMs: number | undefined;
	if (raw) {
		const client = raw;
		await until(() => client.events >= count, timeout, `${count} frames`);
		receiveMs = msSince(t0, client.lastEventNs);
		if (minimal && minimal.emitted < count) throw new Error(`(d) emitted ${minimal.emitted} of ${count}`);
		if (kind !== 'a') {
			await until(() => client.acked + client.ackFailures >= count, timeout, `${count} acks`);
			ackMs = msSince(t0, client.lastAckNs);
		}
	} else {
		const node = trigger as BenchTrigger;
		await until(() => node.emitted >= count, timeout, `${count} emits`);
		receiveMs = msSince(t0, node.lastEmitNs);
		if (acks.available) {
			await until(() => acks.count >= count, timeout, `${count} acks`);
			ackMs = msSince(t0, acks.lastNs);
		} else {
			const start = nowNs();
			await sim.control.waitForState((s) => s.ackedIds >= count, timeout, `${count} acks`, 5);
			ackMs = msSince(t0, start) + msSince(start);
		}
	}
	const cpu = process.cpuUsage(cpu0);
	const cpuUsPerEvent = (cpu.user + cpu.system) / count;
	const frameBytes = ws.messages > 0 ? ws.lastMessageBytes : 0;
	let unackedAtEnd: number | undefined;
	let failedAcks: number | undefined;
	if (kind !== 'a') {
		const state = await sim.control.state();
		unackedAtEnd = state.unacked;
		failedAcks = state.failedAcks;
	}
	if (minimal) await minimal.close();
	else await raw?.close();
	await trigger?.close();
	return { kind, round: -1, count, receiveMs, ackMs, simBurstMs: burst.ms, frameBytes, unackedAtEnd, failedAcks, cpuUsPerEvent };
}

export interface ThroughputResult {
	figures: Figure[];
	runs: RunResult[];
}

export async function throughput(options: ThroughputOptions): Promise<ThroughputResult> {
	const sim = await SimProcess.start({ heartbeatMs: 15_000 });
	const runs: RunResult[] = [];
	try {
		// Warm-up: JIT, agents, the simulator's own code paths. Not reported.
		for (const kind of options.kinds) await runOnce(sim, kind, options.warmupCount, options.rowBytes);
		for (let r = 0; r < options.rounds; r++) {
			// Rotate the order so that drift on a shared machine does not favour one client.
			const order = options.kinds.map((_, i) => options.kinds[(i + r) % options.kinds.length]);
			for (const kind of order) {
				const run = await runOnce(sim, kind, options.count, options.rowBytes);
				run.round = r;
				runs.push(run);
				options.log(
					`round ${r + 1} ${kind}: received ${round(run.count / (run.receiveMs / 1000), 0)}/s` +
						(run.ackMs ? `, acknowledged ${Math.round(run.count / (run.ackMs / 1000))}/s` : '') +
						`, client CPU ${round(run.cpuUsPerEvent, 1)} µs/event (sim burst ${run.simBurstMs} ms, frame ${run.frameBytes} B${run.unackedAtEnd !== undefined ? `, unacked ${run.unackedAtEnd}` : ''})`,
				);
			}
		}
	} finally {
		await sim.stop();
	}
	return { figures: figuresOf(runs), runs };
}

function rate(run: RunResult, which: 'receive' | 'ack'): number {
	const ms = which === 'receive' ? run.receiveMs : (run.ackMs ?? NaN);
	return run.count / (ms / 1000);
}

function figuresOf(runs: RunResult[]): Figure[] {
	const of = (kind: ClientKind) => runs.filter((run) => run.kind === kind);
	const med = (kind: ClientKind, which: 'receive' | 'ack') => median(of(kind).map((run) => rate(run, which)));
	const figures: Figure[] = [];
	const scenario = '1 throughput';
	const a = med('a', 'receive');
	const bRecv = med('b', 'receive');
	const bAck = med('b', 'ack');
	const tEmit = med('trigger', 'receive');
	const tAck = med('trigger', 'ack');
	const bBase = { name: `(b) raw + ack ×${ACK_CONCURRENCY}`, value: round(bAck, 0), unit: 'ev/s' };
	if (of('a').length) figures.push({ scenario, name: 'baseline (a): raw ws + JSON.parse, frames/s', value: round(a, 0), unit: 'ev/s', note: 'reference' });
	if (of('b').length) {
		figures.push({ scenario, name: `baseline (b): (a) + 1 ack/event, keep-alive, ${ACK_CONCURRENCY} at a time: parsed/s`, value: round(bRecv, 0), unit: 'ev/s', note: 'reference' });
		figures.push({ scenario, name: 'baseline (b): acknowledged/s', value: round(bAck, 0), unit: 'ev/s', baseline: a ? { name: '(a)', value: round(a, 0), unit: 'ev/s' } : undefined, ratio: a ? bAck / a : undefined, note: 'reference' });
	}
	const cAck = med('c', 'ack');
	if (of('c').length) {
		figures.push({ scenario, name: `baseline (c): (b) with undici instead of node:http (the node's ack transport): acknowledged/s`, value: round(cAck, 0), unit: 'ev/s', baseline: bAck ? { name: '(b)', value: round(bAck, 0), unit: 'ev/s' } : undefined, ratio: bAck ? cAck / bAck : undefined, note: 'reference' });
	}
	const dAck = med('d', 'ack');
	if (of('d').length) {
		figures.push({ scenario, name: '(d): (c) inside n8n, a minimal trigger node emitting every frame (same harness): acknowledged/s', value: round(dAck, 0), unit: 'ev/s', baseline: cAck ? { name: '(c)', value: round(cAck, 0), unit: 'ev/s' } : undefined, ratio: cAck ? dAck / cAck : undefined, note: "reference: n8n's own work per emit on top of (c)" });
	}
	// Rates drift with the machine's load: compare each trigger run with the baseline run of its own round.
	const paired = (which: 'receive' | 'ack', base: ClientKind = 'b') =>
		median(
			of('trigger').flatMap((t) => {
				const b = runs.find((run) => run.kind === base && run.round === t.round);
				return b ? [rate(t, which) / rate(b, 'ack')] : [];
			}),
		);
	if (of('trigger').length) {
		const unacked = Math.max(...of('trigger').map((run) => run.unackedAtEnd ?? 0));
		const failed = Math.max(...of('trigger').map((run) => run.failedAcks ?? 0));
		figures.push({ scenario, name: 'Kadoa Trigger: emitted/s', value: round(tEmit, 0), unit: 'ev/s', baseline: bAck ? bBase : undefined, ratio: bAck ? paired('receive') : undefined, target: '≥ 0.90 × (b)', met: bAck ? paired('receive') >= 0.9 : undefined, note: 'values: medians; ratio: median of per-round ratios' });
		figures.push({ scenario, name: 'Kadoa Trigger: acknowledged/s', value: round(tAck, 0), unit: 'ev/s', baseline: bAck ? bBase : undefined, ratio: bAck ? paired('ack') : undefined, target: '≥ 0.90 × (b)', met: bAck ? paired('ack') >= 0.9 : undefined });
		if (of('c').length) {
			figures.push({ scenario, name: 'Kadoa Trigger: acknowledged/s, against the same transport', value: round(tAck, 0), unit: 'ev/s', baseline: { name: '(c) raw + undici ack', value: round(cAck, 0), unit: 'ev/s' }, ratio: paired('ack', 'c'), note: 'what the node costs beyond its ack transport' });
		}
		if (of('d').length) {
			figures.push({ scenario, name: "Kadoa Trigger: acknowledged/s, against the same transport inside n8n", value: round(tAck, 0), unit: 'ev/s', baseline: { name: '(d) minimal trigger in n8n', value: round(dAck, 0), unit: 'ev/s' }, ratio: paired('ack', 'd'), note: "what the node costs beyond its transport and n8n's emit" });
		}
		const cpu = (kind: ClientKind) => median(of(kind).map((run) => run.cpuUsPerEvent));
		if (of('b').length) {
			figures.push({
				scenario,
				name: 'Kadoa Trigger: client CPU per event',
				value: round(cpu('trigger'), 1),
				unit: 'µs',
				baseline: { name: '(b) client CPU per event', value: round(cpu('b'), 1), unit: 'µs' },
				ratio: cpu('trigger') / cpu('b'),
				note: `(a) ${round(cpu('a'), 1)} µs${of('c').length ? `, (c) ${round(cpu('c'), 1)} µs` : ''}; CPU time is steadier than rates on a shared machine`,
			});
		}
		if (of('d').length) {
			figures.push({
				scenario,
				name: 'Kadoa Trigger: client CPU per event, against (d)',
				value: round(cpu('trigger'), 1),
				unit: 'µs',
				baseline: { name: '(d) client CPU per event', value: round(cpu('d'), 1), unit: 'µs' },
				ratio: cpu('trigger') / cpu('d'),
				note: `the node's own share: ${round(cpu('trigger') - cpu('d'), 1)} µs per event`,
			});
		}
		figures.push({ scenario, name: 'Kadoa Trigger: unacknowledged at end (worst run)', value: unacked, unit: 'events', target: '0', met: unacked === 0, note: failed ? `${failed} failed ack request(s)` : undefined });
	}
	return figures;
}
