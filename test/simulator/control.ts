// Control API of the simulator (/__sim/*), for processes that cannot call it in-process:
// the demo, the end-to-end test in a real n8n and the benchmarks. JSON in, JSON out.
import type { ServerResponse } from 'node:http';
import { isObject, sendJson } from './http-util';
import type { DataChangeSpec, KadoaSimulator, PayloadKey } from './simulator';

const num = (v: unknown, def: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : def);
const bool = (v: unknown, def: boolean): boolean => (typeof v === 'boolean' ? v : def);
const payloadKeyOf = (v: unknown): PayloadKey | undefined => (v === 'data' || v === 'message' ? v : undefined);

/** Routes one /__sim request; `body` is the parsed JSON body of a POST (undefined for GET). */
export function handleControl(sim: KadoaSimulator, path: string, method: string, body: unknown, res: ServerResponse): void {
	if (path === '/__sim/state' && method === 'GET') return sendJson(res, 200, sim.state());
	if (method !== 'POST') return sendJson(res, 404, { error: 'Not found' });
	const b = isObject(body) ? body : {};
	switch (path) {
		case '/__sim/publish':
			return publish(sim, b, res);
		case '/__sim/fault':
			return fault(sim, b, res);
		case '/__sim/reset-records':
			sim.resetRecords({ events: b.events === true });
			return sendJson(res, 200, { ok: true });
		default:
			return sendJson(res, 404, { error: 'Not found' });
	}
}

/**
 * `{count, rowBytes?, payloadKey?, type?}` → burst; the same plus `ratePerSec` (and `stamp?`, `spinMs?`)
 * → paced, answered once all are sent; `{dataChange: {...}}` → data change; else an event spec.
 */
function publish(sim: KadoaSimulator, b: Record<string, unknown>, res: ServerResponse): void {
	if (b.count !== undefined) {
		const count = num(b.count, -1);
		if (!Number.isInteger(count) || count < 0) return sendJson(res, 400, { error: 'count must be a non-negative integer' });
		const spec = {
			count,
			rowBytes: typeof b.rowBytes === 'number' ? b.rowBytes : undefined,
			payloadKey: payloadKeyOf(b.payloadKey),
			type: typeof b.type === 'string' ? b.type : undefined,
		};
		if (b.ratePerSec === undefined) return sendJson(res, 200, sim.publishBurst(spec));
		const ratePerSec = num(b.ratePerSec, -1);
		if (!(ratePerSec > 0)) return sendJson(res, 400, { error: 'ratePerSec must be a positive number' });
		const spinMs = num(b.spinMs, 0);
		if (spinMs < 0) return sendJson(res, 400, { error: 'spinMs must be a non-negative number' });
		void sim.publishPaced({ ...spec, ratePerSec, stamp: b.stamp === true, spinMs }).then((result) => sendJson(res, 200, result));
		return;
	}
	if (b.dataChange !== undefined) {
		if (!isObject(b.dataChange)) return sendJson(res, 400, { error: 'dataChange must be an object' });
		// Fields are checked loosely: a malformed change is itself a useful test input.
		const ev = sim.publishDataChange(b.dataChange as DataChangeSpec);
		return sendJson(res, 200, { event: summary(ev) });
	}
	if (typeof b.type !== 'string' || b.type === '') return sendJson(res, 400, { error: 'type (string) is required' });
	const ev = sim.publish({
		type: b.type,
		data: b.data,
		payloadKey: payloadKeyOf(b.payloadKey),
		id: typeof b.id === 'string' ? b.id : undefined,
		timestamp: typeof b.timestamp === 'number' ? b.timestamp : undefined,
	});
	return sendJson(res, 200, { event: summary(ev) });
}

const summary = (ev: { id: string; cursor: string; type: string; bytes: number }): Record<string, unknown> => ({
	id: ev.id,
	cursor: ev.cursor,
	type: ev.type,
	bytes: ev.bytes,
});

/** `{kind, ...args}`; see the README-like list in the error message for the kinds. */
function fault(sim: KadoaSimulator, b: Record<string, unknown>, res: ServerResponse): void {
	switch (b.kind) {
		case 'blackhole':
			sim.blackhole(bool(b.on, true), { existingOnly: bool(b.existingOnly, false) });
			break;
		case 'dropAll':
			sim.dropAll();
			break;
		case 'closeAll':
			sim.closeAll(num(b.code, 1001), typeof b.reason === 'string' ? b.reason : 'going away');
			break;
		case 'drain':
			sim.drain({ retryAfterMs: num(b.retryAfterMs, 1000), closeAfterMs: b.closeAfterMs === null ? null : num(b.closeAfterMs, 5000) });
			break;
		case 'failTokens':
			sim.failTokenRequests(num(b.n, 1), num(b.status, 503), typeof b.retryAfterSeconds === 'number' ? b.retryAfterSeconds : undefined);
			break;
		case 'stallTokens':
			sim.stallTokenRequests(bool(b.on, true));
			break;
		case 'stallHandshakes':
			sim.stallHandshakes(bool(b.on, true));
			break;
		case 'failAcks':
			sim.failAcks(num(b.n, 1), num(b.status, 500));
			break;
		case 'stallAcks':
			sim.stallAcks(num(b.n, 1));
			break;
		case 'revokeKey':
			if (typeof b.key !== 'string') return sendJson(res, 400, { error: 'key (string) is required' });
			sim.revokeKey(b.key);
			break;
		case 'setApiKeys':
			if (!Array.isArray(b.keys) || !b.keys.every((k): k is string => typeof k === 'string'))
				return sendJson(res, 400, { error: 'keys (string[]) is required' });
			sim.setApiKeys(b.keys);
			break;
		case 'realtime':
			sim.setRealtimeEnabled(bool(b.on, true));
			break;
		case 'sendRaw':
			if (typeof b.data !== 'string') return sendJson(res, 400, { error: 'data (string) is required' });
			sim.sendRaw(b.base64 === true ? Buffer.from(b.data, 'base64') : b.data);
			break;
		case 'sendOversized':
			sim.sendOversized(num(b.bytes, 2 * 1024 * 1024), { store: b.store === true });
			break;
		default:
			return sendJson(res, 400, {
				error:
					'unknown kind; one of blackhole{on,existingOnly}, dropAll, closeAll{code,reason}, drain{retryAfterMs,closeAfterMs}, ' +
					'failTokens{n,status,retryAfterSeconds}, stallTokens{on}, stallHandshakes{on}, failAcks{n,status}, stallAcks{n}, revokeKey{key}, ' +
					'setApiKeys{keys}, realtime{on}, sendRaw{data,base64}, sendOversized{bytes,store}',
			});
	}
	sendJson(res, 200, { ok: true, kind: b.kind });
}
