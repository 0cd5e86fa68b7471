/**
 * Kadoa event → n8n item JSON, in the three output shapes the node offers. Item fields are
 * a public contract (users' expressions read them): add fields, never rename.
 *
 * Total over any event whose payload is any JSON value: this runs inside the socket's
 * message listener, where an exception would stop the trigger. A value that cannot be
 * represented (a timestamp no Date can hold, an id that cannot go into a URL) leaves its
 * field empty and is named in `problems` instead.
 */
import type { KadoaEvent } from '../realtime/protocol';

export type OutputMode = 'event' | 'rows' | 'differences';

export type Json = Record<string, unknown>;

/** An n8n item (INodeExecutionData's shape, without importing n8n here). */
export interface Item {
	json: Json;
}

export const DATA_CHANGE = 'workflow_data_change';
const DASHBOARD = 'https://www.kadoa.com';

/** Optional change fields passed through when Kadoa sends them. */
const OPTIONAL_CHANGE_FIELDS = ['summary', 'screenshotUrl', 'differencesCounts', 'dataPending'] as const;

/**
 * Deeper than this, a value is replaced by TOO_DEEP. JSON.parse reads any depth, but
 * JSON.stringify (and n8n, storing and copying items) overflows the stack at a few thousand
 * levels; scraped data is a few levels deep.
 */
export const MAX_DEPTH = 200;
export const TOO_DEEP = `[nested deeper than ${MAX_DEPTH} levels: left out]`;

/** Items for one event, and what could not be represented in them (for a warning). */
export interface BuiltItems {
	items: Item[];
	problems: string[];
}

