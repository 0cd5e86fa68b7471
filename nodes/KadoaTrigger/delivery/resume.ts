/**
 * One trigger's resume state: what it has finished, what must run again, and its replay
 * cursor; kept so that neither a reconnect, a restart nor a re-save runs an event twice or
 * loses one.
 *
 * n8n saves static data only after activation and when an execution starts (at emit), and
 * may serialise it a moment later. So the static data is written in one synchronous step
 * right before each emit (`begin`, `persist`) and nowhere else: between emits it holds the
 * snapshot of the last one, which is a safe starting point for a restart whenever n8n
 * happens to serialise it (never a cursor ahead of the ids it was written with). It holds:
 * - `startedEventIds`: executions started whose outcome this trigger has not seen. After a
 *   restart they run again (prefer a second run to a lost one); n8n 2.x's de-duplication key
 *   answers for the modes that use it.
 * - `retryEventIds`: left unacknowledged on purpose (failed in `executionSucceeded`, refused
 *   by n8n): they run again when Kadoa redelivers them, whatever the cursor says.
 * - `recentEventIds`: finished, and not both confirmed by Kadoa and behind the stored cursor
 *   (only then can neither a redelivery nor a replay bring them back unrecognised).
 * - `cursor`: every event at or before it that this trigger must handle is settled, except
 *   the ids above.
 */

export interface StaticStore {
	[key: string]: unknown;
}

/**
 * How many finished ids are remembered in memory, and at most in static data. It must exceed
 * the ids not yet acknowledged (executions in flight and queued acks, both bounded by
 * back-pressure) with room to spare.
 */
export const DEFAULT_WINDOW = 500;

type Status = 'started' | 'done' | 'retry';

interface OpenId {
	status: Status;
	/** Kadoa accepted its acknowledgement. */
	confirmed: boolean;
	/** The cursor is at or past it. */
	passed: boolean;
	/** Loaded from an earlier activation. */
	loaded: boolean;
}

/** What a trigger makes of an arriving event id. */
export type Recognition =
	/** Never seen: run it. */
	| 'new'
	/** Must run again: failed or refused before, or cut off before its outcome was known. */
	| 'rerun'
	/** Finished (or behind the cursor): do not run; it may be acknowledged. */
	| 'known'
	/** Being executed right now: this is a copy (replay, drain overlap). */
	| 'inflight';

export class ResumeState {
	private readonly recent: string[] = [];
	private readonly known = new Set<string>();
	/** Persisted ids, oldest first. */
	private readonly open = new Map<string, OpenId>();
	private readonly inflight = new Set<string>();
	private cursorValue: string | undefined;
	/** Deliveries after which finished ids loaded from an earlier activation are let go. */
	private loadedLeft: number;

	constructor(
		private readonly store: StaticStore,
		readonly window = DEFAULT_WINDOW,
	) {
		const list = (key: string) => (Array.isArray(store[key]) ? (store[key] as unknown[]) : []).filter((id): id is string => typeof id === 'string');
		for (const id of list('recentEventIds').slice(-window)) {
			this.addRecent(id);
			this.open.set(id, { status: 'done', confirmed: false, passed: false, loaded: true });
		}
		for (const id of list('startedEventIds')) this.open.set(id, { status: 'started', confirmed: false, passed: false, loaded: true });
		for (const id of list('retryEventIds')) this.open.set(id, { status: 'retry', confirmed: false, passed: false, loaded: true });
		this.cursorValue = typeof store.cursor === 'string' && store.cursor !== '' ? store.cursor : undefined;
		// Unacknowledged events come back when the socket connects, and events after the cursor
		// are replayed first: a window's worth of deliveries later, a loaded id that did not come
		// back never will.
		this.loadedLeft = this.open.size > 0 ? window : 0;
		// Written by earlier versions to make n8n notice array changes; assignments do that now.
		if ('revision' in store) delete store.revision;
		this.sync();
	}

	/** Every event at or before it that this trigger must handle is settled (but the open ids). */
	get cursor(): string | undefined {
		return this.cursorValue;
	}

	/** Ids that must run again or whose outcome is unknown: the next connection brings them back. */
	get hasUnfinished(): boolean {
		for (const entry of this.open.values()) if (entry.status !== 'done' && !this.inflightOnly(entry)) return true;
		return false;
	}

