/**
 * The baselines: the least a conforming client can do. (a) opens the socket, subscribes and
 * JSON.parses every frame; (b) does the same and acknowledges every event with one HTTP
 * request over a keep-alive agent, `concurrency` requests at a time.
 */
import * as http from 'node:http';
import { Pool } from 'undici';
import WebSocket from 'ws';

import { ACK_PATH, httpAck, undiciAck } from './ack-request';
import { BENCH_API_KEY } from './sim';
import { nowNs } from './stats';

export interface RawClientOptions {
	apiUrl: string;
	realtimeUrl: string;
	/** 0 = baseline (a), no acknowledgements. */
	ackConcurrency: number;
	/** node:http with a keep-alive agent (b, the default) or an undici Pool (c, the node's transport). */
	ackTransport?: 'http' | 'undici';
	onEvent?: (frame: Record<string, unknown>, atNs: bigint) => void;
	onAcked?: (id: string, atNs: bigint) => void;
	/** Replaces the client's own toString + JSON.parse (the frame is still counted as an event). */
	onRawFrame?: (data: Buffer) => void;
}

export class RawClient {
	events = 0;
	acked = 0;
	ackFailures = 0;
	firstEventNs = 0n;
	lastEventNs = 0n;
	lastAckNs = 0n;
	private socket?: WebSocket;
	private readonly agent?: http.Agent;
	private readonly pool?: Pool;
	private readonly ackUrl: string;
	private readonly queue: string[] = [];
	private queueHead = 0;
	private running = 0;

	constructor(private readonly options: RawClientOptions) {
		this.ackUrl = `${options.apiUrl}${ACK_PATH}`;
		if (options.ackConcurrency > 0 && options.ackTransport === 'undici') this.pool = new Pool(options.apiUrl, { connections: options.ackConcurrency, pipelining: 1 });
		else if (options.ackConcurrency > 0) this.agent = new http.Agent({ keepAlive: true, maxSockets: options.ackConcurrency });
	}

	async connect(): Promise<void> {
		const { access_token: token, team_id: team } = await postJson<{ access_token: string; team_id: string }>(
			`${this.options.apiUrl}/v4/oauth2/token`,
			'',
			{ 'x-api-key': BENCH_API_KEY },
		);
		const socket = new WebSocket(`${this.options.realtimeUrl}/?access_token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
		this.socket = socket;
		socket.on('message', (data: WebSocket.RawData) => this.onMessage(data));
		await new Promise<void>((resolve, reject) => {
			socket.once('open', () => {
				socket.send(JSON.stringify({ action: 'subscribe', channel: team }));
				resolve();
			});
			socket.once('error', reject);
		});
	}

	private onMessage(data: WebSocket.RawData): void {
		if (this.options.onRawFrame) {
			this.options.onRawFrame(data as Buffer);
			this.events++;
			this.lastEventNs = nowNs();
			return;
		}
		const frame = JSON.parse(data.toString()) as Record<string, unknown>;
		if (frame.type === 'heartbeat') return;
		const at = nowNs();
		if (this.events === 0) this.firstEventNs = at;
		this.events++;
		this.lastEventNs = at;
		this.options.onEvent?.(frame, at);
		if ((this.agent || this.pool) && typeof frame.id === 'string') {
			this.queue.push(frame.id);
			this.pump();
		}
	}

	private pump(): void {
		while (this.running < this.options.ackConcurrency && this.queueHead < this.queue.length) {
			const id = this.queue[this.queueHead++];
			this.running++;
			this.sendAck(id);
		}
		if (this.queueHead === this.queue.length) {
			this.queue.length = 0;
			this.queueHead = 0;
		}
	}

	private sendAck(id: string): void {
		const done = (ok: boolean) => this.ackDone(id, ok);
		if (this.pool) undiciAck(this.pool, id, done);
		else httpAck(this.ackUrl, this.agent as http.Agent, id, done);
	}

	private ackDone(id: string, ok: boolean): void {
		this.running--;
		if (ok) {
			this.acked++;
			this.lastAckNs = nowNs();
			this.options.onAcked?.(id, this.lastAckNs);
		} else {
			this.ackFailures++;
		}
		this.pump();
	}

	close(): Promise<void> {
		this.agent?.destroy();
		void this.pool?.destroy().catch(() => undefined);
		const socket = this.socket;
		if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
		return new Promise<void>((resolve) => {
			socket.once('close', () => resolve());
			socket.terminate();
		});
	}
}

function postJson<T>(url: string, body: string, headers: Record<string, string>): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const request = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, timeout: 10_000 }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => {
				if ((response.statusCode ?? 0) >= 300) reject(new Error(`POST ${url} → ${response.statusCode}`));
				else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
			});
		});
		request.on('timeout', () => request.destroy(new Error('token request timed out')));
		request.on('error', reject);
		request.end(body);
	});
}