function isRecord(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown): string | undefined {
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The payload's fields: a payload that is not an object has none. */
function payloadOf(event: KadoaEvent): Json {
	return isRecord(event.payload) ? event.payload : {};
}

/** A value named in a problem: short, and escaped (JSON.stringify escapes lone surrogates). */
function shown(value: unknown): string {
	const text = typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
	return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * Replaces, in place, what lies deeper than `left` more levels below `value`. Recursion is
 * bounded by MAX_DEPTH; primitives are never descended into, so a 50,000-row snapshot costs a
 * few ms against the ~100 ms of its parse.
 */
function cutDeep(value: object, left: number): boolean {
	let cut = false;
	if (Array.isArray(value)) {
		for (let i = 0; i < value.length; i++) {
			const child: unknown = value[i];
			if (typeof child !== 'object' || child === null) continue;
			if (left === 0) {
				value[i] = TOO_DEEP;
				cut = true;
			} else if (cutDeep(child, left - 1)) cut = true;
		}
		return cut;
	}
	const record = value as Json;
	for (const key in record) {
		const child = record[key];
		if (typeof child !== 'object' || child === null) continue;
		if (left === 0) {
			record[key] = TOO_DEEP;
			cut = true;
		} else if (cutDeep(child, left - 1)) cut = true;
	}
	return cut;
}

function limitDepth(event: KadoaEvent, problems: string[]): void {
	const { payload } = event as { payload: unknown };
	if (typeof payload === 'object' && payload !== null && cutDeep(payload, MAX_DEPTH - 1)) {
		problems.push(`the payload is nested deeper than ${MAX_DEPTH} levels: deeper values were replaced by "${TOO_DEEP}"`);
	}
}

/**
 * `differences` as an array of `{ type, fields }`. The older documented form is a single
 * `diff` object; it becomes a one-element array (or, when it groups entries by kind under
 * `added` / `removed` / `changed`, one element per entry).
 */
export function normaliseDifferences(payload: Json): Json[] {
	const { differences, diff } = payload;
	if (Array.isArray(differences)) return differences.filter(isRecord);
	if (Array.isArray(diff)) return diff.filter(isRecord);
	if (!isRecord(diff)) return [];
	if (typeof diff.type === 'string') return [diff];
	const grouped: Json[] = [];
	for (const type of ['added', 'removed', 'changed']) {
		const entries = diff[type];
		if (!Array.isArray(entries)) continue;
		for (const entry of entries) {
			if (isRecord(entry) && Array.isArray(entry.fields)) grouped.push({ type, ...entry });
			else grouped.push({ type, value: entry });
		}
	}
	return grouped.length > 0 ? grouped : [diff];
}

/** What identifies the event and change an item came from. */
export interface EventReference {
	eventId: string | undefined;
	eventType: string;
	changeId: string | undefined;
	workflowId: string | undefined;
	sample?: true;
}

export function eventReference(event: KadoaEvent): EventReference {
	const payload = payloadOf(event);
	const reference: EventReference = {
		eventId: event.id,
		eventType: event.type,
		changeId: event.type === DATA_CHANGE ? asString(payload.id) : undefined,
		workflowId: asString(payload.workflowId),
	};
	if (event.sample) reference.sample = true;
	return reference;
}

/** ISO text of a Unix ms time; empty when no Date can hold it (beyond ±8.64e15, NaN). */
function isoTime(timestamp: unknown, problems: string[]): string | undefined {
	if (timestamp === undefined) return undefined;
	const date = typeof timestamp === 'number' ? new Date(timestamp) : undefined;
	if (date && !Number.isNaN(date.getTime())) return date.toISOString();
	problems.push(`timestamp ${shown(timestamp)} is not a valid date: "time" left empty`);
	return undefined;
}

function timestampFields(event: KadoaEvent, problems: string[]): Json {
	return { timestamp: event.timestamp, time: isoTime(event.timestamp, problems) };
}

/** A dashboard link, or empty when the id cannot be put in a URL (a lone UTF-16 surrogate). */
function dashboardLink(path: string, id: string | undefined, field: string, link: string, problems: string[]): string | undefined {
	if (!id) return undefined;
	try {
		return `${DASHBOARD}/${path}/${encodeURIComponent(id)}`;
	} catch {
		problems.push(`${field} ${shown(id)} is not well-formed Unicode: "links.${link}" left empty`);
		return undefined;
	}
}

function dataChangeJson(event: KadoaEvent, problems: string[]): Json {
	const payload = payloadOf(event);
	const changeId = asString(payload.id);
	const workflowId = asString(payload.workflowId);
	const json: Json = {
		eventId: event.id,
		eventType: event.type,
		...timestampFields(event, problems),
		changeId,
		workflowId,
		url: payload.url,
		createdAt: payload.createdAt,
		data: Array.isArray(payload.data) ? payload.data : [],
		differences: normaliseDifferences(payload),
	};
	for (const field of OPTIONAL_CHANGE_FIELDS) {
		if (payload[field] !== undefined) json[field] = payload[field];
	}
	json.links = {
		change: dashboardLink('data-diff', changeId, 'changeId', 'change', problems),
		workflow: dashboardLink('workflow', workflowId, 'workflowId', 'workflow', problems),
	};
	return json;
}

function otherEventJson(event: KadoaEvent, problems: string[]): Json {
	const json: Json = { eventId: event.id, eventType: event.type, ...timestampFields(event, problems) };
	const workflowId = asString(payloadOf(event).workflowId);
	if (workflowId) json.workflowId = workflowId;
	json.payload = event.payload;
	return json;
}

export function eventJson(event: KadoaEvent, problems: string[] = []): Json {
	const json = event.type === DATA_CHANGE ? dataChangeJson(event, problems) : otherEventJson(event, problems);
	if (event.sample) json.sample = true;
	return json;
}

/**
 * The row's own keys win; the reference goes under the first free `_kadoa…` key. Rows are
 * extended in place: the parsed frame belongs to this event alone, and copying 50,000 rows
 * of a large snapshot would double its memory.
 */
function withReference(entry: unknown, reference: EventReference, index: number): Json {
	const base: Json = isRecord(entry) ? entry : { value: entry };
	let key = '_kadoa';
	while (key in base) key += '_';
	base[key] = rowReference(reference, index);
	return base;
}

/**
 * One object literal of a fixed shape per row: V8 allocates it in one step. A copy of the
 * reference plus an added `index` (Object.assign, spread) was ten times slower over 50,000
 * rows and took an extra property store per row.
 */
function rowReference(reference: EventReference, index: number): Json {
	const tagged: Json = {
		eventId: reference.eventId,
		eventType: reference.eventType,
		changeId: reference.changeId,
		workflowId: reference.workflowId,
		index,
	};
	if (reference.sample) tagged.sample = true;
	return tagged;
}

/**
 * Items for one event. `rows` and `differences` apply to data-change events; other event
 * types always give one event item. An empty list means there is nothing to run.
 *
 * Row items are built in one pass, wrapper included: a second pass over 50,000 items
 * allocates at the point where V8's young generation is full of the just-parsed snapshot,
 * and the scavenge that copies it costs as much as the parse.
 */
export function buildItems(event: KadoaEvent, output: OutputMode): BuiltItems {
	const problems: string[] = [];
	limitDepth(event, problems);
	if (output === 'event' || event.type !== DATA_CHANGE) return { items: [{ json: eventJson(event, problems) }], problems };
	const reference = eventReference(event);
	const payload = payloadOf(event);
	const entries = output === 'rows' ? (Array.isArray(payload.data) ? payload.data : []) : normaliseDifferences(payload);
	const items = new Array<Item>(entries.length);
	for (let i = 0; i < entries.length; i++) items[i] = { json: withReference(entries[i], reference, i) };
	return { items, problems };
}

/** buildItems without the problems. */
export function eventToItems(event: KadoaEvent, output: OutputMode): Item[] {
	return buildItems(event, output).items;
}
