// Kadoa simulator: a real HTTP + WebSocket server on 127.0.0.1 speaking the Kadoa realtime
// protocol (see /work/shared/kadoa-protocol.md), with records of everything on the wire and
// fault injection. One port serves the public API, the realtime host and a control API.
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
	type ChangePayload,
	type DataChangeOptions,
	type SimWorkflow,
	dataChangePayload,
	fillerText,
	hexId,
	sampleWorkflows,
	sizedDataChangePayload,
} from './fixtures';
import { BodyTooLarge, isObject, mask, parseJson, readBody, sendJson } from './http-util';
import { handleControl } from './control';
import { RestApi } from './rest';

export type PayloadKey = 'data' | 'message';

/** Options of `KadoaSimulator.start`. */
export interface SimulatorOptions {
	/** Port to listen on; 0 (default) picks a free one. */
	port?: number;
	/** Valid API keys (default ['test-api-key']). */
	apiKeys?: string[];
	/** Team id = the only valid channel (default 'team-1'). */
	teamId?: string;
	/** Heartbeat period per subscribed socket (default 15000; 0 disables heartbeats). */
	heartbeatMs?: number;
	/** False models an account without the Enterprise realtime feature (upgrades get 403). */
	realtimeEnabled?: boolean;
	/** Lifetime of access tokens (default 1 h). */
	tokenTtlMs?: number;
	/** Workflows of `GET /v4/workflows` (default `sampleWorkflows()`). */
	workflows?: SimWorkflow[];
	/** Limit of request bodies of the Kadoa API (default 1 MB; beyond → 413). */
	maxBodyBytes?: number;
	/** Limit of request bodies of the /__sim control API (default 64 MB). */
	maxControlBodyBytes?: number;
	/** One short line per notable thing (never secrets in full). Silent by default. */
	log?: (line: string) => void;
	/**
	 * What a subscribe with `lastCursor` replays, besides every unacknowledged event (Kadoa does
	 * not document which): 'all' (default) every later event, 'unacked' only unacknowledged ones.
	 */
	replay?: ReplayBehaviour;
}

export type ReplayBehaviour = 'all' | 'unacked';

/** What `publish` accepts. */
export interface PublishSpec {
	type: string;
	/** Payload; omitted from the frame when undefined. */
	data?: unknown;
	/** Put the payload under `data` (default, documentation) or `message` (SDK types). */
	payloadKey?: PayloadKey;
	/** Event id (default `evt-000001-<random>`); reusing an id is allowed (ack state is per id). */
	id?: string;
	timestamp?: number;
}

/** A stored event. */
export interface PublishedEvent {
	id: string;
	cursor: string;
	type: string;
	timestamp: number;
	payloadKey: PayloadKey;
	data: unknown;
	/** Size of the serialised frame. */
	bytes: number;
}

/** What `publishDataChange` accepts: change fields override the fixture payload. */
export interface DataChangeSpec extends Partial<ChangePayload> {
	payloadKey?: PayloadKey;
	/** Event id (not the change id, which is `id`). */
	eventId?: string;
	timestamp?: number;
	/** Options of the generated fixture payload (rows, added, removed, changed, seed...). */
	fixture?: DataChangeOptions;
}

/** What `publishBurst` accepts. */
export interface BurstSpec {
	count: number;
	/** Approximate size of each event payload in bytes (default 2000). */
	rowBytes?: number;
	payloadKey?: PayloadKey;
	/** Event type (default workflow_data_change, also recorded as changes). */
	type?: string;
}

export interface BurstResult {
	count: number;
	firstCursor?: string;
	lastCursor?: string;
	ms: number;
}

/** What `publishPaced` accepts: a burst's events, one every 1/ratePerSec s. */
export interface PacedSpec extends BurstSpec {
	ratePerSec: number;
	/**
	 * Give each event the id `lat-<ns>-<seq>`, `<ns>` being `process.hrtime.bigint()` (CLOCK_MONOTONIC,
	 * comparable across processes on one machine; zero-padded to 20 digits) read after the frame is built
	 * and written into its bytes just before it is handed to the socket(s). Raw frames and the trigger's
	 * items both show the id.
	 */
	stamp?: boolean;
	/**
	 * How close to its due time the loop stops sleeping on setTimeout (~1 ms resolution) and spins on
	 * setImmediate (default 0: never). Spinning paces precisely but keeps a core busy at ≥ ~500/s and
	 * churns the young generation (a scavenge every ~30 ms): on a small machine it slows the client.
	 */
	spinMs?: number;
}

/** Spread of a set of durations (ms). */
export interface Spread {
	p50Ms: number;
	p99Ms: number;
	maxMs: number;
}

export interface PacedResult extends BurstResult {
	ratePerSec: number;
	/** Events published (less than `count` only when the simulator stopped first). */
	sent: number;
	/** Scheduled (start + i / rate) → actual send time. A late tick sends the overdue events back to back. */
	lateness: Spread;
	/**
	 * Stamp → `ws.send` returned for every subscriber: an upper bound of how early the stamp is. It also
	 * counts time after the bytes reached the kernel (a write that wakes the client may let it run first).
	 */
	stampToSent: Spread;
}

export interface TokenRequestRecord {
	apiKeyOk: boolean;
	/** 0 while the request is stalled and unanswered. */
	status: number;
	at: number;
}
export interface SubscribeRecord {
	connectionId: number;
	channel: string;
	lastCursor?: string;
	at: number;
}
export interface AckRecord {
	id: string;
	status: number;
	duplicate: boolean;
	at: number;
}
export interface SentRecord {
	connectionId: number;
	eventId: string;
	at: number;
}
export interface ConnectionRecord {
	id: number;
	openedAt: number;
	closedAt?: number;
	closeCode?: number;
	closeReason?: string;
	/** Set when the socket was black-holed. */
	blackholed?: boolean;
}
export interface ClientFrameRecord {
	connectionId: number;
	raw: string;
	binary: boolean;
}

