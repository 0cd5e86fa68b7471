/**
 * One-shot check of a credential, for n8n's "Test" button: the key buys a token and the
 * token opens the realtime socket. Nothing is subscribed, so no event is delivered to it.
 */
import WebSocket from 'ws';
import type { IncomingMessage } from 'http';

import { socketUrlWithToken, type KadoaEndpoints } from './endpoints';
import { HINTS, KadoaError, upgradeRefusal } from './errors';
import { describeNetworkCode } from './http';
import { fetchRealtimeToken } from './token';

export interface ProbeResult {
	teamId: string;
}

export async function probeRealtime(endpoints: KadoaEndpoints, apiKey: string, timeoutMs: number): Promise<ProbeResult> {
	const { accessToken, teamId } = await fetchRealtimeToken(endpoints, apiKey, timeoutMs);
	await new Promise<void>((resolve, reject) => {
		const socket = new WebSocket(socketUrlWithToken(endpoints, accessToken), {
			handshakeTimeout: timeoutMs,
			followRedirects: false,
		});
		let settled = false;
		const finish = (error?: KadoaError) => {
			if (settled) return;
			settled = true;
			if (error) reject(error);
			else resolve();
		};
		socket.on('unexpected-response', (_request, response: IncomingMessage) => {
			let body = '';
			response.setEncoding('utf8');
			response.on('data', (chunk: string) => {
				if (body.length < 16 * 1024) body += chunk;
			});
			response.on('end', () => {
				socket.terminate();
				finish(upgradeRefusal(response.statusCode ?? 0, body, true));
			});
		});
		socket.on('open', () => {
			socket.close(1000, 'credential test');
			finish();
		});
		socket.on('error', (error: NodeJS.ErrnoException) => {
			finish(new KadoaError('transient', `cannot open the realtime socket: ${describeNetworkCode(error.code, error.message)}`, HINTS.unreachable));
		});
	});
	return { teamId };
}
