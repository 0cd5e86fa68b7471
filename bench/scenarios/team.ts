/**
 * 8. Many triggers on one Kadoa team (issue 10): K Kadoa Triggers with one credential, each
 * selecting its own Kadoa workflow (the simulator has exactly K), in one process, as n8n runs
 * them. One K per worker process (run.ts compares the K's), so memory figures are each K's own.
 *
 * - sockets and token requests over the whole run (activation, snapshot, bursts), as the
 *   simulator recorded them;
 * - acknowledgement requests per event over the bursts (every event is accepted by exactly one
 *   trigger, so nothing waits for the hold of unclaimed events);
 * - one ~5 MB workflow_data_change for ONE of the K workflows: peak heap and peak RSS above a
 *   collected baseline, sampled every 5 ms and at the emit and the acknowledgement;
 * - process CPU time per event over bursts of small events spread round robin over the K
 *   workflows (`acknowledge: emitted`), from the publish request to the last acknowledgement.
 *
 * The K triggers share one n8n database, as the workflows of one n8n instance do (finished
 * executions not kept: see bench/lib/trigger.ts).
 */
import { resolveEndpoints } from '../../nodes/KadoaTrigger/realtime/endpoints';
import { openTeamConnections, teamConnection } from '../../nodes/KadoaTrigger/delivery/team-connection';
import { SimProcess, sleep } from '../lib/sim';
import { fullGc, heapUsed, mb, median, msSince, nowNs, round } from '../lib/stats';
import { teamWorkflows } from '../lib/team-sim';
import { BenchTrigger, ackProbe, benchDatabase } from '../lib/trigger';
import { until } from '../lib/wait';
import { wsProbe } from '../lib/ws-probe';

export interface TeamOptions {
	k: number;
	/** Events per burst, spread over the K workflows. */
	events: number;
	rowBytes: number;
	rounds: number;
	warmup: number;
	/** Rows of the snapshot (~136 bytes each: 38,000 ≈ 5 MB frame). */
	snapshotRows: number;
	snapshotReps: number;
	log: (line: string) => void;
}

export interface SnapshotSample {
	frameBytes: number;
	/** Peak heapUsed above the collected heap before the publish. */
	heapPeakMb: number;
	/** Peak RSS above the RSS before the publish (the process's extra memory). */
	rssPeakMb: number;
	/** ws 'message' of the frame → emit of the one trigger that accepts it. */
	toEmitMs: number;
}

export interface TeamResult {
	k: number;
	/** Activating the K triggers one after another (each awaits its first connection, as n8n does). */
	activateMs: number;
	/** Heap after a forced GC per active trigger (the shared connection included). */
	heapPerTriggerKb: number;
	/** Sockets the simulator accepted over the whole run. */
	sockets: number;
	/** Sockets open at the end, before the triggers closed. */
	openSockets: number;
	tokenRequests: number;
	/** Shared connections open in this process (openTeamConnections). */
	teamConnections: number;
	/** Triggers registered on the shared connection. */
	members: number;
	events: number;
	ackRequests: number;
	ackedIds: number;
	duplicateAcks: number;
	failedAcks: number;
	unackedAtEnd: number;
	emitted: number;
	cpuUsPerEvent: number[];
	snapshot: SnapshotSample[];
}

interface MemorySample {
	heap: number;
	rss: number;
}

/** Peaks of heapUsed and RSS, sampled on a timer and at the moments the caller chooses. */
class MemoryPeaks {
	heap = 0;
	rss = 0;
	private readonly timer: NodeJS.Timeout;

	constructor(everyMs: number) {
		this.sample();
		this.timer = setInterval(() => this.sample(), everyMs);
	}

	sample(): void {
		const { heapUsed: heap, rss } = process.memoryUsage();
		if (heap > this.heap) this.heap = heap;
		if (rss > this.rss) this.rss = rss;
	}

	stop(): MemorySample {
		clearInterval(this.timer);
		this.sample();
		return { heap: this.heap, rss: this.rss };
	}
}

async function settled(): Promise<MemorySample> {
	await sleep(200);
	fullGc();
	return { heap: heapUsed(), rss: process.memoryUsage().rss };
}

