// Tests of the Kadoa simulator itself, over real sockets (ws client, node:http).
import * as http from 'node:http';
import { WebSocket, type RawData } from 'ws';
import { KadoaSimulator, type SimulatorOptions } from './simulator/simulator';
import { type ChangePayload, DEMO_WORKFLOWS, DemoFeed, bigSnapshotPayload, dataChangePayload, sizedDataChangePayload } from './simulator/fixtures';

const KEY = 'test-api-key';

interface HttpResult {
	status: number;
	headers: http.IncomingHttpHeaders;
	text: string;
	json: unknown;
}

/** One HTTP request; `agent: false` so no keep-alive socket outlives the test. */
function request(method: string, url: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<HttpResult> {
	return new Promise((resolve, reject) => {
		const req = http.request(url, { method, headers: opts.headers, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json: unknown;
				try {
					json = JSON.parse(text);
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
			});
		});
		req.on('error', reject);
		req.end(opts.body);
	});
}

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> =>
	request('POST', url, { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

async function token(sim: KadoaSimulator, key = KEY): Promise<string> {
	const r = await request('POST', `${sim.apiUrl}/v4/oauth2/token`, { headers: { 'x-api-key': key } });
	expect(r.status).toBe(200);
	return (r.json as { access_token: string }).access_token;
}

// Frames are loosely typed JSON from the wire.
type Frame = Record<string, unknown>;

class Client {
	readonly frames: Frame[] = [];
	readonly rawFrames: { data: Buffer; binary: boolean }[] = [];
	closed?: { code: number; reason: string };

	constructor(readonly ws: WebSocket) {
		ws.on('message', (data: RawData, binary: boolean) => {
			const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
			this.rawFrames.push({ data: buf, binary });
			try {
				this.frames.push(JSON.parse(buf.toString('utf8')) as Frame);
			} catch {
				/* garbage frames are only kept raw */
			}
		});
		ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
		ws.on('error', () => undefined);
	}

	events(): Frame[] {
		return this.frames.filter((f) => f.type !== 'heartbeat' && f.type !== 'control.draining');
	}

	subscribe(channel: string, lastCursor?: string): void {
		this.ws.send(JSON.stringify({ action: 'subscribe', channel, ...(lastCursor ? { lastCursor } : {}) }));
	}
}

const clients: Client[] = [];

/** Opens a socket; rejects with `{status, body}` when the upgrade is refused. */
function connect(url: string): Promise<Client> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url);
		const client = new Client(ws);
		clients.push(client);
		ws.once('open', () => resolve(client));
		ws.once('unexpected-response', (req, res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				req.destroy();
				reject({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') });
			});
		});
		ws.once('error', (err) => reject(err));
	});
}

