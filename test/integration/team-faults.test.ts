/**
 * Many Kadoa Triggers on one Kadoa team (issue 10): one shared connection, and no event lost
 * to a neighbour's team-wide acknowledgement. Triggers are activated in seeded random orders;
 * restarts hand each trigger only what n8n saved (after activation and at each emit). Every
 * suite runs under both of Kadoa's possible replay behaviours.
 *
 * Invariant: every event runs in each trigger that accepts it, at least once and not twice; it
 * is acknowledged exactly once, and only after every accepting trigger settled it; no socket
 * beyond one per team (two only while a replacement takes over).
 */
import type { IDataObject } from 'n8n-workflow';

import { expectNoSecrets } from '../harness/invariants';
import { seededRandom as random } from '../harness/odd-frames';
import { Fixture } from '../harness/setup';
import { waitFor, type RunResult, type TriggerHarness } from '../harness/trigger-harness';
import type { KadoaSimulator, PublishedEvent, ReplayBehaviour } from '../simulator/simulator';
import { openTeamConnections } from '../../nodes/KadoaTrigger/delivery/team-connection';

const fixture = new Fixture();
afterEach(() => fixture.teardown());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function shuffled<T>(items: T[], next: () => number): T[] {
	const copy = [...items];
	for (let i = copy.length - 1; i > 0; i--) {
		const j = Math.floor(next() * (i + 1));
		[copy[i], copy[j]] = [copy[j], copy[i]];
	}
	return copy;
}

interface Team {
	sim: KadoaSimulator;
	kadoaWorkflows: string[];
	/** Every activation of the trigger watching each Kadoa workflow, across restarts. */
	lives: Map<string, TriggerHarness[]>;
	activate(kadoaWorkflow: string, extra?: { staticData?: IDataObject; activationMode?: 'init' | 'activate' | 'update'; acknowledge?: string; execute?: (index: number) => RunResult }): Promise<TriggerHarness>;
	current(kadoaWorkflow: string): TriggerHarness;
}

async function team(size: number, replay: ReplayBehaviour, hold = 1): Promise<Team> {
	const kadoaWorkflows = Array.from({ length: size }, (_, i) => `kw-${i + 1}`);
	const sim = await fixture.sim({ replay, workflows: kadoaWorkflows.map((id) => ({ id, name: id, state: 'ACTIVE', url: `https://${id}.example` })) });
	const lives = new Map<string, TriggerHarness[]>(kadoaWorkflows.map((id) => [id, []]));
	return {
		sim,
		kadoaWorkflows,
		lives,
		async activate(kadoaWorkflow, extra = {}) {
			const harness = await fixture.trigger(sim, {
				workflowId: `n8n-${kadoaWorkflow}`,
				activationMode: extra.activationMode ?? 'activate',
				staticData: extra.staticData,
				execute: extra.execute ? (_items, index) => (extra.execute as (index: number) => RunResult)(index) : undefined,
				parameters: { workflowIds: [kadoaWorkflow], acknowledge: extra.acknowledge ?? 'emitted', options: { unclaimedHold: hold } },
			});
			(lives.get(kadoaWorkflow) as TriggerHarness[]).push(harness);
			return harness;
		},
		current(kadoaWorkflow) {
			const list = lives.get(kadoaWorkflow) as TriggerHarness[];
			return list[list.length - 1];
		},
	};
}

/** Every event ran exactly once, in the trigger of its own Kadoa workflow only, and was acked once. */
function expectEachRanOnceInItsOwnTrigger(t: Team, events: PublishedEvent[], seed: number, ackedOnce = events): void {
	for (const [kadoaWorkflow, harnesses] of t.lives) {
		const ran = harnesses.flatMap((harness) => harness.eventIds());
		const expected = events.filter((event) => (event.data as { workflowId: string }).workflowId === kadoaWorkflow).map((event) => event.id);
		expect({ seed, kadoaWorkflow, ran: [...ran].sort() }).toEqual({ seed, kadoaWorkflow, ran: [...expected].sort() });
	}
	for (const event of ackedOnce) {
		const acks = t.sim.acks.filter((ack) => ack.id === event.id && ack.status >= 200 && ack.status < 300);
		expect({ seed, id: event.id, acks: acks.length }).toEqual({ seed, id: event.id, acks: 1 });
	}
	expectNoSecrets(t.sim, [...t.lives.values()].flat());
}