/** Counts for `GET /__sim/state`. */
export interface SimState {
	running: boolean;
	port: number;
	events: number;
	lastCursor?: string;
	acks: number;
	ackedIds: number;
	duplicateAcks: number;
	failedAcks: number;
	unacked: number;
	subscribes: SubscribeRecord[];
	openSockets: number;
	connections: number;
	connectionAttempts: number;
	tokenRequests: number;
	tokenRequestsOk: number;
	sent: number;
	clientFrames: number;
	changes: number;
	blackhole: boolean;
	realtimeEnabled: boolean;
}

/** Outgoing frame waiting for socket capacity. */
interface OutFrame {
	data: Buffer | string;
	binary: boolean;
	bytes: number;
	/** Set for event frames (recorded in `sent`). */
	eventId?: string;
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
	queue: OutFrame[];
	qHead: number;
	inFlight: number;
}

interface StalledHandshake {
	req: http.IncomingMessage;
	socket: Duplex;
	head: Buffer;
}
interface StalledToken {
	res: http.ServerResponse;
	rec: TokenRequestRecord;
}

/** Bytes handed to a socket but not yet written; beyond it frames wait in our queue (references only). */
const HIGH_WATER_BYTES = 1024 * 1024;
const MB = 1024 * 1024;

const noop = (): void => {};

/** Fixed width of a paced event's stamp (the digits of 2^64), so that it can be written into a built frame. */
const STAMP_PLACEHOLDER = '0'.repeat(20);

function rawToBuffer(d: RawData): Buffer {
	if (Buffer.isBuffer(d)) return d;
	if (Array.isArray(d)) return Buffer.concat(d);
	return Buffer.from(d);
}

/** `evt-000001-1a2b3c4d`: Math.random suffices for uniqueness, and crypto is the top cost of a 20k burst. */
function eventId(n: number): string {
	return `evt-${String(n).padStart(6, '0')}-${Math.floor(Math.random() * 0x100000000)
		.toString(16)
		.padStart(8, '0')}`;
}

function frameOf(ev: PublishedEvent): Buffer {
	const frame: Record<string, unknown> = { type: ev.type, timestamp: ev.timestamp, id: ev.id, _cursor: ev.cursor };
	frame[ev.payloadKey] = ev.data;
	return Buffer.from(JSON.stringify(frame), 'utf8');
}

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

export class KadoaSimulator {
	// ---- records, for assertions on the wire (arrays keep their identity across resets) ----
	/** Every token request (the key itself is never stored). */
	readonly tokenRequests: TokenRequestRecord[] = [];
	/** Every subscribe frame, valid or not. */
	readonly subscribes: SubscribeRecord[] = [];
	/** Every ack request, including failed ones. */
	readonly acks: AckRecord[] = [];
	/** Every event frame handed to a socket. */
	readonly sent: SentRecord[] = [];
	/** Every accepted socket. */
	readonly connections: ConnectionRecord[] = [];
	/** Every frame received from clients (subscribes, garbage, unknown actions), except on black-holed sockets. */
	readonly clientFrames: ClientFrameRecord[] = [];
	/** Upgrade requests seen, counting rejected and stalled ones. */
	connectionAttempts = 0;
	/** TCP connections accepted since start (HTTP keep-alive reuse shows as few). */
	tcpConnections = 0;

	/** Port (fixed after the first start; `restart` reuses it). */
	port = 0;

	private readonly teamId: string;
	private readonly heartbeatMs: number;
	private readonly tokenTtlMs: number;
	private readonly maxBodyBytes: number;
	private readonly maxControlBodyBytes: number;
	private readonly logFn?: (line: string) => void;
	/** Settable between tests through `replayBehaviour` (also `/__sim/replay`). */
	replayBehaviour: ReplayBehaviour;
	private realtimeEnabled: boolean;
	private apiKeys: Set<string>;
	private readonly revoked = new Set<string>();
	private workflows: SimWorkflow[];
	/** Kadoa's REST API: workflows, data, changes, schemas, notifications (test/simulator/rest/). */
	readonly rest: RestApi;

	private readonly stored: PublishedEvent[] = [];
	private readonly frames: Buffer[] = [];
	private readonly acked = new Set<string>();
	/** Ids that can be acked: stored events plus unstored oversized ones. */
	private readonly knownIds = new Set<string>();
	private readonly changes: ChangePayload[] = [];
	private readonly tokens = new Map<string, number>();
	private seq = 0;

