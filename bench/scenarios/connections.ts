/**
 * 7. Cost of a connection, and of a trigger on a shared one, `n` of each in one process.
 *
 * Kadoa Triggers share one realtime connection per Kadoa team (credential) and n8n process
 * (delivery/team-connection.ts), so there are two costs:
 * - a team connection with its one trigger: `n` triggers with `n` different API keys (as `n`
 *   Kadoa teams would be) give `n` connections; heap per connection after a forced GC, against
 *   `n` raw ws clients (baseline a) in the same process; again after every connection has
 *   received, emitted and acknowledged `events` events;
 * - a trigger added to a shared connection: `n` triggers on one API key, one socket; heap per
 *   trigger beyond the first ((all − first) ÷ (n − 1)), against a team connection above; and
 *   after `events` events that every one of the `n` triggers accepts (n × events emits, one
 *   acknowledgement per event), per trigger with the shared connection's share included;
 * - n8n's own share of an active trigger workflow, as the harness builds it (n8n-core's Workflow
 *   and TriggerContext, the node's parameters, the harness's records): `n` workflows with the
 *   Kadoa Trigger's description whose trigger() does nothing. What an added trigger costs
 *   beyond this is the node's own (its member on the connection, settings, resume state).
 */
import type { INodeType, ITriggerFunctions, ITriggerResponse } from 'n8n-workflow';

import { KadoaApi } from '../../credentials/KadoaApi.credentials';
import { KadoaTrigger } from '../../nodes/KadoaTrigger/KadoaTrigger.node';
import { N8nTriggerHarness } from '../../test/harness/n8n-host';
import { KADOA_TRIGGER_TYPE } from '../../test/harness/trigger-harness';
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
	events: number;
	rawKb: number;
	/** Per team connection with its one trigger (n API keys). */
	teamKb: number;
	teamAfterTrafficKb: number;
	/** Per trigger beyond the first on one shared connection (one API key). */
	addedTriggerKb: number;
	/** Per trigger after `events` events each, the shared connection's share included. */
	sharedAfterTrafficKb: number;
	/** Per workflow with the Kadoa Trigger's description and a trigger() that does nothing. */
	n8nShareKb: number;
	/** Sockets the simulator accepted for the n triggers on one key. */
	sharedSockets: number;
	sharedAcks: number;
	resourcesPerTeam: Record<string, number>;
	resourcesPerAddedTrigger: Record<string, number>;
}

function resources(): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
	return counts;
}

function perUnit(after: Record<string, number>, before: Record<string, number>, n: number): Record<string, number> {
	const out: Record<string, number> = {};
	for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) out[key] = round(((after[key] ?? 0) - (before[key] ?? 0)) / n, 2);
	return out;
}

/** Closed sockets finish their closing handshake before records are reset and heap is read. */
async function allClosed(sim: SimProcess): Promise<void> {
	await sim.control.waitForState((s) => s.openSockets === 0, 20_000, 'every socket closed');
}

async function settledHeap(): Promise<number> {
	await sleep(300);
	fullGc();
	return heapUsed();
}

const PARAMETERS = { acknowledge: 'emitted', output: 'event' };

/** The Kadoa Trigger's description with a trigger() that opens nothing: n8n's share alone. */
function idleKadoaTrigger(): INodeType {
	return {
		description: new KadoaTrigger().description,
		async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
			return { closeFunction: async () => undefined };
		},
	};
}

