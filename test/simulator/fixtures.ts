// Plausible Kadoa payloads for the simulator, tests, benchmarks and the demo.
// Deterministic when a seed is given, so failures can be reproduced.

/** One extracted row of a workflow (a product, a job ad, ...). */
export type Row = Record<string, unknown>;

/** One field of a difference; `previousValue` only on `changed` differences. */
export interface DiffField {
	key: string;
	value: unknown;
	previousValue?: unknown;
}

/** One row-level difference of a `workflow_data_change`. */
export interface Difference {
	type: 'added' | 'removed' | 'changed';
	fields: DiffField[];
}

/** The `data` payload of a `workflow_data_change` event, and an item of `/v4/changes`. */
export interface ChangePayload {
	id: string;
	workflowId: string;
	data: Row[];
	differences: Difference[];
	url: string;
	createdAt: string;
	summary?: string | null;
	screenshotUrl?: string;
	differencesCounts?: { added: number; removed: number; changed: number };
	dataPending?: boolean;
	[extra: string]: unknown;
}

/** A workflow as listed by `GET /v4/workflows`. */
export interface SimWorkflow {
	id: string;
	name: string;
	state: string;
	url: string;
	[extra: string]: unknown;
}

/** Options of `dataChangePayload`. */
export interface DataChangeOptions {
	/** Change id (default: random 24-hex, like Kadoa's ObjectIds). */
	id?: string;
	/** Workflow id (default: the laptop demo workflow). */
	workflowId?: string;
	/** Monitored page (default: https://shop.example/laptops). */
	url?: string;
	createdAt?: string | Date;
	/** Rows in the snapshot after the change (default 6). */
	rows?: number;
	/** Rows added / removed / price-changed by this change (defaults 1 / 1 / 1). */
	added?: number;
	removed?: number;
	changed?: number;
	currency?: string;
	/** PRNG seed; same seed → same payload. */
	seed?: number;
	/** Include `summary`, `screenshotUrl` and `differencesCounts` (default true). */
	extras?: boolean;
}

/** Small seeded PRNG (mulberry32): fixtures must not depend on Math.random to be reproducible. */
export function makeRng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const pick = <T>(rng: () => number, list: readonly T[]): T => list[Math.floor(rng() * list.length)];
const int = (rng: () => number, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));

/** 24 hex chars, the shape of Kadoa ids. */
export function hexId(rng: () => number = Math.random): string {
	let s = '';
	for (let i = 0; i < 24; i++) s += Math.floor(rng() * 16).toString(16);
	return s;
}

const slug = (s: string): string =>
	s
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-|-$/g, '');

const BRANDS = ['Lenovo', 'Dell', 'HP', 'Apple', 'Asus', 'Acer', 'MSI', 'Samsung'] as const;
const SERIES = ['ThinkPad', 'XPS', 'EliteBook', 'MacBook Air', 'ZenBook', 'Swift', 'Prestige', 'Galaxy Book'] as const;

/** A laptop row `{name, price, currency, url}`; `seq` keeps names unique. */
export function productRow(rng: () => number, seq: number, currency = 'USD'): Row {
	const name = `${pick(rng, BRANDS)} ${pick(rng, SERIES)} ${pick(rng, [13, 14, 15, 16])}" ${pick(rng, [8, 16, 32])}GB #${seq}`;
	return { name, price: int(rng, 349, 2999) + 0.99, currency, url: `https://shop.example/laptops/${slug(name)}` };
}

const rowFields = (row: Row): DiffField[] => Object.entries(row).map(([key, value]) => ({ key, value }));

/** A new price 5–25 % away from the old one, never equal to it. */
function newPrice(rng: () => number, old: number): number {
	const factor = 1 + (rng() < 0.6 ? -1 : 1) * (0.05 + rng() * 0.2);
	return Math.max(9, Math.round(old * factor)) - 0.01;
}

/** A realistic English summary like Kadoa's AI one. */
function summarize(added: number, removed: number, changed: number, label: string, changeLabel: string): string {
	const parts: string[] = [];
	if (added) parts.push(`${added} new ${label}${added > 1 ? 's' : ''}`);
	if (removed) parts.push(`${removed} ${label}${removed > 1 ? 's' : ''} removed`);
	if (changed) parts.push(`${changed} ${changeLabel}${changed > 1 ? 's' : ''}`);
	return parts.length ? `${parts.join(', ')}.` : 'No visible changes.';
}

function withExtras(
	p: ChangePayload,
	counts: { added: number; removed: number; changed: number },
	label: string,
	changeLabel = 'price change',
): ChangePayload {
	p.summary = summarize(counts.added, counts.removed, counts.changed, label, changeLabel);
	p.screenshotUrl = `https://screenshots.example/changes/${p.id}.png`;
	p.differencesCounts = counts;
	return p;
}