	recognise(id: string, cursor: string | undefined): Recognition {
		if (this.inflight.has(id)) return 'inflight';
		const entry = this.open.get(id);
		if (entry && entry.status !== 'done') return 'rerun';
		if (entry || this.known.has(id)) return 'known';
		if (cursor !== undefined && this.cursorValue !== undefined && compareCursors(cursor, this.cursorValue) <= 0) return 'known';
		return 'new';
	}

	/** Whether this id itself is remembered (not only judged by the cursor). */
	remembers(id: string): boolean {
		return this.open.has(id) || this.known.has(id);
	}

	/** An execution is about to start: stored (with everything else) before the emit, when n8n saves it. */
	begin(id: string, finishedAtEmit = false): void {
		if (finishedAtEmit) {
			// Acknowledged when emitted: finished from the emit on, never run again.
			this.addRecent(id);
			this.setOpen(id, 'done');
		} else {
			this.inflight.add(id);
			this.setOpen(id, 'started');
		}
		this.countDelivery();
		this.sync();
	}

	/** Finished for this trigger: never run again. */
	finished(id: string): void {
		this.inflight.delete(id);
		this.addRecent(id);
		const entry = this.open.get(id);
		if (entry?.status === 'done') return;
		this.setOpen(id, 'done');
	}

	/** Left unacknowledged on purpose: runs again when Kadoa redelivers it. */
	retry(id: string): void {
		this.inflight.delete(id);
		this.forgetRecent(id);
		this.setOpen(id, 'retry');
	}

	/**
	 * The activation ends with this execution's outcome unknown: it stays `started`, so that
	 * the next activation runs it again (the n8n de-duplication key answers where it is used).
	 */
	abandon(id: string): void {
		this.inflight.delete(id);
	}

	/** Writes the state to static data: right before an emit (n8n saves it then). */
	persist(): void {
		this.sync();
	}

	/** Kadoa accepted the acknowledgement of this id. */
	confirmed(id: string): void {
		const entry = this.open.get(id);
		if (!entry || entry.status !== 'done') return;
		entry.confirmed = true;
		if (entry.passed) this.open.delete(id);
	}

	/** The cursor moved to `cursor`, past these ids (all settled for this trigger). */
	advance(cursor: string, passed: Iterable<string>): void {
		// Never back: a replayed old event settling late must not rewind the replay. The ids are
		// behind the cursor either way.
		if (this.cursorValue === undefined || compareCursors(cursor, this.cursorValue) > 0) this.cursorValue = cursor;
		for (const id of passed) {
			const entry = this.open.get(id);
			if (!entry) continue;
			entry.passed = true;
			if (entry.status === 'done' && entry.confirmed) this.open.delete(id);
		}
	}

	/** Ids remembered in memory. */
	get size(): number {
		return this.known.size;
	}

	/** Ids a restart needs (what the next save stores). */
	get openCount(): number {
		return this.open.size;
	}

	private inflightOnly(entry: OpenId): boolean {
		return entry.status === 'started' && !entry.loaded;
	}

	private setOpen(id: string, status: Status): void {
		const previous = this.open.get(id);
		if (previous) this.open.delete(id);
		this.open.set(id, { status, confirmed: false, passed: false, loaded: false });
		// Only when more finished ids are unconfirmed than back-pressure allows: the oldest goes.
		if (this.open.size > this.window) {
			for (const [openId, entry] of this.open) {
				if (entry.status !== 'done') continue;
				this.open.delete(openId);
				break;
			}
		}
	}

	private countDelivery(): void {
		if (this.loadedLeft > 0 && --this.loadedLeft === 0) {
			for (const [openId, entry] of this.open) if (entry.loaded && entry.status === 'done') this.open.delete(openId);
		}
	}

	private addRecent(id: string): void {
		if (this.known.has(id)) return;
		this.recent.push(id);
		this.known.add(id);
		while (this.recent.length > this.window) this.known.delete(this.recent.shift() as string);
	}

	private forgetRecent(id: string): void {
		if (!this.known.delete(id)) return;
		const index = this.recent.lastIndexOf(id);
		if (index >= 0) this.recent.splice(index, 1);
	}

