/**
 * Issue 11's randomized proof: seeded runs of hundreds to thousands of steps against the
 * simulator, with three triggers on one team, per acknowledgement mode, on the n8n flavour of
 * this jest run (npm test runs the integration suites on 2.x and again on 1.x).
 *
 * Steps: publishes, odd frames, oversized events, drops, drains, black holes, n8n restarts
 * (graceful and `kill -9`, handing over only what n8n saved), re-saves, and executions that
 * succeed, fail, are refused by n8n or never report. Then the faults stop and the checks run:
 * - every event its mode says must run ran (at least once; in `executionSucceeded`, succeeded);
 * - nothing ran twice beyond the window README names (executions cut off or finished after
 *   the last save of a restarted trigger, and executions that outlived Execution Timeout);
 * - nothing was acknowledged before its mode allowed;
 * - no exception escaped; the triggers still read (a last event per trigger runs).
 * A failing run names its seed: KADOA_RANDOM_SEED=<seed> npm test -- -t randomized replays it.
 */
import { OddFrames, seededRandom } from '../harness/odd-frames';
import { Fixture } from '../harness/setup';
import { waitFor, type Emission, type RunResult, type TriggerHarness } from '../harness/trigger-harness';
import type { PublishedEvent, ReplayBehaviour } from '../simulator/simulator';

const fixture = new Fixture();
afterEach(() => fixture.teardown());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const STEPS = Number(process.env.KADOA_RANDOM_STEPS ?? 600);
const MAX_IN_FLIGHT = 3;
/** Executions whose status shows n8n ran them (or still runs them). */
const RAN = new Set(['new', 'running', 'success', 'error', 'crashed', 'waiting', 'canceled', 'unknown']);

type Mode = 'emitted' | 'executionFinished' | 'executionSucceeded';

const escaped: unknown[] = [];
const onEscape = (error: unknown) => escaped.push(error);
beforeAll(() => {
	process.on('uncaughtException', onEscape);
	process.on('unhandledRejection', onEscape);
});
afterAll(() => {
	process.off('uncaughtException', onEscape);
	process.off('unhandledRejection', onEscape);
});

interface Counters {
	/** Trigger activations ended by a restart or re-save (each may rerun up to maxInFlight). */
	restarts: number;
	/** Executions that never report (they run again after Execution Timeout). */
	timeouts: number;
	/** Starts n8n refused or executions it cancelled (they run again). */
	rejects: number;
	oversized: string[];
}

