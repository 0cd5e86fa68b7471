// The realtime socket side: accepted sockets, subscribe (channel check, heartbeats, replay from
// the event store), live broadcast through each socket's send queue, and the socket faults
// (black hole, drop, close, drain, raw frames).
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { EventStore } from './event-store';
import { isObject } from './http-util';
import type { SimRecords } from './records';
import { SendQueue } from './send-queue';
import type { ConnectionRecord, ReplayBehaviour, SubscribeRecord } from './types';

/** What the hub needs from the simulator. */
export interface RealtimeHost {
	store: EventStore;
	records: SimRecords;
	/** The only channel a subscribe may name. */
	teamId: string;
	/** Heartbeat period per subscribed socket (0: none). */
	heartbeatMs: number;
	/** Read at each subscribe, so that tests may switch it between subscribes. */
	replay(): ReplayBehaviour;
	log(line: string): void;
}

/** A live socket. */
interface Conn {
	id: number;
	ws: WebSocket;
	socket: Duplex;
	rec: ConnectionRecord;
	subscribed: boolean;
	blackholed: boolean;
	heartbeat?: NodeJS.Timeout;
	out: SendQueue;
}

const MB = 1024 * 1024;
const noop = (): void => {};

function rawToBuffer(d: RawData): Buffer {
	if (Buffer.isBuffer(d)) return d;
	if (Array.isArray(d)) return Buffer.concat(d);
	return Buffer.from(d);
}

