/**
 * One realtime connection per Kadoa team per n8n process, shared by every active Kadoa Trigger
 * that uses it: one socket, one token exchange per connection, each frame received and judged
 * once, and one acknowledgement per event when every trigger that accepts it has settled it
 * (see ledger.ts: Kadoa's acknowledgement is team-wide).
 *
 * - Replay per connection, resume per trigger: each trigger keeps its own ids and cursor; the
 *   connection subscribes from the oldest cursor a registered trigger still needs. A trigger
 *   that joins later with an older cursor, or that accepts events held for it, gets a
 *   replacement connection (Kadoa redelivers unacknowledged events and replays from the
 *   cursor); the others recognise what they already have.
 * - A trigger that leaves (deactivation, or the first half of a re-save) stays as a "ghost"
 *   for the hold time: events it would accept are not acknowledged meanwhile, so that the
 *   re-saved trigger still gets them.
 * - At n8n's start-up, acknowledgements wait until no trigger has registered for the hold time:
 *   triggers registering one after another must not lose an event to a neighbour that
 *   registered first, however many there are. Replays asked for meanwhile are gathered into
 *   fewer replacement connections (nothing is acknowledged in that window, so later loses
 *   nothing).
 */
import { createHash } from 'node:crypto';

import { RealtimeClient, type ClientLogger } from '../realtime/client';
import type { KadoaEndpoints } from '../realtime/endpoints';
import { KadoaError } from '../realtime/errors';
import type { KadoaEvent } from '../realtime/protocol';
import { Acknowledger } from './acknowledger';
import { accepts, type EventFilter } from './filter';
import { AckLedger } from './ledger';
import { compareCursors } from './resume';
import type { TriggerMember } from './member';

/**
 * Acknowledgements queued or in flight at which reading pauses, and at which it resumes.
 * Events then wait at Kadoa, not in memory. 32 keeps the 8 concurrent ack requests busy.
 */
export const ACK_HIGH_WATER = 32;
export const ACK_LOW_WATER = 8;
/** How long close waits for acknowledgements already decided (an ack not sent is not lost). */
export const ACK_FLUSH_MS = 2_000;
/**
 * How long events that no registered trigger accepts are held, how long a re-saved trigger
 * counts as still there, and how long n8n's start-up goes on after its latest Kadoa Trigger
 * registration. Measured in real n8n (BENCHMARKS.md, "Start-up and re-save timings"): a re-save
 * re-registers within 0.71 s; at start-up two registrations came at most 5.9 s apart, while the
 * whole start-up took up to 77 s for 100 workflows on a busy 2.x host, which is why the start-up
 * window slides. A minute is ten times the worst gap. A user option, since only the user knows
 * their n8n.
 */
export const DEFAULT_HOLD_MS = 60_000;
/** Joins are gathered for this long before a replacement connection is opened for them. */
const REFRESH_DEBOUNCE_MS = 300;
const REFRESH_MAX_WAIT_MS = 3_000;
/**
 * During n8n's start-up: registrations come 0.1-2 s apart for a minute or more on 2.x, each
 * asking for a replay, and 100 workflows cost up to 71 replacement connections when each was
 * given its own. Gathered for longer, they cost about one per 10 s of start-up.
 */
const STARTUP_REFRESH_DEBOUNCE_MS = 2_000;
const STARTUP_REFRESH_MAX_WAIT_MS = 10_000;
/** The start-up window stops sliding after this, should n8n keep re-activating a workflow. */
const MAX_STARTUP_WINDOW_MS = 30 * 60_000;
/** The retry delay doubles while runs keep failing, up to this. */
const MAX_RETRY_DELAY_MS = 60 * 60_000;

export interface ConnectionSettings {
	endpoints: KadoaEndpoints;
	apiKey: string;
}

export interface JoinOptions {
	/** The liveness timeout this trigger asks for (the connection uses the shortest). */
	heartbeatTimeoutMs: number;
	/** The hold this trigger asks for (the connection uses the longest). */
	holdMs: number;
	/** First delay before events left to run again are fetched again (the connection uses the shortest). */
	retryDelayMs: number;
	/** Reject when the first connection fails for a reason that may pass (a person is waiting). */
	failFast: boolean;
	/** n8n is starting (or a leader took over): hold acknowledgements while triggers register. */
	startup: boolean;
	/** The connection cannot go on (key revoked): the trigger reports it to n8n. */
	onFatal: (error: KadoaError) => void;
	logger: ClientLogger;
}

