/**
 * A 429 (or 503) on the WebSocket upgrade honours Retry-After, as the token request does:
 * the next attempt waits at least that long instead of the short backoff. Against the
 * simulator's refused upgrades; the client alone, no n8n.
 */
import { RealtimeClient } from '../../nodes/KadoaTrigger/realtime/client';
import { resolveEndpoints } from '../../nodes/KadoaTrigger/realtime/endpoints';
import type { KadoaError } from '../../nodes/KadoaTrigger/realtime/errors';
import { KadoaSimulator } from '../simulator/simulator';

let sim: KadoaSimulator | undefined;
let client: RealtimeClient | undefined;
afterEach(async () => {
	await client?.close();
	await sim?.stop();
	client = sim = undefined;
});

async function connectThroughRefusal(status: number, retryAfterSeconds: number): Promise<{ logs: string[]; fatal: KadoaError[]; gapMs: number }> {
	sim = await KadoaSimulator.start({ heartbeatMs: 200 });
	sim.failUpgrades(1, status, retryAfterSeconds);
	const logs: string[] = [];
	const fatal: KadoaError[] = [];
	const log = (level: string) => (message: string) => logs.push(`${level} ${message}`);
	client = new RealtimeClient({
		endpoints: resolveEndpoints(sim.apiUrl, sim.realtimeUrl),
		apiKey: 'test-api-key',
		logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
		onEvent: () => undefined,
		onFatal: (error) => fatal.push(error),
		getCursor: () => undefined,
		heartbeatTimeoutMs: 1_000,
		tokenTimeoutMs: 500,
		handshakeTimeoutMs: 500,
		closeGraceMs: 200,
		// Without Retry-After the next attempt would come within 400 ms.
		backoff: { baseMs: 50, capMs: 400, floorMs: 20 },
	});
	await client.start(false);
	const current = sim;
	await current.waitFor(() => current.subscribes.length === 1, 10_000, 'subscribe after the refused upgrade');
	// Every attempt fetches a fresh token first: the refused one, then the one that connected.
	const [refused, next] = current.tokenRequests;
	return { logs, fatal, gapMs: next.at - refused.at };
}

describe('a refused socket upgrade with Retry-After', () => {
	it('429: the next attempt waits the advised seconds', async () => {
		const { logs, fatal, gapMs } = await connectThroughRefusal(429, 2);
		expect(gapMs).toBeGreaterThanOrEqual(1_950);
		expect(logs.join('\n')).toMatch(/HTTP 429.*reconnecting in 2\.0 s/);
		expect(fatal).toEqual([]);
	});

	it('503: the same', async () => {
		const { gapMs } = await connectThroughRefusal(503, 1);
		expect(gapMs).toBeGreaterThanOrEqual(950);
	});
});
