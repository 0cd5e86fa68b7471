/**
 * The realtime client on its own (no n8n) under faults: stalled token endpoint and
 * handshake, refusals, 429 with Retry-After, flapping servers, server restarts, draining,
 * oversized frames. Timeouts are shortened through the client's options.
 */
import { ClientHarness } from '../harness/client-harness';
import { Fixture, API_KEY } from '../harness/setup';
import { waitFor } from '../harness/trigger-harness';

const fixture = new Fixture();
const clients: ClientHarness[] = [];
function track(harness: ClientHarness): ClientHarness {
	clients.push(harness);
	return harness;
}
afterEach(async () => {
	await Promise.all(clients.splice(0).map((harness) => harness.client.close()));
	await fixture.teardown();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RealtimeClient under faults', () => {
	it('a stalled token request times out and the next attempt succeeds', async () => {
		const sim = await fixture.sim();
		sim.stallTokenRequests(true);
		const harness = track(new ClientHarness(sim));
		const started = harness.client.start(false);
		await sim.waitFor(() => sim.tokenRequests.length >= 1);
		await started; // transient at start: resolves and keeps retrying
		sim.stallTokenRequests(false);
		await sim.waitFor(() => sim.subscribes.length === 1, 5000, 'subscribe after the stall');
		expect(harness.logText()).toMatch(/no answer from 127\.0\.0\.1:\d+ within 500 ms/);
		expect(harness.client.connectionState).toBe('connected');
	});

	it('a stalled WebSocket handshake times out instead of freezing the client', async () => {
		const sim = await fixture.sim();
		sim.stallHandshakes(true);
		const harness = track(new ClientHarness(sim));
		await harness.client.start(false);
		await sim.waitFor(() => sim.connectionAttempts >= 2, 5000, 'a second attempt after the handshake timeout');
		sim.stallHandshakes(false);
		await sim.waitFor(() => sim.subscribes.length === 1, 5000, 'subscribe');
		expect(harness.logText()).toMatch(/handshake timed out/);
	});

	it('with failOnTransient, an unreachable Kadoa fails start with a clear error and leaves nothing running', async () => {
		const sim = await fixture.sim();
		const port = sim.port;
		await sim.stop();
		const harness = track(new ClientHarness(sim));
		await expect(harness.client.start(true)).rejects.toThrow(new RegExp(`cannot reach 127\\.0\\.0\\.1:${port}: connection refused`));
		expect(harness.client.connectionState).toBe('closed');
		expect(harness.client.openSockets).toBe(0);
	});

	it('retries 5xx token failures quietly and honours Retry-After on 429', async () => {
		const sim = await fixture.sim();
		sim.failTokenRequests(2, 503);
		const harness = track(new ClientHarness(sim));
		await harness.client.start(false);
		await sim.waitFor(() => sim.subscribes.length === 1, 5000, 'subscribe after 503s');
		expect(sim.tokenRequests.map((request) => request.status)).toEqual([503, 503, 200]);

		sim.failTokenRequests(1, 429, 1);
		sim.dropAll();
		await sim.waitFor(() => sim.subscribes.length === 2, 5000, 'subscribe after 429');
		const [limited, next] = sim.tokenRequests.slice(-2);
		expect(limited.status).toBe(429);
		expect(next.at - limited.at).toBeGreaterThanOrEqual(950);
		expect(harness.fatal).toHaveLength(0);
	});

	it('a key revoked after start is reported once as fatal, not retried forever', async () => {
		const sim = await fixture.sim();
		const harness = track(new ClientHarness(sim));
		await harness.client.start(true);
		sim.revokeKey(API_KEY);
		sim.dropAll();
		await waitFor(() => harness.fatal.length === 1, 5000, 'fatal error');
		expect(harness.fatal[0]).toMatchObject({ kind: 'auth' });
		expect(harness.fatal[0].message).toMatch(/Kadoa refused the API key \(HTTP 403/);
		const requests = sim.tokenRequests.length;
		await sleep(500);
		expect(sim.tokenRequests.length).toBe(requests);
		expect(harness.client.connectionState).toBe('closed');
	});

	it('backs off on a flapping server instead of hammering it, and resets after a stable connection', async () => {
		const sim = await fixture.sim();
		const harness = track(new ClientHarness(sim, { backoff: { baseMs: 40, capMs: 640, floorMs: 0, random: () => 1 }, stableAfterMs: 300 }));
		await harness.client.start(true);
		// Every new socket is dropped right after it subscribed.
		const stopFlapping = setInterval(() => sim.openSocketCount() > 0 && sim.dropAll(), 5);
		try {
			await sim.waitFor(() => sim.connections.length >= 6, 8000, 'six flaps');
		} finally {
			clearInterval(stopFlapping);
		}
		const gaps = sim.connections.slice(1, 6).map((connection, index) => connection.openedAt - sim.connections[index].openedAt);
		// 40, 80, 160, 320 ms… (plus connection time): each gap longer than the one before.
		for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1]);
		expect(harness.logText()).toMatch(/reconnecting in \d+\.\d s/);

		// Once a connection held for stableAfterMs, the next loss starts the schedule over (40 ms, not 640).
		await sim.waitFor(
			() =>
				harness.client.connectionState === 'connected' &&
				sim.openSocketCount() === 1 &&
				sim.subscribes.some((subscribe) => subscribe.connectionId === sim.connections[sim.connections.length - 1].id),
			3000,
			'a connection that holds',
		);
		await sleep(400);
		const subscribed = sim.subscribes.length;
		const droppedAt = Date.now();
		sim.dropAll();
		await sim.waitFor(() => sim.subscribes.length === subscribed + 1, 3000, 'resubscribe after a stable period');
		expect(sim.subscribes[subscribed].at - droppedAt).toBeLessThan(300);
	});

	it('comes back after the server is killed and restarted on the same port', async () => {
		const sim = await fixture.sim();
		const harness = track(new ClientHarness(sim));
		await harness.client.start(true);
		const before = sim.publishDataChange();
		await waitFor(() => harness.events.length === 1);
		await sim.stop();
		await sleep(300);
		await sim.restart();
		await sim.waitFor(() => sim.subscribes.length === 2, 5000, 'resubscribe after restart');
		expect(sim.subscribes[1].lastCursor).toBe(before.cursor);
		const after = sim.publishDataChange();
		await waitFor(() => harness.events.some((event) => event.id === after.id), 3000, 'event after restart');
	});

	it('draining: opens a replacement after retryAfterMs, subscribes with the cursor, and cuts the old socket if the server never does', async () => {
		const sim = await fixture.sim();
		const harness = track(new ClientHarness(sim, { drainGraceMs: 300 }));
		await harness.client.start(true);
		const first = sim.publishDataChange();
		await waitFor(() => harness.events.length === 1);
		sim.drain({ retryAfterMs: 200, closeAfterMs: null });
		await sim.waitFor(() => sim.subscribes.length === 2, 3000, 'replacement subscribe');
		expect(sim.subscribes[1].at - sim.subscribes[0].at).toBeGreaterThanOrEqual(200);
		expect(sim.subscribes[1].lastCursor).toBe(first.cursor);
		expect(harness.client.openSockets).toBe(2);
		await sim.waitFor(() => sim.openSocketCount() === 1, 3000, 'old socket closed by the client');
		expect(harness.logText()).toMatch(/closing the drained connection ourselves/);
		const after = sim.publishDataChange();
		await waitFor(() => harness.events.some((event) => event.id === after.id), 3000, 'event on the replacement');
	});

	it('clamps an absurd draining delay', async () => {
		const sim = await fixture.sim();
		const harness = track(new ClientHarness(sim, { maxDrainDelayMs: 300 }));
		await harness.client.start(true);
		sim.drain({ retryAfterMs: 3_600_000, closeAfterMs: 5000 });
		await sim.waitFor(() => sim.subscribes.length === 2, 3000, 'replacement despite a one-hour retryAfterMs');
	});

	it('an oversized frame closes the socket with a clear log line, then the client reconnects', async () => {
		const sim = await fixture.sim();
		const harness = track(new ClientHarness(sim, { maxFrameBytes: 64 * 1024 }));
		await harness.client.start(true);
		await sim.waitFor(() => sim.subscribes.length === 1);
		sim.sendOversized(200 * 1024, { store: false });
		await sim.waitFor(() => sim.subscribes.length === 2, 5000, 'reconnect after the oversized frame');
		expect(harness.logText()).toMatch(/a frame was larger than the 64 KiB safety cap; such a frame cannot be read/);
		const after = sim.publishDataChange();
		await waitFor(() => harness.events.some((event) => event.id === after.id));
	});

	it('pause stops reading without the watchdog killing the connection; resume delivers the rest', async () => {
		const sim = await fixture.sim({ heartbeatMs: 0 });
		const harness = track(new ClientHarness(sim, { heartbeatTimeoutMs: 300 }));
		await harness.client.start(true);
		harness.client.pause();
		const events = [sim.publishDataChange(), sim.publishDataChange()];
		await sleep(800);
		expect(harness.events).toHaveLength(0);
		expect(sim.connections).toHaveLength(1);
		harness.client.resume();
		await waitFor(() => harness.events.length === 2, 2000, 'events after resume');
		expect(harness.events.map((event) => event.id)).toEqual(events.map((event) => event.id));
	});

	it('close is idempotent, bounded and leaves no socket', async () => {
		const sim = await fixture.sim();
		sim.blackhole(true);
		const harness = track(new ClientHarness(sim, { closeGraceMs: 200 }));
		await harness.client.start(true);
		const started = Date.now();
		await Promise.all([harness.client.close(), harness.client.close()]);
		await harness.client.close();
		expect(Date.now() - started).toBeLessThan(2000);
		expect(harness.client.openSockets).toBe(0);
		await sim.waitFor(() => sim.openSocketCount() === 0, 3000, 'server sees no socket');
	});
});
