/**
 * Requests to Kadoa's REST API through n8n's authenticated request helper (the `kadoaApi`
 * credential's `authenticate` puts the key in the x-api-key header; its API URL is the base).
 * Kadoa's answers that are not 2xx become NodeApiError with Kadoa's own words; the three
 * paging styles Kadoa uses are followed here, once.
 */
import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type IN8nHttpFullResponse,
	type INode,
	type JsonObject,
} from 'n8n-workflow';

import { resolveEndpoints } from '../../KadoaTrigger/realtime/endpoints';
import { describeNetworkCode } from '../../KadoaTrigger/realtime/http';

export type KadoaContext = IExecuteFunctions | ILoadOptionsFunctions;

export interface KadoaRequestOptions {
	qs?: IDataObject;
	body?: IDataObject;
	/** The input item the request is for (errors name it). */
	itemIndex?: number;
}

const CREDENTIAL = 'kadoaApi';

/** The API base from the credential, with the scheme rule (https:// except for loopback hosts). */
async function apiBase(context: KadoaContext, itemIndex: number | undefined): Promise<string> {
	const credentials = await context.getCredentials(CREDENTIAL);
	try {
		// Only the API URL matters here; the realtime URL is the trigger's.
		return resolveEndpoints(String(credentials.apiUrl ?? ''), '').apiBase;
	} catch (error) {
		throw new NodeOperationError(context.getNode(), (error as Error).message, {
			itemIndex,
			description: 'Fix the API URL in the Kadoa API credential, or clear it to use https://api.kadoa.com.',
		});
	}
}

function isRecord(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

function short(value: unknown): string | undefined {
	if (value === undefined || value === null) return undefined;
	const raw = typeof value === 'string' ? value : JSON.stringify(value);
	return raw.length > 600 ? `${raw.slice(0, 600)}…` : raw;
}

/** What 429's `reason` means and what to do. */
const RATE_REASONS: Record<string, string> = {
	PIPELINE_CROWDED: "Kadoa's pipeline is crowded right now. Try again in a few minutes, or turn on Retry On Fail in this node's settings.",
	USER_RATE_LIMIT: 'Too many requests from this Kadoa account in a short time. Wait a minute before starting more runs.',
};

export interface KadoaErrorWords {
	message: string;
	description?: string;
	reason?: string;
}

/**
 * Kadoa's error body in words. Three shapes occur: `{error: true, message, details}`,
 * `{error: "...", reason?, recoveryHint?}` and `{status, message, data}`; some answers are text.
 */
export function kadoaErrorWords(status: number, body: unknown): KadoaErrorWords {
	let message: string | undefined;
	let detail: string | undefined;
	let reason: string | undefined;
	if (isRecord(body)) {
		reason = text(body.reason);
		if (typeof body.error === 'string') {
			message = text(body.error);
			detail = text(body.recoveryHint) ?? text(body.message);
		} else {
			message = text(body.message) ?? text(body.detail);
			detail = short(body.details ?? (isRecord(body.data) || Array.isArray(body.data) ? body.data : undefined));
		}
	} else if (typeof body === 'string') {
		message = text(body.length > 300 ? `${body.slice(0, 300)}…` : body);
	}
	message ??= `Kadoa answered HTTP ${status}`;
	if (reason) message = `${message} (${reason})`;

	let hint: string | undefined;
	if (status === 401 || status === 403) hint = 'Check the API key in the Kadoa API credential (Kadoa dashboard → Settings → API keys).';
	else if (status === 404) hint = 'Check the ID: Kadoa has nothing by that ID for this API key.';
	else if (status === 429) hint = (reason && RATE_REASONS[reason]) ?? 'Kadoa is limiting requests. Try again later, or turn on Retry On Fail in the node settings.';
	else if (status >= 500) hint = 'Kadoa could not handle the request. Try again later.';
	const description = [detail, hint].filter(Boolean).join(' ') || undefined;
	return { message, description, reason };
}

export function kadoaApiError(node: INode, status: number, body: unknown, itemIndex?: number): NodeApiError {
	const words = kadoaErrorWords(status, body);
	const response: JsonObject = { httpCode: String(status), body: (isRecord(body) ? body : { text: String(body ?? '') }) as JsonObject };
	return new NodeApiError(node, response, { message: words.message, description: words.description, httpCode: String(status), itemIndex });
}

/** The network code of a failed request (n8n wraps the HTTP client's error). */
function networkCode(error: unknown): string | undefined {
	for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
		const code = (e as { code?: unknown }).code;
		if (typeof code === 'string' && code !== '') return code;
	}
	return undefined;
}

/**
 * Kadoa could not be reached (refused, reset, DNS, timeout). A fresh error in words: n8n's own
 * carries the HTTP client's request, headers (the API key) included, as its cause.
 */
function unreachable(node: INode, error: unknown, url: string, itemIndex: number | undefined): NodeApiError {
	const code = networkCode(error);
	const host = new URL(url).host;
	const words = describeNetworkCode(code, error instanceof Error && error.message ? error.message : 'no answer');
	return new NodeApiError(node, { networkCode: code ?? null } as JsonObject, {
		message: `Cannot reach Kadoa at ${host}: ${words}`,
		description: 'Check the API URL in the Kadoa API credential and that n8n can reach it; try again later if Kadoa is down.',
		itemIndex,
	});
}

