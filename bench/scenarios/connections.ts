/**
 * 7. Cost of a connection: heap per active (subscribed) trigger with `n` triggers in one
 * process, against `n` raw ws clients (baseline a) in the same process; again after every
 * trigger has emitted and acknowledged `events` events (id windows, agents, ack records).
 */
import { RawClient } from '../lib/raw-client';
import { SimProcess, sleep } from '../lib/sim';
import { fullGc, heapUsed, round, type Figure } from '../lib/stats';
import { BenchTrigger, ackProbe } from '../lib/trigger';
import { until } from '../lib/wait';

export interface ConnectionsOptions {
	n: number;
	events: number;
	log: (line: string) => void;
}

export interface ConnectionsResult {
	n: number;
	rawKb: number;
	triggerKb: number;
	triggerAfterTrafficKb: number;
	events: number;
	resourcesPerTrigger: Record<string, number>;
	/** Keep-alive ack sockets stay open until the server closes them. */
	resourcesPerTriggerAfterTraffic: Record<string, number>;
}

function resources(): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
	return counts;
}

async function settledHeap(): Promise<number> {
	await sleep(300);
	fullGc();
	return heapUsed();
}

export async function connections(options: ConnectionsOptions): Promise<{ figures: Figure[]; result: ConnectionsResult }> {
	const sim = await SimProcess.start({ heartbeatMs: 15_000 });
	const acks = ackProbe();
	const { n } = options;
	try {
		// Load every module and warm the paths once, outside the measurement.
		const warm = await BenchTrigger.activate(sim, {});
		await warm.close();
		const warmRaw = new RawClient({ apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl, ackConcurrency: 0 });
		await warmRaw.connect();
		await warmRaw.close();
		await sim.control.resetRecords(true);

		const h0 = await settledHeap();
		const raws: RawClient[] = [];
		for (let i = 0; i < n; i++) {
			const raw = new RawClient({ apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl, ackConcurrency: 0 });
			await raw.connect();
			raws.push(raw);
		}
		await sim.control.waitForState((s) => s.subscribes.length >= n, 20_000, `${n} subscribes`);
		const h1 = await settledHeap();
		await Promise.all(raws.map((raw) => raw.close()));
		raws.length = 0;
		await sim.control.resetRecords(true);

		const h2 = await settledHeap();
		const r0 = resources();
		const triggers: BenchTrigger[] = [];
		for (let i = 0; i < n; i++) triggers.push(await BenchTrigger.activate(sim, { parameters: { acknowledge: 'emitted', output: 'event' } }));
		await sim.control.waitForState((s) => s.subscribes.length >= n, 20_000, `${n} subscribes`);
		const h3 = await settledHeap();
		const r1 = resources();

		acks.reset();
		await sim.control.publish({ count: options.events, rowBytes: 2_000 });
		await until(() => acks.count >= n * options.events, 120_000, `${n * options.events} acks`, 20);
		const h4 = await settledHeap();
		const r2 = resources();
		await Promise.all(triggers.map((trigger) => trigger.close()));

		const perTrigger: Record<string, number> = {};
		const afterTraffic: Record<string, number> = {};
		for (const key of new Set([...Object.keys(r0), ...Object.keys(r1), ...Object.keys(r2)])) {
			perTrigger[key] = round(((r1[key] ?? 0) - (r0[key] ?? 0)) / n, 2);
			afterTraffic[key] = round(((r2[key] ?? 0) - (r0[key] ?? 0)) / n, 2);
		}
		const result: ConnectionsResult = {
			n,
			rawKb: (h1 - h0) / n / 1024,
			triggerKb: (h3 - h2) / n / 1024,
			triggerAfterTrafficKb: (h4 - h2) / n / 1024,
			events: options.events,
			resourcesPerTrigger: perTrigger,
			resourcesPerTriggerAfterTraffic: afterTraffic,
		};
		options.log(`raw ${round(result.rawKb, 1)} KB, trigger ${round(result.triggerKb, 1)} KB, after ${options.events} events ${round(result.triggerAfterTrafficKb, 1)} KB per connection; handles per trigger ${JSON.stringify(perTrigger)}, after traffic ${JSON.stringify(afterTraffic)}`);
		return { figures: figuresOf(result), result };
	} finally {
		await sim.stop();
	}
}

function handles(counts: Record<string, number>): string {
	return Object.entries(counts)
		.filter(([, v]) => v !== 0)
		.map(([k, v]) => `${k} ${v}`)
		.join(', ');
}

function figuresOf(r: ConnectionsResult): Figure[] {
	const scenario = `7 heap per connection (${r.n} in 1 process)`;
	const base = { name: 'raw ws client (a)', value: round(r.rawKb, 1), unit: 'KB' };
	return [
		{ scenario, name: 'raw ws client, subscribed', value: round(r.rawKb, 1), unit: 'KB', note: 'reference' },
		{ scenario, name: 'Kadoa Trigger, subscribed', value: round(r.triggerKb, 1), unit: 'KB', baseline: base, ratio: r.triggerKb / r.rawKb, note: `handles per trigger: ${handles(r.resourcesPerTrigger)}` },
		{ scenario, name: `Kadoa Trigger, after ${r.events} events each`, value: round(r.triggerAfterTrafficKb, 1), unit: 'KB', baseline: base, ratio: r.triggerAfterTrafficKb / r.rawKb, note: `id window, ack records; handles per trigger then: ${handles(r.resourcesPerTriggerAfterTraffic)}` },
	];
}