const registry = new Map<string, TeamConnection>();

/** The shared connection for these credentials, created on first use. */
export function teamConnection(settings: ConnectionSettings): TeamConnection {
	const key = connectionKey(settings);
	let connection = registry.get(key);
	if (!connection || connection.isClosed) {
		connection = new TeamConnection(settings, () => {
			if (registry.get(key) === connection) registry.delete(key);
		});
		registry.set(key, connection);
	}
	return connection;
}

/** A private connection for a manual test run: never shared, never acknowledges. */
export function manualConnection(settings: ConnectionSettings): TeamConnection {
	return new TeamConnection(settings, () => undefined, false);
}

/** Shared connections open in this process (for tests and benchmarks). */
export function openTeamConnections(): number {
	return registry.size;
}

/** The team is what the key and the endpoints reach; the key itself is never kept as text. */
function connectionKey(settings: ConnectionSettings): string {
	const { apiBase, tokenUrl, socketUrl, ackUrl } = settings.endpoints;
	return createHash('sha256').update([settings.apiKey, apiBase, tokenUrl, socketUrl, ackUrl].join('\n')).digest('hex');
}

interface Ghost {
	filter: EventFilter;
	timer: NodeJS.Timeout;
}

export class TeamConnection {
	private readonly members = new Map<string, TriggerMember>();
	private readonly joined = new Map<string, JoinOptions>();
	private readonly ghosts = new Map<string, Ghost>();
	private readonly client: RealtimeClient;
	private readonly acknowledger?: Acknowledger;
	private readonly ledger: AckLedger;
	private logger: ClientLogger;
	private started?: Promise<void>;
	private closing?: Promise<void>;
	private acksPaused = false;
	/** The connection's replay position: the subscribe cursor, then the newest event's. */
	private position: string | undefined;
	/** n8n's start-up window (ms since epoch): opened and moved on by start-up registrations. */
	private startupFrom = 0;
	private startupUntil = 0;
	private refreshTimer?: NodeJS.Timeout;
	private refreshFirstAsked = 0;
	private retryTimer?: NodeJS.Timeout;
	/** The connection of the latest subscribe. */
	private connectionSerial = 0;
	/** Delay of the next retry; undefined = the triggers' own (shortest) delay. */
	private nextRetryDelayMs?: number;

	constructor(
		settings: ConnectionSettings,
		private readonly onClosed: () => void,
		private readonly acknowledges = true,
	) {
		this.logger = silentLogger;
		const logger: ClientLogger = {
			debug: (message, meta) => this.logger.debug(message, meta),
			info: (message, meta) => this.logger.info(message, meta),
			warn: (message, meta) => this.logger.warn(message, meta),
			error: (message, meta) => this.logger.error(message, meta),
		};
		this.acknowledger = acknowledges
			? new Acknowledger({
					ackUrl: settings.endpoints.ackUrl,
					logger,
					highWater: ACK_HIGH_WATER,
					lowWater: ACK_LOW_WATER,
					onPressure: (on) => {
						this.acksPaused = on;
						this.applyFlow();
					},
					onAcknowledged: (id) => {
						for (const member of this.members.values()) member.options.state.confirmed(id);
					},
				})
			: undefined;
		this.ledger = new AckLedger({ ack: (id) => this.acknowledger?.ack(id) });
		this.client = new RealtimeClient({
			endpoints: settings.endpoints,
			apiKey: settings.apiKey,
			logger,
			getCursor: (connection) => this.subscribeCursor(connection),
			onEvent: (event) => this.onEvent(event),
			skipEvent: (header, bytes) => !this.anyoneWants(header.type, header.workflowId, header.id, header.cursor, bytes),
			onFatal: (error) => this.onFatal(error),
		});
	}

	get isClosed(): boolean {
		return this.closing !== undefined;
	}

