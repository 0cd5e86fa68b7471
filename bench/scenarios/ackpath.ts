/**
 * 1b. The acknowledgement path alone (no socket traffic while it runs): `count` acks of
 * known event ids, (b)'s minimal keep-alive request loop against the node's Acknowledger,
 * both ACK_CONCURRENCY at a time, alternating rounds. Separates the cost of the ack client
 * from everything else scenario 1 measures.
 */
import * as http from 'node:http';

import { Acknowledger } from '../../nodes/KadoaTrigger/delivery/acknowledger';
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

function rawAcks(ackUrl: string, ids: string[]): Promise<number> {
	const agent = new http.Agent({ keepAlive: true, maxSockets: ACK_CONCURRENCY });
	let next = 0;
	let done = 0;
	const t0 = nowNs();
	return new Promise<number>((resolve) => {
		const sendOne = () => {
			const id = ids[next++];
			const body = JSON.stringify({ id });
			const request = http.request(ackUrl, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
			const finish = () => {
				if (++done === ids.length) {
					agent.destroy();
					resolve(msSince(t0));
				} else if (next < ids.length) sendOne();
			};
			request.on('response', (response) => {
				response.resume();
				response.on('end', finish);
			});
			request.on('error', finish);
			request.end(body);
		};
		for (let i = 0; i < ACK_CONCURRENCY && next < ids.length; i++) sendOne();
	});
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
	const rawRates: number[] = [];
	const nodeRates: number[] = [];
	const pairRatios: number[] = [];
	try {
		for (let r = -1; r < options.rounds; r++) {
			for (const kind of r % 2 === 0 ? ['raw', 'node'] : ['node', 'raw']) {
				await sim.control.resetRecords(true);
				const ids = await collectIds(sim, options.count);
				const ms = kind === 'raw' ? await rawAcks(ackUrl, ids) : await nodeAcks(ackUrl, ids);
				const rate = options.count / (ms / 1000);
				if (r < 0) continue; // warm-up
				(kind === 'raw' ? rawRates : nodeRates).push(rate);
			}
			if (r >= 0) {
				pairRatios.push(nodeRates[nodeRates.length - 1] / rawRates[rawRates.length - 1]);
				options.log(`round ${r + 1}: minimal ${Math.round(rawRates[rawRates.length - 1])} acks/s, node ${Math.round(nodeRates[nodeRates.length - 1])} acks/s`);
			}
		}
	} finally {
		await sim.stop();
	}
	const scenario = '1b ack path alone';
	const raw = median(rawRates);
	const node = median(nodeRates);
	return {
		figures: [
			{ scenario, name: `minimal keep-alive ack loop, ${ACK_CONCURRENCY} at a time`, value: round(raw, 0), unit: 'acks/s', note: 'reference' },
			{ scenario, name: 'node Acknowledger', value: round(node, 0), unit: 'acks/s', baseline: { name: 'minimal loop', value: round(raw, 0), unit: 'acks/s' }, ratio: median(pairRatios), note: 'ratio: median of paired rounds' },
		],
		details: { rawRates, nodeRates, pairRatios },
	};
}
