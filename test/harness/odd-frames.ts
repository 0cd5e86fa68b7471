/**
 * A seeded generator of odd but valid JSON event frames, for fuzz tests: timestamps no Date
 * can hold (1e20, 1e400 → Infinity), lone UTF-16 surrogates in ids, ids that are numbers,
 * payloads and rows of every JSON type, `data` beside `message`, deep nesting, long strings.
 * Frames are built as text, so that they can hold what JSON.stringify never writes (1e400).
 */

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** String contents as JSON text (already escaped): the odd ones are the point. */
const ODD_STRINGS = [
	'',
	'a',
	'wf-1',
	'chg-1',
	'\\ud800',
	'\\udfff',
	'x\\ud83dy',
	'\\ud83d\\ude00',
	'\\u0000',
	'\\n\\r\\t',
	'\\"',
	'\\\\',
	'😀',
	'ü',
	'../../x?y#z&access_token=1',
	'%',
	'%E0%A4%A',
	'__proto__',
	'constructor',
	'toJSON',
	'_kadoa',
	'2025-01-08T20:20:04.663Z',
	'https://example.com/p',
];

const ODD_NUMBERS = [
	'0',
	'-0',
	'1',
	'1.5',
	'1736367604663',
	'8640000000000000',
	'8640000000000001',
	'-8640000000000001',
	'1e20',
	'-1e20',
	'1e308',
	'1e400',
	'-1e400',
	'5e-324',
	'123456789012345678901234567890',
];

const EVENT_TYPES = ['workflow_data_change', 'workflow_data_change', 'workflow_data_change', 'workflow_failed', 'credits_low', 'heartbeat', 'control.draining', 'control.x', '', 'brand_new'];

const PAYLOAD_FIELDS = ['id', 'workflowId', 'data', 'differences', 'diff', 'url', 'createdAt', 'summary', 'screenshotUrl', 'differencesCounts', 'dataPending'];

export class OddFrames {
	constructor(private readonly random: () => number) {}

	private chance(p: number): boolean {
		return this.random() < p;
	}

	private int(max: number): number {
		return Math.floor(this.random() * max);
	}

	private pick<T>(items: readonly T[]): T {
		return items[this.int(items.length)];
	}

	string(): string {
		if (this.chance(0.001)) return `"${'x'.repeat(1 + this.int(100_000))}"`;
		return `"${this.pick(ODD_STRINGS)}${this.chance(0.3) ? this.pick(ODD_STRINGS) : ''}"`;
	}

	number(): string {
		return this.chance(0.7) ? this.pick(ODD_NUMBERS) : String(this.int(1e6) - 5e5);
	}

	/** Arrays or objects nested `depth` deep, a leaf at the bottom. */
	nested(depth: number): string {
		const asArray = this.chance(0.5);
		const open = asArray ? '[' : '{"a":';
		const close = asArray ? ']' : '}';
		return open.repeat(depth) + this.scalar() + close.repeat(depth);
	}

	scalar(): string {
		switch (this.int(5)) {
			case 0:
				return 'null';
			case 1:
				return this.chance(0.5) ? 'true' : 'false';
			case 2:
				return this.number();
			default:
				return this.string();
		}
	}

	/** Any JSON value; `budget` bounds the size of what nests below. */
	value(budget = 3): string {
		// Past 4,173 levels JSON.stringify overflows the stack (Node 20, default stack).
		if (this.chance(0.005)) return this.nested(1 + this.int(this.chance(0.3) ? 6_000 : 300));
		if (budget <= 0 || this.chance(0.4)) return this.scalar();
		if (this.chance(0.5)) return `[${this.list(budget - 1)}]`;
		return this.object(budget - 1);
	}

	private list(budget: number): string {
		return Array.from({ length: this.int(5) }, () => this.value(budget)).join(',');
	}

	object(budget: number): string {
		const entries = Array.from({ length: this.int(5) }, () => `${this.string()}:${this.value(budget)}`);
		return `{${entries.join(',')}}`;
	}