	get memberCount(): number {
		return this.members.size;
	}

	/** Sockets open (two only while a replacement takes over). */
	get openSockets(): number {
		return this.client.openSockets;
	}

	/** Events waiting for their acknowledgement to be decided. */
	get undecided(): number {
		return this.ledger.size;
	}

	/**
	 * Registers a trigger. The first one opens the connection; the promise settles once the
	 * first attempt is over (rejecting on a refused key, no realtime access or a wrong URL, and
	 * on any failure with `failFast`).
	 */
	async join(member: TriggerMember, options: JoinOptions): Promise<void> {
		if (this.isClosed) throw new Error('TeamConnection.join() after close');
		const key = member.key;
		const ghost = this.ghosts.get(key);
		if (ghost) {
			clearTimeout(ghost.timer);
			this.ghosts.delete(key);
		}
		if (this.members.size === 0) this.logger = options.logger;
		this.members.set(key, member);
		this.joined.set(key, options);
		member.link = {
			claim: (id) => this.ledger.claim(id, key),
			settle: (id, acknowledge) => {
				this.ledger.settle(id, key, acknowledge);
				if (!acknowledge) this.scheduleRetry();
			},
			flow: () => this.applyFlow(),
		};
		this.client.setHeartbeatTimeout(this.heartbeatTimeoutMs);
		// Events held for a ghost of this trigger that it no longer accepts are not its business.
		for (const entry of this.ledger.waitingFor(key)) {
			if (!member.accepts(entry.type, entry.workflowId)) this.ledger.settle(entry.id, key, true);
		}

		if (options.startup) this.extendStartup();

		if (!this.started) {
			// The first subscribe covers every trigger registered by then.
			this.started = this.client.start(false);
		} else if (this.needsReplay(member)) {
			// Events it accepts that are still unacknowledged stay so until it has seen them
			// again: the replacement connection may come after their hold.
			this.ledger.awaitMember(key, (entry) => member.accepts(entry.type, entry.workflowId));
			options.logger.debug(`Kadoa: joined the team connection; a replacement connection will bring what it still needs (its cursor ${member.cursor ?? 'none'}, the connection's ${this.position ?? 'none'})`);
			this.requestRefresh();
		} else {
			options.logger.debug(`Kadoa: joined the team connection at cursor ${member.cursor ?? 'none'}`);
			member.tracker.activate(this.connectionSerial);
		}
		let failure: unknown;
		try {
			await this.started;
			if (options.failFast && this.client.connectionState !== 'connected') {
				failure = this.client.lastError ?? new KadoaError('transient', 'Kadoa realtime is not connected');
			}
		} catch (error) {
			// Refused key, no realtime access, wrong URL: the client has closed itself.
			failure = error;
		}
		if (failure === undefined) return;
		this.remove(member);
		// Not registered after all: what waited for it (held for its ghost, or awaited since it
		// joined) waits no longer, as if it had never come.
		this.ledger.settleAll(key, true);
		if (this.members.size === 0 || this.client.connectionState === 'closed') await this.close();
		throw failure;
	}

	/**
	 * Unregisters a trigger. Its unsettled events stay unacknowledged (they come back); events it
	 * would accept are held for the hold time in case it comes back (a re-save). The last one to
	 * leave closes the connection.
	 */
	async leave(member: TriggerMember): Promise<void> {
		if (this.members.get(member.key) !== member) return;
		this.remove(member);
		if (this.members.size === 0) {
			await this.close();
			return;
		}
		const key = member.key;
		const timer = setTimeout(() => {
			this.ghosts.delete(key);
			// Not back within the hold: what it would have accepted is not held for it any more.
			this.ledger.settleAll(key, true);
		}, this.holdMs);
		this.ghosts.set(key, { filter: member.filter, timer });
	}

	private remove(member: TriggerMember): void {
		const key = member.key;
		if (this.members.get(key) !== member) return;
		this.members.delete(key);
		this.joined.delete(key);
		for (const id of member.unsettled) this.ledger.settle(id, key, false);
		member.link = { claim: noop, settle: noop, flow: noop };
		if (this.members.size > 0) {
			this.logger = [...this.members.values()][0].options.logger;
			this.client.setHeartbeatTimeout(this.heartbeatTimeoutMs);
		}
		this.applyFlow();
	}