/** One request; the parsed answer (JSON, or text for text/plain answers). Non-2xx answers throw NodeApiError. */
export async function kadoaApiRequest(
	this: KadoaContext,
	method: IHttpRequestMethods,
	path: string,
	options: KadoaRequestOptions = {},
): Promise<unknown> {
	const base = await apiBase(this, options.itemIndex);
	const request: IHttpRequestOptions = {
		method,
		url: `${base}${path}`,
		json: true,
		returnFullResponse: true,
		// Kadoa's own error body is the useful part: read it instead of n8n's generic text.
		ignoreHttpStatusErrors: true,
	};
	if (options.qs && Object.keys(options.qs).length) request.qs = options.qs;
	if (options.body !== undefined) request.body = options.body;
	let response: IN8nHttpFullResponse;
	try {
		response = (await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL, request)) as IN8nHttpFullResponse;
	} catch (error) {
		// n8n's own refusals (no credential set) pass as they are; the rest is the network.
		throw error instanceof NodeOperationError ? error : unreachable(this.getNode(), error, request.url, options.itemIndex);
	}
	if (response.statusCode >= 200 && response.statusCode < 300) return response.body;
	throw kadoaApiError(this.getNode(), response.statusCode, response.body, options.itemIndex);
}

/** Only n8n's own errors may reach n8n: a NodeApiError/NodeOperationError as it is (with the item), anything else wrapped. */
export function toNodeError(node: INode, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		error.context.itemIndex ??= itemIndex;
		return error;
	}
	return new NodeOperationError(node, error instanceof Error ? error : String(error), { itemIndex });
}

// ---------------------------------------------------------------- paging

/** A safety stop for a server that never says it is done. */
const MAX_PAGES = 10_000;
/** Page size used to fetch everything (Kadoa's list endpoints accept up to 100). */
export const PAGE_SIZE = 100;

export interface Collected {
	items: IDataObject[];
	/** The last page's whole answer (envelopes such as a data run's workflowId, runId). */
	last: IDataObject;
}

function arrayAt(body: unknown, path: readonly string[]): IDataObject[] {
	let node: unknown = body;
	for (const key of path) node = isRecord(node) ? node[key] : undefined;
	return Array.isArray(node) ? (node as IDataObject[]) : [];
}

function pageSize(max: number | undefined): number {
	return max === undefined ? PAGE_SIZE : Math.max(1, Math.min(PAGE_SIZE, max));
}

/** `skip` + `limit`, `pagination {totalCount, page, totalPages}` back (workflows, changes). `max` undefined = all. */
export async function collectBySkip(
	this: KadoaContext,
	path: string,
	qs: IDataObject,
	itemsKey: string,
	max: number | undefined,
	itemIndex?: number,
): Promise<Collected> {
	const items: IDataObject[] = [];
	const limit = pageSize(max);
	let last: IDataObject = {};
	for (let page = 0; page < MAX_PAGES; page++) {
		last = (await kadoaApiRequest.call(this, 'GET', path, { qs: { ...qs, skip: page * limit, limit }, itemIndex })) as IDataObject;
		const batch = arrayAt(last, [itemsKey]);
		items.push(...batch);
		const pagination = isRecord(last.pagination) ? last.pagination : {};
		const total = typeof pagination.totalCount === 'number' ? pagination.totalCount : undefined;
		const lastPage = typeof pagination.totalPages === 'number' && typeof pagination.page === 'number' && pagination.page >= pagination.totalPages;
		if ((max !== undefined && items.length >= max) || batch.length < limit || lastPage || (total !== undefined && (page + 1) * limit >= total)) break;
	}
	return { items: max === undefined ? items : items.slice(0, max), last };
}

/** `page` (from 1) + `limit` until `page >= totalPages` (workflow data, run history). */
export async function collectByPage(
	this: KadoaContext,
	path: string,
	qs: IDataObject,
	itemsKey: string,
	max: number | undefined,
	itemIndex?: number,
	/** Called with the first page: fixes query values for the following pages (e.g. the run id). */
	pin?: (first: IDataObject) => IDataObject,
): Promise<Collected & { first: IDataObject }> {
	const items: IDataObject[] = [];
	const limit = pageSize(max);
	let query = { ...qs };
	let first: IDataObject = {};
	let last: IDataObject = {};
	for (let page = 1; page <= MAX_PAGES; page++) {
		last = (await kadoaApiRequest.call(this, 'GET', path, { qs: { ...query, page, limit }, itemIndex })) as IDataObject;
		if (page === 1) {
			first = last;
			if (pin) query = { ...query, ...pin(first) };
		}
		const batch = arrayAt(last, [itemsKey]);
		items.push(...batch);
		const pagination = isRecord(last.pagination) ? last.pagination : {};
		const totalPages = typeof pagination.totalPages === 'number' ? pagination.totalPages : undefined;
		if ((max !== undefined && items.length >= max) || batch.length === 0 || (totalPages !== undefined ? page >= totalPages : batch.length < limit)) break;
	}
	return { items: max === undefined ? items : items.slice(0, max), first, last };
}

/** `offset` + `limit` while `hasMore` (notification logs: `{data: {events, pagination: {hasMore}}}`). */
export async function collectByOffset(
	this: KadoaContext,
	path: string,
	qs: IDataObject,
	itemsPath: readonly string[],
	max: number | undefined,
	itemIndex?: number,
): Promise<Collected> {
	const items: IDataObject[] = [];
	const limit = pageSize(max);
	let last: IDataObject = {};
	for (let page = 0; page < MAX_PAGES; page++) {
		last = (await kadoaApiRequest.call(this, 'GET', path, { qs: { ...qs, offset: items.length, limit }, itemIndex })) as IDataObject;
		const batch = arrayAt(last, itemsPath);
		items.push(...batch);
		const data = isRecord(last.data) ? last.data : last;
		const pagination = isRecord(data.pagination) ? data.pagination : {};
		const hasMore = pagination.hasMore === true;
		if ((max !== undefined && items.length >= max) || batch.length === 0 || !hasMore) break;
	}
	return { items: max === undefined ? items : items.slice(0, max), last };
}
