// The door of the realtime socket: which upgrade requests become sockets. A valid access token
// and the Enterprise realtime feature are needed; faults stall handshakes or refuse upgrades
// (e.g. 429 with Retry-After). Accepted upgrades go to `accept` (the realtime hub).
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Auth } from './auth';
import { PendingFaults } from './faults';
import { mask } from './http-util';
import type { SimRecords } from './records';

/** What the gate needs from the simulator. */
export interface UpgradeHost {
	auth: Auth;
	records: SimRecords;
	/** False once the simulator stopped: a held handshake is then dropped. */
	listening(): boolean;
	/** Turns an admitted upgrade into a socket. */
	accept(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
	log(line: string): void;
}

interface StalledHandshake {
	req: http.IncomingMessage;
	socket: Duplex;
	head: Buffer;
}

const noop = (): void => {};

/** Writes an HTTP error on a socket whose upgrade we refuse. */
function rejectUpgrade(socket: Duplex, status: number, body: unknown, retryAfter?: string): void {
	const text = JSON.stringify(body);
	socket.once('finish', () => socket.destroy());
	socket.end(
		`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
			(retryAfter !== undefined ? `Retry-After: ${retryAfter}\r\n` : '') +
			'Content-Type: application/json; charset=utf-8\r\n' +
			`Content-Length: ${Buffer.byteLength(text)}\r\n` +
			'Connection: close\r\n\r\n' +
			text,
	);
}

export class UpgradeGate {
	/** Off models an account without the Enterprise realtime feature (upgrades get 403). */
	realtimeEnabled: boolean;
	/** Pending refusals: status and Retry-After (seconds or an HTTP date). */
	readonly refusals = new PendingFaults<{ status: number; retryAfter?: string }>();
	private stall = false;
	private readonly stalled = new Set<StalledHandshake>();

	constructor(
		private readonly host: UpgradeHost,
		realtimeEnabled: boolean,
	) {
		this.realtimeEnabled = realtimeEnabled;
	}

	/** The server's 'upgrade' handler: counts the attempt, then holds it (stall) or judges it. */
	onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
		this.host.records.connectionAttempts++;
		socket.on('error', noop); // a client reset must not crash the simulator
		if (this.stall) {
			const h: StalledHandshake = { req, socket, head };
			this.stalled.add(h);
			socket.once('close', () => this.stalled.delete(h));
			this.host.log('upgrade stalled');
			return;
		}
		this.judge(req, socket, head);
	}

	/** While on, upgrade requests hang; off resumes the held ones if their client is still there. */
	setStall(on: boolean): void {
		this.stall = on;
		if (on) return;
		const held = [...this.stalled];
		this.stalled.clear();
		for (const h of held) this.judge(h.req, h.socket, h.head);
	}

	/** Drops every held handshake (stop). */
	destroyStalled(): void {
		for (const h of this.stalled) h.socket.destroy();
		this.stalled.clear();
	}

	private judge(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
		const { log } = this.host;
		if (socket.destroyed || !this.host.listening()) {
			socket.destroy();
			return;
		}
		const refusal = this.refusals.take();
		if (refusal) {
			const { status, retryAfter } = refusal;
			log(`upgrade refused on purpose (${status})`);
			rejectUpgrade(socket, status, { error: http.STATUS_CODES[status] ?? 'Error' }, retryAfter);
			return;
		}
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const token = url.searchParams.get('access_token');
		if (!token || !this.host.auth.isValidToken(token)) {
			log(`upgrade rejected 401 (token ${token ? mask(token) : 'missing'})`);
			rejectUpgrade(socket, 401, { error: 'Invalid or expired token' });
			return;
		}
		if (!this.realtimeEnabled) {
			log('upgrade rejected 403 (realtime disabled)');
			rejectUpgrade(socket, 403, { error: 'Realtime API is only available on the Enterprise plan' });
			return;
		}
		this.host.accept(req, socket, head);
	}
}
