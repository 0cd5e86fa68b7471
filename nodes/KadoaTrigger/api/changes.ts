/** Kadoa's changes API: the latest change (test samples) and one full change (pending data). */
import type { KadoaEndpoints } from '../realtime/endpoints';
import type { KadoaEvent } from '../realtime/protocol';
import { DATA_CHANGE } from '../delivery/items';
import { getJson } from './workflows';

export type KadoaChange = Record<string, unknown>;

/** The newest change of these workflows (all workflows when empty), or undefined. */
export async function latestChange(endpoints: KadoaEndpoints, apiKey: string, workflowIds: string[]): Promise<KadoaChange | undefined> {
	const query = new URLSearchParams({ limit: '1', skip: '0' });
	if (workflowIds.length > 0) query.set('workflowIds', workflowIds.join(','));
	const body = (await getJson(endpoints, apiKey, `/v4/changes?${query.toString()}`)) as { changes?: unknown };
	const [first] = Array.isArray(body.changes) ? body.changes : [];
	return first && typeof first === 'object' ? (first as KadoaChange) : undefined;
}

export async function getChange(endpoints: KadoaEndpoints, apiKey: string, changeId: string, timeoutMs: number): Promise<KadoaChange> {
	const body = (await getJson(endpoints, apiKey, `/v4/changes/${encodeURIComponent(changeId)}`, timeoutMs)) as Record<string, unknown>;
	// Accept both a bare change and one wrapped as { change } or { data }.
	const wrapped = body.change ?? body.data;
	return wrapped && typeof wrapped === 'object' && !Array.isArray(wrapped) ? (wrapped as KadoaChange) : body;
}

/**
 * A stored change shaped exactly like a live `workflow_data_change` event, marked as a
 * sample. Its id can never collide with a real event id, and it is never acknowledged.
 */
export function sampleEvent(change: KadoaChange): KadoaEvent {
	const createdAt = typeof change.createdAt === 'string' ? Date.parse(change.createdAt) : NaN;
	return {
		id: `sample-${String(change.id ?? 'change')}`,
		type: DATA_CHANGE,
		timestamp: Number.isNaN(createdAt) ? Date.now() : createdAt,
		cursor: undefined,
		payload: change,
		sample: true,
	};
}
