/**
 * One acknowledgement request the least way each transport allows: what baselines (b) and
 * (c) send per event, and what scenario 1b's minimal loops send. `done` is called once.
 */
import * as http from 'node:http';
import type { Pool } from 'undici';

export const ACK_PATH = '/api/v1/events/ack';

/** node:http over a keep-alive agent (baseline (b)). */
export function httpAck(ackUrl: string, agent: http.Agent, id: string, done: (ok: boolean) => void): void {
	const body = JSON.stringify({ id });
	const request = http.request(ackUrl, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
	request.on('response', (response) => {
		response.resume();
		response.on('end', () => done((response.statusCode ?? 0) < 300));
	});
	request.on('error', () => done(false));
	request.end(body);
}

/** undici's dispatch API on a pool (baseline (c), the node's transport). */
export function undiciAck(pool: Pool, id: string, done: (ok: boolean) => void): void {
	let status = 0;
	pool.dispatch(
		{ path: ACK_PATH, method: 'POST', headers: ['content-type', 'application/json'], body: JSON.stringify({ id }) },
		{
			onConnect: () => undefined,
			onHeaders: (statusCode) => {
				status = statusCode;
				return true;
			},
			onData: () => true,
			onComplete: () => done(status >= 200 && status < 300),
			onError: () => done(false),
		},
	);
}