async function subscribed(sim: KadoaSimulator, lastCursor?: string): Promise<Client> {
	const c = await connect(`${sim.realtimeUrl}/?access_token=${await token(sim)}`);
	const before = sim.subscribes.length;
	c.subscribe('team-1', lastCursor);
	await sim.waitFor(() => sim.subscribes.length > before, 2000, 'subscribe recorded');
	return c;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let sim: KadoaSimulator;
async function startSim(opts: SimulatorOptions = {}): Promise<KadoaSimulator> {
	sim = await KadoaSimulator.start({ heartbeatMs: 60_000, ...opts });
	return sim;
}

afterEach(async () => {
	for (const c of clients.splice(0)) c.ws.terminate();
	await sim?.stop();
});

describe('token endpoint', () => {
	it('issues tokens for valid keys, 401 for missing/unknown keys, 403 for revoked ones, never storing the key', async () => {
		await startSim({ apiKeys: [KEY, 'second-key'] });
		const ok = await request('POST', `${sim.apiUrl}/v4/oauth2/token`, { headers: { 'x-api-key': KEY } });
		expect(ok.status).toBe(200);
		expect(ok.json).toEqual({ access_token: expect.any(String), team_id: 'team-1' });
		const missing = await request('POST', `${sim.apiUrl}/v4/oauth2/token`);
		expect(missing.status).toBe(401);
		expect(missing.json).toEqual({ error: 'Invalid API key' });
		expect((await request('POST', `${sim.apiUrl}/v4/oauth2/token`, { headers: { 'x-api-key': 'nope' } })).status).toBe(401);
		sim.revokeKey('second-key');
		const revoked = await request('POST', `${sim.apiUrl}/v4/oauth2/token`, { headers: { 'x-api-key': 'second-key' } });
		expect(revoked.status).toBe(403);
		expect(revoked.json).toEqual({ error: 'API key revoked' });
		expect(sim.tokenRequests.map((t) => [t.apiKeyOk, t.status])).toEqual([
			[true, 200],
			[false, 401],
			[false, 401],
			[false, 403],
		]);
		expect(JSON.stringify(sim.tokenRequests)).not.toContain(KEY);
		sim.setApiKeys(['second-key']);
		expect((await request('POST', `${sim.apiUrl}/v4/oauth2/token`, { headers: { 'x-api-key': 'second-key' } })).status).toBe(200);
	});

	it('fails the next n requests with a Retry-After, then recovers', async () => {
		await startSim();
		sim.failTokenRequests(2, 429, 7);
		for (let i = 0; i < 2; i++) {
			const r = await request('POST', `${sim.apiUrl}/v4/oauth2/token`, { headers: { 'x-api-key': KEY } });
			expect(r.status).toBe(429);
			expect(r.headers['retry-after']).toBe('7');
		}
		await token(sim);
		expect(sim.tokenRequests.map((t) => t.status)).toEqual([429, 429, 200]);
	});

	it('stalls token requests until released with 503', async () => {
		await startSim();
		sim.stallTokenRequests(true);
		let answered: HttpResult | undefined;
		const pending = request('POST', `${sim.apiUrl}/v4/oauth2/token`, { headers: { 'x-api-key': KEY } }).then((r) => (answered = r));
		await sleep(150);
		expect(answered).toBeUndefined();
		expect(sim.tokenRequests).toEqual([expect.objectContaining({ status: 0 })]);
		sim.stallTokenRequests(false);
		await pending;
		expect(answered?.status).toBe(503);
		expect(sim.tokenRequests[0].status).toBe(503);
	});

	it('rejects tokens once they expire', async () => {
		await startSim({ tokenTtlMs: 50 });
		const t = await token(sim);
		await sleep(80);
		await expect(connect(`${sim.realtimeUrl}/?access_token=${t}`)).rejects.toMatchObject({ status: 401 });
	});
});

describe('realtime socket', () => {
	it('rejects bad tokens with 401 and accounts without realtime with 403 + JSON body', async () => {
		await startSim();
		await expect(connect(`${sim.realtimeUrl}/?access_token=forged`)).rejects.toMatchObject({ status: 401 });
		await expect(connect(`${sim.realtimeUrl}/`)).rejects.toMatchObject({ status: 401 });
		sim.setRealtimeEnabled(false);
		const t = await token(sim);
		const err = (await connect(`${sim.realtimeUrl}/any/path?access_token=${t}`).catch((e: unknown) => e)) as { status: number; body: string };
		expect(err.status).toBe(403);
		expect(JSON.parse(err.body)).toEqual({ error: 'Realtime API is only available on the Enterprise plan' });
		expect(sim.connectionAttempts).toBe(3);
		expect(sim.connections).toHaveLength(0);
		sim.setRealtimeEnabled(true);
		await connect(`${sim.realtimeUrl}/any/path?access_token=${t}`);
		expect(sim.openSocketCount()).toBe(1);
	});

	it('closes with 4003 on a foreign channel', async () => {
		await startSim();
		const c = await connect(`${sim.realtimeUrl}/?access_token=${await token(sim)}`);
		c.subscribe('team-2');
		await sim.waitFor(() => c.closed !== undefined, 2000, 'close');
		expect(c.closed).toEqual({ code: 4003, reason: 'forbidden channel' });
		expect(sim.subscribes).toEqual([expect.objectContaining({ channel: 'team-2' })]);
		expect(sim.connections[0].closeCode).toBe(4003);
	});

	it('replays unacked events plus events after lastCursor, in order, without duplicates', async () => {
		await startSim();
		const e = [1, 2, 3, 4, 5].map((n) => sim.publish({ type: 'workflow_started', data: { n } }));
		for (const ev of [e[0], e[1], e[2]]) expect((await postJson(`${sim.apiUrl}/api/v1/events/ack`, { id: ev.id })).status).toBe(200);
		// e1..e3 acked; e4, e5 unacked. lastCursor = e2 → e3 (after cursor), e4, e5.
		const c = await subscribed(sim, e[1].cursor);
		await sim.waitFor(() => c.events().length >= 3, 2000, 'replay');
		await sleep(50);
		expect(c.events().map((f) => f.id)).toEqual([e[2].id, e[3].id, e[4].id]);
		expect(sim.subscribes[0]).toMatchObject({ channel: 'team-1', lastCursor: e[1].cursor });
		// Without a cursor only the unacked ones come back.
		const d = await subscribed(sim);
		await sim.waitFor(() => d.events().length >= 2, 2000, 'replay 2');
		await sleep(50);
		expect(d.events().map((f) => f.id)).toEqual([e[3].id, e[4].id]);
		expect(e.map((x) => x.cursor)).toEqual([...e.map((x) => x.cursor)].sort());
		expect(new Set(e.map((x) => x.id)).size).toBe(5);
	});

	it('sends live events with id, _cursor and the payload under data or message, only to subscribed sockets', async () => {
		await startSim();
		const idle = await connect(`${sim.realtimeUrl}/?access_token=${await token(sim)}`);
		const c = await subscribed(sim);
		const a = sim.publish({ type: 'workflow_failed', data: { workflowId: 'w1' }, timestamp: 1736367604663 });
		const b = sim.publish({ type: 'workflow_finished', data: { workflowId: 'w2' }, payloadKey: 'message' });
		await sim.waitFor(() => c.events().length === 2, 2000, 'live events');
		expect(c.events()[0]).toEqual({ type: 'workflow_failed', timestamp: 1736367604663, id: a.id, _cursor: a.cursor, data: { workflowId: 'w1' } });
		expect(c.events()[1]).toMatchObject({ id: b.id, message: { workflowId: 'w2' } });
		expect(c.events()[1]).not.toHaveProperty('data');
		expect(idle.frames).toHaveLength(0);
		expect(sim.sent.map((s) => s.eventId)).toEqual([a.id, b.id]);
		expect(new Set(sim.sent.map((s) => s.connectionId))).toEqual(new Set([sim.subscribes[0].connectionId]));
	});

	it('sends heartbeats every heartbeatMs to subscribed sockets', async () => {
		await startSim({ heartbeatMs: 40 });
		const c = await subscribed(sim);
		await sim.waitFor(() => c.frames.filter((f) => f.type === 'heartbeat').length >= 3, 2000, '3 heartbeats');
		const hb = c.frames.find((f) => f.type === 'heartbeat');
		expect(typeof hb?.timestamp).toBe('number');
	});

	it('records and ignores garbage and unknown actions', async () => {
		await startSim();
		const c = await subscribed(sim);
		c.ws.send('not json {');
		c.ws.send(JSON.stringify({ action: 'dance' }));
		c.ws.send(Buffer.from([1, 2, 3]));
		await sim.waitFor(() => sim.clientFrames.length === 4, 2000, 'frames recorded');
		expect(sim.clientFrames.slice(1).map((f) => f.raw.slice(0, 10))).toEqual(['not json {', '{"action":', '\u0001\u0002\u0003']);
		expect(sim.clientFrames[3].binary).toBe(true);
		sim.publish({ type: 'workflow_started' });
		await sim.waitFor(() => c.events().length === 1, 2000, 'event after garbage');
		expect(c.closed).toBeUndefined();
	});
});

describe('acks', () => {
	it('acks, counts duplicates, 404 for unknown ids, 400 for malformed bodies, injected failures', async () => {
		await startSim();
		const ev = sim.publishDataChange();
		const other = sim.publish({ type: 'workflow_started' });
		const url = `${sim.apiUrl}/api/v1/events/ack`;
		sim.failAcks(1, 502);
		expect((await postJson(url, { id: ev.id })).status).toBe(502);
		expect(sim.isAcked(ev.id)).toBe(false);
		const ok = await postJson(url, { id: ev.id });
		expect([ok.status, ok.json]).toEqual([200, { success: true }]);
		expect((await postJson(url, { id: ev.id })).status).toBe(200);
		expect((await postJson(url, { id: 'evt-unknown' })).status).toBe(404);
		expect((await request('POST', url, { body: '{nope' })).status).toBe(400);
		expect((await postJson(url, { ID: 'x' })).status).toBe(400);
		expect(sim.acks.map((a) => [a.status, a.duplicate])).toEqual([
			[502, false],
			[200, false],
			[200, true],
			[404, false],
			[400, false],
			[400, false],
		]);
		expect(sim.isAcked(ev.id)).toBe(true);
		expect(sim.unackedIds()).toEqual([other.id]);
	});

	it('answers 413 beyond the body limit', async () => {
		await startSim({ maxBodyBytes: 1024 });
		const r = await postJson(`${sim.apiUrl}/api/v1/events/ack`, { id: 'x'.repeat(5000) });
		expect(r.status).toBe(413);
		// Streamed without content-length too.
		const big = await new Promise<number>((resolve, reject) => {
			const req = http.request(`${sim.apiUrl}/api/v1/events/ack`, { method: 'POST', agent: false }, (res) => {
				res.resume();
				resolve(res.statusCode ?? 0);
			});
			req.on('error', reject);
			req.write('{"id":"');
			req.end('y'.repeat(4000) + '"}');
		});
		expect(big).toBe(413);
		expect(sim.acks.map((a) => a.status)).toEqual([413, 413]);
	});
});

describe('faults', () => {
	it('blackhole: silent sockets (no heartbeats, events, pongs), events stay unacked and come back on a new socket', async () => {
		await startSim({ heartbeatMs: 30 });
		const c = await subscribed(sim);
		await sim.waitFor(() => c.frames.length >= 1, 2000, 'first heartbeat');
		sim.blackhole();
		const n = c.frames.length;
		let ponged = false;
		c.ws.on('pong', () => (ponged = true));
		c.ws.ping();
		const ev = sim.publish({ type: 'workflow_data_change', data: dataChangePayload({ seed: 1 }) });
		await sleep(150);
		expect(c.frames.length).toBe(n);
		expect(ponged).toBe(false);
		expect(sim.sent).toHaveLength(0);
		expect(sim.unackedIds()).toEqual([ev.id]);
		// New sockets while the black hole is on are silent too: the subscribe goes unheard.
		const during = await connect(`${sim.realtimeUrl}/?access_token=${await token(sim)}`);
		during.subscribe('team-1');
		await sleep(60);
		expect(sim.subscribes).toHaveLength(1);
		// The client giving up on the dead socket is still visible.
		c.ws.terminate();
		await sim.waitFor(() => sim.connections[0].closedAt !== undefined, 2000, 'dead socket closed by client');
		expect(sim.connections[0]).toMatchObject({ blackholed: true, closeCode: 1006 });
		sim.blackhole(false);
		const d = await subscribed(sim);
		await sim.waitFor(() => d.events().length === 1, 2000, 'redelivery');
		expect(d.events()[0].id).toBe(ev.id);
		expect(during.frames).toHaveLength(0);
	});

	it('blackhole({existingOnly}) spares new sockets', async () => {
		await startSim();
		const c = await subscribed(sim);
		sim.blackhole(true, { existingOnly: true });
		const d = await subscribed(sim);
		sim.publish({ type: 'workflow_started' });
		await sim.waitFor(() => d.events().length === 1, 2000, 'event on new socket');
		await sleep(30);
		expect(c.events()).toHaveLength(0);
	});

	it('dropAll terminates without a close frame; closeAll sends one', async () => {
		await startSim();
		const a = await subscribed(sim);
		sim.dropAll();
		await sim.waitFor(() => a.closed !== undefined, 2000, 'drop');
		expect(a.closed?.code).toBe(1006);
		const b = await subscribed(sim);
		sim.closeAll();
		await sim.waitFor(() => b.closed !== undefined, 2000, 'close');
		expect(b.closed).toEqual({ code: 1001, reason: 'going away' });
		await sim.waitFor(() => sim.openSocketCount() === 0, 2000, 'no open sockets');
		expect(sim.connections.map((c) => c.closeCode)).toEqual([1006, 1001]);
	});

	it('drain announces control.draining, keeps sending live events, then closes with 1001', async () => {
		await startSim();
		const a = await subscribed(sim);
		sim.drain({ retryAfterMs: 25, closeAfterMs: 150 });
		await sim.waitFor(() => a.frames.some((f) => f.type === 'control.draining'), 2000, 'draining frame');
		expect(a.frames.find((f) => f.type === 'control.draining')).toEqual({ type: 'control.draining', timestamp: expect.any(Number), retryAfterMs: 25 });
		const b = await subscribed(sim);
		const ev = sim.publish({ type: 'workflow_started' });
		await sim.waitFor(() => a.events().length === 1 && b.events().length === 1, 2000, 'event on both sockets');
		expect(a.events()[0].id).toBe(ev.id);
		await sim.waitFor(() => a.closed !== undefined, 2000, 'drained socket closed');
		expect(a.closed?.code).toBe(1001);
		expect(b.closed).toBeUndefined();
	});

	it('drain with closeAfterMs null leaves the socket open', async () => {
		await startSim();
		const a = await subscribed(sim);
		sim.drain({ closeAfterMs: null });
		await sim.waitFor(() => a.frames.length === 1, 2000, 'draining frame');
		await sleep(100);
		expect(a.closed).toBeUndefined();
		expect(sim.openSocketCount()).toBe(1);
	});

	it('sendRaw sends text and binary; sendOversized sends one valid JSON event of about that size', async () => {
		await startSim();
		const c = await subscribed(sim);
		sim.sendRaw('{"type":');
		sim.sendRaw(Buffer.from([0xff, 0x00]));
		const big = sim.sendOversized(300_000);
		await sim.waitFor(() => c.rawFrames.length === 3, 2000, '3 frames');
		expect(c.rawFrames[0]).toEqual({ data: Buffer.from('{"type":'), binary: false });
		expect(c.rawFrames[1].binary).toBe(true);
		const frame = JSON.parse(c.rawFrames[2].data.toString()) as Frame;
		expect(c.rawFrames[2].data.length).toBeGreaterThan(299_000);
		expect(c.rawFrames[2].data.length).toBeLessThan(301_000);
		expect(frame).toMatchObject({ type: 'workflow_data_change', id: big.id, _cursor: big.cursor });
		// Not stored: no redelivery, but ackable; the cursor still orders.
		expect(sim.events).toHaveLength(0);
		expect((await postJson(`${sim.apiUrl}/api/v1/events/ack`, { id: big.id })).status).toBe(200);
		expect(sim.publish({ type: 'x' }).cursor > big.cursor).toBe(true);
	});

	it('stallHandshakes holds upgrades until turned off', async () => {
		await startSim();
		const t = await token(sim);
		sim.stallHandshakes(true);
		let opened = false;
		const p = connect(`${sim.realtimeUrl}/?access_token=${t}`).then((c) => {
			opened = true;
			return c;
		});
		await sim.waitFor(() => sim.connectionAttempts === 1, 2000, 'attempt seen');
		await sleep(100);
		expect(opened).toBe(false);
		sim.stallHandshakes(false);
		await p;
		expect(sim.openSocketCount()).toBe(1);
	});

	it('stop kills sockets and refuses connections; restart keeps port, events, acks and tokens', async () => {
		await startSim();
		const t = await token(sim);
		const acked = sim.publish({ type: 'a' });
		const unacked = sim.publish({ type: 'b' });
		await postJson(`${sim.apiUrl}/api/v1/events/ack`, { id: acked.id });
		const c = await subscribed(sim);
		const port = sim.port;
		await sim.stop();
		await sim.waitFor(() => c.closed !== undefined, 2000, 'client sees the kill');
		expect(c.closed?.code).toBe(1006);
		await expect(request('GET', `${sim.apiUrl}/v4/workflows`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
		await sim.restart();
		expect(sim.port).toBe(port);
		const d = await connect(`${sim.realtimeUrl}/?access_token=${t}`);
		d.subscribe('team-1');
		await sim.waitFor(() => d.events().length === 1, 2000, 'replay after restart');
		expect(d.events()[0].id).toBe(unacked.id);
		expect(sim.isAcked(acked.id)).toBe(true);
	});
});

describe('public API', () => {
	it('lists workflows with pagination and case-insensitive search; 401 without a key', async () => {
		await startSim();
		const h = { 'x-api-key': KEY };
		const all = await request('GET', `${sim.apiUrl}/v4/workflows`, { headers: h });
		const body = all.json as { workflows: { id: string; name: string; state: string; url: string }[]; pagination: unknown };
		expect(body.workflows.length).toBe(6);
		expect(body.workflows[0]).toMatchObject({ id: DEMO_WORKFLOWS[0].id, name: DEMO_WORKFLOWS[0].name, state: 'ACTIVE', url: expect.any(String) });
		const page = await request('GET', `${sim.apiUrl}/v4/workflows?limit=4&skip=4`, { headers: h });
		expect((page.json as { workflows: unknown[] }).workflows).toHaveLength(2);
		expect((page.json as { pagination: unknown }).pagination).toEqual({ totalCount: 6, page: 2, totalPages: 2, limit: 4 });
		const found = await request('GET', `${sim.apiUrl}/v4/workflows?search=JOB%20BOARD`, { headers: h });
		expect((found.json as { workflows: { name: string }[] }).workflows.map((w) => w.name)).toEqual(['Job board – careers.example']);
		expect((await request('GET', `${sim.apiUrl}/v4/workflows`)).status).toBe(401);
	});

	it('serves published data changes newest first, filtered, paginated, and one by id', async () => {
		await startSim();
		const [w1, w2] = DEMO_WORKFLOWS;
		const ev1 = sim.publishDataChange({ workflowId: w1.id, createdAt: '2025-01-01T00:00:00.000Z' });
		sim.publishDataChange({ workflowId: w2.id, createdAt: '2025-01-02T00:00:00.000Z' });
		sim.publishDataChange({ workflowId: w1.id, createdAt: '2025-01-03T00:00:00.000Z', summary: null, fixture: { rows: 3 } });
		const h = { 'x-api-key': KEY };
		const r = await request('GET', `${sim.apiUrl}/v4/changes?workflowIds=${w1.id}`, { headers: h });
		const body = r.json as { changes: ChangePayload[]; changesCount: number; pagination: { totalCount: number } };
		expect(body.changesCount).toBe(2);
		expect(body.changes.map((c) => c.createdAt)).toEqual(['2025-01-03T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
		expect(body.changes[0].summary).toBeNull();
		expect(body.changes[0].data).toHaveLength(3);
		const both = await request('GET', `${sim.apiUrl}/v4/changes?workflowIds=${w1.id},${w2.id}&limit=1&skip=1&exclude=data,differences`, { headers: h });
		const bb = both.json as { changes: Record<string, unknown>[]; changesCount: number };
		expect(bb.changesCount).toBe(3);
		expect(bb.changes).toHaveLength(1);
		expect(bb.changes[0]).toMatchObject({ workflowId: w2.id });
		expect(bb.changes[0]).not.toHaveProperty('data');
		const change = (ev1.data as ChangePayload).id;
		const one = await request('GET', `${sim.apiUrl}/v4/changes/${change}`, { headers: h });
		expect(one.json).toEqual(ev1.data);
		expect((await request('GET', `${sim.apiUrl}/v4/changes/nope`, { headers: h })).status).toBe(404);
		expect((await request('GET', `${sim.apiUrl}/v4/changes`)).status).toBe(401);
	});
});

describe('control API and throughput', () => {
	it('publishes, reports state, injects faults and resets records over HTTP', async () => {
		await startSim();
		const c = await subscribed(sim);
		const ev = await postJson(`${sim.apiUrl}/__sim/publish`, { type: 'credits_low', data: { remaining: 5 }, payloadKey: 'message' });
		expect(ev.json).toMatchObject({ event: { id: expect.any(String), cursor: 'c-0000000001' } });
		await postJson(`${sim.apiUrl}/__sim/publish`, { dataChange: { workflowId: DEMO_WORKFLOWS[1].id } });
		const burst = await postJson(`${sim.apiUrl}/__sim/publish`, { count: 500, rowBytes: 2000 });
		expect(burst.json).toMatchObject({ count: 500, firstCursor: 'c-0000000003', lastCursor: 'c-0000000502' });
		await sim.waitFor(() => c.events().length === 502, 5000, '502 events');
		const cursors = c.events().map((f) => f._cursor as string);
		expect(cursors).toEqual([...cursors].sort());
		expect(c.events()[0]).toMatchObject({ type: 'credits_low', message: { remaining: 5 } });
		const size = JSON.stringify(c.events()[10]).length;
		expect(size).toBeGreaterThan(1900);
		expect(size).toBeLessThan(2400);
		const state = (await request('GET', `${sim.apiUrl}/__sim/state`)).json as Record<string, unknown>;
		expect(state).toMatchObject({ events: 502, unacked: 502, openSockets: 1, connections: 1, tokenRequests: 1, changes: 501, sent: 502 });
		expect(state.subscribes).toEqual([expect.objectContaining({ channel: 'team-1' })]);
		expect((await postJson(`${sim.apiUrl}/__sim/fault`, { kind: 'failTokens', n: 1, status: 503, retryAfterSeconds: 2 })).status).toBe(200);
		const failed = await request('POST', `${sim.apiUrl}/v4/oauth2/token`, { headers: { 'x-api-key': KEY } });
		expect([failed.status, failed.headers['retry-after']]).toEqual([503, '2']);
		expect((await postJson(`${sim.apiUrl}/__sim/fault`, { kind: 'nope' })).status).toBe(400);
		await postJson(`${sim.apiUrl}/__sim/fault`, { kind: 'dropAll' });
		await sim.waitFor(() => c.closed !== undefined, 2000, 'dropAll via control');
		await postJson(`${sim.apiUrl}/__sim/reset-records`, {});
		expect([sim.tokenRequests.length, sim.sent.length, sim.connections.length, sim.events.length]).toEqual([0, 0, 0, 502]);
	});

	it('bounds what it hands to a slow socket, then delivers everything in order', async () => {
		await startSim();
		const c = await subscribed(sim);
		c.ws.pause();
		sim.publishBurst({ count: 3000, rowBytes: 10_000 });
		await sleep(200);
		expect(sim.sent.length).toBeLessThan(1500);
		c.ws.resume();
		await sim.waitFor(() => c.events().length === 3000, 8000, '3000 events');
		expect(sim.sent).toHaveLength(3000);
		expect(c.events()[2999]._cursor).toBe(sim.events[2999].cursor);
	});

	it('paces a publish from its own loop, stamping each id with the monotonic clock at send time', async () => {
		await startSim();
		const c = await subscribed(sim);
		const before = process.hrtime.bigint();
		// Over HTTP: the answer comes once every event is sent.
		const r = await postJson(`${sim.apiUrl}/__sim/publish`, { count: 100, rowBytes: 2000, ratePerSec: 500, stamp: true });
		expect(r.status).toBe(200);
		const result = r.json as { count: number; sent: number; firstCursor: string; lastCursor: string; lateness: Record<string, number>; stampToSent: Record<string, number> };
		expect(result).toMatchObject({ count: 100, sent: 100, ratePerSec: 500, firstCursor: 'c-0000000001', lastCursor: 'c-0000000100' });
		expect(Object.keys(result.lateness).sort()).toEqual(['maxMs', 'p50Ms', 'p99Ms']);
		expect(Object.keys(result.stampToSent).sort()).toEqual(['maxMs', 'p50Ms', 'p99Ms']);
		await sim.waitFor(() => c.events().length === 100, 5000, '100 events');
		const stamps = c.events().map((f) => {
			const m = /^lat-(\d+)-(\d+)$/.exec(String(f.id));
			expect(m).not.toBeNull();
			return BigInt(m?.[1] ?? '0');
		});
		expect(stamps[0]).toBeGreaterThan(before);
		for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]);
		// Paced, not a burst: event i is never sent before start + i/rate (a lower bound by construction,
		// so never flaky); the first event may be late by a little, hence half of (n - 1) intervals.
		expect(stamps[99] - stamps[0]).toBeGreaterThanOrEqual(BigInt(Math.round(0.5 * 99 * 2e6)));
		// The frames are ordinary events: ackable by their stamped ids, payload intact.
		expect(c.events()[5]).toMatchObject({ type: 'workflow_data_change', data: { workflowId: expect.any(String) } });
		expect((await postJson(`${sim.apiUrl}/api/v1/events/ack`, { id: c.events()[5].id })).status).toBe(200);
		// Without stamp: ordinary ids; a bad rate is refused.
		const plain = (await postJson(`${sim.apiUrl}/__sim/publish`, { count: 3, ratePerSec: 1000 })).json as { sent: number };
		expect(plain.sent).toBe(3);
		await sim.waitFor(() => c.events().length === 103, 5000, '103 events');
		expect(String(c.events()[102].id)).toMatch(/^evt-/);
		expect((await postJson(`${sim.apiUrl}/__sim/publish`, { count: 3, ratePerSec: 0 })).status).toBe(400);
	});

	it('ends a paced publish when stopped, reporting what was sent', async () => {
		await startSim();
		const run = sim.publishPaced({ count: 1000, ratePerSec: 100 });
		await sim.stop();
		const result = await run;
		expect(result.count).toBe(1000);
		expect(result.sent).toBeLessThan(1000);
	});

	it('delivers a 20,000 x 2 KB burst to a socket within seconds', async () => {
		await startSim();
		const c = await subscribed(sim);
		const t0 = Date.now();
		const r = sim.publishBurst({ count: 20_000, rowBytes: 2000 });
		await sim.waitFor(() => c.rawFrames.length === 20_000, 8000, '20,000 events');
		const ms = Date.now() - t0;
		expect(r.count).toBe(20_000);
		expect(ms).toBeLessThan(8000);
	});
});

describe('fixtures', () => {
	it('builds product-price changes with previousValue only on changed differences', () => {
		const p = dataChangePayload({ rows: 10, added: 2, removed: 3, changed: 4, seed: 42 });
		expect(p.data).toHaveLength(10);
		expect(p.data[0]).toEqual({ name: expect.any(String), price: expect.any(Number), currency: 'USD', url: expect.stringMatching(/^https:\/\//) });
		const byType = (t: string) => p.differences.filter((d) => d.type === t);
		expect([byType('added').length, byType('removed').length, byType('changed').length]).toEqual([2, 3, 4]);
		for (const d of p.differences) {
			const withPrev = d.fields.filter((f) => 'previousValue' in f);
			expect(withPrev.length).toBe(d.type === 'changed' ? 1 : 0);
		}
		for (const d of byType('changed')) expect(d.fields[1].value).not.toBe(d.fields[1].previousValue);
		// Added rows are in the snapshot, removed ones are not.
		const names = new Set(p.data.map((r) => r.name));
		for (const d of byType('added')) expect(names.has(d.fields[0].value)).toBe(true);
		for (const d of byType('removed')) expect(names.has(d.fields[0].value)).toBe(false);
		expect(dataChangePayload({ seed: 42, createdAt: 'x' })).toEqual(dataChangePayload({ seed: 42, createdAt: 'x' }));
	});

	it('builds big snapshots, sized payloads and an evolving demo feed', () => {
		const big = bigSnapshotPayload(5000);
		expect(big.data).toHaveLength(5000);
		expect(JSON.stringify(big).length).toBeGreaterThan(400_000);
		const sized = JSON.stringify(sizedDataChangePayload(2048)).length;
		expect(Math.abs(sized - 2048)).toBeLessThan(5);
		const feed = new DemoFeed(DEMO_WORKFLOWS[1], 'jobs', 3);
		const first = feed.next();
		const second = feed.next();
		expect(second.workflowId).toBe(DEMO_WORKFLOWS[1].id);
		expect(second.differences.some((d) => d.type === 'added')).toBe(true);
		expect(second.differences.some((d) => d.type === 'changed')).toBe(true);
		expect(first.id).not.toBe(second.id);
		for (const d of second.differences.filter((x) => x.type === 'added')) {
			expect(second.data.map((r) => r.name)).toContain(d.fields[0].value);
		}
	});
});
