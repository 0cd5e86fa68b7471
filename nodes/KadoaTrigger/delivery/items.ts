/**
 * Kadoa event → n8n item JSON, in the three output shapes the node offers. Item fields are
 * a public contract (users' expressions read them): add fields, never rename.
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

function isRecord(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown): string | undefined {
	return typeof value === 'string' && value !== '' ? value : undefined;
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
	const reference: EventReference = {
		eventId: event.id,
		eventType: event.type,
		changeId: event.type === DATA_CHANGE ? asString(event.payload.id) : undefined,
		workflowId: asString(event.payload.workflowId),
	};
	if (event.sample) reference.sample = true;
	return reference;
}

function timestampFields(event: KadoaEvent): Json {
	const timestamp = event.timestamp;
	return {
		timestamp,
		time: timestamp !== undefined && Number.isFinite(timestamp) ? new Date(timestamp).toISOString() : undefined,
	};
}

function dataChangeJson(event: KadoaEvent): Json {
	const { payload } = event;
	const changeId = asString(payload.id);
	const workflowId = asString(payload.workflowId);
	const json: Json = {
		eventId: event.id,
		eventType: event.type,
		...timestampFields(event),
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
		change: changeId ? `${DASHBOARD}/data-diff/${encodeURIComponent(changeId)}` : undefined,
		workflow: workflowId ? `${DASHBOARD}/workflow/${encodeURIComponent(workflowId)}` : undefined,
	};
	return json;
}

function otherEventJson(event: KadoaEvent): Json {
	const json: Json = { eventId: event.id, eventType: event.type, ...timestampFields(event) };
	const workflowId = asString(event.payload.workflowId);
	if (workflowId) json.workflowId = workflowId;
	json.payload = event.payload;
	return json;
}

export function eventJson(event: KadoaEvent): Json {
	const json = event.type === DATA_CHANGE ? dataChangeJson(event) : otherEventJson(event);
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
export function eventToItems(event: KadoaEvent, output: OutputMode): Item[] {
	if (output === 'event' || event.type !== DATA_CHANGE) return [{ json: eventJson(event) }];
	const reference = eventReference(event);
	const entries = output === 'rows' ? (Array.isArray(event.payload.data) ? event.payload.data : []) : normaliseDifferences(event.payload);
	const items = new Array<Item>(entries.length);
	for (let i = 0; i < entries.length; i++) items[i] = { json: withReference(entries[i], reference, i) };
	return items;
}