async function run(mode: Mode, seed: number, replay: ReplayBehaviour): Promise<void> {
	const random = seededRandom(seed);
	const chance = (p: number) => random() < p;
	const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
	const odd = new OddFrames(seededRandom(seed + 1));
	const kadoaWorkflows = ['kw-1', 'kw-2', 'kw-3'];
	const sim = await fixture.sim({ replay, workflows: kadoaWorkflows.map((id) => ({ id, name: id, state: 'ACTIVE', url: `https://${id}.example` })) });
	let settled = false;
	const counters: Counters = { restarts: 0, timeouts: 0, rejects: 0, oversized: [] };
	const outcome = (): RunResult => {
		if (settled) return 'success';
		const roll = random();
		if (roll < 0.08) return 'error';
		// In `emitted` mode a refused start after the acknowledgement is a documented loss (README).
		if (roll < 0.12 && mode !== 'emitted') {
			counters.rejects++;
			return 'reject';
		}
		if (roll < 0.14 && mode !== 'emitted') {
			counters.timeouts++;
			return 'never';
		}
		return 'success';
	};
	let triggers: TriggerHarness[] = [];
	const lives: TriggerHarness[] = [];
	for (const kadoaWorkflow of kadoaWorkflows) {
		const trigger = await fixture.trigger(sim, {
			workflowId: `rnd${kadoaWorkflow.replace('-', '')}`,
			execute: () => outcome(),
			parameters: {
				workflowIds: [kadoaWorkflow],
				acknowledge: mode,
				options: { heartbeatTimeout: 1, executionTimeout: 1, maxInFlight: MAX_IN_FLIGHT, maxFrameSize: 0.05, unclaimedHold: 15, retryDelay: 0.5 },
			},
			onActivated: (harness: TriggerHarness) => lives.push(harness),
		});
		triggers.push(trigger);
	}
	await sim.waitFor(() => sim.subscribes.length >= 1);

	const events: PublishedEvent[] = [];
	for (let step = 0; step < STEPS; step++) {
		const roll = random();
		if (roll < 0.7) {
			events.push(sim.publishDataChange({ workflowId: pick(kadoaWorkflows) }));
		} else if (roll < 0.78) {
			// Garbage and odd-but-valid JSON. Its cursor is left out: a cursor is Kadoa's own
			// ordering, and the trigger trusts it (README, edge cases).
			sim.sendRaw(odd.frame().replace(/"_cursor":/g, '"_c":'));
		} else if (roll < 0.8) {
			const big = sim.publishDataChange({ workflowId: pick(kadoaWorkflows), fixture: { rows: 1500 } });
			counters.oversized.push(big.id);
		} else if (roll < 0.83) {
			sim.dropAll();
		} else if (roll < 0.84) {
			sim.drain({ retryAfterMs: 20, closeAfterMs: 300 });
		} else if (roll < 0.845) {
			sim.blackhole(true, { existingOnly: true });
		} else if (roll < 0.855) {
			counters.restarts += triggers.length;
			const crash = chance(0.5);
			triggers = await (triggers[0].constructor as typeof TriggerHarness).restartAll(triggers, { crash });
		} else if (roll < 0.865) {
			const index = Math.floor(random() * triggers.length);
			counters.restarts++;
			triggers[index] = await triggers[index].resave({ triggerChanged: true });
		}
		if (chance(0.3)) await sleep(Math.floor(random() * 15));
	}

	// Faults stop; every event must end where its mode says.
	settled = true;
	sim.blackhole(false);
	const valid = events.filter((event) => !counters.oversized.includes(event.id));
	const probes = kadoaWorkflows.map((workflowId) => sim.publishDataChange({ workflowId }));
	const ofWorkflow = (event: PublishedEvent) => (event.data as { workflowId: string }).workflowId;
	const emissionsOf = (event: PublishedEvent): Emission[] =>
		lives
			.filter((harness) => harness.workflowId === `rnd${ofWorkflow(event).replace('-', '')}`)
			.flatMap((harness) => harness.emissions.filter((emission) => emissionEventId(emission) === event.id));
	const done = (event: PublishedEvent) => {
		const emissions = emissionsOf(event);
		if (mode === 'executionSucceeded') return emissions.some((emission) => emission.status === 'success');
		if (mode === 'executionFinished') return emissions.some((emission) => RAN.has(emission.status));
		return emissions.length > 0;
	};
	try {
		await waitFor(() => [...valid, ...probes].every((event) => sim.isAcked(event.id) && done(event)), 60_000, 'every event run and acknowledged').catch((error: Error) => {
			const stuck = [...valid, ...probes]
				.filter((event) => !(sim.isAcked(event.id) && done(event)))
				.slice(0, 5)
				.map((event) => `${event.id} ${event.cursor} ${ofWorkflow(event)} acked=${sim.isAcked(event.id)} runs=[${emissionsOf(event).map((emission) => emission.status).join(',')}]\n   ${lives.filter((h) => h.workflowId === `rnd${ofWorkflow(event).replace('-', '')}`).flatMap((h, life) => h.logs.filter((line) => line.message.includes(event.id) || /connected and subscribed|replacement|closed|joined the team/.test(line.message)).map((line) => `life ${life}: ${line.message}`)).join('\n   ')}`);
			const state = triggers.map((trigger) => JSON.stringify(trigger.memoryStaticData)).join('\n');
			error.message += `\nstuck:\n${stuck.join('\n')}\nstate:\n${state}\nlogs of one:\n${triggers[0].logText().split('\n').filter((line) => !line.startsWith('debug')).slice(-15).join('\n')}`;
			throw error;
		});
		await sim.waitFor(() => counters.oversized.every((id) => sim.isAcked(id)), 10_000, 'oversized events acknowledged');
		await sleep(300);

		// Oversized events never ran, and were reported.
		for (const id of counters.oversized) expect({ id, ran: lives.some((harness) => harness.eventIds().includes(id)) }).toEqual({ id, ran: false });
		// Runs beyond the first, per event.
		let extra = 0;
		for (const event of valid) {
			const emissions = emissionsOf(event);
			const counted = mode === 'executionSucceeded' ? emissions.filter((emission) => emission.status === 'success') : emissions.filter((emission) => RAN.has(emission.status));
			extra += Math.max(0, counted.length - 1);
			// Never acknowledged before its mode allowed.
			const firstAck = sim.acks.find((ack) => ack.id === event.id && ack.status >= 200 && ack.status < 300);
			const allowedFrom = mode === 'executionSucceeded' ? emissions.find((emission) => emission.status === 'success') : emissions[0];
			if (!(firstAck !== undefined && allowedFrom !== undefined && firstAck.at >= allowedFrom.at)) {
				console.log(event.id, event.cursor, firstAck, emissions.map((emission) => [emission.status, emission.at]), lives.filter((h) => h.workflowId === `rnd${ofWorkflow(event).replace('-', '')}`).map((h) => h.logs.filter((line) => line.message.includes(event.id) || /connected|closed|restart|cursor/.test(line.message)).map((line) => `${(line as { at?: number }).at ?? ''} ${line.message}`)));
			}
			expect({ id: event.id, ackedAfterItsRun: firstAck !== undefined && allowedFrom !== undefined && firstAck.at >= allowedFrom.at }).toEqual({ id: event.id, ackedAfterItsRun: true });
		}
		const dedupByN8n = triggers[0].flavour === '2.x' && mode !== 'executionSucceeded';
		// README's window: executions in flight or finished since a restarted trigger's last save,
		// and executions n8n gave no outcome for in time or cancelled (n8n 1.x reports a refused
		// start as nothing at all, and rejects only for a cancelled, i.e. started, execution).
		const window = mode === 'emitted' || dedupByN8n ? 0 : counters.restarts * MAX_IN_FLIGHT + counters.timeouts + counters.rejects;
		expect({ extraRuns: extra <= window, extra, window }).toEqual({ extraRuns: true, extra, window });
		expect(escaped).toEqual([]);
	} catch (error) {
		(error as Error).message = `randomized run failed: mode ${mode}, replay ${replay}, flavour ${triggers[0].flavour}, seed ${seed} (replay it with KADOA_RANDOM_SEED=${seed}); ${counters.restarts} trigger restarts or re-saves, ${valid.length} events\n${(error as Error).message}`;
		throw error;
	}
}

/** The event id of an emission (event or row items). */
function emissionEventId(emission: Emission): string | undefined {
	const first = (emission.json[0] ?? {}) as { eventId?: string; _kadoa?: { eventId?: string } };
	return first._kadoa?.eventId ?? first.eventId;
}

const fixedSeed = process.env.KADOA_RANDOM_SEED ? Number(process.env.KADOA_RANDOM_SEED) : undefined;

describe('randomized faults (issue 11)', () => {
	it.each<[Mode, ReplayBehaviour, number]>([
		['emitted', 'all', 101],
		['executionFinished', 'unacked', 202],
		['executionSucceeded', 'all', 303],
		['executionFinished', 'all', 404],
	])('%s, replay %s, seed %i', async (mode, replay, seed) => {
		await run(mode, fixedSeed ?? seed, replay);
	}, 180_000);
});