export async function connections(options: ConnectionsOptions): Promise<{ figures: Figure[]; result: ConnectionsResult }> {
	const sim = await SimProcess.start({ heartbeatMs: 15_000 });
	const acks = ackProbe();
	const { n, events } = options;
	if (n < 2) throw new Error('connections: n must be at least 2');
	// One key per simulated team; the simulator has one team, so every connection gets every event.
	const keys = Array.from({ length: n }, (_, i) => `bench-team-key-${i}`);
	const withKey = (apiKey: string) => ({ credentials: () => ({ ...sim.credentials(), apiKey }) });
	const emitted = (triggers: BenchTrigger[]) => triggers.reduce((sum, trigger) => sum + trigger.emitted, 0);
	try {
		await sim.control.fault({ kind: 'setApiKeys', keys: [sim.credentials().apiKey, ...keys] });
		// Load every module and warm the paths once (ack pool included), outside the measurement.
		const warm = await BenchTrigger.activate(sim, { parameters: PARAMETERS });
		await sim.control.publish({ count: 10, rowBytes: 2_000 });
		await until(() => acks.count >= 10, 20_000, 'the warm-up acks');
		await warm.close();
		const warmRaw = new RawClient({ apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl, ackConcurrency: 0 });
		await warmRaw.connect();
		await warmRaw.close();
		await allClosed(sim);
		await sim.control.resetRecords(true);

		// Baseline: n raw clients.
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
		await allClosed(sim);
		await sim.control.resetRecords(true);

		// n team connections, one trigger each.
		const t0 = await settledHeap();
		const r0 = resources();
		const teams: BenchTrigger[] = [];
		for (const key of keys) teams.push(await BenchTrigger.activate(withKey(key), { parameters: PARAMETERS }));
		await sim.control.waitForState((s) => s.subscribes.length >= n, 20_000, `${n} subscribes`);
		const t1 = await settledHeap();
		const r1 = resources();
		acks.reset();
		await sim.control.publish({ count: events, rowBytes: 2_000 });
		// Each connection acknowledges every event once (the simulator counts n − 1 of them as duplicates).
		await until(() => emitted(teams) >= n * events && acks.count >= n * events, 120_000, `${n * events} emits and acks`, 20);
		const t2 = await settledHeap();
		await Promise.all(teams.map((trigger) => trigger.close()));
		teams.length = 0;
		await allClosed(sim);
		await sim.control.resetRecords(true);

		// n triggers on one key: one shared connection.
		const s0 = await settledHeap();
		const shared: BenchTrigger[] = [await BenchTrigger.activate(sim, { parameters: PARAMETERS })];
		await sim.control.waitForState((s) => s.subscribes.length >= 1, 20_000, 'a subscribe');
		const s1 = await settledHeap();
		const q1 = resources();
		for (let i = 1; i < n; i++) shared.push(await BenchTrigger.activate(sim, { parameters: PARAMETERS }));
		const sn = await settledHeap();
		const qn = resources();
		acks.reset();
		await sim.control.publish({ count: events, rowBytes: 2_000 });
		await until(() => emitted(shared) >= n * events && acks.count >= events, 120_000, `${n * events} emits and ${events} acks`, 20);
		const s2 = await settledHeap();
		const state = await sim.control.state();
		await Promise.all(shared.map((trigger) => trigger.close()));
		await allClosed(sim);

		// n8n's share: the same harness and description, a trigger() that does nothing.
		const idleType = idleKadoaTrigger();
		const activateIdle = () =>
			N8nTriggerHarness.activateNode({ nodeType: idleType, nodeTypeName: KADOA_TRIGGER_TYPE, credentialTypes: [new KadoaApi()], credentials: sim.credentials(), parameters: PARAMETERS });
		await (await activateIdle()).close();
		const i0 = await settledHeap();
		const idle: N8nTriggerHarness[] = [];
		for (let i = 0; i < n; i++) idle.push(await activateIdle());
		const i1 = await settledHeap();
		await Promise.all(idle.map((harness) => harness.close()));

		const result: ConnectionsResult = {
			n,
			events,
			rawKb: (h1 - h0) / n / 1024,
			teamKb: (t1 - t0) / n / 1024,
			teamAfterTrafficKb: (t2 - t0) / n / 1024,
			addedTriggerKb: (sn - s1) / (n - 1) / 1024,
			sharedAfterTrafficKb: (s2 - s0) / n / 1024,
			n8nShareKb: (i1 - i0) / n / 1024,
			sharedSockets: state.connections,
			sharedAcks: state.acks,
			resourcesPerTeam: perUnit(r1, r0, n),
			resourcesPerAddedTrigger: perUnit(qn, q1, n - 1),
		};
		options.log(
			`raw ${round(result.rawKb, 1)} KB, team connection + trigger ${round(result.teamKb, 1)} KB (after ${events} events ${round(result.teamAfterTrafficKb, 1)} KB); ` +
				`added trigger on a shared connection ${round(result.addedTriggerKb, 1)} KB (after ${events} events each ${round(result.sharedAfterTrafficKb, 1)} KB per trigger); ` +
				`${n} triggers on one key: ${result.sharedSockets} socket(s), ${result.sharedAcks} ack requests for ${events} events; first connection ${round((s1 - s0) / 1024, 1)} KB; ` +
				`n8n's share per workflow (no-op trigger) ${round(result.n8nShareKb, 1)} KB`,
		);
		return { figures: figuresOf(result), result };
	} finally {
		await sim.stop();
	}
}

