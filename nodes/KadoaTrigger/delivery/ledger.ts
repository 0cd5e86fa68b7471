/**
 * When an event may be acknowledged to Kadoa, for all the triggers of one team connection.
 *
 * Kadoa's acknowledgement is team-wide: one ack and no trigger of the team sees the event
 * again. So an event is acknowledged once, when every trigger that accepts it has settled it
 * in its own mode, never while one of them still works on it or wants it again, and not
 * before its hold ends (a trigger that registers within the hold, at n8n's start-up or after a
 * re-save, still gets it). Events no trigger accepts are held too, then acknowledged.
 * While n8n starts, nothing is acknowledged before a time that moves on (`holdUntil`).
 */

export interface LedgerEntry {
	readonly id: string;
	readonly type: string;
	readonly workflowId: string | undefined;
	/** Members (by key) that accept the event and have not settled it. */
	readonly waiting: Set<string>;
	/** A member left it unacknowledged on purpose: it waits for the next connection. */
	blocked: boolean;
	/** Not acknowledged before this time (ms since epoch). */
	notBefore: number;
}

export interface LedgerOptions {
	ack: (id: string) => void;
	now?: () => number;
}

export class AckLedger {
	private readonly entries = new Map<string, LedgerEntry>();
	private timer?: NodeJS.Timeout;
	private readonly now: () => number;
	/** No entry is acknowledged before this time, whenever it was opened (n8n's start-up). */
	private floor = 0;

	constructor(private readonly options: LedgerOptions) {
		this.now = options.now ?? Date.now;
	}

	get size(): number {
		return this.entries.size;
	}

	get(id: string): LedgerEntry | undefined {
		return this.entries.get(id);
	}

	/** The entry of an arriving event; an existing one (a copy of the event) is returned as is. */
	open(id: string, type: string, workflowId: string | undefined, notBefore: number): LedgerEntry {
		let entry = this.entries.get(id);
		// A copy of an event left for the next connection arrived on this one: judged afresh.
		if (entry?.blocked && entry.waiting.size === 0) entry.blocked = false;
		if (!entry) {
			entry = { id, type, workflowId, waiting: new Set(), blocked: false, notBefore };
			this.entries.set(id, entry);
		}
		return entry;
	}

	/**
	 * Nothing is acknowledged before `at` (ms since epoch): entries held now and entries opened
	 * until then. Only ever moves later.
	 */
	holdUntil(at: number): void {
		this.floor = Math.max(this.floor, at);
	}

	/** A member accepts the event and will settle it. */
	claim(id: string, member: string): void {
		this.entries.get(id)?.waiting.add(member);
	}

	/** A member settled the event: `acknowledge` false leaves it for the next connection. */
	settle(id: string, member: string, acknowledge: boolean): void {
		const entry = this.entries.get(id);
		if (!entry) return;
		entry.waiting.delete(member);
		if (!acknowledge) entry.blocked = true;
		this.review(entry);
	}

	/** Every entry a member waits on is settled by it with this answer (a member leaving). */
	settleAll(member: string, acknowledge: boolean): void {
		for (const entry of [...this.entries.values()]) {
			if (!entry.waiting.has(member)) continue;
			entry.waiting.delete(member);
			if (!acknowledge) entry.blocked = true;
			this.review(entry);
		}
	}

	/**
	 * A member that joins accepts these unacknowledged entries: none of them is acknowledged
	 * until it has seen the event again (on the replacement connection it is given) and settled
	 * it, or has left. Entries left for the next connection are judged afresh there anyway.
	 */
	awaitMember(member: string, pick: (entry: LedgerEntry) => boolean): void {
		for (const entry of this.entries.values()) if (!entry.blocked && pick(entry)) entry.waiting.add(member);
	}

	/** Entries a member that joins now must still handle. */
	waitingFor(member: string): LedgerEntry[] {
		return [...this.entries.values()].filter((entry) => entry.waiting.has(member));
	}

	/**
	 * Unacknowledged entries a predicate picks (held, waiting, or left for the next connection):
	 * a member that joins and accepts one must see it again before its cursor may move.
	 */
	unacknowledged(pick: (entry: LedgerEntry) => boolean): LedgerEntry[] {
		return [...this.entries.values()].filter(pick);
	}

	/**
	 * A new connection: Kadoa redelivers every unacknowledged event, so entries left for it are
	 * dropped and judged afresh when they arrive again.
	 */
	newConnection(): void {
		for (const [id, entry] of this.entries) if (entry.blocked) this.entries.delete(id);
	}

	/** Re-examines an entry (after a claim was added or removed). */
	review(entry: LedgerEntry): void {
		if (entry.waiting.size > 0) return;
		if (entry.blocked) {
			// Nobody works on it any more and it must stay unacknowledged: the next connection
			// brings it back. Kept only so that a copy on this connection is not acknowledged.
			return;
		}
		const notBefore = Math.max(entry.notBefore, this.floor);
		if (notBefore > this.now()) {
			this.schedule(notBefore);
			return;
		}
		this.entries.delete(entry.id);
		this.options.ack(entry.id);
	}

	/** Stops the hold timer; undecided entries are dropped (Kadoa redelivers them). */
	close(): void {
		clearTimeout(this.timer);
		this.timer = undefined;
		this.entries.clear();
	}

	private schedule(at: number): void {
		if (this.timer && this.timerAt !== undefined && this.timerAt <= at) return;
		clearTimeout(this.timer);
		this.timerAt = at;
		this.timer = setTimeout(() => this.onTimer(), Math.max(0, at - this.now()));
	}

	private timerAt?: number;

	private onTimer(): void {
		this.timer = undefined;
		this.timerAt = undefined;
		for (const entry of [...this.entries.values()]) {
			if (entry.waiting.size === 0 && !entry.blocked) this.review(entry);
		}
	}
}
