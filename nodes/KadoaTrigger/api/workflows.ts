/** Kadoa's REST API: the account's workflows, for the workflow picker. */
import type { KadoaEndpoints } from '../realtime/endpoints';
import { HINTS, KadoaError } from '../realtime/errors';
import { NetworkError, errorDetail, httpRequest } from '../realtime/http';

export interface KadoaWorkflow {
	id: string;
	name: string;
	state?: string;
}

const PAGE_SIZE = 100;
/** A safety stop for a server that never reports the last page. */
const MAX_PAGES = 100;

export async function getJson(endpoints: KadoaEndpoints, apiKey: string, path: string, timeoutMs = 15_000): Promise<unknown> {
	let response;
	try {
		response = await httpRequest(`${endpoints.apiBase}${path}`, {
			method: 'GET',
			headers: { 'x-api-key': apiKey },
			timeoutMs,
			maxResponseBytes: 64 * 1024 * 1024,
		});
	} catch (error) {
		throw new KadoaError('transient', `Kadoa API request failed: ${(error as NetworkError).message}`, HINTS.unreachable);
	}
	if (response.status === 401 || response.status === 403) {
		throw new KadoaError('auth', `Kadoa refused the API key (HTTP ${response.status}: ${errorDetail(response.body, [apiKey])})`, HINTS.auth);
	}
	if (response.status === 404) {
		throw new KadoaError('config', `Not found at the Kadoa API URL (HTTP 404 for ${path.split('?')[0]})`, HINTS.config);
	}
	if (response.status < 200 || response.status >= 300) {
		throw new KadoaError('transient', `Kadoa API answered HTTP ${response.status}: ${errorDetail(response.body, [apiKey])}`);
	}
	try {
		return JSON.parse(response.body);
	} catch {
		throw new KadoaError('config', 'The Kadoa API did not answer with JSON', HINTS.config);
	}
}

/** Every workflow of the account, following pagination to the end. */
export async function listWorkflows(endpoints: KadoaEndpoints, apiKey: string, search?: string): Promise<KadoaWorkflow[]> {
	const workflows: KadoaWorkflow[] = [];
	for (let page = 0; page < MAX_PAGES; page++) {
		const query = new URLSearchParams({ limit: String(PAGE_SIZE), skip: String(page * PAGE_SIZE) });
		if (search) query.set('search', search);
		const body = (await getJson(endpoints, apiKey, `/v4/workflows?${query.toString()}`)) as {
			workflows?: unknown;
			pagination?: { totalCount?: unknown };
		};
		const batch = Array.isArray(body.workflows) ? body.workflows : [];
		for (const entry of batch) {
			if (!entry || typeof entry !== 'object') continue;
			const { id, name, state } = entry as Record<string, unknown>;
			if (typeof id !== 'string') continue;
			workflows.push({ id, name: typeof name === 'string' && name !== '' ? name : id, state: typeof state === 'string' ? state : undefined });
		}
		const total = typeof body.pagination?.totalCount === 'number' ? body.pagination.totalCount : undefined;
		if (batch.length < PAGE_SIZE || (total !== undefined && workflows.length >= total)) break;
	}
	return workflows;
}

/** The ids among `ids` that the account does not have (deleted, mistyped, another team's). */
export async function unknownWorkflowIds(endpoints: KadoaEndpoints, apiKey: string, ids: string[]): Promise<string[]> {
	if (ids.length === 0) return [];
	const known = new Set((await listWorkflows(endpoints, apiKey)).map((workflow) => workflow.id));
	return ids.filter((id) => !known.has(id));
}
