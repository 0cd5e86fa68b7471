// Kadoa simulator: a real HTTP + WebSocket server on 127.0.0.1 speaking the Kadoa realtime
// protocol (see /work/shared/kadoa-protocol.md), with records of everything on the wire and
// fault injection. One port serves the public API, the realtime host and a control API.
//
// KadoaSimulator is the facade (its public API is what tests, benchmarks and the CLI use): it
// wires and delegates to its parts (README "Layout"): the HTTP server, the event store, the
// publishers, the realtime hub and its upgrade gate, the token and ack endpoints, the keys and
// tokens, the records and the REST API.
import { type ChangePayload, type SimWorkflow, sampleWorkflows } from './fixtures';
import { mask } from './http-util';
import { handleControl } from './control';
import { RestApi } from './rest';
import { Auth } from './auth';
import { EventStore } from './event-store';
import { SimHttpServer } from './http-server';
import { PacedPublisher } from './paced';
import { PublicApi } from './public-api';
import { Publisher } from './publisher';
import { RealtimeHub } from './realtime';
import { SimRecords } from './records';
import { UpgradeGate } from './upgrade';
import type { AckRecord, BurstResult, BurstSpec, ClientFrameRecord, ConnectionRecord, DataChangeSpec, PacedResult, PacedSpec } from './types';
import type { PublishedEvent, PublishSpec, ReplayBehaviour, SentRecord, SimState, SimulatorOptions, SubscribeRecord, TokenRequestRecord } from './types';

// Importers keep using './simulator' for the types too.
export * from './types';

const MB = 1024 * 1024;

export class KadoaSimulator {
	private readonly records = new SimRecords();

	// ---- records, for assertions on the wire (arrays keep their identity across resets) ----
	/** Every token request (the key itself is never stored). */
	readonly tokenRequests: TokenRequestRecord[] = this.records.tokenRequests;
	/** Every subscribe frame, valid or not. */
	readonly subscribes: SubscribeRecord[] = this.records.subscribes;
	/** Every ack request, including failed ones. */
	readonly acks: AckRecord[] = this.records.acks;
	/** Every event frame handed to a socket. */
	readonly sent: SentRecord[] = this.records.sent;
	/** Every accepted socket. */
	readonly connections: ConnectionRecord[] = this.records.connections;
	/** Every frame received from clients (subscribes, garbage, unknown actions), except on black-holed sockets. */
	readonly clientFrames: ClientFrameRecord[] = this.records.clientFrames;

	/** Upgrade requests seen, counting rejected and stalled ones. */
	get connectionAttempts(): number {
		return this.records.connectionAttempts;
	}
	set connectionAttempts(n: number) {
		this.records.connectionAttempts = n;
	}

	/** TCP connections accepted since start (HTTP keep-alive reuse shows as few). */
	get tcpConnections(): number {
		return this.records.tcpConnections;
	}
	set tcpConnections(n: number) {
		this.records.tcpConnections = n;
	}

	/** Port (fixed after the first start; `restart` reuses it). */
	port = 0;
	/** What a subscribe with `lastCursor` replays; settable between tests (see `SimulatorOptions.replay`). */
	replayBehaviour: ReplayBehaviour;
	/** Kadoa's REST API: workflows, data, changes, schemas, notifications (test/simulator/rest/). */
	readonly rest: RestApi;

	private readonly teamId: string;
	private readonly logFn?: (line: string) => void;
	private workflows: SimWorkflow[];
	private readonly http: SimHttpServer;

	private readonly store = new EventStore();
	private readonly auth: Auth;
	private readonly hub: RealtimeHub;
	private readonly gate: UpgradeGate;
	private readonly publicApi: PublicApi;
	private readonly publisher: Publisher;
	private readonly paced: PacedPublisher;