async function allAcked(t: Team, events: PublishedEvent[], timeoutMs = 15_000): Promise<void> {
	await t.sim.waitFor(() => events.every((event) => t.sim.isAcked(event.id)), timeoutMs, 'every event acknowledged');
}

describe.each<ReplayBehaviour>(['all', 'unacked'])('many triggers on one team (replay: %s)', (replay) => {
	it('one socket and one token per connection for 20 triggers; each event runs only in its own trigger, acked once', async () => {
		const seed = 1000 + (replay === 'all' ? 1 : 2);
		const t = await team(20, replay);
		for (const kadoaWorkflow of shuffled(t.kadoaWorkflows, random(seed))) await t.activate(kadoaWorkflow);
		await t.sim.waitFor(() => t.sim.subscribes.length >= 1);
		const events = t.kadoaWorkflows.flatMap((workflowId) => [t.sim.publishDataChange({ workflowId }), t.sim.publishDataChange({ workflowId })]);
		await allAcked(t, events);
		expect(t.sim.openSocketCount()).toBe(1);
		expect(t.sim.tokenRequests.length).toBe(t.sim.subscribes.length);
		expect(openTeamConnections()).toBe(1);
		expectEachRanOnceInItsOwnTrigger(t, events, seed);
	});

	it.each([11, 12, 13])('n8n restarts with events published while it was down; triggers activated in random order (seed %i): each runs once in its own trigger', async (seedBase) => {
		const seed = seedBase * (replay === 'all' ? 1 : 7);
		const next = random(seed);
		const t = await team(5, replay);
		for (const kadoaWorkflow of shuffled(t.kadoaWorkflows, next)) await t.activate(kadoaWorkflow, { activationMode: 'init' });
		await t.sim.waitFor(() => t.sim.subscribes.length >= 1);
		// Only some triggers emit before the stop: the others have no stored cursor (n8n saves at emit).
		const before = t.kadoaWorkflows.slice(0, 2).map((workflowId) => t.sim.publishDataChange({ workflowId }));
		await waitFor(() => before.every((event) => t.current((event.data as { workflowId: string }).workflowId).eventIds().includes(event.id)), 8000, 'first events ran');
		// n8n stops: every trigger closes; what each gets back is what n8n saved.
		const saved = new Map(t.kadoaWorkflows.map((id) => [id, t.current(id).persistedStaticData]));
		await Promise.all(t.kadoaWorkflows.map((id) => t.current(id).close()));
		const whileDown = shuffled(t.kadoaWorkflows, next).map((workflowId) => t.sim.publishDataChange({ workflowId }));
		// n8n starts again and activates the workflows one after another, in another order, with pauses.
		for (const kadoaWorkflow of shuffled(t.kadoaWorkflows, next)) {
			await t.activate(kadoaWorkflow, { activationMode: 'init', staticData: saved.get(kadoaWorkflow) });
			await sleep(Math.floor(next() * 150));
		}
		const after = t.kadoaWorkflows.map((workflowId) => t.sim.publishDataChange({ workflowId }));
		const events = [...before, ...whileDown, ...after];
		await allAcked(t, events, 20_000);
		await sleep(300);
		expectEachRanOnceInItsOwnTrigger(t, events, seed);
	});

	it('a start-up longer than the hold (registrations 0.6 s apart, hold 1 s): each start-up registration keeps acks waiting, so the last trigger still gets its event; the replays are gathered', async () => {
		const seed = replay === 'all' ? 31 : 32;
		const next = random(seed);
		const t = await team(6, replay);
		for (const kadoaWorkflow of t.kadoaWorkflows) await t.activate(kadoaWorkflow);
		await t.sim.waitFor(() => t.sim.subscribes.length >= 1);
		// Each trigger runs one event, so each has a stored cursor, as in a real n8n.
		const before = t.kadoaWorkflows.map((workflowId) => t.sim.publishDataChange({ workflowId }));
		await allAcked(t, before);
		const saved = new Map(t.kadoaWorkflows.map((id) => [id, t.current(id).persistedStaticData]));
		await Promise.all(t.kadoaWorkflows.map((id) => t.current(id).close()));
		const whileDown = t.kadoaWorkflows.map((workflowId) => t.sim.publishDataChange({ workflowId }));
		const subscribesBefore = t.sim.subscribes.length;
		// n8n starts: the six registrations span 3 s, three holds; no gap between two reaches one.
		let lastActivation = 0;
		for (const kadoaWorkflow of shuffled(t.kadoaWorkflows, next)) {
			lastActivation = Date.now();
			await t.activate(kadoaWorkflow, { activationMode: 'init', staticData: saved.get(kadoaWorkflow) });
			await sleep(600);
		}
		await allAcked(t, whileDown, 20_000);
		await sleep(300);
		// (Replay "all" brings the set-up events again from the oldest cursor, and they are
		// acknowledged again: harmless, see README.)
		expectEachRanOnceInItsOwnTrigger(t, [...before, ...whileDown], seed, whileDown);
		// The window closes one hold after the last registration: no acknowledgement before that.
		const firstAck = Math.min(...t.sim.acks.filter((ack) => whileDown.some((event) => event.id === ack.id)).map((ack) => ack.at));
		expect(firstAck - lastActivation).toBeGreaterThanOrEqual(1000 - 20);
		// One connection for the first registration, the later ones' replays gathered: not one
		// replacement per registration (five).
		expect(t.sim.subscribes.length - subscribesBefore).toBeLessThanOrEqual(3);
		expect(t.sim.openSocketCount()).toBe(1);
	});

	it('a trigger whose activation fails while the connection is down leaves nothing waiting for it: its held event is acknowledged after the hold', async () => {
		const t = await team(2, replay);
		const [a, b] = t.kadoaWorkflows;
		await t.activate(a);
		await t.sim.waitFor(() => t.sim.subscribes.length >= 1);
		const forB = t.sim.publishDataChange({ workflowId: b });
		await sleep(200);
		// The connection is lost and cannot come back for a while.
		t.sim.failTokenRequests(2);
		t.sim.dropAll();
		await sleep(100);
		// A person activates B meanwhile: it fails at once (nothing connected) and is not registered.
		await expect(t.activate(b, { activationMode: 'activate' })).rejects.toThrow();
		await t.sim.waitFor(() => t.sim.isAcked(forB.id), 15_000, 'the held event acknowledged once the connection is back');
		expect(t.current(a).eventIds()).toEqual([]);
	});

	it('a neighbour that filters an event never cancels the retry of the trigger whose run failed (executionSucceeded)', async () => {
		const t = await team(2, replay);
		const [a, b] = t.kadoaWorkflows;
		await t.activate(a);
		let attempts = 0;
		const bTrigger = await t.activate(b, { acknowledge: 'executionSucceeded', execute: () => (attempts++ === 0 ? 'error' : 'success') });
		await t.sim.waitFor(() => t.sim.subscribes.length >= 1);
		const event = t.sim.publishDataChange({ workflowId: b });
		await bTrigger.waitForEmissions(1);
		// A does not accept it; B failed: nobody acknowledges it, even after the hold.
		await sleep(1500);
		expect(t.sim.isAcked(event.id)).toBe(false);
		t.sim.dropAll();
		await t.sim.waitFor(() => t.sim.isAcked(event.id), 10_000, 'acknowledged after the successful retry');
		expect(bTrigger.eventIds()).toEqual([event.id, event.id]);
		expect(t.current(a).eventIds()).toEqual([]);
		expect(t.sim.acks.filter((ack) => ack.id === event.id && ack.status === 200)).toHaveLength(1);
	});

	it('a re-save of one workflow while the others take a burst: nothing lost, nothing twice, the others keep their socket', async () => {
		const seed = replay === 'all' ? 21 : 22;
		const t = await team(3, replay);
		for (const kadoaWorkflow of shuffled(t.kadoaWorkflows, random(seed))) await t.activate(kadoaWorkflow);
		await t.sim.waitFor(() => t.sim.subscribes.length >= 1);
		const resaved = t.kadoaWorkflows[1];
		const events: PublishedEvent[] = [];
		for (let i = 0; i < 30; i++) events.push(t.sim.publishDataChange({ workflowId: t.kadoaWorkflows[i % 3] }));
		// Re-save: n8n closes the trigger, then activates it again with the static data it saved.
		const old = t.current(resaved);
		await old.close();
		for (let i = 0; i < 15; i++) events.push(t.sim.publishDataChange({ workflowId: t.kadoaWorkflows[i % 3] }));
		await t.activate(resaved, { activationMode: 'update', staticData: old.persistedStaticData });
		for (let i = 0; i < 15; i++) events.push(t.sim.publishDataChange({ workflowId: t.kadoaWorkflows[i % 3] }));
		await allAcked(t, events, 20_000);
		await sleep(300);
		expectEachRanOnceInItsOwnTrigger(t, events, seed);
		expect(t.sim.openSocketCount()).toBe(1);
	});

	it('drops, a black hole and a drain with three triggers: each event once in its own trigger', async () => {
		const t = await team(3, replay);
		for (const kadoaWorkflow of t.kadoaWorkflows) await t.activate(kadoaWorkflow);
		await t.sim.waitFor(() => t.sim.subscribes.length >= 1);
		const events: PublishedEvent[] = [];
		const publish = (n: number) => {
			for (let i = 0; i < n; i++) events.push(t.sim.publishDataChange({ workflowId: t.kadoaWorkflows[events.length % 3] }));
		};
		publish(6);
		t.sim.dropAll();
		publish(6);
		await t.sim.waitFor(() => t.sim.subscribes.length >= 2, 8000, 'resubscribed after the drop');
		t.sim.drain({ retryAfterMs: 50, closeAfterMs: 500 });
		publish(6);
		await t.sim.waitFor(() => t.sim.subscribes.length >= 3, 8000, 'replacement after the drain');
		t.sim.blackhole(true, { existingOnly: true });
		publish(6);
		await t.sim.waitFor(() => t.sim.subscribes.length >= 4, 10_000, 'reconnected after the black hole');
		publish(6);
		await allAcked(t, events, 20_000);
		await sleep(300);
		expectEachRanOnceInItsOwnTrigger(t, events, 0);
	});

	it('an event that no trigger accepts is held, then acknowledged; a trigger activated within the hold still gets it', async () => {
		const t = await team(2, replay, 3);
		const [a, b] = t.kadoaWorkflows;
		await t.activate(a);
		await t.sim.waitFor(() => t.sim.subscribes.length >= 1);
		const forB = t.sim.publishDataChange({ workflowId: b });
		await sleep(300);
		expect(t.sim.isAcked(forB.id)).toBe(false);
		// B is activated within the hold: a replacement connection brings the held event to it.
		const bTrigger = await t.activate(b);
		await bTrigger.waitForEmissions(1, 8000);
		await t.sim.waitFor(() => t.sim.isAcked(forB.id), 8000);
		expect(bTrigger.eventIds()).toEqual([forB.id]);
		expect(t.current(a).eventIds()).toEqual([]);
		// A workflow with no active trigger: its event is acknowledged after the hold, never run.
		await bTrigger.close();
		const orphan = t.sim.publishDataChange({ workflowId: b });
		await sleep(500);
		expect(t.sim.isAcked(orphan.id)).toBe(false);
		await t.sim.waitFor(() => t.sim.isAcked(orphan.id), 10_000, 'acknowledged after the hold');
		expect(bTrigger.eventIds()).toEqual([forB.id]);
	});
});