/**
 * A `workflow_data_change` payload of a laptop-price watch: the snapshot has `rows` rows;
 * `added` of them are new, `removed` rows of the previous snapshot are gone, and `changed`
 * kept rows have a new price (fields `name` for identification and `price` with `previousValue`).
 */
export function dataChangePayload(opts: DataChangeOptions = {}): ChangePayload {
	const rng = makeRng(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
	const currency = opts.currency ?? 'USD';
	const rows = Math.max(0, opts.rows ?? 6);
	const added = Math.min(Math.max(0, opts.added ?? 1), rows);
	const keptCount = rows - added;
	const removed = Math.max(0, opts.removed ?? 1);
	const changed = Math.min(Math.max(0, opts.changed ?? 1), keptCount);
	let seq = 1;
	const kept: Row[] = [];
	for (let i = 0; i < keptCount; i++) kept.push(productRow(rng, seq++, currency));
	const gone: Row[] = [];
	for (let i = 0; i < removed; i++) gone.push(productRow(rng, seq++, currency));
	const fresh: Row[] = [];
	for (let i = 0; i < added; i++) fresh.push(productRow(rng, seq++, currency));

	const differences: Difference[] = [];
	for (const row of fresh) differences.push({ type: 'added', fields: rowFields(row) });
	for (const row of gone) differences.push({ type: 'removed', fields: rowFields(row) });
	for (let i = 0; i < changed; i++) {
		const row = kept[i];
		const previous = row.price as number;
		row.price = newPrice(rng, previous);
		differences.push({
			type: 'changed',
			fields: [
				{ key: 'name', value: row.name },
				{ key: 'price', value: row.price, previousValue: previous },
			],
		});
	}
	const createdAt = opts.createdAt instanceof Date ? opts.createdAt.toISOString() : (opts.createdAt ?? new Date().toISOString());
	const payload: ChangePayload = {
		id: opts.id ?? hexId(rng),
		workflowId: opts.workflowId ?? DEMO_WORKFLOWS[0].id,
		data: [...kept, ...fresh],
		differences,
		url: opts.url ?? 'https://shop.example/laptops',
		createdAt,
	};
	return opts.extras === false ? payload : withExtras(payload, { added, removed, changed }, 'product');
}

/** A change whose snapshot has `rows` rows (megabytes for thousands of rows). */
export function bigSnapshotPayload(rows: number, opts: Omit<DataChangeOptions, 'rows'> = {}): ChangePayload {
	return dataChangePayload({ added: Math.min(3, rows), removed: 2, changed: Math.min(5, Math.max(0, rows - 3)), ...opts, rows });
}

const FILLER =
	'Thin and light notebook with a bright display, long battery life and a backlit keyboard; ships in two business days. ';

/** Text of exactly `n` characters (ASCII, so also `n` bytes). */
export function fillerText(n: number): string {
	if (n <= 0) return '';
	return FILLER.repeat(Math.ceil(n / FILLER.length)).slice(0, n);
}

/**
 * A one-product change whose JSON is about `bytes` bytes (padding in the row's
 * `description`); for throughput benchmarks.
 */
export function sizedDataChangePayload(bytes: number, opts: Omit<DataChangeOptions, 'rows' | 'added' | 'removed' | 'changed'> = {}): ChangePayload {
	const p = dataChangePayload({ ...opts, rows: 1, added: 1, removed: 0, changed: 0, extras: false });
	const row = p.data[0];
	row.description = '';
	const base = JSON.stringify(p).length;
	row.description = fillerText(bytes - base);
	return p;
}

/** Demo workflows (also the first entries of `sampleWorkflows()`). */
export const DEMO_WORKFLOWS: readonly SimWorkflow[] = [
	{ id: '6650a1f2c3d4e5f60718293a', name: 'Laptop prices – shop.example', state: 'ACTIVE', url: 'https://shop.example/laptops', updateInterval: 'HOURLY' },
	{ id: '6650a1f2c3d4e5f60718293b', name: 'Job board – careers.example', state: 'ACTIVE', url: 'https://careers.example/jobs', updateInterval: 'DAILY' },
	{ id: '6650a1f2c3d4e5f60718293c', name: 'Rental listings – homes.example', state: 'ACTIVE', url: 'https://homes.example/rent/berlin', updateInterval: 'HOURLY' },
];

/** A fresh copy of a plausible workflow list (6 workflows, one paused). */
export function sampleWorkflows(): SimWorkflow[] {
	return [
		...DEMO_WORKFLOWS,
		{ id: '6650a1f2c3d4e5f60718293d', name: 'Competitor pricing – store.example', state: 'ACTIVE', url: 'https://store.example/c/monitors', updateInterval: 'DAILY' },
		{ id: '6650a1f2c3d4e5f60718293e', name: 'Press releases – news.example', state: 'ACTIVE', url: 'https://news.example/press', updateInterval: 'WEEKLY' },
		{ id: '6650a1f2c3d4e5f60718293f', name: 'Old catalog – legacy.example', state: 'PAUSED', url: 'https://legacy.example/catalog', updateInterval: 'WEEKLY' },
	].map((w) => ({ ...w, createdAt: '2025-01-06T09:00:00.000Z' }));
}

/** How a demo feed makes rows and which field changes. */
interface FeedKind {
	label: string;
	changeLabel: string;
	makeRow(rng: () => number, seq: number): Row;
	changeKey: string;
	change(rng: () => number, old: unknown): unknown;
}

const TITLES = ['Backend Engineer', 'Data Analyst', 'Product Designer', 'SRE', 'Engineering Manager', 'QA Engineer'] as const;
const CITIES = ['Berlin', 'Zurich', 'Remote', 'Vienna', 'Munich'] as const;
const STREETS = ['Lindenstraße', 'Torstraße', 'Kastanienallee', 'Oranienstraße', 'Bergmannstraße'] as const;

const FEEDS: Record<'products' | 'jobs' | 'rentals', FeedKind> = {
	products: {
		label: 'product',
		changeLabel: 'price change',
		makeRow: (rng, seq) => productRow(rng, seq),
		changeKey: 'price',
		change: (rng, old) => newPrice(rng, old as number),
	},
	jobs: {
		label: 'job',
		changeLabel: 'salary change',
		makeRow: (rng, seq) => {
			const name = `${pick(rng, TITLES)} (${pick(rng, CITIES)}) #${seq}`;
			return { name, price: int(rng, 55, 120) * 1000, currency: 'EUR', url: `https://careers.example/jobs/${slug(name)}` };
		},
		changeKey: 'price',
		change: (rng, old) => (old as number) + (rng() < 0.5 ? -1 : 1) * int(rng, 2, 10) * 1000,
	},
	rentals: {
		label: 'listing',
		changeLabel: 'rent change',
		makeRow: (rng, seq) => {
			const name = `${int(rng, 1, 4)}-room flat, ${pick(rng, STREETS)} ${int(rng, 1, 120)} #${seq}`;
			return { name, price: int(rng, 80, 320) * 10, currency: 'EUR', url: `https://homes.example/rent/${slug(name)}` };
		},
		changeKey: 'price',
		change: (rng, old) => (old as number) + (rng() < 0.7 ? 1 : -1) * int(rng, 2, 15) * 10,
	},
};

/** Which feed to use for a demo workflow (by position in DEMO_WORKFLOWS). */
export const DEMO_FEED_KINDS = ['products', 'jobs', 'rentals'] as const;

/**
 * The evolving state of one demo workflow: each `next()` adds 1–2 rows, removes 0–1,
 * changes 1–2 values and returns the change with the full new snapshot.
 */
export class DemoFeed {
	private readonly rng: () => number;
	private readonly kind: FeedKind;
	private rows: Row[] = [];
	private seq = 1;

	constructor(
		readonly workflow: SimWorkflow,
		kind: (typeof DEMO_FEED_KINDS)[number],
		seed = 1,
		initialRows = 8,
	) {
		this.rng = makeRng(seed);
		this.kind = FEEDS[kind];
		for (let i = 0; i < initialRows; i++) this.rows.push(this.kind.makeRow(this.rng, this.seq++));
	}

	/** The next change of this workflow (mutates the feed's current rows). */
	next(): ChangePayload {
		const rng = this.rng;
		const differences: Difference[] = [];
		const removeN = this.rows.length > 4 ? int(rng, 0, 1) : 0;
		let removed = 0;
		for (let i = 0; i < removeN; i++) {
			const [row] = this.rows.splice(Math.floor(rng() * this.rows.length), 1);
			differences.push({ type: 'removed', fields: rowFields(row) });
			removed++;
		}
		const changeN = Math.min(this.rows.length, int(rng, 1, 2));
		const touched = new Set<number>();
		for (let i = 0; i < changeN; i++) touched.add(Math.floor(rng() * this.rows.length));
		for (const idx of touched) {
			const row = this.rows[idx];
			const previous = row[this.kind.changeKey];
			row[this.kind.changeKey] = this.kind.change(rng, previous);
			differences.push({
				type: 'changed',
				fields: [
					{ key: 'name', value: row.name },
					{ key: this.kind.changeKey, value: row[this.kind.changeKey], previousValue: previous },
				],
			});
		}
		const addN = this.rows.length < 14 ? int(rng, 1, 2) : int(rng, 0, 1);
		for (let i = 0; i < addN; i++) {
			const row = this.kind.makeRow(rng, this.seq++);
			this.rows.push(row);
			differences.push({ type: 'added', fields: rowFields(row) });
		}
		const payload: ChangePayload = {
			id: hexId(rng),
			workflowId: this.workflow.id,
			data: this.rows.map((r) => ({ ...r })),
			differences,
			url: this.workflow.url,
			createdAt: new Date().toISOString(),
		};
		return withExtras(payload, { added: addN, removed, changed: touched.size }, this.kind.label, this.kind.changeLabel);
	}
}
