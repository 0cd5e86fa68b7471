/**
 * The Acknowledger on its own, against the simulator's ack endpoint over real sockets:
 * deadlines, unreachable endpoint, refusals, close with requests in flight.
 */
import { openAckPools } from '../../nodes/KadoaTrigger/delivery/ack-pool';
import { Acknowledger } from '../../nodes/KadoaTrigger/delivery/acknowledger';
import { Fixture } from '../harness/setup';
import { activeHandles, waitFor } from '../harness/trigger-harness';
import type { KadoaSimulator } from '../simulator/simulator';

const fixture = new Fixture();
const created: Acknowledger[] = [];
afterEach(async () => {
	// Also after a failed test: a pool left open would be shared with the next test.
	for (const acknowledger of created.splice(0)) acknowledger.close();
	await fixture.teardown();
});

interface Logged {
	level: string;
	message: string;
}

function acknowledgerFor(sim: KadoaSimulator, logs: Logged[], accepted: string[], timeoutMs = 300): Acknowledger {
	const log = (level: string) => (message: string) => logs.push({ level, message });
	const acknowledger = new Acknowledger({
		ackUrl: `${sim.apiUrl}/api/v1/events/ack`,
		logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
		timeoutMs,
		backoff: { baseMs: 50, capMs: 100 },
		onAcknowledged: (id) => accepted.push(id),
	});
	created.push(acknowledger);
	return acknowledger;
}

const okAcks = (sim: KadoaSimulator, id: string) => sim.acks.filter((ack) => ack.id === id && ack.status === 200).length;

describe('Acknowledger', () => {
	it('an unanswered request fails at the deadline and is retried; the ack lands once', async () => {
		const sim = await fixture.sim();
		const event = sim.publishDataChange();
		const logs: Logged[] = [];
		const accepted: string[] = [];
		const acknowledger = acknowledgerFor(sim, logs, accepted);
		sim.stallAcks(1);
		acknowledger.ack(event.id);
		// The client's view: the simulator records an ack before its answer reaches the client.
		await waitFor(() => accepted.length === 1, 5000, 'the ack after the stalled one');
		expect(logs.map((line) => line.message).join('\n')).toMatch(/acknowledgement failed \(no answer within 300 ms\); retrying in/);
		expect(sim.acks.map((ack) => ack.status)).toEqual([0, 200]);
		expect(accepted).toEqual([event.id]);
		expect(acknowledger.sent).toBe(1);
		acknowledger.close();
	});

	it('an endpoint that refuses connections is retried in words, and acknowledged once it is back', async () => {
		const sim = await fixture.sim();
		const event = sim.publishDataChange();
		const logs: Logged[] = [];
		const acknowledger = acknowledgerFor(sim, logs, []);
		await sim.stop();
		acknowledger.ack(event.id);
		await waitFor(() => logs.some((line) => line.level === 'warn'), 5000, 'a warning');
		expect(logs[0].message).toMatch(/acknowledgement failed \(cannot reach 127\.0\.0\.1: connection refused.*\); retrying in/);
		expect(logs[0].message).not.toMatch(/ECONNREFUSED/);
		await sim.restart();
		await waitFor(() => okAcks(sim, event.id) === 1, 5000, 'the ack after the restart');
		acknowledger.close();
	});

	it('a 4xx is final: not retried, not reported as accepted', async () => {
		const sim = await fixture.sim();
		const logs: Logged[] = [];
		const accepted: string[] = [];
		const acknowledger = acknowledgerFor(sim, logs, accepted);
		acknowledger.ack('no-such-event');
		await waitFor(() => acknowledger.rejected === 1, 3000, 'the refusal');
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(sim.acks.filter((ack) => ack.id === 'no-such-event')).toHaveLength(1);
		expect(accepted).toEqual([]);
		expect(acknowledger.pending).toBe(0);
		acknowledger.close();
	});

	it('close() with requests in flight frees every socket and timer, and reports no late acks', async () => {
		const sim = await fixture.sim();
		const events = Array.from({ length: 20 }, () => sim.publishDataChange());
		const before = activeHandles();
		const logs: Logged[] = [];
		const accepted: string[] = [];
		const acknowledger = acknowledgerFor(sim, logs, accepted, 10_000);
		sim.stallAcks(8);
		for (const event of events) acknowledger.ack(event.id);
		await waitFor(() => sim.acks.length >= 8, 3000, 'eight requests in flight');
		acknowledger.close();
		expect(await acknowledger.flush(100)).toBe(true);
		await waitFor(() => (activeHandles().TCPSocketWrap ?? 0) <= (before.TCPSocketWrap ?? 0), 3000, 'the sockets closed');
		expect(activeHandles().Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
		expect(accepted).toEqual([]);
		expect(logs.map((line) => line.message).join('\n')).toMatch(/20 acknowledgement\(s\) not sent before close/);
	});

	it('triggers in one process share one pool of connections; the last close frees it', async () => {
		const sim = await fixture.sim();
		const events = Array.from({ length: 300 }, () => sim.publishDataChange());
		const acceptedA: string[] = [];
		const acceptedB: string[] = [];
		const a = acknowledgerFor(sim, [], acceptedA);
		const b = acknowledgerFor(sim, [], acceptedB);
		events.forEach((event, i) => (i % 2 ? a : b).ack(event.id));
		await waitFor(() => acceptedA.length + acceptedB.length === 300, 5000, 'all acks');
		expect(sim.tcpConnections).toBeLessThanOrEqual(8);
		expect(openAckPools()).toBe(1);
		a.close();
		// The other trigger's acks still flow over the shared pool.
		const later = sim.publishDataChange();
		b.ack(later.id);
		await waitFor(() => acceptedB.includes(later.id), 3000, 'an ack after the other closed');
		b.close();
		expect(openAckPools()).toBe(0);
	});

	it('many acks share a few keep-alive connections', async () => {
		const sim = await fixture.sim();
		const events = Array.from({ length: 200 }, () => sim.publishDataChange());
		const accepted: string[] = [];
		const acknowledger = acknowledgerFor(sim, [], accepted);
		for (const event of events) acknowledger.ack(event.id);
		await waitFor(() => accepted.length === 200, 5000, 'all acks');
		expect(events.every((event) => okAcks(sim, event.id) === 1)).toBe(true);
		expect(sim.tcpConnections).toBeLessThanOrEqual(8);
		acknowledger.close();
	});
});
