/**
 * Resume state kept in the node's static data: the replay cursor and a bounded window of
 * recently delivered event ids. n8n persists static data when activation finishes and at
 * every emit, so whatever is written before an emit survives a restart.
 *
 * n8n notices changes only through assignments on the static data object itself (nested
 * arrays assigned later are not observed), so every change also bumps `revision`.
 */

export interface StaticStore {
	[key: string]: unknown;
}

/**
 * Ids remembered across restarts. It must hold every id not yet acknowledged (executions in
 * flight, queued acks: both bounded by back-pressure, see subscription.ts) with room to
 * spare; n8n rewrites static data at every emit, so it is kept no larger than that.
 */
export const DEFAULT_WINDOW = 500;

export class ResumeState {
	private readonly ids: string[];
	private readonly known: Set<string>;

	constructor(
		private readonly store: StaticStore,
		readonly window = DEFAULT_WINDOW,
	) {
		const stored = Array.isArray(store.recentEventIds) ? store.recentEventIds : [];
		this.ids = stored.filter((id): id is string => typeof id === 'string').slice(-window);
		this.known = new Set(this.ids);
		store.recentEventIds = this.ids;
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
		return this.known.has(id);
	}

	/** Remembers a delivered id; the oldest one falls out of the window. */
	remember(id: string): void {
		if (this.known.has(id)) return;
		this.ids.push(id);
		this.known.add(id);
		while (this.ids.length > this.window) this.known.delete(this.ids.shift() as string);
		this.touch();
	}

	/** Forgets an id whose execution failed, so Kadoa's redelivery runs it again. */
	forget(id: string): void {
		if (!this.known.delete(id)) return;
		const index = this.ids.lastIndexOf(id);
		if (index >= 0) this.ids.splice(index, 1);
		this.touch();
	}

	get size(): number {
		return this.ids.length;
	}

	private touch(): void {
		this.store.revision = ((this.store.revision as number) || 0) + 1;
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

/**
 * Moves the cursor past an event only once it and every event that arrived before it are
 * settled (acknowledged, skipped, or left unacknowledged for Kadoa to redeliver).
 */
export class CursorTracker {
	private readonly queue: Array<{ cursor: string | undefined; settled: boolean }> = [];
	private head = 0;

	constructor(private readonly state: ResumeState) {}

	/** Registers an arrival; call the returned function when the event is settled. */
	arrived(cursor: string | undefined): () => void {
		const entry = { cursor, settled: false };
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
		let cursor: string | undefined;
		while (this.head < this.queue.length && this.queue[this.head].settled) {
			cursor = this.queue[this.head].cursor ?? cursor;
			this.head++;
		}
		// Compact now and then instead of shifting on every event.
		if (this.head > 1024 && this.head * 2 > this.queue.length) {
			this.queue.splice(0, this.head);
			this.head = 0;
		}
		if (cursor !== undefined) this.state.cursor = cursor;
	}
}