	/** Bounded, idempotent; leaves no socket and no timer. */
	close(): Promise<void> {
		this.closing ??= (async () => {
			this.onClosed();
			clearTimeout(this.refreshTimer);
			clearTimeout(this.retryTimer);
			for (const ghost of this.ghosts.values()) clearTimeout(ghost.timer);
			this.ghosts.clear();
			this.ledger.close();
			await Promise.all([this.client.close(), this.acknowledger?.flush(ACK_FLUSH_MS)]);
			this.acknowledger?.close();
		})();
		return this.closing;
	}

	private onFatal(error: KadoaError): void {
		const joined = [...this.joined.values()];
		void this.close();
		for (const options of joined) options.onFatal(error);
	}

	/**
	 * A trigger needs a replacement connection when events it must see were held or left
	 * unacknowledged before it joined, when it has runs to repeat, or when its cursor is behind
	 * the connection's. Until that subscribe its cursor does not move.
	 */
	private needsReplay(member: TriggerMember): boolean {
		if (member.options.state.hasUnfinished) return true;
		if (this.ledger.waitingFor(member.key).length > 0) return true;
		// Including those its previous activation left unsettled (a re-save while they ran or
		// waited): Kadoa redelivers them only to a new connection.
		if (this.ledger.unacknowledged((entry) => member.accepts(entry.type, entry.workflowId)).length > 0) return true;
		const cursor = member.cursor;
		if (cursor === undefined) return false;
		return this.position === undefined || compareCursors(cursor, this.position) < 0;
	}

	/**
	 * Kadoa redelivers unacknowledged events only to a new connection. Events left to run again
	 * (a failed run in `executionSucceeded` mode, a start n8n refused, no outcome in time) are
	 * therefore fetched again on a replacement connection after the retry delay, doubling while
	 * they keep failing: the user fixes the workflow and the event runs, with nobody reconnecting
	 * by hand (on n8n 2.x a save that leaves the trigger unchanged does not restart it).
	 */
	private scheduleRetry(): void {
		if (this.retryTimer || this.isClosed) return;
		const delay = this.nextRetryDelayMs ?? this.retryDelayMs;
		this.retryTimer = setTimeout(() => {
			this.retryTimer = undefined;
			const pending = [...this.members.values()].some((member) => member.options.state.hasUnfinished);
			if (!pending) {
				this.nextRetryDelayMs = undefined;
				return;
			}
			this.nextRetryDelayMs = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
			this.logger.info(`Kadoa: fetching events left to run again (next retry in ${Math.round(this.nextRetryDelayMs / 1000)} s if they fail again)`);
			if (this.client.connectionState === 'connected') this.client.refresh('Kadoa redelivers events left to run again only to a new connection');
			this.scheduleRetry();
		}, delay);
	}

	private get retryDelayMs(): number {
		return Math.min(MAX_RETRY_DELAY_MS, ...[...this.joined.values()].map((options) => options.retryDelayMs));
	}

	/**
	 * n8n activates its workflows one after another at start-up (2.x five at a time, up to 0.8 s
	 * each on a busy host). Each start-up registration keeps every acknowledgement waiting for
	 * one more hold, so the hold has to cover the longest gap between two registrations, not the
	 * whole start-up.
	 */
	private extendStartup(): void {
		const now = Date.now();
		if (now >= this.startupUntil) {
			this.startupFrom = now;
			this.logger.debug(`Kadoa: n8n is starting; acknowledgements wait until no Kadoa Trigger has registered for ${Math.round(this.holdMs / 1000)} s`);
		}
		const limit = this.startupFrom + Math.max(this.holdMs, MAX_STARTUP_WINDOW_MS);
		this.startupUntil = Math.max(this.startupUntil, Math.min(now + this.holdMs, limit));
		this.ledger.holdUntil(this.startupUntil);
	}

