/**
 * Resume state: the replay cursor and the ids of delivered events, kept so that neither a
 * reconnect nor a restart runs an event twice.
 *
 * n8n persists static data when activation finishes and at every emit (serialising all of
 * it, and writing it to its database), so whatever is written before an emit survives a
 * restart, and whatever is stored is paid for at every event. Two sets, therefore:
 * - in memory, a window of recently delivered ids, for Kadoa's redeliveries while this
 *   activation runs;
 * - in static data, only the ids a restart could see again: delivered, and either not yet
 *   confirmed by Kadoa (unacknowledged events are redelivered) or not yet behind the stored
 *   cursor (events after it are replayed). In steady state that is the acknowledgements in
 *   flight, a few dozen ids, whatever the window.
 */

export interface StaticStore {
	[key: string]: unknown;
}

/**
 * How many ids are remembered in memory, and at most in static data. It must exceed the ids
 * not yet acknowledged (executions in flight and queued acks, both bounded by back-pressure,
 * see subscription.ts) with room to spare.
 */
export const DEFAULT_WINDOW = 500;

interface OpenId {
	/** Kadoa accepted its acknowledgement. */
	confirmed: boolean;
	/** The stored cursor is at or past it. */
	passed: boolean;
	/** Loaded from an earlier activation: Kadoa may have confirmed it, the cursor passed it. */
	loaded: boolean;
}

export class ResumeState {
	private readonly recent: string[] = [];
	private readonly known = new Set<string>();
	/** Persisted ids, oldest first. */
	private readonly open = new Map<string, OpenId>();
	/** Deliveries after which ids loaded from an earlier activation are let go. */
	private loadedLeft: number;

	constructor(
		private readonly store: StaticStore,
		readonly window = DEFAULT_WINDOW,
	) {
		// Whether Kadoa confirmed a loaded id is not known: if it comes back, it is acknowledged
		// again (a duplicate ack is harmless; one Kadoa lost would otherwise come back forever).
		const stored = Array.isArray(store.recentEventIds) ? store.recentEventIds : [];
		for (const id of stored.filter((item): item is string => typeof item === 'string').slice(-window)) {
			this.addRecent(id);
			this.open.set(id, { confirmed: false, passed: false, loaded: true });
		}
		// Unacknowledged events come back when the socket connects and events after the cursor
		// are replayed first: a window's worth of deliveries later, a loaded id that did not
		// come back never will (the rule the whole window followed before).
		this.loadedLeft = this.open.size > 0 ? window : 0;
		// Written by earlier versions to make n8n notice array changes; assignments do that now.
		if ('revision' in store) delete store.revision;
		this.sync();
	}

	/** The cursor of the last event that is done, and everything before it. */
	get cursor(): string | undefined {
		return typeof this.store.cursor === 'string' ? this.store.cursor : undefined;
	}

	set cursor(cursor: string | undefined) {
		if (cursor === undefined || cursor === this.store.cursor) return;
		// Never move back: a redelivered old event finishing late must not rewind the replay.
		const current = this.cursor;
		if (current !== undefined && compareCursors(cursor, current) < 0) return;
		this.store.cursor = cursor;
	}

	has(id: string): boolean {
		return this.known.has(id) || this.open.has(id);
	}

	/** Remembers a delivered id, in memory and in static data; call it before the emit. */
	remember(id: string): void {
		this.addRecent(id);
		if (!this.open.has(id)) {
			this.open.set(id, { confirmed: false, passed: false, loaded: false });
			// Only when more ids are unacknowledged than back-pressure allows: the oldest goes.
			if (this.open.size > this.window) this.open.delete(this.open.keys().next().value as string);
		}
		if (this.loadedLeft > 0 && --this.loadedLeft === 0) {
			for (const [openId, entry] of this.open) if (entry.loaded) this.open.delete(openId);
		}
		this.sync();
	}

	/** Forgets an id whose execution failed, so Kadoa's redelivery runs it again. */
	forget(id: string): void {
		if (this.known.delete(id)) {
			const index = this.recent.lastIndexOf(id);
			if (index >= 0) this.recent.splice(index, 1);
		}
		// At once, not at the next emit: a stored id that must run again would be lost.
		if (this.open.delete(id)) this.sync();
	}

	/** Kadoa accepted the acknowledgement of this id. */
	confirmed(id: string): void {
		const entry = this.open.get(id);
		if (!entry) return;
		entry.confirmed = true;
		if (entry.passed) this.open.delete(id);
	}

	/** The stored cursor is now at or past this event. */
	passed(id: string): void {
		const entry = this.open.get(id);
		if (!entry) return;
		entry.passed = true;
		if (entry.confirmed) this.open.delete(id);
	}

	/** Ids remembered in memory. */
	get size(): number {
		return this.known.size;
	}

	/** Ids a restart could see again (what the next emit stores). */
	get openCount(): number {
		return this.open.size;
	}

	private addRecent(id: string): void {
		if (this.known.has(id)) return;
		this.recent.push(id);
		this.known.add(id);
		while (this.recent.length > this.window) this.known.delete(this.recent.shift() as string);
	}

	/**
	 * Writes the persisted ids. Ids that became confirmed and passed are dropped from the store
	 * here, lazily: until then the store holds a few ids too many, which costs nothing but
	 * bytes. A fresh array each time: n8n notices assignments on static data, not in-place
	 * changes of a nested array.
	 */
	private sync(): void {
		this.store.recentEventIds = Array.from(this.open.keys());
	}
}

/**
 * Cursors are opaque but server-ordered. Compare them as the usual encodings order them
 * (zero-padded counters, `<ms>-<seq>` stream ids): shorter first, then lexicographically.
 * If Kadoa's cursors ever ordered differently the cost is more replay (de-duplicated), never
 * a lost event: the cursor only ever takes values of events that are done.
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
 * Moves the cursor past an event only once it and every event that arrived before it are
 * settled (acknowledged, skipped, or left unacknowledged for Kadoa to redeliver), and tells
 * the resume state which ids the cursor passed.
 */
export class CursorTracker {
	private readonly queue: Arrival[] = [];
	private head = 0;

	constructor(private readonly state: ResumeState) {}

	/** Registers an arrival; call the returned function when the event is settled. */
	arrived(cursor: string | undefined, id?: string): () => void {
		const entry: Arrival = { cursor, id, settled: false };
		this.queue.push(entry);
		return () => {
			if (entry.settled) return;
			entry.settled = true;
			this.advance();
		};
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
				cursor = entry.cursor;
				behind = this.head;
			}
		}
		if (cursor !== undefined) {
			this.state.cursor = cursor;
			for (let i = start; i < behind; i++) {
				const id = this.queue[i].id;
				if (id !== undefined) this.state.passed(id);
			}
		}
		// Compact now and then instead of shifting on every event.
		if (this.head > 1024 && this.head * 2 > this.queue.length) {
			this.queue.splice(0, this.head);
			this.head = 0;
		}
	}
}