export class RealtimeHub {
	/** Black-hole mode: sockets accepted while it is on go silent at once. */
	blackholeMode = false;
	private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: MB });
	private readonly conns = new Map<number, Conn>();
	private nextConnId = 1;
	private readonly timers = new Set<NodeJS.Timeout>();

	constructor(private readonly host: RealtimeHost) {}

	/** Number of sockets open right now (black-holed ones included). */
	get openCount(): number {
		return this.conns.size;
	}

	/** Completes an admitted upgrade (see UpgradeGate). */
	accept(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
		this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, socket));
	}

	/** Sends a stored frame to every subscribed socket. */
	broadcast(frame: Buffer, eventId: string): void {
		for (const c of this.conns.values()) {
			if (c.subscribed) c.out.push({ data: frame, binary: false, bytes: frame.length, eventId });
		}
	}

	/** Silences every open socket; `existingOnly` false keeps silencing new sockets until switched off. */
	blackhole(on: boolean, existingOnly: boolean): void {
		this.blackholeMode = on && !existingOnly;
		if (on) for (const c of this.conns.values()) this.silence(c);
	}

	/** Terminates every socket abruptly (no close frame). */
	dropAll(): void {
		for (const c of this.conns.values()) c.ws.terminate();
	}

	/** Closes every (non-black-holed) socket with a close frame. */
	closeAll(code: number, reason: string): void {
		for (const c of this.conns.values()) if (!c.blackholed) c.ws.close(code, reason);
	}

	/** `control.draining` to every open socket (they keep receiving live events), closed with 1001 after `closeAfterMs` (null: never). */
	drain(retryAfterMs: number, closeAfterMs: number | null): void {
		const targets = [...this.conns.values()].filter((c) => !c.blackholed);
		const text = JSON.stringify({ type: 'control.draining', timestamp: Date.now(), retryAfterMs });
		for (const c of targets) c.out.push({ data: text, binary: false, bytes: text.length });
		this.host.log(`draining ${targets.length} socket(s), retryAfterMs=${retryAfterMs}, closeAfterMs=${closeAfterMs}`);
		if (closeAfterMs === null) return;
		this.later(closeAfterMs, () => {
			for (const c of targets) if (this.conns.has(c.id) && !c.blackholed) c.ws.close(1001, 'draining');
		});
	}

	/** Sends raw data to every subscribed socket: a string as a text frame, a Buffer as a binary frame. */
	sendRaw(data: string | Buffer): void {
		const binary = Buffer.isBuffer(data);
		const bytes = binary ? data.length : Buffer.byteLength(data);
		for (const c of this.conns.values()) if (c.subscribed) c.out.push({ data, binary, bytes });
	}

	/** Clears pending timers (drain closes). */
	clearTimers(): void {
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
	}

	/** Terminates every socket (stop); `forgetAll` after the server closed. */
	terminateAll(): void {
		for (const c of this.conns.values()) {
			this.clearConnTimers(c);
			c.ws.terminate();
		}
	}

	/** Sockets whose 'close' event has not fired yet are still closed for the records (code 1006). */
	forgetAll(): void {
		const now = Date.now();
		for (const c of this.conns.values()) {
			if (c.rec.closedAt === undefined) {
				c.rec.closedAt = now;
				c.rec.closeCode = 1006;
			}
		}
		this.conns.clear();
	}

	private onConnection(ws: WebSocket, socket: Duplex): void {
		const { records, log } = this.host;
		const id = this.nextConnId++;
		const rec: ConnectionRecord = { id, openedAt: Date.now() };
		records.connections.push(rec);
		const c: Conn = {
			id,
			ws,
			socket,
			rec,
			subscribed: false,
			blackholed: false,
			out: new SendQueue(
				ws,
				() => c.blackholed,
				(eventId) => records.sent.push({ connectionId: id, eventId, at: Date.now() }),
			),
		};
		this.conns.set(id, c);
		ws.on('message', (data, isBinary) => this.onClientFrame(c, data, isBinary));
		ws.on('error', (err) => log(`socket #${id} error: ${err.message}`));
		ws.on('close', (code, reason) => {
			rec.closedAt = Date.now();
			rec.closeCode = code;
			rec.closeReason = reason.toString('utf8');
			this.clearConnTimers(c);
			c.out.clear();
			this.conns.delete(id);
			log(`socket #${id} closed ${code}${rec.closeReason ? ` ${rec.closeReason}` : ''}`);
		});
		log(`socket #${id} open`);
		if (this.blackholeMode) this.silence(c);
	}

	private onClientFrame(c: Conn, data: RawData, isBinary: boolean): void {
		if (c.blackholed) return;
		const raw = rawToBuffer(data).toString('utf8');
		this.host.records.clientFrames.push({ connectionId: c.id, raw, binary: isBinary });
		let msg: unknown;
		try {
			msg = JSON.parse(raw);
		} catch {
			this.host.log(`socket #${c.id}: ignored a frame that is not JSON`);
			return;
		}
		if (isObject(msg) && msg.action === 'subscribe') this.onSubscribe(c, msg);
		else this.host.log(`socket #${c.id}: ignored a frame without a known action`);
	}

	/** Checks the channel, starts heartbeats, then replays (see EventStore.replay) before any live event. */
	private onSubscribe(c: Conn, msg: Record<string, unknown>): void {
		const { records, log } = this.host;
		const channel = typeof msg.channel === 'string' ? msg.channel : String(msg.channel ?? '');
		const lastCursor = typeof msg.lastCursor === 'string' && msg.lastCursor !== '' ? msg.lastCursor : undefined;
		const rec: SubscribeRecord = { connectionId: c.id, channel, at: Date.now() };
		if (lastCursor !== undefined) rec.lastCursor = lastCursor;
		records.subscribes.push(rec);
		if (channel !== this.host.teamId) {
			log(`socket #${c.id}: subscribe to a forbidden channel`);
			c.ws.close(4003, 'forbidden channel');
			return;
		}
		c.subscribed = true;
		if (!c.heartbeat && this.host.heartbeatMs > 0) {
			c.heartbeat = setInterval(() => {
				const text = JSON.stringify({ type: 'heartbeat', timestamp: Date.now() });
				c.out.push({ data: text, binary: false, bytes: text.length });
			}, this.host.heartbeatMs);
		}
		const replayed = this.host.store.replay(lastCursor, this.host.replay(), (frame, eventId) =>
			c.out.push({ data: frame, binary: false, bytes: frame.length, eventId }),
		);
		log(`socket #${c.id}: subscribed${lastCursor ? ` from ${lastCursor}` : ''}, replaying ${replayed} event(s)`);
	}

	/** Makes a socket a dead peer: stop writing, and read-and-discard its bytes so ws never parses them. */
	private silence(c: Conn): void {
		if (c.blackholed) return;
		c.blackholed = true;
		c.rec.blackholed = true;
		this.clearConnTimers(c);
		c.out.clear();
		// Discarding (rather than pausing) still lets us see the client's FIN, so tests can
		// assert that a client gave up on a dead socket; pings and close frames get no answer.
		c.socket.removeAllListeners('data');
		c.socket.on('data', noop);
		c.socket.resume();
	}

	private clearConnTimers(c: Conn): void {
		if (c.heartbeat) clearInterval(c.heartbeat);
		c.heartbeat = undefined;
	}

	private later(ms: number, fn: () => void): void {
		const t = setTimeout(() => {
			this.timers.delete(t);
			fn();
		}, ms);
		this.timers.add(t);
	}
}
