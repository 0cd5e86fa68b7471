/**
 * Reads the header of a large event frame (type, id, cursor, timestamp, and the payload's
 * workflowId) from its bytes, without parsing the rest: a 10 MB snapshot for a workflow the
 * trigger does not watch costs ~30 ms and ~13 MB of heap to parse only to be dropped.
 *
 * It reads fields in the order they come and stops as soon as it knows enough, so it never
 * scans the rows. Kadoa writes the header before the payload and `workflowId` before the
 * rows; when a frame is laid out otherwise (a large value before a needed field), peeking
 * gives up and the frame is parsed in full.
 *
 * JSON.parse keeps the last of duplicate keys, a reader that stops early sees the first: a
 * header field written twice before the payload makes peeking give up. One written again
 * after the point where peeking stops cannot be seen; serialisers never write such frames.
 * Total over any bytes: whatever goes wrong means "parse it in full", never an exception.
 */

export interface EventHeader {
	type: string;
	id: string;
	cursor: string;
	timestamp?: number;
	/** The payload's workflowId, when it comes before anything large; else unknown. */
	workflowId?: string;
}

/** Frames below this are parsed in full: parsing is cheap, peeking would only add work. */
export const PEEK_MIN_BYTES = 64 * 1024;
/** The most bytes one skipped value may take before peeking gives up. */
const SKIP_BUDGET = 4096;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** The top-level keys peeking reads: seen twice, JSON.parse would read another value. */
const HEADER_KEYS = new Set(['type', 'id', '_cursor', 'timestamp', 'data', 'message']);

/** Gives up: the frame is parsed in full instead. */
class GiveUp extends Error {}

class Reader {
	constructor(
		private readonly bytes: Buffer,
		public at = 0,
	) {}

	peek(): number {
		const { bytes } = this;
		while (this.at < bytes.length) {
			const byte = bytes[this.at];
			if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
			this.at++;
		}
		throw new GiveUp();
	}

	expect(byte: number): void {
		if (this.peek() !== byte) throw new GiveUp();
		this.at++;
	}

	/** A JSON string, decoded. Quotes and backslashes are ASCII, never inside a UTF-8 sequence. */
	string(): string {
		this.expect(QUOTE);
		const start = this.at - 1;
		// Searched within the budget only: a long string is given up on, not scanned.
		const region = this.bytes.subarray(0, Math.min(this.bytes.length, start + SKIP_BUDGET));
		let end = region.indexOf(QUOTE, this.at);
		while (end >= 0) {
			let backslashes = 0;
			while (this.bytes[end - 1 - backslashes] === BACKSLASH) backslashes++;
			if (backslashes % 2 === 0) break;
			end = region.indexOf(QUOTE, end + 1);
		}
		if (end < 0) throw new GiveUp();
		this.at = end + 1;
		// Searched within the string only (a view, no copy): never into the megabytes after it.
		const escaped = this.bytes.subarray(start + 1, end).indexOf(BACKSLASH) >= 0;
		if (!escaped) return this.bytes.toString('utf8', start + 1, end);
		return JSON.parse(this.bytes.toString('utf8', start, end + 1)) as string;
	}

	/** Skips one value of at most SKIP_BUDGET bytes; returns it decoded when it is a number. */
	skip(): number | undefined {
		const first = this.peek();
		if (first === QUOTE) {
			this.string();
			return undefined;
		}
		const start = this.at;
		if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
			while (this.at < this.bytes.length && this.at - start <= SKIP_BUDGET) {
				const byte = this.bytes[this.at];
				if (byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_ARRAY || byte <= 0x20) break;
				this.at++;
			}
			if (this.at - start > SKIP_BUDGET) throw new GiveUp();
			const number = Number(this.bytes.toString('latin1', start, this.at));
			return Number.isFinite(number) ? number : undefined;
		}
		let depth = 0;
		while (this.at - start <= SKIP_BUDGET) {
			const byte = this.peek();
			if (byte === QUOTE) {
				this.string();
				continue;
			}
			this.at++;
			if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++;
			else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && --depth === 0) return undefined;
		}
		throw new GiveUp();
	}

	/** Calls `field` with each key of the object that starts here; stops when it returns true. */
	object(field: (key: string) => boolean): boolean {
		this.expect(OPEN_OBJECT);
		if (this.peek() === CLOSE_OBJECT) {
			this.at++;
			return false;
		}
		for (;;) {
			const key = this.string();
			this.expect(COLON);
			if (field(key)) return true;
			const next = this.peek();
			this.at++;
			if (next === CLOSE_OBJECT) return false;
			if (next !== COMMA) throw new GiveUp();
		}
	}
}

/**
 * The header of an event frame, or undefined when the frame is not laid out as expected (or
 * not an event frame at all): then it must be parsed in full.
 */
export function peekEventHeader(frame: Buffer): EventHeader | undefined {
	const reader = new Reader(frame);
	const found: Partial<EventHeader> = {};
	const complete = () => found.type !== undefined && found.id !== undefined && found.cursor !== undefined;
	const text = (): string | undefined => (reader.peek() === QUOTE ? reader.string() : (reader.skip(), undefined));
	const seen = new Set<string>();
	try {
		reader.object((key) => {
			if (seen.has(key) && HEADER_KEYS.has(key)) throw new GiveUp();
			seen.add(key);
			switch (key) {
				case 'type':
					found.type = text();
					return false;
				case 'id':
					found.id = text();
					return false;
				case '_cursor':
					found.cursor = text();
					return false;
				case 'timestamp':
					found.timestamp = reader.skip();
					return false;
				case 'data':
				case 'message':
					// The payload comes last in Kadoa's frames: read its workflowId, then stop.
					if (!complete() || reader.peek() !== OPEN_OBJECT) throw new GiveUp();
					try {
						reader.object((field) => {
							if (field !== 'workflowId') {
								reader.skip();
								return false;
							}
							found.workflowId = text();
							return true;
						});
					} catch (error) {
						// A large value before workflowId: the header is known, the workflow is not.
						if (!(error instanceof GiveUp)) throw error;
					}
					return true;
				default:
					reader.skip();
					return false;
			}
		});
	} catch {
		// GiveUp, a SyntaxError from an escaped string, or anything unforeseen: parse in full.
		return undefined;
	}
	if (!complete() || found.type === '' || found.id === '' || found.cursor === '') return undefined;
	return found as EventHeader;
}
