/**
 * One-shot check of a credential, for n8n's "Test" button: the key buys a token (API URL),
 * and the token opens the realtime socket (Realtime URL). Nothing is subscribed, so no
 * event is delivered to it. A failure names the step that failed, so the caller can tell
 * the user which URL or setting is wrong.
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

/** `token`: exchanging the key at the API URL. `socket`: opening the Realtime URL with the token. */
export type ProbeStep = 'token' | 'socket';

export class ProbeError extends Error {
	constructor(
		readonly step: ProbeStep,
		readonly failure: KadoaError,
	) {
		super(failure.message);
		this.name = 'ProbeError';
	}
}

export async function probeRealtime(endpoints: KadoaEndpoints, apiKey: string, timeoutMs: number): Promise<ProbeResult> {
	let token;
	try {
		token = await fetchRealtimeToken(endpoints, apiKey, timeoutMs);
	} catch (error) {
		if (error instanceof KadoaError) throw new ProbeError('token', error);
		throw error;
	}
	await openSocket(endpoints, token.accessToken, timeoutMs);
	return { teamId: token.teamId };
}

function openSocket(endpoints: KadoaEndpoints, accessToken: string, timeoutMs: number): Promise<void> {
	const host = new URL(endpoints.socketUrl).host;
	return new Promise<void>((resolve, reject) => {
		const socket = new WebSocket(socketUrlWithToken(endpoints, accessToken), {
			handshakeTimeout: timeoutMs,
			followRedirects: false,
		});
		let settled = false;
		const finish = (error?: KadoaError) => {
			if (settled) return;
			settled = true;
			if (error) reject(new ProbeError('socket', error));
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
			// ws's own texts (e.g. "Opening handshake has timed out") carry no URL, hence no token.
			finish(new KadoaError('transient', `cannot reach ${host}: ${describeNetworkCode(error.code, error.message)}`, HINTS.unreachable));
		});
	});
}