	private server?: http.Server;
	private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: MB });
	private readonly conns = new Map<number, Conn>();
	private nextConnId = 1;
	private readonly timers = new Set<NodeJS.Timeout>();
	/** Paced publishes in progress: each entry ends its run (stop() calls them). */
	private readonly pacedRuns = new Set<() => void>();

	// ---- fault state ----
	private tokenFail = { remaining: 0, status: 503, retryAfterSeconds: undefined as number | undefined };
	private ackFail = { remaining: 0, status: 500 };
	private ackStall = 0;
	private stallTokens = false;
	private readonly stalledTokens = new Set<StalledToken>();
	private stallUpgrades = false;
	private readonly stalledHandshakes = new Set<StalledHandshake>();
	private blackholeMode = false;
	private upgradeFail = { remaining: 0, status: 429, retryAfter: undefined as string | undefined };

	private constructor(opts: SimulatorOptions) {
		this.port = opts.port ?? 0;
		this.apiKeys = new Set(opts.apiKeys ?? ['test-api-key']);
		this.teamId = opts.teamId ?? 'team-1';
		this.heartbeatMs = opts.heartbeatMs ?? 15000;
		this.realtimeEnabled = opts.realtimeEnabled ?? true;
		this.tokenTtlMs = opts.tokenTtlMs ?? 3600_000;
		this.workflows = opts.workflows ?? sampleWorkflows();
		this.rest = new RestApi({
			checkKey: (req) => this.keyState(req),
			workflows: () => this.workflows,
			setWorkflows: (list) => this.setWorkflows(list),
			changes: () => this.changes,
			publish: (spec) => this.publish(spec),
		});
		this.maxBodyBytes = opts.maxBodyBytes ?? MB;
		this.maxControlBodyBytes = opts.maxControlBodyBytes ?? 64 * MB;
		this.logFn = opts.log;
		this.replayBehaviour = opts.replay ?? (process.env.KADOA_SIM_REPLAY === 'unacked' ? 'unacked' : 'all');
	}

	/** Creates a simulator and waits until it listens on 127.0.0.1. */
	static async start(opts: SimulatorOptions = {}): Promise<KadoaSimulator> {
		const sim = new KadoaSimulator(opts);
		await sim.listen();
		return sim;
	}

	/** Base URL of the public API and of the ack endpoint. */
	get apiUrl(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	/** Base URL of the realtime socket. */
	get realtimeUrl(): string {
		return `ws://127.0.0.1:${this.port}`;
	}

	/** The team id, i.e. the only channel a subscribe may name. */
	get team(): string {
		return this.teamId;
	}

	/** True while listening. */
	get running(): boolean {
		return this.server !== undefined;
	}

	/** All stored events, in cursor order. */
	get events(): readonly PublishedEvent[] {
		return this.stored;
	}

	/** Changes served by /v4/changes, in insertion order. */
	/** Every access token ever issued (for tests that prove no token reaches a log). */
	issuedTokens(): string[] {
		return [...this.tokens.keys()];
	}

	get storedChanges(): readonly ChangePayload[] {
		return this.changes;
	}

	// ---------------------------------------------------------------- lifecycle

	private async listen(): Promise<void> {
		const server = http.createServer((req, res) => {
			this.onRequest(req, res).catch((err: unknown) => {
				this.log(`request error: ${err instanceof Error ? err.message : String(err)}`);
				sendJson(res, 500, { error: 'Internal simulator error' });
			});
		});
		server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
		server.on('connection', () => this.tcpConnections++);
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(this.port, '127.0.0.1', () => {
				server.off('error', reject);
				resolve();
			});
		});
		const addr = server.address();
		if (addr && typeof addr === 'object') this.port = addr.port;
		this.server = server;
		this.log(`listening on ${this.apiUrl}`);
	}

	/** Kill: closes the listening server, terminates every socket and clears every timer. */
	async stop(): Promise<void> {
		const server = this.server;
		if (!server) return;
		this.server = undefined;
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
		for (const end of [...this.pacedRuns]) end();
		this.releaseStalledTokens();
		for (const h of this.stalledHandshakes) h.socket.destroy();
		this.stalledHandshakes.clear();
		for (const c of this.conns.values()) {
			this.clearConnTimers(c);
			c.ws.terminate();
		}
		const closed = new Promise<void>((resolve) => server.close(() => resolve()));
		server.closeAllConnections();
		await closed;
		// Sockets whose 'close' event has not fired yet are still closed for the records.
		const now = Date.now();
		for (const c of this.conns.values()) {
			if (c.rec.closedAt === undefined) {
				c.rec.closedAt = now;
				c.rec.closeCode = 1006;
			}
		}
		this.conns.clear();
		this.log('stopped');
	}

	/** Listens again on the same port, keeping stored events, acks, tokens and records. */
	async restart(): Promise<void> {
		await this.stop();
		await this.listen();
	}

	/** Polls `predicate` every ~10 ms; rejects after `timeoutMs` with a message naming `what`. */
	waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		return new Promise<void>((resolve, reject) => {
			const tick = (): void => {
				let ok: boolean;
				try {
					ok = predicate();
				} catch (err) {
					reject(err instanceof Error ? err : new Error(String(err)));
					return;
				}
				if (ok) resolve();
				else if (Date.now() >= deadline) reject(new Error(`KadoaSimulator.waitFor: timed out after ${timeoutMs} ms waiting for ${what}`));
				else setTimeout(tick, 10);
			};
			tick();
		});
	}

	// ---------------------------------------------------------------- publishing

	/** Stores an event (with id and cursor) and sends it to every subscribed, non-black-holed socket. */
	publish(spec: PublishSpec): PublishedEvent {
		const ev = this.store(spec);
		this.broadcastFrame(this.frames[this.frames.length - 1], ev.id);
		if (spec.type === 'workflow_data_change' && isChange(ev.data)) this.changes.push(ev.data);
		return ev;
	}

	/** Publishes a `workflow_data_change` built from the fixtures; also recorded as a change for /v4/changes. */
	publishDataChange(partial: DataChangeSpec = {}): PublishedEvent {
		const { payloadKey, eventId, timestamp, fixture, ...fields } = partial;
		const base = dataChangePayload({ workflowId: fields.workflowId ?? this.workflows[0]?.id, ...fixture });
		const payload: ChangePayload = { ...base, ...stripUndefined(fields) };
		this.log(`publish workflow_data_change ${payload.workflowId} (+${countDiff(payload, 'added')} -${countDiff(payload, 'removed')} ~${countDiff(payload, 'changed')})`);
		return this.publish({ type: 'workflow_data_change', data: payload, payloadKey, id: eventId, timestamp });
	}

	/** Publishes `count` events back to back (frames serialised once each, sends paced by back-pressure). */
	publishBurst(spec: BurstSpec): BurstResult {
		const t0 = performance.now();
		const publishOne = this.syntheticPublisher(spec);
		let first: string | undefined;
		let last: string | undefined;
		for (let i = 0; i < spec.count; i++) {
			const ev = publishOne();
			this.broadcastFrame(this.frames[this.frames.length - 1], ev.id);
			first ??= ev.cursor;
			last = ev.cursor;
		}
		const ms = Math.round(performance.now() - t0);
		this.log(`burst of ${spec.count} events published in ${ms} ms`);
		return { count: spec.count, firstCursor: first, lastCursor: last, ms };
	}

	/**
	 * Publishes `count` burst-like events at `ratePerSec` from the simulator's own loop, on a schedule
	 * fixed at the start (event i is due at start + i / rate: no drift). Each pass sends every event
	 * that is due, so a late pass catches up at once. Resolves when all are sent, or when `stop()` ends it.
	 */
	publishPaced(spec: PacedSpec): Promise<PacedResult> {
		const publishOne = this.syntheticPublisher(spec);
		const intervalNs = 1e9 / spec.ratePerSec;
		const spinNs = (spec.spinMs ?? 0) * 1e6;
		const lateness: number[] = [];
		const stampToSent: number[] = [];
		let first: string | undefined;
		let last: string | undefined;
		const start = process.hrtime.bigint();
		return new Promise<PacedResult>((resolve) => {
			let timer: NodeJS.Timeout | undefined;
			let immediate: NodeJS.Immediate | undefined;
			const finish = (): void => {
				this.pacedRuns.delete(finish);
				if (timer) clearTimeout(timer);
				if (immediate) clearImmediate(immediate);
				const ms = Math.round(Number(process.hrtime.bigint() - start) / 1e6);
				this.log(`paced publish: ${lateness.length}/${spec.count} events at ${spec.ratePerSec}/s in ${ms} ms`);
				resolve({
					count: spec.count,
					sent: lateness.length,
					ratePerSec: spec.ratePerSec,
					firstCursor: first,
					lastCursor: last,
					ms,
					lateness: spread(lateness),
					stampToSent: spread(stampToSent),
				});
			};
			const tick = (): void => {
				timer = undefined;
				immediate = undefined;
				let i = lateness.length;
				for (; i < spec.count; i++) {
					if (Number(process.hrtime.bigint() - start) < i * intervalNs) break;
					// Built (and stored) first, so that serialisation and any GC it triggers happen before the stamp.
					const ev = publishOne(spec.stamp ? `lat-${STAMP_PLACEHOLDER}-${i}` : undefined);
					const frame = this.frames[this.frames.length - 1];
					const at = process.hrtime.bigint();
					if (spec.stamp) this.restamp(ev, frame, at);
					this.broadcastFrame(frame, ev.id);
					stampToSent.push(Number(process.hrtime.bigint() - at) / 1e6);
					lateness.push((Number(at - start) - i * intervalNs) / 1e6);
					first ??= ev.cursor;
					last = ev.cursor;
				}
				if (i >= spec.count) return finish();
				const waitNs = i * intervalNs - Number(process.hrtime.bigint() - start);
				if (waitNs <= spinNs) immediate = setImmediate(tick);
				else timer = setTimeout(tick, (waitNs - spinNs) / 1e6);
			};
			this.pacedRuns.add(finish);
			tick();
		});
	}

	/** Writes `at` over the id's placeholder, in the frame's bytes (same width) and in the records. */
	private restamp(ev: PublishedEvent, frame: Buffer, at: bigint): void {
		const stamp = String(at).padStart(STAMP_PLACEHOLDER.length, '0');
		const offset = frame.indexOf(`"id":"lat-${STAMP_PLACEHOLDER}-`) + '"id":"lat-'.length;
		frame.write(stamp, offset, 'latin1');
		this.knownIds.delete(ev.id);
		ev.id = `lat-${stamp}${ev.id.slice(4 + stamp.length)}`;
		this.knownIds.add(ev.id);
	}

	/**
	 * One function that stores (does not send) one `workflow_data_change`-like event of about `rowBytes`
	 * per call, the rows serialised once for all calls (ids, cursors, timestamps and change ids differ).
	 */
	private syntheticPublisher(spec: Omit<BurstSpec, 'count'>): (id?: string) => PublishedEvent {
		const type = spec.type ?? 'workflow_data_change';
		const workflowIds = this.workflows.length ? this.workflows.map((w) => w.id) : [undefined];
		const template = sizedDataChangePayload(spec.rowBytes ?? 2000, { seed: 7, workflowId: workflowIds[0] });
		const payloadKey = spec.payloadKey ?? 'data';
		// The rows are the same in every event: serialise them once and splice the per-event fields
		// around them (same bytes as JSON.stringify of the event, ~3x faster).
		const rowsJson = JSON.stringify(template.data);
		const diffJson = JSON.stringify(template.differences);
		const head = `{"type":${JSON.stringify(type)},"timestamp":`;
		const tail = `,"url":${JSON.stringify(template.url)},"createdAt":`;
		let i = 0;
		return (id?: string): PublishedEvent => {
			// Rows are shared between events: only the frames (serialised once) cost memory.
			const data: ChangePayload = {
				id: hexId(),
				workflowId: workflowIds[i++ % workflowIds.length] ?? template.workflowId,
				data: template.data,
				differences: template.differences,
				url: template.url,
				createdAt: new Date().toISOString(),
			};
			const ev = this.store({ type, data, payloadKey, id }, (e) =>
				Buffer.from(
					`${head}${e.timestamp},"id":${JSON.stringify(e.id)},"_cursor":"${e.cursor}","${payloadKey}":{"id":"${data.id}",` +
						`"workflowId":${JSON.stringify(data.workflowId)},"data":${rowsJson},"differences":${diffJson}${tail}"${data.createdAt}"}}`,
				),
			);
			if (type === 'workflow_data_change') this.changes.push(data);
			return ev;
		};
	}

	/** Ids of stored events not acknowledged, in cursor order, without duplicates. */
	unackedIds(): string[] {
		const out = new Set<string>();
		for (const ev of this.stored) if (!this.acked.has(ev.id)) out.add(ev.id);
		return [...out];
	}

	/** True once the event id was acknowledged successfully. */
	isAcked(id: string): boolean {
		return this.acked.has(id);
	}

	/** Adds a change to /v4/changes without publishing an event. */
	addChange(change: ChangePayload): void {
		this.changes.push(change);
	}

	/** Replaces the workflows of /v4/workflows. */
	setWorkflows(workflows: SimWorkflow[]): void {
		this.workflows = workflows;
	}

	private store(spec: PublishSpec, serialise: (ev: PublishedEvent) => Buffer = frameOf): PublishedEvent {
		const n = ++this.seq;
		const ev: PublishedEvent = {
			id: spec.id ?? eventId(n),
			cursor: `c-${String(n).padStart(10, '0')}`,
			type: spec.type,
			timestamp: spec.timestamp ?? Date.now(),
			payloadKey: spec.payloadKey ?? 'data',
			data: spec.data,
			bytes: 0,
		};
		const frame = serialise(ev);
		ev.bytes = frame.length;
		this.stored.push(ev);
		this.frames.push(frame);
		this.knownIds.add(ev.id);
		return ev;
	}

	// ---------------------------------------------------------------- records

	/** Number of sockets open right now (black-holed ones included). */
	openSocketCount(): number {
		return this.conns.size;
	}

	/** Counts for the control API and for logs. */
	state(): SimState {
		return {
			running: this.running,
			port: this.port,
			events: this.stored.length,
			lastCursor: this.stored[this.stored.length - 1]?.cursor,
			acks: this.acks.length,
			ackedIds: this.acked.size,
			duplicateAcks: this.acks.filter((a) => a.duplicate).length,
			failedAcks: this.acks.filter((a) => a.status !== 200).length,
			unacked: this.unackedIds().length,
			subscribes: [...this.subscribes],
			openSockets: this.openSocketCount(),
			connections: this.connections.length,
			connectionAttempts: this.connectionAttempts,
			tokenRequests: this.tokenRequests.length,
			tokenRequestsOk: this.tokenRequests.filter((t) => t.status === 200).length,
			sent: this.sent.length,
			clientFrames: this.clientFrames.length,
			changes: this.changes.length,
			blackhole: this.blackholeMode,
			realtimeEnabled: this.realtimeEnabled,
		};
	}

	/** Clears the records (closed connections too; open ones stay listed); with `events`, also events, acks and changes. */
	resetRecords(opts: { events?: boolean } = {}): void {
		this.tokenRequests.length = 0;
		this.subscribes.length = 0;
		this.acks.length = 0;
		this.sent.length = 0;
		this.clientFrames.length = 0;
		const open = this.connections.filter((c) => c.closedAt === undefined);
		this.connections.length = 0;
		this.connections.push(...open);
		this.connectionAttempts = 0;
		if (opts.events) {
			// Cursors keep counting so that a client's saved cursor stays meaningful.
			this.stored.length = 0;
			this.frames.length = 0;
			this.acked.clear();
			this.knownIds.clear();
			this.changes.length = 0;
		}
	}

	// ---------------------------------------------------------------- faults

	/** The next `n` token requests fail with `status` (and a Retry-After header when given). */
	failTokenRequests(n: number, status = 503, retryAfterSeconds?: number): void {
		this.tokenFail = { remaining: n, status, retryAfterSeconds };
	}

	/** The next `n` socket upgrades are refused with `status` (and Retry-After: seconds or an HTTP date, when given). */
	failUpgrades(n: number, status = 429, retryAfter?: number | string): void {
		this.upgradeFail = { remaining: n, status, retryAfter: retryAfter === undefined ? undefined : String(retryAfter) };
	}

	/** While on, token requests hang unanswered; off (or stop) answers them 503. */
	stallTokenRequests(on: boolean): void {
		this.stallTokens = on;
		if (!on) this.releaseStalledTokens();
	}

	/** While on, upgrade requests hang; off resumes the held ones if their client is still there. */
	stallHandshakes(on: boolean): void {
		this.stallUpgrades = on;
		if (on) return;
		const held = [...this.stalledHandshakes];
		this.stalledHandshakes.clear();
		for (const h of held) this.processUpgrade(h.req, h.socket, h.head);
	}

	/** Replaces the valid API keys (and un-revokes them). */
	setApiKeys(keys: string[]): void {
		this.apiKeys = new Set(keys);
		for (const k of keys) this.revoked.delete(k);
	}

	/** Revokes a key: its token requests get 403 (tokens already issued stay valid until they expire). */
	revokeKey(key: string): void {
		this.revoked.add(key);
		this.log(`key ${mask(key)} revoked`);
	}

	/** Turns the Enterprise realtime feature on or off (off: upgrades get 403). */
	setRealtimeEnabled(on: boolean): void {
		this.realtimeEnabled = on;
	}

	/** The next `n` ack requests fail with `status` (not recorded as acked). */
	failAcks(n: number, status = 500): void {
		this.ackFail = { remaining: n, status };
	}

	/** The next `n` ack requests are never answered (recorded with status 0; closed at stop). */
	stallAcks(n: number): void {
		this.ackStall = n;
	}

	/**
	 * Black hole (a dead NAT): every open socket goes silent for good (no heartbeats, no events,
	 * incoming frames and pings unread, TCP left open), and so do sockets accepted while it is on;
	 * `{ existingOnly: true }` spares new sockets. `blackhole(false)`: new sockets behave normally.
	 * The simulator still notices when a client closes the TCP connection of a silent socket.
	 */
	blackhole(on = true, opts: { existingOnly?: boolean } = {}): void {
		this.blackholeMode = on && !opts.existingOnly;
		if (on) for (const c of this.conns.values()) this.silence(c);
		this.log(`blackhole ${on ? (opts.existingOnly ? 'on (existing sockets)' : 'on') : 'off'}`);
	}

	/** Terminates every socket abruptly (no close frame). */
	dropAll(): void {
		for (const c of this.conns.values()) c.ws.terminate();
		this.log('dropped all sockets');
	}

	/** Closes every (non-black-holed) socket with a close frame. */
	closeAll(code = 1001, reason = 'going away'): void {
		for (const c of this.conns.values()) if (!c.blackholed) c.ws.close(code, reason);
		this.log(`closed all sockets (${code})`);
	}

	/**
	 * Sends `control.draining` to every open socket (they keep receiving live events), then closes
	 * those sockets with 1001 after `closeAfterMs`; null never closes them (the client must).
	 */
	drain(opts: { retryAfterMs?: number; closeAfterMs?: number | null } = {}): void {
		const retryAfterMs = opts.retryAfterMs ?? 1000;
		const closeAfterMs = opts.closeAfterMs === undefined ? 5000 : opts.closeAfterMs;
		const targets = [...this.conns.values()].filter((c) => !c.blackholed);
		const text = JSON.stringify({ type: 'control.draining', timestamp: Date.now(), retryAfterMs });
		for (const c of targets) this.enqueue(c, { data: text, binary: false, bytes: text.length });
		this.log(`draining ${targets.length} socket(s), retryAfterMs=${retryAfterMs}, closeAfterMs=${closeAfterMs}`);
		if (closeAfterMs === null) return;
		this.later(closeAfterMs, () => {
			for (const c of targets) if (this.conns.has(c.id) && !c.blackholed) c.ws.close(1001, 'draining');
		});
	}

	/** Sends raw data to every subscribed socket: a string as a text frame, a Buffer as a binary frame. */
	sendRaw(data: string | Buffer): void {
		const binary = Buffer.isBuffer(data);
		const bytes = binary ? data.length : Buffer.byteLength(data);
		for (const c of this.conns.values()) if (c.subscribed) this.enqueue(c, { data, binary, bytes });
	}

	/**
	 * Sends one valid-JSON `workflow_data_change` frame of about `bytes` bytes to every subscribed socket.
	 * It takes the next cursor but is not stored (no redelivery) unless `store` is true.
	 */
	sendOversized(bytes: number, opts: { store?: boolean } = {}): PublishedEvent {
		const payload = sizedDataChangePayload(0, { workflowId: this.workflows[0]?.id });
		const row = payload.data[0];
		row.description = '';
		const spec: PublishSpec = { type: 'workflow_data_change', data: payload };
		if (opts.store) {
			// Size the padding against a throwaway frame, then publish for real.
			const probe = frameOf({ id: 'evt-000000-00000000', cursor: 'c-0000000000', type: spec.type, timestamp: Date.now(), payloadKey: 'data', data: payload, bytes: 0 });
			row.description = fillerText(bytes - probe.length);
			this.log(`oversized event of ${bytes} bytes (stored)`);
			return this.publish(spec);
		}
		const n = ++this.seq;
		const ev: PublishedEvent = {
			id: eventId(n),
			cursor: `c-${String(n).padStart(10, '0')}`,
			type: spec.type,
			timestamp: Date.now(),
			payloadKey: 'data',
			data: payload,
			bytes: 0,
		};
		row.description = fillerText(bytes - frameOf(ev).length);
		const frame = frameOf(ev);
		ev.bytes = frame.length;
		this.knownIds.add(ev.id);
		this.broadcastFrame(frame, ev.id);
		this.log(`oversized event of ${frame.length} bytes (not stored)`);
		return ev;
	}

	// ---------------------------------------------------------------- sockets

	private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
		this.connectionAttempts++;
		socket.on('error', noop); // a client reset must not crash the simulator
		if (this.stallUpgrades) {
			const h: StalledHandshake = { req, socket, head };
			this.stalledHandshakes.add(h);
			socket.once('close', () => this.stalledHandshakes.delete(h));
			this.log('upgrade stalled');
			return;
		}
		this.processUpgrade(req, socket, head);
	}

	private processUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
		if (socket.destroyed || !this.server) {
			socket.destroy();
			return;
		}
		if (this.upgradeFail.remaining > 0) {
			this.upgradeFail.remaining--;
			const { status, retryAfter } = this.upgradeFail;
			this.log(`upgrade refused on purpose (${status})`);
			rejectUpgrade(socket, status, { error: http.STATUS_CODES[status] ?? 'Error' }, retryAfter);
			return;
		}
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const token = url.searchParams.get('access_token');
		const expires = token ? this.tokens.get(token) : undefined;
		if (expires === undefined || expires <= Date.now()) {
			this.log(`upgrade rejected 401 (token ${token ? mask(token) : 'missing'})`);
			rejectUpgrade(socket, 401, { error: 'Invalid or expired token' });
			return;
		}
		if (!this.realtimeEnabled) {
			this.log('upgrade rejected 403 (realtime disabled)');
			rejectUpgrade(socket, 403, { error: 'Realtime API is only available on the Enterprise plan' });
			return;
		}
		this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, socket));
	}

	private onConnection(ws: WebSocket, socket: Duplex): void {
		const id = this.nextConnId++;
		const rec: ConnectionRecord = { id, openedAt: Date.now() };
		this.connections.push(rec);
		const c: Conn = { id, ws, socket, rec, subscribed: false, blackholed: false, queue: [], qHead: 0, inFlight: 0 };
		this.conns.set(id, c);
		ws.on('message', (data, isBinary) => this.onClientFrame(c, data, isBinary));
		ws.on('error', (err) => this.log(`socket #${id} error: ${err.message}`));
		ws.on('close', (code, reason) => {
			rec.closedAt = Date.now();
			rec.closeCode = code;
			rec.closeReason = reason.toString('utf8');
			this.clearConnTimers(c);
			c.queue = [];
			c.qHead = 0;
			this.conns.delete(id);
			this.log(`socket #${id} closed ${code}${rec.closeReason ? ` ${rec.closeReason}` : ''}`);
		});
		this.log(`socket #${id} open`);
		if (this.blackholeMode) this.silence(c);
	}

	private onClientFrame(c: Conn, data: RawData, isBinary: boolean): void {
		if (c.blackholed) return;
		const raw = rawToBuffer(data).toString('utf8');
		this.clientFrames.push({ connectionId: c.id, raw, binary: isBinary });
		let msg: unknown;
		try {
			msg = JSON.parse(raw);
		} catch {
			this.log(`socket #${c.id}: ignored a frame that is not JSON`);
			return;
		}
		if (isObject(msg) && msg.action === 'subscribe') this.onSubscribe(c, msg);
		else this.log(`socket #${c.id}: ignored a frame without a known action`);
	}

	private onSubscribe(c: Conn, msg: Record<string, unknown>): void {
		const channel = typeof msg.channel === 'string' ? msg.channel : String(msg.channel ?? '');
		const lastCursor = typeof msg.lastCursor === 'string' && msg.lastCursor !== '' ? msg.lastCursor : undefined;
		const rec: SubscribeRecord = { connectionId: c.id, channel, at: Date.now() };
		if (lastCursor !== undefined) rec.lastCursor = lastCursor;
		this.subscribes.push(rec);
		if (channel !== this.teamId) {
			this.log(`socket #${c.id}: subscribe to a forbidden channel`);
			c.ws.close(4003, 'forbidden channel');
			return;
		}
		c.subscribed = true;
		if (!c.heartbeat && this.heartbeatMs > 0) {
			c.heartbeat = setInterval(() => {
				const text = JSON.stringify({ type: 'heartbeat', timestamp: Date.now() });
				this.enqueue(c, { data: text, binary: false, bytes: text.length });
			}, this.heartbeatMs);
		}
		let replayed = 0;
		for (let i = 0; i < this.stored.length; i++) {
			const ev = this.stored[i];
			const afterCursor = this.replayBehaviour === 'all' && lastCursor !== undefined && ev.cursor > lastCursor;
			if (!this.acked.has(ev.id) || afterCursor) {
				this.enqueue(c, { data: this.frames[i], binary: false, bytes: this.frames[i].length, eventId: ev.id });
				replayed++;
			}
		}
		this.log(`socket #${c.id}: subscribed${lastCursor ? ` from ${lastCursor}` : ''}, replaying ${replayed} event(s)`);
	}

	private broadcastFrame(frame: Buffer, eventId: string): void {
		for (const c of this.conns.values()) {
			if (c.subscribed) this.enqueue(c, { data: frame, binary: false, bytes: frame.length, eventId });
		}
	}

	private enqueue(c: Conn, f: OutFrame): void {
		if (c.blackholed || c.ws.readyState !== WebSocket.OPEN) return;
		c.queue.push(f);
		this.pump(c);
	}

	/** Hands queued frames to the socket while less than HIGH_WATER_BYTES are unwritten. */
	private pump(c: Conn): void {
		while (c.qHead < c.queue.length && c.inFlight < HIGH_WATER_BYTES) {
			if (c.blackholed || c.ws.readyState !== WebSocket.OPEN) {
				c.queue = [];
				c.qHead = 0;
				return;
			}
			const f = c.queue[c.qHead++];
			c.inFlight += f.bytes;
			if (f.eventId !== undefined) this.sent.push({ connectionId: c.id, eventId: f.eventId, at: Date.now() });
			c.ws.send(f.data, { binary: f.binary }, () => {
				c.inFlight -= f.bytes;
				this.pump(c);
			});
		}
		if (c.qHead === c.queue.length) {
			c.queue = [];
			c.qHead = 0;
		} else if (c.qHead > 4096) {
			c.queue = c.queue.slice(c.qHead);
			c.qHead = 0;
		}
	}

	/** Makes a socket a dead peer: stop writing, and read-and-discard its bytes so ws never parses them. */
	private silence(c: Conn): void {
		if (c.blackholed) return;
		c.blackholed = true;
		c.rec.blackholed = true;
		this.clearConnTimers(c);
		c.queue = [];
		c.qHead = 0;
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

	// ---------------------------------------------------------------- HTTP

	private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const path = url.pathname.replace(/\/+$/, '') || '/';
		const method = req.method ?? 'GET';
		if (path === '/v4/oauth2/token' && method === 'POST') return this.handleToken(req, res);
		if (path === '/api/v1/events/ack' && method === 'POST') return this.handleAck(req, res);
		if (await this.rest.handle(req, res, url, path, method)) return;
		if (path.startsWith('/__sim/')) {
			let body: unknown;
			if (method === 'POST') {
				const raw = await this.readBodyOr413(req, res, this.maxControlBodyBytes);
				if (!raw) return;
				body = raw.length ? parseJson(raw) : {};
				if (body === undefined) return sendJson(res, 400, { error: 'Body is not valid JSON' });
			}
			return handleControl(this, path, method, body, res);
		}
		req.resume();
		sendJson(res, 404, { error: 'Not found' });
	}

	/** Reads a body; on overflow answers 413 and returns undefined. */
	private async readBodyOr413(req: http.IncomingMessage, res: http.ServerResponse, limit: number): Promise<Buffer | undefined> {
		try {
			return await readBody(req, limit);
		} catch (err) {
			if (err instanceof BodyTooLarge) {
				sendJson(res, 413, { error: `Request body larger than ${limit} bytes` }, { connection: 'close' });
				return undefined;
			}
			throw err;
		}
	}

	private keyState(req: http.IncomingMessage): { ok: boolean; key?: string; status: number; error: string } {
		const header = req.headers['x-api-key'];
		const key = Array.isArray(header) ? header[0] : header;
		if (!key) return { ok: false, status: 401, error: 'Invalid API key' };
		if (this.revoked.has(key)) return { ok: false, key, status: 403, error: 'API key revoked' };
		if (!this.apiKeys.has(key)) return { ok: false, key, status: 401, error: 'Invalid API key' };
		return { ok: true, key, status: 200, error: '' };
	}

	private async handleToken(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const key = this.keyState(req);
		const rec: TokenRequestRecord = { apiKeyOk: key.ok, status: 0, at: Date.now() };
		this.tokenRequests.push(rec);
		if (!(await this.readBodyOr413(req, res, this.maxBodyBytes))) {
			rec.status = 413;
			return;
		}
		if (this.stallTokens) {
			const s: StalledToken = { res, rec };
			this.stalledTokens.add(s);
			res.once('close', () => this.stalledTokens.delete(s));
			this.log('token request stalled');
			return;
		}
		if (this.tokenFail.remaining > 0) {
			this.tokenFail.remaining--;
			const { status, retryAfterSeconds } = this.tokenFail;
			rec.status = status;
			const headers: Record<string, string> = retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {};
			this.log(`token request failed on purpose (${status})`);
			return sendJson(res, status, { error: http.STATUS_CODES[status] ?? 'Error' }, headers);
		}
		if (!key.ok) {
			rec.status = key.status;
			this.log(`token refused ${key.status} (key ${key.key ? mask(key.key) : 'missing'})`);
			return sendJson(res, key.status, { error: key.error });
		}
		const now = Date.now();
		if (this.tokens.size > 10000) for (const [t, exp] of this.tokens) if (exp <= now) this.tokens.delete(t);
		const token = randomBytes(24).toString('base64url');
		this.tokens.set(token, now + this.tokenTtlMs);
		rec.status = 200;
		this.log(`token issued ${mask(token)} for key ${mask(key.key ?? '')}`);
		sendJson(res, 200, { access_token: token, team_id: this.teamId });
	}

	private releaseStalledTokens(): void {
		for (const s of this.stalledTokens) {
			s.rec.status = 503;
			sendJson(s.res, 503, { error: 'Service Unavailable' });
		}
		this.stalledTokens.clear();
	}

	private async handleAck(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const raw = await this.readBodyOr413(req, res, this.maxBodyBytes);
		const at = Date.now();
		if (!raw) {
			this.acks.push({ id: '', status: 413, duplicate: false, at });
			return;
		}
		const body = parseJson(raw);
		const id = isObject(body) && typeof body.id === 'string' ? body.id : '';
		if (this.ackStall > 0) {
			this.ackStall--;
			this.acks.push({ id, status: 0, duplicate: false, at });
			return;
		}
		if (this.ackFail.remaining > 0) {
			this.ackFail.remaining--;
			this.acks.push({ id, status: this.ackFail.status, duplicate: false, at });
			return sendJson(res, this.ackFail.status, { error: http.STATUS_CODES[this.ackFail.status] ?? 'Error' });
		}
		if (id === '') {
			this.acks.push({ id, status: 400, duplicate: false, at });
			return sendJson(res, 400, { error: 'Body must be {"id": "<event id>"}' });
		}
		if (!this.knownIds.has(id)) {
			this.acks.push({ id, status: 404, duplicate: false, at });
			this.log(`ack of unknown event ${id}`);
			return sendJson(res, 404, { error: 'Event not found' });
		}
		const duplicate = this.acked.has(id);
		this.acked.add(id);
		this.acks.push({ id, status: 200, duplicate, at });
		if (duplicate) this.log(`duplicate ack ${id}`);
		sendJson(res, 200, { success: true });
	}

	private log(line: string): void {
		this.logFn?.(line);
	}
}

function spread(ms: number[]): Spread {
	const sorted = [...ms].sort((a, b) => a - b);
	const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
	const r = (v: number): number => Math.round(v * 1000) / 1000;
	return { p50Ms: r(at(0.5)), p99Ms: r(at(0.99)), maxMs: r(sorted[sorted.length - 1] ?? 0) };
}

function isChange(v: unknown): v is ChangePayload {
	return isObject(v) && typeof v.id === 'string' && typeof v.workflowId === 'string';
}

function countDiff(p: ChangePayload, type: string): number {
	return Array.isArray(p.differences) ? p.differences.filter((d) => d.type === type).length : 0;
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
	const out: Partial<T> = {};
	for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
	return out;
}