function handles(counts: Record<string, number>): string {
	const shown = Object.entries(counts)
		.filter(([, v]) => v !== 0)
		.map(([k, v]) => `${k} ${v}`)
		.join(', ');
	return shown || 'none';
}

function figuresOf(r: ConnectionsResult): Figure[] {
	const scenario = `7 heap per connection and per trigger (${r.n} in 1 process)`;
	const raw = { name: 'raw ws client (a)', value: round(r.rawKb, 1), unit: 'KB' };
	const team = { name: 'team connection + its trigger', value: round(r.teamKb, 1), unit: 'KB' };
	const teamAfter = { name: 'team connection + its trigger, after the events', value: round(r.teamAfterTrafficKb, 1), unit: 'KB' };
	return [
		{ scenario, name: 'raw ws client, subscribed', value: round(r.rawKb, 1), unit: 'KB', note: 'reference' },
		{
			scenario,
			name: `Kadoa team connection with its one trigger, subscribed (${r.n} API keys)`,
			value: round(r.teamKb, 1),
			unit: 'KB',
			baseline: raw,
			ratio: r.teamKb / r.rawKb,
			note: `handles per connection: ${handles(r.resourcesPerTeam)}`,
		},
		{
			scenario,
			name: `Kadoa team connection with its one trigger, after ${r.events} events`,
			value: round(r.teamAfterTrafficKb, 1),
			unit: 'KB',
			baseline: raw,
			ratio: r.teamAfterTrafficKb / r.rawKb,
			note: 'id window, ack records, a share of the process-wide ack pool',
		},
		{
			scenario,
			name: 'Kadoa Trigger added to a shared team connection (1 API key), subscribed',
			value: round(r.addedTriggerKb, 1),
			unit: 'KB',
			baseline: team,
			ratio: r.addedTriggerKb / r.teamKb,
			note: `(${r.n} triggers − the first) ÷ ${r.n - 1}; handles per added trigger: ${handles(r.resourcesPerAddedTrigger)}; ${r.sharedSockets} socket(s) for the ${r.n}`,
		},
		{
			scenario,
			name: "of which n8n's own objects for an active workflow (same harness and description, trigger() does nothing)",
			value: round(r.n8nShareKb, 1),
			unit: 'KB',
			baseline: { name: 'added Kadoa Trigger', value: round(r.addedTriggerKb, 1), unit: 'KB' },
			ratio: r.n8nShareKb / r.addedTriggerKb,
			note: "n8n-core's Workflow and TriggerContext, parameters, the harness's records",
		},
		{
			scenario,
			name: `Kadoa Trigger on a shared team connection, after ${r.events} events each (connection's share included)`,
			value: round(r.sharedAfterTrafficKb, 1),
			unit: 'KB',
			baseline: teamAfter,
			ratio: r.sharedAfterTrafficKb / r.teamAfterTrafficKb,
			note: `every trigger accepts every event: ${r.n * r.events} emits, ${r.sharedAcks} ack requests`,
		},
	];
}