export async function team(options: TeamOptions): Promise<TeamResult> {
	const { k } = options;
	const sim = await SimProcess.start({ heartbeatMs: 15_000, workflows: k });
	const workflows = teamWorkflows(k);
	const ws = wsProbe();
	const acks = ackProbe();
	const triggers: BenchTrigger[] = [];
	const db = benchDatabase();
	let onEmit: ((at: bigint) => void) | undefined;
	const activate = (workflowIndex: number, workflowId: string) =>
		BenchTrigger.activate(sim, {
			workflowId,
			db,
			parameters: { acknowledge: 'emitted', output: 'event', workflowIds: [workflows[workflowIndex].id] },
			onEmit: (_emission, at) => onEmit?.(at),
		});
	try {
		// Load and warm every module once (the last trigger's close closes the connection).
		await (await activate(0, 'bench-warm')).close();
		await sim.control.resetRecords(true);

		const before = await settled();
		const t0 = nowNs();
		for (let i = 0; i < k; i++) triggers.push(await activate(i, `bench-team-${String(i).padStart(4, '0')}`));
		const activateMs = msSince(t0);
		await sim.control.waitForState((s) => s.subscribes.length >= 1, 10_000, 'a subscribe');
		const active = await settled();
		const connection = teamConnection({ endpoints: resolveEndpoints(sim.apiUrl, sim.realtimeUrl), apiKey: sim.credentials().apiKey });
		const members = connection.memberCount;
		if (members !== k) throw new Error(`${members} trigger(s) registered on the team connection, expected ${k}: do the harnesses have distinct workflow ids?`);
		options.log(`K=${k}: activated in ${round(activateMs, 0)} ms, ${round((active.heap - before.heap) / k / 1024, 1)} KB heap per trigger`);

		// One ~5 MB snapshot for one of the K workflows (the last trigger's).
		const snapshot: SnapshotSample[] = [];
		const target = triggers[k - 1];
		for (let rep = 0; rep < options.snapshotReps; rep++) {
			const base = await settled();
			const peaks = new MemoryPeaks(5);
			let emitAt = 0n;
			onEmit = (at) => {
				peaks.sample();
				emitAt = at;
			};
			const emitted = target.emitted;
			const acked = acks.count;
			await sim.control.publish({ dataChange: { workflowId: workflows[k - 1].id, fixture: { rows: options.snapshotRows, seed: 3 } } });
			await until(() => target.emitted > emitted && acks.count > acked, 60_000, 'the snapshot emitted and acknowledged');
			peaks.sample();
			await sleep(50);
			const peak = peaks.stop();
			onEmit = undefined;
			const sample: SnapshotSample = {
				frameBytes: ws.lastMessageBytes,
				heapPeakMb: mb(peak.heap - base.heap),
				rssPeakMb: mb(peak.rss - base.rss),
				toEmitMs: msSince(ws.lastMessageNs, emitAt),
			};
			snapshot.push(sample);
			options.log(`K=${k} snapshot ${rep + 1}: frame ${round(mb(sample.frameBytes), 2)} MB, peak heap +${round(sample.heapPeakMb, 1)} MB, peak RSS +${round(sample.rssPeakMb, 1)} MB, frame → emit ${round(sample.toEmitMs, 1)} ms`);
		}
		const others = triggers.slice(0, -1).reduce((sum, trigger) => sum + trigger.emitted, 0);
		if (others > 0) throw new Error(`${others} trigger(s) that do not select the snapshot's workflow emitted it`);

		// Bursts of small events, round robin over the K workflows.
		const burst = async (count: number): Promise<number> => {
			const emittedBefore = triggers.reduce((sum, trigger) => sum + trigger.emitted, 0);
			const acked = acks.count;
			// Collected, then given time for the GC's concurrent sweeping (CPU time of other threads).
			fullGc();
			await sleep(200);
			const cpu0 = process.cpuUsage();
			await sim.control.publish({ count, rowBytes: options.rowBytes });
			await until(() => acks.count - acked >= count, 120_000, `${count} acks`);
			const cpu = process.cpuUsage(cpu0);
			const emitted = triggers.reduce((sum, trigger) => sum + trigger.emitted, 0) - emittedBefore;
			if (emitted !== count) throw new Error(`${emitted} emits for ${count} events`);
			return cpu.user + cpu.system;
		};
		await burst(options.warmup);
		const start = await sim.control.state();
		const cpuUsPerEvent: number[] = [];
		for (let r = 0; r < options.rounds; r++) {
			const cpuUs = await burst(options.events);
			cpuUsPerEvent.push(cpuUs / options.events);
			options.log(`K=${k} burst ${r + 1}: ${round(cpuUs / options.events, 1)} µs CPU per event`);
		}
		// Acknowledgements may still be answered after the last markDone; none may be missing.
		await sleep(200);
		const end = await sim.control.state();
		const events = end.events - start.events;
		const result: TeamResult = {
			k,
			activateMs,
			heapPerTriggerKb: (active.heap - before.heap) / k / 1024,
			sockets: end.connections,
			openSockets: end.openSockets,
			tokenRequests: end.tokenRequests,
			teamConnections: openTeamConnections(),
			members,
			events,
			ackRequests: end.acks - start.acks,
			ackedIds: end.ackedIds - start.ackedIds,
			duplicateAcks: end.duplicateAcks - start.duplicateAcks,
			failedAcks: end.failedAcks - start.failedAcks,
			unackedAtEnd: end.unacked,
			emitted: triggers.reduce((sum, trigger) => sum + trigger.emitted, 0),
			cpuUsPerEvent,
			snapshot,
		};
		const warnings = triggers.reduce((sum, trigger) => sum + trigger.warnings, 0);
		options.log(
			`K=${k}: ${result.sockets} socket(s), ${result.tokenRequests} token request(s), ${round(result.ackRequests / events, 3)} ack requests per event, ` +
				`median ${round(median(cpuUsPerEvent), 1)} µs CPU per event, ${result.unackedAtEnd} unacknowledged, ${warnings} warning(s)` +
				(warnings ? `: ${triggers.flatMap((trigger) => trigger.warningLines).slice(0, 3).join(' / ')}` : ''),
		);
		return result;
	} finally {
		await Promise.all(triggers.map((trigger) => trigger.close()));
		await sim.stop();
	}
}