	/** A row of a snapshot: usually an object, sometimes any value. */
	private row(): string {
		if (this.chance(0.2)) return this.value(2);
		const fields = [`"title":${this.string()}`, `"price":${this.number()}`];
		if (this.chance(0.2)) fields.push(`"_kadoa":${this.value(1)}`);
		if (this.chance(0.1)) fields.push(`"_kadoa_":${this.value(1)}`);
		if (this.chance(0.2)) fields.push(`${this.string()}:${this.value(2)}`);
		return `{${fields.join(',')}}`;
	}

	private difference(): string {
		if (this.chance(0.3)) return this.value(2);
		return `{"type":${this.pick(['"added"', '"removed"', '"changed"', this.string(), this.number()])},"fields":${this.chance(0.8) ? `[{"key":${this.string()},"value":${this.value(1)}}]` : this.value(1)}}`;
	}

	private payloadField(name: string): string {
		switch (name) {
			case 'id':
			case 'workflowId':
				return this.chance(0.6) ? this.string() : this.value(1);
			case 'data':
				return this.chance(0.7) ? `[${Array.from({ length: this.int(6) }, () => this.row()).join(',')}]` : this.value(2);
			case 'differences':
				return this.chance(0.7) ? `[${Array.from({ length: this.int(4) }, () => this.difference()).join(',')}]` : this.value(2);
			case 'diff':
				if (this.chance(0.5)) return this.difference();
				return `{${['added', 'removed', 'changed'].filter(() => this.chance(0.5)).map((kind) => `"${kind}":${this.chance(0.7) ? `[${this.list(1)}]` : this.value(1)}`).join(',')}}`;
			default:
				return this.value(1);
		}
	}

	/** An event payload: mostly an object with Kadoa's fields, sometimes any JSON value. */
	payload(): string {
		if (this.chance(0.15)) return this.value(2);
		const fields = PAYLOAD_FIELDS.filter(() => this.chance(0.6)).map((name) => `"${name}":${this.payloadField(name)}`);
		if (this.chance(0.2)) fields.push(`${this.string()}:${this.value(2)}`);
		return `{${this.shuffle(fields).join(',')}}`;
	}

	private shuffle<T>(items: T[]): T[] {
		for (let i = items.length - 1; i > 0; i--) {
			const j = this.int(i + 1);
			[items[i], items[j]] = [items[j], items[i]];
		}
		return items;
	}

	/**
	 * A frame as text. `duplicates: false` never repeats a key at the top level or in the
	 * payload's workflowId (JSON.parse keeps the last one, a reader that stops early the first).
	 */
	frame(duplicates = true): string {
		if (this.chance(0.03)) return this.value(2);
		const fields: string[] = [];
		const type = this.chance(0.9) ? `"${this.pick(EVENT_TYPES)}"` : this.value(1);
		if (this.chance(0.97)) fields.push(`"type":${type}`);
		if (this.chance(0.95)) fields.push(`"id":${this.chance(0.8) ? this.string() : this.value(1)}`);
		if (this.chance(0.9)) fields.push(`"_cursor":${this.chance(0.8) ? this.string() : this.value(1)}`);
		if (this.chance(0.9)) fields.push(`"timestamp":${this.chance(0.8) ? this.number() : this.value(1)}`);
		if (this.chance(0.2)) fields.push(`"retryAfterMs":${this.number()}`);
		if (this.chance(0.1)) fields.push(`${this.string().replace(/^"(?:type|id|_cursor|timestamp|data|message)"$/, '"other"')}:${this.value(1)}`);
		const payloads = this.chance(0.8) ? ['data'] : this.chance(0.5) ? ['data', 'message'] : ['message'];
		this.shuffle(fields);
		// Kadoa writes the payload last; any order now and then.
		for (const key of this.shuffle(payloads)) {
			const entry = `"${key}":${this.payload()}`;
			if (this.chance(0.85)) fields.push(entry);
			else fields.splice(this.int(fields.length + 1), 0, entry);
		}
		if (duplicates && this.chance(0.05) && fields.length > 0) fields.push(this.pick(fields));
		const space = this.chance(0.2) ? ' \n\t'.charAt(this.int(3)) : '';
		return `${space}{${fields.join(`,${space}`)}}${space}`;
	}
}