	private constructor(opts: SimulatorOptions) {
		this.port = opts.port ?? 0;
		this.teamId = opts.teamId ?? 'team-1';
		this.workflows = opts.workflows ?? sampleWorkflows();
		this.logFn = opts.log;
		this.replayBehaviour = opts.replay ?? (process.env.KADOA_SIM_REPLAY === 'unacked' ? 'unacked' : 'all');

		const { store, records } = this;
		const log = (line: string): void => this.log(line);
		this.auth = new Auth(opts.apiKeys ?? ['test-api-key'], opts.tokenTtlMs ?? 3600_000);
		this.hub = new RealtimeHub({
			store,
			records,
			teamId: this.teamId,
			heartbeatMs: opts.heartbeatMs ?? 15000,
			replay: () => this.replayBehaviour,
			log,
		});
		const broadcast = (frame: Buffer, eventId: string): void => this.hub.broadcast(frame, eventId);
		this.gate = new UpgradeGate(
			{
				auth: this.auth,
				records,
				listening: () => this.http.listening,
				accept: (req, socket, head) => this.hub.accept(req, socket, head),
				log,
			},
			opts.realtimeEnabled ?? true,
		);
		this.publicApi = new PublicApi({ auth: this.auth, store, records, teamId: this.teamId, maxBodyBytes: opts.maxBodyBytes ?? MB, log });
		this.publisher = new Publisher({ store, broadcast, workflows: () => this.workflows, log });
		this.paced = new PacedPublisher({ store, publisher: this.publisher, broadcast, log });
		this.rest = new RestApi({
			checkKey: (req) => this.auth.checkKey(req),
			workflows: () => this.workflows,
			setWorkflows: (list) => this.setWorkflows(list),
			changes: () => store.changes,
			publish: (spec) => this.publish(spec),
		});
		this.http = new SimHttpServer({
			publicApi: this.publicApi,
			rest: this.rest,
			gate: this.gate,
			records,
			control: (path, method, body, res) => handleControl(this, path, method, body, res),
			maxControlBodyBytes: opts.maxControlBodyBytes ?? 64 * MB,
			log,
		});
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
		return this.http.listening;
	}

	/** All stored events, in cursor order. */
	get events(): readonly PublishedEvent[] {
		return this.store.events;
	}

	/** Every access token ever issued (for tests that prove no token reaches a log). */
	issuedTokens(): string[] {
		return this.auth.issuedTokens();
	}

	/** Changes served by /v4/changes, in insertion order. */
	get storedChanges(): readonly ChangePayload[] {
		return this.store.changes;
	}

	// ---------------------------------------------------------------- lifecycle

	private async listen(): Promise<void> {
		this.port = await this.http.listen(this.port);
		this.log(`listening on ${this.apiUrl}`);
	}

	/** Kill: closes the listening server, terminates every socket and clears every timer. */
	async stop(): Promise<void> {
		const stopped = await this.http.close(() => {
			this.hub.clearTimers();
			this.paced.endAll();
			this.publicApi.releaseStalledTokens();
			this.gate.destroyStalled();
			this.hub.terminateAll();
		});
		if (!stopped) return;
		this.hub.forgetAll();
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
		return this.publisher.publish(spec);
	}

	/** Publishes a `workflow_data_change` built from the fixtures; also recorded as a change for /v4/changes. */
	publishDataChange(partial: DataChangeSpec = {}): PublishedEvent {
		return this.publisher.publishDataChange(partial);
	}

	/** Publishes `count` events back to back (frames serialised once each, sends paced by back-pressure). */
	publishBurst(spec: BurstSpec): BurstResult {
		return this.publisher.publishBurst(spec);
	}

	/**
	 * Publishes `count` burst-like events at `ratePerSec` from the simulator's own loop, on a schedule
	 * fixed at the start (event i is due at start + i / rate: no drift). Each pass sends every event
	 * that is due, so a late pass catches up at once. Resolves when all are sent, or when `stop()` ends it.
	 */
	publishPaced(spec: PacedSpec): Promise<PacedResult> {
		return this.paced.run(spec);
	}

	/** Ids of stored events not acknowledged, in cursor order, without duplicates. */
	unackedIds(): string[] {
		return this.store.unackedIds();
	}

	/** True once the event id was acknowledged successfully. */
	isAcked(id: string): boolean {
		return this.store.isAcked(id);
	}

	/** Adds a change to /v4/changes without publishing an event. */
	addChange(change: ChangePayload): void {
		this.store.changes.push(change);
	}

	/** Replaces the workflows of /v4/workflows. */
	setWorkflows(workflows: SimWorkflow[]): void {
		this.workflows = workflows;
	}

	// ---------------------------------------------------------------- records

	/** Number of sockets open right now (black-holed ones included). */
	openSocketCount(): number {
		return this.hub.openCount;
	}

	/** Counts for the control API and for logs. */
	state(): SimState {
		const { records, store } = this;
		return {
			running: this.running,
			port: this.port,
			events: store.events.length,
			lastCursor: store.events[store.events.length - 1]?.cursor,
			acks: records.acks.length,
			ackedIds: store.ackedCount,
			duplicateAcks: records.acks.filter((a) => a.duplicate).length,
			failedAcks: records.acks.filter((a) => a.status !== 200).length,
			unacked: store.unackedIds().length,
			subscribes: [...records.subscribes],
			openSockets: this.openSocketCount(),
			connections: records.connections.length,
			connectionAttempts: records.connectionAttempts,
			tokenRequests: records.tokenRequests.length,
			tokenRequestsOk: records.tokenRequests.filter((t) => t.status === 200).length,
			sent: records.sent.length,
			clientFrames: records.clientFrames.length,
			changes: store.changes.length,
			blackhole: this.hub.blackholeMode,
			realtimeEnabled: this.gate.realtimeEnabled,
		};
	}