	private requestRefresh(): void {
		const now = Date.now();
		if (!this.refreshTimer) this.refreshFirstAsked = now;
		clearTimeout(this.refreshTimer);
		const starting = now < this.startupUntil;
		const debounce = starting ? STARTUP_REFRESH_DEBOUNCE_MS : REFRESH_DEBOUNCE_MS;
		const maxWait = starting ? STARTUP_REFRESH_MAX_WAIT_MS : REFRESH_MAX_WAIT_MS;
		const delay = Math.max(0, Math.min(debounce, this.refreshFirstAsked + maxWait - now));
		this.refreshTimer = setTimeout(() => {
			this.refreshTimer = undefined;
			if (this.client.connectionState === 'connected') this.client.refresh('a trigger joined that needs events held for it or a replay from its cursor');
			// Not connected: the next (re)connect subscribes for every registered trigger anyway.
		}, delay);
	}

	/**
	 * Asked at every subscribe: the oldest cursor a registered trigger needs. From then on every
	 * registered trigger's cursor may move (it sees everything after its own cursor).
	 */
	private subscribeCursor(connection: number): string | undefined {
		this.connectionSerial = connection;
		clearTimeout(this.refreshTimer);
		this.refreshTimer = undefined;
		this.ledger.newConnection();
		let oldest: string | undefined;
		for (const member of this.members.values()) {
			member.tracker.activate(connection);
			const cursor = member.cursor;
			if (cursor !== undefined && (oldest === undefined || compareCursors(cursor, oldest) < 0)) oldest = cursor;
		}
		this.position = oldest;
		return oldest;
	}

	private get heartbeatTimeoutMs(): number {
		return Math.min(...[...this.joined.values()].map((options) => options.heartbeatTimeoutMs));
	}

	private get holdMs(): number {
		return Math.max(0, ...[...this.joined.values()].map((options) => options.holdMs));
	}

	private anyoneWants(type: string, workflowId: unknown, id: string, cursor: string | undefined, bytes: number): boolean {
		for (const member of this.members.values()) if (member.wants(type, workflowId, id, cursor, bytes)) return true;
		return false;
	}

	private onEvent(event: KadoaEvent): void {
		const { id, cursor } = event;
		if (cursor !== undefined && (this.position === undefined || compareCursors(cursor, this.position) > 0)) this.position = cursor;
		const workflowId = typeof event.payload.workflowId === 'string' ? event.payload.workflowId : undefined;
		const entry = id !== undefined && this.acknowledges ? this.openEntry(id, event.type, workflowId) : undefined;
		let handedOut = false;
		for (const member of this.members.values()) {
			const wants = id !== undefined && !event.partial && member.wants(event.type, workflowId, id, cursor, event.bytes ?? 0);
			// Each trigger builds its own items from its own copy: rows are extended in place, and
			// two executions must never share objects.
			member.offer(wants && handedOut ? structuredClone(event) : event);
			if (wants) handedOut = true;
		}
		if (entry) this.ledger.review(entry);
	}

	private openEntry(id: string, type: string, workflowId: string | undefined) {
		const now = Date.now();
		let claimed = false;
		for (const member of this.members.values()) if (member.accepts(type, workflowId)) claimed = true;
		const ghosts = [...this.ghosts].filter(([, ghost]) => accepts(ghost.filter, type, workflowId));
		// No registered trigger accepts it: held in case one registers (start-up, re-save).
		// (At start-up the ledger holds every entry anyway, until the window closes.)
		const notBefore = claimed || ghosts.length > 0 ? 0 : now + this.holdMs;
		if (!claimed) this.logger.debug(`Kadoa: event ${id} held: no active trigger accepts it${ghosts.length > 0 ? ' (one being re-saved may)' : ''}`, { eventId: id });
		const entry = this.ledger.open(id, type, workflowId, notBefore);
		for (const [key] of ghosts) entry.waiting.add(key);
		return entry;
	}

	private applyFlow(): void {
		let busy = this.acksPaused;
		for (const member of this.members.values()) busy ||= member.busy;
		if (busy) this.client.pause();
		else this.client.resume();
	}
}

const silentLogger: ClientLogger = { debug: noop, info: noop, warn: noop, error: noop };

function noop(): void {}
