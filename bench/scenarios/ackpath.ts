/**
 * 1b. The acknowledgement path alone (no socket traffic while it runs): `count` acks of
 * known event ids: (b)'s minimal keep-alive request loop on node:http, the same loop on
 * undici (c), and the node's Acknowledger, all ACK_CONCURRENCY at a time, rotating order. Separates the cost of the ack client
 * from everything else scenario 1 measures.
 */
import * as http from 'node:http';
import { Pool } from 'undici';

import { Acknowledger } from '../../nodes/KadoaTrigger/delivery/acknowledger';
import { httpAck, undiciAck } from '../lib/ack-request';
import { RawClient } from '../lib/raw-client';
import { SimProcess } from '../lib/sim';
import { median, msSince, nowNs, round, type Figure } from '../lib/stats';
import { until } from '../lib/wait';
import { ACK_CONCURRENCY } from './throughput';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function collectIds(sim: SimProcess, count: number): Promise<string[]> {
	const ids: string[] = [];
	const raw = new RawClient({
		apiUrl: sim.apiUrl,
		realtimeUrl: sim.realtimeUrl,
		ackConcurrency: 0,
		onEvent: (frame) => {
			if (typeof frame.id === 'string') ids.push(frame.id);
		},
	});
	await raw.connect();
	await sim.control.waitForState((s) => s.subscribes.length >= 1, 10_000, 'a subscribe');
	await sim.control.publish({ count, rowBytes: 100 });
	await until(() => ids.length >= count, 60_000, 'ids');
	await raw.close();
	return ids;
}

/** `ids.length` acks, ACK_CONCURRENCY at a time, each sent by `send`; resolves with the ms taken. */
function minimalLoop(ids: string[], send: (id: string, done: () => void) => void, dispose: () => void): Promise<number> {
	let next = 0;
	let done = 0;
	const t0 = nowNs();
	return new Promise<number>((resolve) => {
		const finish = () => {
			if (++done === ids.length) {
				dispose();
				resolve(msSince(t0));
			} else if (next < ids.length) send(ids[next++], finish);
		};
		for (let i = 0; i < ACK_CONCURRENCY && next < ids.length; i++) send(ids[next++], finish);
	});
}

function rawAcks(ackUrl: string, ids: string[]): Promise<number> {
	const agent = new http.Agent({ keepAlive: true, maxSockets: ACK_CONCURRENCY });
	return minimalLoop(ids, (id, done) => httpAck(ackUrl, agent, id, done), () => agent.destroy());
}

/** The same loop over undici's dispatch API: the transport the Acknowledger uses. */
function undiciAcks(apiUrl: string, ids: string[]): Promise<number> {
	const pool = new Pool(apiUrl, { connections: ACK_CONCURRENCY, pipelining: 1 });
	return minimalLoop(ids, (id, done) => undiciAck(pool, id, done), () => void pool.destroy().catch(() => undefined));
}

async function nodeAcks(ackUrl: string, ids: string[]): Promise<number> {
	const acknowledger = new Acknowledger({ ackUrl, logger: silent, concurrency: ACK_CONCURRENCY });
	const t0 = nowNs();
	for (const id of ids) acknowledger.ack(id);
	await acknowledger.flush(120_000);
	const ms = msSince(t0);
	acknowledger.close();
	return ms;
}

export async function ackpath(options: { count: number; rounds: number; log: (line: string) => void }): Promise<{ figures: Figure[]; details: unknown }> {
	const sim = await SimProcess.start({ heartbeatMs: 15_000 });
	const ackUrl = `${sim.apiUrl}/api/v1/events/ack`;
	const kinds = ['http', 'undici', 'node'] as const;
	const rates: Record<(typeof kinds)[number], number[]> = { http: [], undici: [], node: [] };
	const ratios: { http: number[]; undici: number[] } = { http: [], undici: [] };
	try {
		for (let r = -1; r < options.rounds; r++) {
			// Rotating order, so that drift on a shared machine does not favour one of them.
			for (let k = 0; k < kinds.length; k++) {
				const kind = kinds[(k + Math.max(r, 0)) % kinds.length];
				await sim.control.resetRecords(true);
				const ids = await collectIds(sim, options.count);
				const ms = kind === 'http' ? await rawAcks(ackUrl, ids) : kind === 'undici' ? await undiciAcks(sim.apiUrl, ids) : await nodeAcks(ackUrl, ids);
				if (r >= 0) rates[kind].push(options.count / (ms / 1000));
			}
			if (r < 0) continue; // warm-up
			const last = (kind: (typeof kinds)[number]) => rates[kind][rates[kind].length - 1];
			ratios.http.push(last('node') / last('http'));
			ratios.undici.push(last('node') / last('undici'));
			options.log(`round ${r + 1}: minimal node:http ${Math.round(last('http'))} acks/s, minimal undici ${Math.round(last('undici'))} acks/s, node ${Math.round(last('node'))} acks/s`);
		}
	} finally {
		await sim.stop();
	}
	const scenario = '1b ack path alone';
	const http1 = median(rates.http);
	const undici = median(rates.undici);
	const node = median(rates.node);
	return {
		figures: [
			{ scenario, name: `minimal keep-alive ack loop on node:http, ${ACK_CONCURRENCY} at a time (as (b))`, value: round(http1, 0), unit: 'acks/s', note: 'reference' },
			{ scenario, name: `minimal ack loop on undici, ${ACK_CONCURRENCY} at a time (as (c))`, value: round(undici, 0), unit: 'acks/s', baseline: { name: 'node:http loop', value: round(http1, 0), unit: 'acks/s' }, ratio: undici / http1, note: 'reference' },
			{ scenario, name: 'node Acknowledger', value: round(node, 0), unit: 'acks/s', baseline: { name: 'node:http loop', value: round(http1, 0), unit: 'acks/s' }, ratio: median(ratios.http), note: 'ratio: median of same-round ratios' },
			{ scenario, name: 'node Acknowledger, against its own transport', value: round(node, 0), unit: 'acks/s', baseline: { name: 'undici loop', value: round(undici, 0), unit: 'acks/s' }, ratio: median(ratios.undici), note: 'ratio: median of same-round ratios' },
		],
		details: { rates, ratios },
	};
}
