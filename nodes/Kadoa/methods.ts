/** The editor's pickers: workflows (searchable, paged by Kadoa) and saved schemas. */
import type { IDataObject, ILoadOptionsFunctions, INodeListSearchResult, INodePropertyOptions } from 'n8n-workflow';

import { collectBySkip, kadoaApiRequest, PAGE_SIZE } from './transport/request';

const WORKFLOW_URL = 'https://www.kadoa.com/workflow/';

function label(workflow: IDataObject): string {
	const name = typeof workflow.name === 'string' && workflow.name !== '' ? workflow.name : String(workflow.id);
	return workflow.state && workflow.state !== 'ACTIVE' ? `${name} (${String(workflow.state)})` : name;
}

/** One page of workflows per call; Kadoa searches names and IDs. */
export async function searchWorkflows(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	const skip = Number(paginationToken ?? 0) || 0;
	const qs: IDataObject = { skip, limit: PAGE_SIZE };
	if (filter) qs.search = filter;
	const body = (await kadoaApiRequest.call(this, 'GET', '/v4/workflows', { qs })) as IDataObject;
	const workflows = (Array.isArray(body.workflows) ? body.workflows : []) as IDataObject[];
	const total = Number((body.pagination as IDataObject | undefined)?.totalCount ?? NaN);
	const next = skip + workflows.length;
	return {
		results: workflows
			.filter((w) => typeof w.id === 'string')
			.map((w) => ({ name: label(w), value: w.id as string, url: `${WORKFLOW_URL}${String(w.id)}` })),
		paginationToken: workflows.length === PAGE_SIZE && !(next >= total) ? String(next) : undefined,
	};
}

/** Kadoa lists every schema at once (`{error: false, data: [...]}`); the filter is applied here. */
export async function searchSchemas(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const body = (await kadoaApiRequest.call(this, 'GET', '/v4/schemas')) as IDataObject;
	const schemas = (Array.isArray(body.data) ? body.data : []) as IDataObject[];
	const needle = (filter ?? '').toLowerCase();
	return {
		results: schemas
			.filter((s) => typeof s.id === 'string' && (!needle || String(s.name ?? '').toLowerCase().includes(needle) || String(s.id).toLowerCase().includes(needle)))
			.map((s) => ({ name: typeof s.name === 'string' && s.name ? s.name : String(s.id), value: s.id as string })),
	};
}

/** Every workflow, for the multi-select pickers. */
export async function getWorkflows(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const { items } = await collectBySkip.call(this, '/v4/workflows', {}, 'workflows', undefined);
	return items
		.filter((w) => typeof w.id === 'string')
		.map((w) => ({ name: label(w), value: w.id as string, description: w.id as string }))
		.sort((a, b) => a.name.localeCompare(b.name));
}