	/** Clears the records (closed connections too; open ones stay listed); with `events`, also events, acks and changes. */
	resetRecords(opts: { events?: boolean } = {}): void {
		this.records.reset();
		if (opts.events) this.store.clear();
	}

	// ---------------------------------------------------------------- faults

	/** The next `n` token requests fail with `status` (and a Retry-After header when given). */
	failTokenRequests(n: number, status = 503, retryAfterSeconds?: number): void {
		this.publicApi.tokenFaults.arm(n, { status, retryAfterSeconds });
	}

	/** The next `n` socket upgrades are refused with `status` (and Retry-After: seconds or an HTTP date, when given). */
	failUpgrades(n: number, status = 429, retryAfter?: number | string): void {
		this.gate.refusals.arm(n, { status, retryAfter: retryAfter === undefined ? undefined : String(retryAfter) });
	}

	/** While on, token requests hang unanswered; off (or stop) answers them 503. */
	stallTokenRequests(on: boolean): void {
		this.publicApi.setTokenStall(on);
	}

	/** While on, upgrade requests hang; off resumes the held ones if their client is still there. */
	stallHandshakes(on: boolean): void {
		this.gate.setStall(on);
	}

	/** Replaces the valid API keys (and un-revokes them). */
	setApiKeys(keys: string[]): void {
		this.auth.setApiKeys(keys);
	}

	/** Revokes a key: its token requests get 403 (tokens already issued stay valid until they expire). */
	revokeKey(key: string): void {
		this.auth.revokeKey(key);
		this.log(`key ${mask(key)} revoked`);
	}

	/** Turns the Enterprise realtime feature on or off (off: upgrades get 403). */
	setRealtimeEnabled(on: boolean): void {
		this.gate.realtimeEnabled = on;
	}

	/** The next `n` ack requests fail with `status` (not recorded as acked). */
	failAcks(n: number, status = 500): void {
		this.publicApi.ackFaults.arm(n, status);
	}

	/** The next `n` ack requests are never answered (recorded with status 0; closed at stop). */
	stallAcks(n: number): void {
		this.publicApi.ackStalls.arm(n, true);
	}

	/**
	 * Black hole (a dead NAT): every open socket goes silent for good (no heartbeats, no events,
	 * incoming frames and pings unread, TCP left open), and so do sockets accepted while it is on;
	 * `{ existingOnly: true }` spares new sockets. `blackhole(false)`: new sockets behave normally.
	 * The simulator still notices when a client closes the TCP connection of a silent socket.
	 */
	blackhole(on = true, opts: { existingOnly?: boolean } = {}): void {
		this.hub.blackhole(on, opts.existingOnly === true);
		this.log(`blackhole ${on ? (opts.existingOnly ? 'on (existing sockets)' : 'on') : 'off'}`);
	}

	/** Terminates every socket abruptly (no close frame). */
	dropAll(): void {
		this.hub.dropAll();
		this.log('dropped all sockets');
	}

	/** Closes every (non-black-holed) socket with a close frame. */
	closeAll(code = 1001, reason = 'going away'): void {
		this.hub.closeAll(code, reason);
		this.log(`closed all sockets (${code})`);
	}

	/**
	 * Sends `control.draining` to every open socket (they keep receiving live events), then closes
	 * those sockets with 1001 after `closeAfterMs`; null never closes them (the client must).
	 */
	drain(opts: { retryAfterMs?: number; closeAfterMs?: number | null } = {}): void {
		this.hub.drain(opts.retryAfterMs ?? 1000, opts.closeAfterMs === undefined ? 5000 : opts.closeAfterMs);
	}

	/** Sends raw data to every subscribed socket: a string as a text frame, a Buffer as a binary frame. */
	sendRaw(data: string | Buffer): void {
		this.hub.sendRaw(data);
	}

	/**
	 * Sends one valid-JSON `workflow_data_change` frame of about `bytes` bytes to every subscribed socket.
	 * It takes the next cursor but is not stored (no redelivery) unless `store` is true.
	 */
	sendOversized(bytes: number, opts: { store?: boolean } = {}): PublishedEvent {
		return this.publisher.sendOversized(bytes, opts);
	}

	private log(line: string): void {
		this.logFn?.(line);
	}
}