	/**
	 * Writes everything a restart needs in one synchronous step, so that whenever n8n
	 * serialises static data it finds a consistent state. Fresh arrays each time: n8n notices
	 * assignments on static data, not in-place changes of a nested array.
	 */
	private sync(): void {
		const done: string[] = [];
		const started: string[] = [];
		const retry: string[] = [];
		for (const [id, entry] of this.open) (entry.status === 'done' ? done : entry.status === 'started' ? started : retry).push(id);
		if (this.cursorValue !== undefined) this.store.cursor = this.cursorValue;
		this.store.recentEventIds = done;
		this.store.startedEventIds = started;
		this.store.retryEventIds = retry;
	}
}

/**
 * Cursors are opaque but server-ordered. Compare them as the usual encodings order them
 * (zero-padded counters, `<ms>-<seq>` stream ids): shorter first, then lexicographically.
 */
export function compareCursors(a: string, b: string): number {
	if (a.length !== b.length) return a.length - b.length;
	return a < b ? -1 : a > b ? 1 : 0;
}

interface Arrival {
	cursor: string | undefined;
	id: string | undefined;
	settled: boolean;
}

/**
 * Moves a trigger's cursor past an event only once it and every event that arrived before it
 * are settled for that trigger (finished, not its business, or left for Kadoa to redeliver).
 * It counts only arrivals since the trigger was covered by a subscribe from its own cursor
 * (see TeamConnection): before that, events between its stored cursor and the connection's
 * position have not been seen, and the cursor must not pass them.
 */
export class CursorTracker {
	private readonly queue: Arrival[] = [];
	private head = 0;
	private active = false;
	/** Arrivals on older connections do not count (see activate). */
	private fromConnection = 0;

	constructor(private readonly state: ResumeState) {}

	/**
	 * From now on arrivals on this connection (and later ones) count: it subscribed at or before
	 * this trigger's cursor. Arrivals still coming on an older socket (a replacement's overlap)
	 * do not move the cursor: they are newer than what the new socket replays first, and the
	 * cursor would pass events the trigger has not seen yet.
	 */
	activate(connection = 0): void {
		this.active = true;
		if (connection > this.fromConnection) this.fromConnection = connection;
	}

	private counts(connection: number | undefined): boolean {
		return this.active && (connection === undefined || connection >= this.fromConnection);
	}

	get isActive(): boolean {
		return this.active;
	}

	/** Registers an arrival; call the returned function when the event is settled. */
	arrived(cursor: string | undefined, id?: string, connection?: number): () => void {
		if (!this.counts(connection)) return noop;
		const entry: Arrival = { cursor, id, settled: false };
		this.queue.push(entry);
		return () => {
			if (entry.settled) return;
			entry.settled = true;
			this.advance();
		};
	}

	/**
	 * An arrival settled on the spot (not this trigger's business, or a copy). With nothing
	 * outstanding the cursor moves at once, without a queue entry: most triggers of a team see
	 * most events only this way.
	 */
	settledArrival(cursor: string | undefined, id?: string, connection?: number): void {
		if (!this.counts(connection)) return;
		if (this.head < this.queue.length) {
			this.arrived(cursor, id, connection)();
			return;
		}
		if (cursor !== undefined) this.state.advance(cursor, id === undefined ? [] : [id]);
	}

	get outstanding(): number {
		return this.queue.length - this.head;
	}

	private advance(): void {
		const start = this.head;
		let cursor: string | undefined;
		// Arrivals up to the last one that carries a cursor are behind it; a cursor-less one
		// after that has no position yet.
		let behind = start;
		while (this.head < this.queue.length && this.queue[this.head].settled) {
			const entry = this.queue[this.head++];
			if (entry.cursor !== undefined) {
				// The highest, not the last: a copy with a lower cursor (drain overlap, replay) may
				// settle after newer events, and the stored ids must never fall behind the cursor.
				if (cursor === undefined || compareCursors(entry.cursor, cursor) > 0) cursor = entry.cursor;
				behind = this.head;
			}
		}
		if (cursor !== undefined) {
			const ids: string[] = [];
			for (let i = start; i < behind; i++) {
				const id = this.queue[i].id;
				if (id !== undefined) ids.push(id);
			}
			this.state.advance(cursor, ids);
		}
		// Compact now and then instead of shifting on every event.
		if (this.head > 1024 && this.head * 2 > this.queue.length) {
			this.queue.splice(0, this.head);
			this.head = 0;
		}
	}
}

function noop(): void {}
