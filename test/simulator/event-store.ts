// The simulator's event log: stored events with their serialised frames (built once, shared by
// every socket), cursors, the team-wide acknowledgement state, and the changes of /v4/changes.
import type { ChangePayload } from './fixtures';
import type { PublishedEvent, PublishSpec, ReplayBehaviour } from './types';

/** `evt-000001-1a2b3c4d`: Math.random suffices for uniqueness, and crypto is the top cost of a 20k burst. */
function eventId(n: number): string {
	return `evt-${String(n).padStart(6, '0')}-${Math.floor(Math.random() * 0x100000000)
		.toString(16)
		.padStart(8, '0')}`;
}

/** The wire frame of an event: the payload under its `payloadKey`. */
export function frameOf(ev: PublishedEvent): Buffer {
	const frame: Record<string, unknown> = { type: ev.type, timestamp: ev.timestamp, id: ev.id, _cursor: ev.cursor };
	frame[ev.payloadKey] = ev.data;
	return Buffer.from(JSON.stringify(frame), 'utf8');
}

export class EventStore {
	/** Stored events, in cursor order. */
	readonly events: PublishedEvent[] = [];
	/** Changes served by /v4/changes, in insertion order. */
	readonly changes: ChangePayload[] = [];
	private readonly frames: Buffer[] = [];
	private readonly acked = new Set<string>();
	/** Ids that can be acked: stored events plus unstored oversized ones. */
	private readonly knownIds = new Set<string>();
	private seq = 0;

	/** An event with the next id and cursor, neither stored nor known (`bytes` still 0). */
	next(spec: PublishSpec): PublishedEvent {
		const n = ++this.seq;
		return {
			id: spec.id ?? eventId(n),
			cursor: `c-${String(n).padStart(10, '0')}`,
			type: spec.type,
			timestamp: spec.timestamp ?? Date.now(),
			payloadKey: spec.payloadKey ?? 'data',
			data: spec.data,
			bytes: 0,
		};
	}

	/** Stores the next event with its frame (see `lastFrame`); sends nothing. */
	store(spec: PublishSpec, serialise: (ev: PublishedEvent) => Buffer = frameOf): PublishedEvent {
		const ev = this.next(spec);
		const frame = serialise(ev);
		ev.bytes = frame.length;
		this.events.push(ev);
		this.frames.push(frame);
		this.knownIds.add(ev.id);
		return ev;
	}

	/** The frame of the event stored last. */
	get lastFrame(): Buffer {
		return this.frames[this.frames.length - 1];
	}

	/** Lets an event that is not stored be acknowledged (unstored oversized events). */
	addKnownId(id: string): void {
		this.knownIds.add(id);
	}

	/** Gives an event a new id (its frame is the caller's business), keeping it acknowledgeable. */
	renameId(ev: PublishedEvent, id: string): void {
		this.knownIds.delete(ev.id);
		ev.id = id;
		this.knownIds.add(ev.id);
	}

	/**
	 * Calls `send` for every event a subscribe from `lastCursor` replays, in cursor order: each
	 * unacknowledged one, plus (replay 'all') each one after `lastCursor`. Returns how many.
	 */
	replay(lastCursor: string | undefined, behaviour: ReplayBehaviour, send: (frame: Buffer, eventId: string) => void): number {
		let replayed = 0;
		for (let i = 0; i < this.events.length; i++) {
			const ev = this.events[i];
			const afterCursor = behaviour === 'all' && lastCursor !== undefined && ev.cursor > lastCursor;
			if (!this.acked.has(ev.id) || afterCursor) {
				send(this.frames[i], ev.id);
				replayed++;
			}
		}
		return replayed;
	}

	/** True for ids the ack endpoint accepts. */
	isKnown(id: string): boolean {
		return this.knownIds.has(id);
	}

	/** Records a successful ack; true when the id was acknowledged before (a duplicate). */
	ack(id: string): boolean {
		const duplicate = this.acked.has(id);
		this.acked.add(id);
		return duplicate;
	}

	isAcked(id: string): boolean {
		return this.acked.has(id);
	}

	/** Distinct ids acknowledged. */
	get ackedCount(): number {
		return this.acked.size;
	}

	/** Ids of stored events not acknowledged, in cursor order, without duplicates. */
	unackedIds(): string[] {
		const out = new Set<string>();
		for (const ev of this.events) if (!this.acked.has(ev.id)) out.add(ev.id);
		return [...out];
	}

	/** Forgets events, acks and changes; cursors keep counting so that a client's saved cursor stays meaningful. */
	clear(): void {
		this.events.length = 0;
		this.frames.length = 0;
		this.acked.clear();
		this.knownIds.clear();
		this.changes.length = 0;
	}
}
