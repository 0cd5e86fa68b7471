/**
 * The delivery invariant under faults, through the node and an n8n-faithful context:
 * every event executed at least once, none twice (also across restarts), every executed
 * event acknowledged exactly once in the modes that acknowledge, nothing leaked, nothing
 * secret logged. One test per common complaint about n8n streaming triggers is marked so.
 */
import { executedIds, expectDeliveredOnce, expectNoSecrets } from '../harness/invariants';
import { Fixture, API_KEY } from '../harness/setup';
import { activeHandles, waitFor, type TriggerHarness, type RunResult } from '../harness/trigger-harness';
import type { KadoaSimulator } from '../simulator/simulator';
import { compareCursors } from '../../nodes/KadoaTrigger/delivery/resume';
import { ACK_HIGH_WATER } from '../../nodes/KadoaTrigger/delivery/team-connection';

const fixture = new Fixture();
const seen: Array<{ sim: KadoaSimulator; harnesses: TriggerHarness[] }> = [];
afterEach(async () => {
	// Every test's logs, errors and items are checked for secrets.
	for (const { sim, harnesses } of seen.splice(0)) expectNoSecrets(sim, harnesses);
	await fixture.teardown();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setup(simOptions = {}) {
	const sim = await fixture.sim(simOptions);
	const harnesses: TriggerHarness[] = [];
	seen.push({ sim, harnesses });
	const activate = async (options: Parameters<Fixture['trigger']>[1] = {}) => {
		const harness = await fixture.trigger(sim, options);
		harnesses.push(harness);
		return harness;
	};
	return { sim, harnesses, activate };
}

async function subscribed(sim: KadoaSimulator, count = 1): Promise<void> {
	await sim.waitFor(() => sim.subscribes.length >= count, 8000, `${count} subscribe(s)`);
}

describe('acknowledgement modes', () => {
	it('emitted: acknowledges right after emit, without waiting for the execution', async () => {
		const { sim, harnesses, activate } = await setup();
		const trigger = await activate({ execute: () => 'never' });
		await subscribed(sim);
		const events = [sim.publishDataChange(), sim.publishDataChange()];
		await sim.waitFor(() => events.every((event) => sim.isAcked(event.id)));
		// Acknowledged although the executions never end (their done promise only bounds how many run at once).
		expect(trigger.emissions).toHaveLength(2);
		expectDeliveredOnce(sim, harnesses, events.map((event) => event.id));
	});

	it('executionFinished: acknowledges once the run ended, also when it failed; a run that never started comes back', async () => {
		const { sim, harnesses, activate } = await setup();
		const results: RunResult[] = ['success', 'error', 'reject'];
		const trigger = await activate({
			parameters: { acknowledge: 'executionFinished', options: { executionTimeout: 2 } },
			execute: async (_items, index) => {
				await sleep(100);
				return results[index] ?? 'success';
			},
		});
		await subscribed(sim);
		const [ok, failed, notStarted] = [sim.publishDataChange(), sim.publishDataChange(), sim.publishDataChange()];
		await sim.waitFor(() => sim.isAcked(ok.id) && sim.isAcked(failed.id), 5000);
		// 2.x rejects the done promise at once; 1.x never settles it (the timeout decides).
		await waitFor(() => /left unacknowledged|leaving it unacknowledged/.test(trigger.logText()), 5000, 'the refused start judged');
		expect(sim.isAcked(notStarted.id)).toBe(false);
		// Acks came only after each execution ended (100 ms after its emit).
		const okAck = sim.acks.find((ack) => ack.id === ok.id);
		expect(okAck && okAck.at - trigger.emissions[0].at).toBeGreaterThanOrEqual(90);

		// On the next connection Kadoa redelivers the unacknowledged one, and it runs again.
		sim.dropAll();
		await sim.waitFor(() => sim.isAcked(notStarted.id), 8000, 'redelivered event acknowledged');
		expect(trigger.eventIds()).toEqual([ok.id, failed.id, notStarted.id, notStarted.id]);
		expect(sim.acks.filter((ack) => ack.status === 200 && !ack.duplicate)).toHaveLength(3);
		expect(harnesses).toHaveLength(1);
	});

	it('executionSucceeded: a failed run is left for Kadoa to redeliver and runs again; no n8n dedup key is used', async () => {
		const { sim, activate } = await setup();
		let attempts = 0;
		const trigger = await activate({
			parameters: { acknowledge: 'executionSucceeded' },
			execute: () => (attempts++ === 0 ? 'error' : 'success'),
		});
		await subscribed(sim);
		const event = sim.publishDataChange();
		await trigger.waitForEmissions(1);
		await sleep(200);
		expect(sim.isAcked(event.id)).toBe(false);
		expect(trigger.emissions[0].deduplicationKey).toBeUndefined();
		sim.dropAll();
		await sim.waitFor(() => sim.isAcked(event.id), 8000, 'ack after the successful retry');
		expect(trigger.eventIds()).toEqual([event.id, event.id]);
		expect(trigger.logText()).toMatch(/ended with "failed"; left unacknowledged/);
	});

	it('executionSucceeded: a failed run is fetched again after Retry Failed Events After, with no reconnect by anyone, and the retries back off', async () => {
		const { sim, activate } = await setup();
		let attempts = 0;
		const trigger = await activate({
			parameters: { acknowledge: 'executionSucceeded', options: { retryDelay: 0.5 } },
			execute: () => (attempts++ < 2 ? 'error' : 'success'),
		});
		await subscribed(sim);
		const event = sim.publishDataChange();
		await trigger.waitForEmissions(1);
		expect(sim.isAcked(event.id)).toBe(false);
		// Fails twice (retried after 0.5 s, then after 1 s), succeeds the third time.
		await sim.waitFor(() => sim.isAcked(event.id), 10_000, 'acknowledged after the retries');
		expect(trigger.eventIds()).toEqual([event.id, event.id, event.id]);
		// Each retry doubles the delay (0.5 s, 1 s, then 2 s had it failed again).
		const delays = [...trigger.logText().matchAll(/fetching events left to run again \(next retry in (\d+) s/g)].map((match) => Number(match[1]));
		expect(delays.slice(0, 2)).toEqual([1, 2]);
		// Settled: the next check finds nothing to fetch and opens no replacement connection.
		await sleep(2500);
		expect(trigger.logText().match(/fetching events left to run again/g)).toHaveLength(2);
	});

	it('waiting (Wait node) and duplicate outcomes count as handled', async () => {
		const { sim, harnesses, activate } = await setup();
		const results: RunResult[] = ['waiting', 'duplicate'];
		await activate({ parameters: { acknowledge: 'executionSucceeded' }, execute: (_items, index) => results[index] });
		await subscribed(sim);
		const events = [sim.publishDataChange(), sim.publishDataChange()];
		await sim.waitFor(() => events.every((event) => sim.isAcked(event.id)));
		expectDeliveredOnce(sim, harnesses, events.map((event) => event.id));
	});

	it('an outcome that never comes is bounded by executionTimeout, frees its slot, and the event runs again on the next connection', async () => {
		const { sim, activate } = await setup();
		const trigger = await activate({
			parameters: { acknowledge: 'executionFinished', options: { executionTimeout: 1, maxInFlight: 1 } },
			execute: (_items, index) => (index === 0 ? 'never' : 'success'),
		});
		await subscribed(sim);
		const stuck = sim.publishDataChange();
		const next = sim.publishDataChange();
		await sim.waitFor(() => sim.isAcked(next.id), 5000, 'the next event after the timeout');
		expect(sim.isAcked(stuck.id)).toBe(false);
		expect(trigger.logText()).toMatch(/no outcome for the execution of event .* within 1 s; leaving it unacknowledged so that it runs again/);
		sim.dropAll();
		await sim.waitFor(() => sim.isAcked(stuck.id), 8000, 'the stuck event run again and acknowledged');
		expect(trigger.eventIds()).toEqual([stuck.id, next.id, stuck.id]);
	});

	it('maxInFlight bounds executions awaiting their ack during a replay burst; all are acknowledged once', async () => {
		const { sim, harnesses, activate } = await setup();
		// 60 events wait unacknowledged before the trigger connects.
		const events = Array.from({ length: 60 }, () => sim.publishDataChange());
		let running = 0;
		let peak = 0;
		await activate({
			parameters: { acknowledge: 'executionFinished', options: { maxInFlight: 4 } },
			execute: async (): Promise<RunResult> => {
				running++;
				peak = Math.max(peak, running);
				await sleep(20);
				running--;
				return 'success';
			},
		});
		await sim.waitFor(() => events.every((event) => sim.isAcked(event.id)), 15000, 'all 60 acknowledged');
		expect(peak).toBe(4);
		expectDeliveredOnce(sim, harnesses, events.map((event) => event.id));
	});
});

describe('faults', () => {
	it('ack endpoint failing: acks are retried with backoff, never block the stream, and are sent once per event', async () => {
		const { sim, harnesses, activate } = await setup();
		sim.failAcks(3, 503);
		const trigger = await activate();
		await subscribed(sim);
		const events = [sim.publishDataChange(), sim.publishDataChange(), sim.publishDataChange()];
		await trigger.waitForEmissions(3, 3000);
		await sim.waitFor(() => events.every((event) => sim.isAcked(event.id)), 10000, 'acks after the failures');
		expect(sim.acks.filter((ack) => ack.status === 503)).toHaveLength(3);
		expect(trigger.logText()).toMatch(/acknowledgement failed \(HTTP 503\); retrying in/);
		expectDeliveredOnce(sim, harnesses, events.map((event) => event.id));
	});

	it('ack endpoint down: reading stops after a bounded backlog, and after a restart nothing runs twice', async () => {
		const { sim, harnesses, activate } = await setup();
		sim.failAcks(1_000_000, 503);
		const first = await activate();
		await subscribed(sim);
		const events = Array.from({ length: 400 }, () => sim.publishDataChange({ fixture: { rows: 2 } }));
		await first.waitForEmissions(ACK_HIGH_WATER, 5000);
		await sleep(1000);
		// 32 unacknowledged acks pause the socket; frames already read still run.
		const ran = first.emissions.length;
		expect(ran).toBeGreaterThanOrEqual(ACK_HIGH_WATER);
		expect(ran).toBeLessThan(200);
		// Every one of them is stored, unconfirmed: a restart must recognise them all.
		expect(first.persistedStaticData.recentEventIds).toEqual(first.eventIds());
		await first.close();

		sim.failAcks(0);
		const second = await activate({ staticData: first.persistedStaticData });
		await sim.waitFor(() => events.every((event) => sim.isAcked(event.id)), 20000, 'every event acknowledged after the restart');
		expectDeliveredOnce(sim, harnesses, events.map((event) => event.id));
		expect(second.emissions.length).toBe(400 - ran);
	});

	it('ack refused for good (4xx): not retried', async () => {
		const { sim, activate } = await setup();
		const trigger = await activate();
		await subscribed(sim);
		sim.failAcks(1, 404);
		const event = sim.publishDataChange();
		await waitFor(() => /refused the acknowledgement/.test(trigger.logText()), 5000);
		await sleep(300);
		expect(sim.acks.filter((ack) => ack.id === event.id)).toHaveLength(1);
	});

	it('[complaint: triggers that silently stop] server killed and restarted: events published meanwhile run once', async () => {
		const { sim, harnesses, activate } = await setup();
		const trigger = await activate();
		await subscribed(sim);
		const before = sim.publishDataChange();
		await sim.waitFor(() => sim.isAcked(before.id));
		await sim.stop();
		await sleep(200);
		await sim.restart();
		const during = sim.publishDataChange();
		await sim.waitFor(() => sim.isAcked(during.id), 10000, 'event after restart');
		expectDeliveredOnce(sim, harnesses, [before.id, during.id]);
		expect(trigger.logText()).toMatch(/connection lost .*reconnecting in/);
	});

	it('[complaint: no reconnect] a black-holed socket is dropped after heartbeatTimeout and the missed events run once', async () => {
		const { sim, harnesses, activate } = await setup();
		await activate({ parameters: { options: { heartbeatTimeout: 1 } } });
		await subscribed(sim);
		sim.blackhole(true, { existingOnly: true });
		const missed = [sim.publishDataChange(), sim.publishDataChange()];
		await sim.waitFor(() => missed.every((event) => sim.isAcked(event.id)), 10000, 'missed events after reconnect');
		expectDeliveredOnce(sim, harnesses, missed.map((event) => event.id));
		expect(sim.connections[0].closedAt).toBeDefined();
	});

	it('draining: the overlap of old and new socket delivers each event once', async () => {
		const { sim, harnesses, activate } = await setup();
		await activate();
		await subscribed(sim);
		const first = sim.publishDataChange();
		await sim.waitFor(() => sim.isAcked(first.id));
		sim.drain({ retryAfterMs: 100, closeAfterMs: 1000 });
		await subscribed(sim, 2);
		// Both sockets are open and both receive these.
		expect(sim.openSocketCount()).toBe(2);
		const overlap = [sim.publishDataChange(), sim.publishDataChange()];
		await sim.waitFor(() => overlap.every((event) => sim.isAcked(event.id)));
		await sim.waitFor(() => sim.openSocketCount() === 1, 3000, 'old socket closed');
		expect(sim.sent.filter((sent) => sent.eventId === overlap[0].id).length).toBeGreaterThanOrEqual(2);
		expectDeliveredOnce(sim, harnesses, [first.id, ...overlap.map((event) => event.id)]);
	});

	it('token endpoint down for a while: the trigger keeps retrying and recovers by itself', async () => {
		const { sim, harnesses, activate } = await setup();
		await activate();
		await subscribed(sim);
		sim.failTokenRequests(2, 502);
		sim.dropAll();
		const event = sim.publishDataChange();
		await sim.waitFor(() => sim.isAcked(event.id), 15000, 'event after the token outage');
		expect(sim.tokenRequests.filter((request) => request.status === 502)).toHaveLength(2);
		expectDeliveredOnce(sim, harnesses, [event.id]);
	});

	it('key revoked while running: reported with emitError and a clear message, and not retried forever', async () => {
		const { sim, activate } = await setup();
		const trigger = await activate();
		await subscribed(sim);
		sim.revokeKey(API_KEY);
		sim.dropAll();
		await waitFor(() => trigger.emitErrors.length === 1, 8000, 'emitError');
		expect(trigger.emitErrors[0].message).toMatch(/Kadoa refused the API key \(HTTP 403: API key revoked\)/);
		expect((trigger.emitErrors[0] as Error & { description?: string }).description).toMatch(/Check the API key/);
		const requests = sim.tokenRequests.length;
		await sleep(1500);
		expect(sim.tokenRequests.length).toBe(requests);
		expect(sim.openSocketCount()).toBe(0);
	});

	it('emit refused by n8n: the event is not acknowledged and runs after the next reconnect', async () => {
		const { sim, harnesses, activate } = await setup();
		// 1.x never settles the done promise of a start it refused: the execution timeout bounds it.
		const trigger = await activate({ emitThrows: (call) => call === 0, parameters: { acknowledge: 'executionFinished', options: { executionTimeout: 1 } } });
		await subscribed(sim);
		const event = sim.publishDataChange();
		await waitFor(() => /left unacknowledged|leaving it unacknowledged/.test(trigger.logText()), 5000, 'the refused start judged');
		expect(sim.isAcked(event.id)).toBe(false);
		sim.dropAll();
		await sim.waitFor(() => sim.isAcked(event.id), 8000);
		// Both flavours record an emission for the refused start (1.x fails after emit returned) for the refused start; 2.x does (emit returned, n8n failed later).
		const emitted = harnesses.flatMap((harness) => harness.eventIds());
		expect(emitted).toEqual([event.id, event.id]);
		expect(sim.acks.filter((ack) => ack.id === event.id && ack.status === 200)).toHaveLength(1);
	});

	it('emitted mode: a start n8n refuses comes after the acknowledgement; on 2.x it is reported as a failed execution naming the event', async () => {
		const { sim, activate } = await setup();
		const trigger = await activate({ emitThrows: (call) => call === 0 });
		await subscribed(sim);
		const event = sim.publishDataChange();
		if (trigger.flavour === '1.x') {
			// 1.x: the refused start surfaces only in n8n's log; acknowledged at emit.
			await sim.waitFor(() => sim.isAcked(event.id), 5000, 'acknowledged at emit');
			return;
		}
		await waitFor(() => trigger.failedExecutions.length === 1, 5000, 'the refused start reported');
		expect(trigger.failedExecutions[0].message).toContain(event.id);
		await sim.waitFor(() => sim.isAcked(event.id), 5000, 'acknowledged at emit');
	});
});

describe('restarts and re-activation', () => {
	it('[complaint: duplicate executions] deactivated mid-flight, then restarted: resumes from the stored cursor and runs nothing twice', async () => {
		const { sim, harnesses, activate } = await setup();
		const first = await activate({
			parameters: { acknowledge: 'executionFinished' },
			execute: (_items, index) => (index < 2 ? 'success' : 'never'),
		});
		await subscribed(sim);
		const events = [sim.publishDataChange(), sim.publishDataChange()];
		await sim.waitFor(() => sim.isAcked(events[0].id) && sim.isAcked(events[1].id));
		// The simulator records an ack just before the trigger reads its answer.
		await sleep(200);
		events.push(sim.publishDataChange());
		await first.waitForEmissions(3);
		// n8n deactivates while the third execution is still running.
		const closing = Date.now();
		await first.close();
		expect(Date.now() - closing).toBeLessThan(3000);
		expect(sim.isAcked(events[2].id)).toBe(false);
		// What n8n stored at the third emit: the cursor of the last settled event, and the third
		// event as started, its outcome unknown (the first two are acknowledged and behind the cursor).
		expect(first.persistedStaticData.cursor).toBe(events[1].cursor);
		expect(first.persistedStaticData.recentEventIds).toEqual([]);
		expect(first.persistedStaticData.startedEventIds).toEqual([events[2].id]);

		const later = sim.publishDataChange();
		const second = await activate({ parameters: { acknowledge: 'executionFinished' }, staticData: first.persistedStaticData });
		await subscribed(sim, 2);
		expect(sim.subscribes[1].lastCursor).toBe(events[1].cursor);
		// The unacknowledged third event comes back: its execution was cut off with its outcome
		// unknown, so it runs again (a second run rather than a lost one), then is acknowledged.
		await sim.waitFor(() => sim.isAcked(events[2].id) && sim.isAcked(later.id), 8000);
		expect(second.eventIds()).toEqual([events[2].id, later.id]);
		expect(executedIds(harnesses).filter((id) => id !== events[2].id).sort()).toEqual([events[0].id, events[1].id, later.id].sort());
		expect(second.logText()).toMatch(/resuming after cursor/);
	});

	it('acknowledged events after a stuck cursor stay stored: replayed after a restart, only the unfinished ones run again', async () => {
		const { sim, activate } = await setup();
		const parameters = { acknowledge: 'executionFinished' };
		// The second event's execution never ends, so the cursor cannot pass it.
		const first = await activate({ parameters, execute: (_items, index) => (index === 1 ? 'never' : 'success') });
		await subscribed(sim);
		const before = sim.publishDataChange();
		await sim.waitFor(() => sim.isAcked(before.id));
		const stuck = sim.publishDataChange();
		const done = [sim.publishDataChange(), sim.publishDataChange()];
		await sim.waitFor(() => done.every((event) => sim.isAcked(event.id)), 5000, 'the later events acknowledged');
		// Saved at this emit: the later events are acknowledged but after the cursor, so still stored.
		const last = sim.publishDataChange();
		await first.waitForEmissions(5);
		const stored = first.persistedStaticData;
		expect(stored.cursor).toBe(before.cursor);
		expect(stored.recentEventIds).toEqual(done.map((event) => event.id));
		// Saved at their emits, outcome unknown then: the stuck one, and the last one (its success
		// came after the save).
		expect(stored.startedEventIds).toEqual([stuck, last].map((event) => event.id));
		await first.close();

		const second = await activate({ parameters, staticData: stored });
		await subscribed(sim, 2);
		expect(sim.subscribes[1].lastCursor).toBe(before.cursor);
		// Kadoa replays everything after the cursor, acknowledged or not: the finished ones are
		// recognised; the two whose outcome was unknown at the last save run again.
		await sim.waitFor(() => sim.isAcked(stuck.id) && sim.isAcked(last.id), 8000);
		await sleep(200);
		expect(second.eventIds()).toEqual([stuck.id, last.id]);
		// The replayed ones that were acknowledged already are acknowledged again (harmless; the
		// trigger cannot tell a replay from a redelivery of an ack Kadoa lost).
		const acks = (id: string) => sim.acks.filter((ack) => ack.id === id && ack.status === 200).length;
		expect([before, stuck].map((event) => acks(event.id))).toEqual([1, 1]);
		expect([...done, last].map((event) => acks(event.id))).toEqual([2, 2, 2]);
	});

	it('in steady state static data holds only the ids a restart could see again, not the whole window', async () => {
		const { sim, activate } = await setup();
		const trigger = await activate();
		await subscribed(sim);
		const burst = Array.from({ length: 300 }, () => sim.publishDataChange({ fixture: { rows: 1 } }));
		await sim.waitFor(() => burst.every((event) => sim.isAcked(event.id)), 10000, 'the burst acknowledged');
		// The simulator records an ack before its answer reaches the trigger: emit probes until
		// the trigger has seen the last answers (static data is saved at each emit).
		let emitted = 300;
		let probe = burst[299];
		for (let i = 0; i < 10; i++) {
			probe = sim.publishDataChange();
			await trigger.waitForEmissions(++emitted);
			if (trigger.persistedStaticData.recentEventIds?.toString() === probe.id) break;
		}
		// Saved at the last emit: every earlier event is acknowledged and behind the cursor.
		expect(trigger.persistedStaticData.recentEventIds).toEqual([probe.id]);
		expect(compareCursors(String(trigger.persistedStaticData.cursor), burst[299].cursor)).toBeGreaterThanOrEqual(0);
		// A redelivery while running is still recognised (the wider window in memory).
		const old = burst[0];
		sim.sendRaw(JSON.stringify({ type: old.type, timestamp: old.timestamp, id: old.id, _cursor: old.cursor, [old.payloadKey]: old.data }));
		await sleep(300);
		expect(trigger.emissions).toHaveLength(emitted);
	});

	it('acks lost at shutdown: the restarted trigger acknowledges the redelivered events without running them', async () => {
		const { sim, harnesses, activate } = await setup();
		const first = await activate();
		await subscribed(sim);
		sim.failAcks(1000, 503);
		const events = [sim.publishDataChange(), sim.publishDataChange()];
		await first.waitForEmissions(2);
		await first.close();
		sim.failAcks(0);
		const second = await activate({ staticData: first.persistedStaticData });
		await sim.waitFor(() => events.every((event) => sim.isAcked(event.id)), 8000);
		expect(second.emissions).toHaveLength(0);
		expectDeliveredOnce(sim, harnesses, events.map((event) => event.id));
	});

	it('[complaint: sockets leaked on re-activation] re-saving an active workflow leaves exactly one socket', async () => {
		const { sim, activate } = await setup();
		let previous = await activate();
		for (let save = 0; save < 5; save++) {
			await subscribed(sim, save + 1);
			await previous.close();
			previous = await activate({ staticData: previous.persistedStaticData });
		}
		await subscribed(sim, 6);
		await sim.waitFor(() => sim.openSocketCount() === 1, 3000, 'one socket');
		const event = sim.publishDataChange();
		await previous.waitForEmissions(1);
		expect(previous.eventIds()).toEqual([event.id]);
	});

	it('100 activate/close cycles leave no socket, timer or listener behind', async () => {
		const { sim, activate } = await setup({ heartbeatMs: 0 });
		// Warm up once so lazily created handles (agents, DNS) are not counted as leaks.
		const warm = await activate();
		await subscribed(sim);
		await warm.close();
		await sim.waitFor(() => sim.openSocketCount() === 0);
		await sleep(50);
		const before = activeHandles();
		const heapBefore = process.memoryUsage().heapUsed;
		for (let cycle = 0; cycle < 100; cycle++) {
			const trigger = await activate();
			await trigger.close();
		}
		await sim.waitFor(() => sim.openSocketCount() === 0, 5000, 'no open socket on the server');
		await waitFor(() => (activeHandles().Timeout ?? 0) <= (before.Timeout ?? 0), 3000, 'timers back to the baseline');
		const after = activeHandles();
		expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0);
		expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
		expect(sim.subscribes.length).toBe(101);
		// Loose bound: 100 cycles must not retain their clients (a leak would be MBs).
		if (global.gc) global.gc();
		expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
	});

	it('manual mode never acknowledges and never blocks close on an execution', async () => {
		const { sim, activate } = await setup();
		const trigger = await activate({ mode: 'manual', parameters: { acknowledge: 'executionFinished' }, execute: () => 'never' });
		await subscribed(sim);
		const event = sim.publishDataChange();
		await trigger.waitForEmissions(1);
		expect(trigger.emissions[0].hasDonePromise).toBe(false);
		await sim.waitFor(() => sim.openSocketCount() === 0, 3000, 'closed after the test event');
		await sleep(200);
		expect(sim.acks).toHaveLength(0);
		expect(sim.isAcked(event.id)).toBe(false);
	});
});
