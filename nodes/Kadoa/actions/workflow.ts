/** Workflow operations: list, get, create, update, run (now, and wait), run status, pause, resume, delete. */
import { NodeOperationError, sleep, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { collectBySkip, kadoaApiRequest, toNodeError } from '../transport/request';
import { compact, jsonParameter, splitList, workflowIdOf } from './params';

type Operation = (this: IExecuteFunctions, itemIndex: number) => Promise<IDataObject | IDataObject[]>;

const path = (workflowId: string, sub = ''): string => `/v4/workflows/${encodeURIComponent(workflowId)}${sub}`;

/** Kadoa answers some actions with text/plain ("Workflow paused"), others with `{message}`. */
function messageOf(answer: unknown): string | undefined {
	if (typeof answer === 'string') return answer.trim() || undefined;
	if (answer && typeof answer === 'object' && typeof (answer as IDataObject).message === 'string') return (answer as IDataObject).message as string;
	return undefined;
}

function monitoring(this: IExecuteFunctions, itemIndex: number): IDataObject | undefined {
	const collection = this.getNodeParameter('monitoredFields', itemIndex, {}) as { field?: IDataObject[] };
	const fields = (collection.field ?? [])
		.filter((f) => String(f.fieldName ?? '').trim() !== '')
		.map((f) => ({ fieldName: String(f.fieldName).trim(), operator: f.operator ?? 'changed' }));
	return fields.length ? { fields } : undefined;
}

function extractionFields(this: IExecuteFunctions, itemIndex: number): IDataObject[] {
	const collection = this.getNodeParameter('fields', itemIndex, {}) as { field?: IDataObject[] };
	return (collection.field ?? []).map((f) =>
		compact({
			name: String(f.name ?? '').trim(),
			description: String(f.description ?? '').trim(),
			dataType: f.dataType ?? 'STRING',
			fieldType: 'SCHEMA',
			example: String(f.example ?? '').trim(),
			isKey: f.isKey === true ? true : undefined,
		}),
	);
}

const getAll: Operation = async function (itemIndex) {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const max = returnAll ? undefined : (this.getNodeParameter('limit', itemIndex, 50) as number);
	const filters = this.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const qs = compact({ search: filters.search, state: filters.state, tags: splitList(filters.tags).join(',') });
	return (await collectBySkip.call(this, '/v4/workflows', qs, 'workflows', max, itemIndex)).items;
};

const get: Operation = async function (itemIndex) {
	return (await kadoaApiRequest.call(this, 'GET', path(workflowIdOf(this, itemIndex)), { itemIndex })) as IDataObject;
};

const create: Operation = async function (itemIndex) {
	const urls = splitList(this.getNodeParameter('urls', itemIndex, ''));
	if (urls.length === 0) throw new NodeOperationError(this.getNode(), 'Enter at least one URL to extract data from', { itemIndex });
	const body: IDataObject = { urls };
	const extraction = this.getNodeParameter('extraction', itemIndex, 'prompt') as string;
	if (extraction === 'prompt') body.userPrompt = this.getNodeParameter('userPrompt', itemIndex, '') as string;
	else if (extraction === 'schema') body.schemaId = this.getNodeParameter('schemaId', itemIndex, '', { extractValue: true }) as string;
	else {
		body.entity = this.getNodeParameter('entity', itemIndex, '') as string;
		body.fields = extractionFields.call(this, itemIndex);
	}
	const interval = this.getNodeParameter('interval', itemIndex, 'ONLY_ONCE') as string;
	body.interval = interval;
	if (interval === 'CUSTOM') {
		body.schedules = splitList(this.getNodeParameter('schedules', itemIndex, []));
		body.timezone = this.getNodeParameter('timezone', itemIndex, '') as string;
	}
	body.monitoring = monitoring.call(this, itemIndex);
	const extra = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	Object.assign(body, {
		name: extra.name,
		tags: splitList(extra.tags),
		limit: extra.maxRecords,
		bypassPreview: extra.bypassPreview,
		location: extra.country ? { type: 'manual', isoCode: String(extra.country).trim().toUpperCase() } : undefined,
	});
	return (await kadoaApiRequest.call(this, 'POST', '/v4/workflows', { body: compact(body), itemIndex })) as IDataObject;
};

const update: Operation = async function (itemIndex) {
	const workflowId = workflowIdOf(this, itemIndex);
	const fields = this.getNodeParameter('updateFields', itemIndex, {}) as IDataObject;
	const body = compact({
		name: fields.name,
		urls: fields.urls === undefined ? undefined : splitList(fields.urls),
		userPrompt: fields.userPrompt,
		updateInterval: fields.updateInterval,
		schedules: fields.schedules === undefined ? undefined : splitList(fields.schedules),
		timezone: fields.timezone,
		limit: fields.maxRecords,
		monitoring: monitoring.call(this, itemIndex),
	});
	if (Object.keys(body).length === 0) throw new NodeOperationError(this.getNode(), 'Choose at least one field to update', { itemIndex });
	const answer = (await kadoaApiRequest.call(this, 'PUT', path(workflowId, '/metadata'), { body, itemIndex })) as IDataObject;
	return { workflowId, ...answer };
};

async function startRun(this: IExecuteFunctions, itemIndex: number, workflowId: string): Promise<IDataObject> {
	const options = this.getNodeParameter('runOptions', itemIndex, {}) as IDataObject;
	const variables = jsonParameter<IDataObject>(this, options.variables, 'Variables', itemIndex);
	const body = compact({ limit: options.maxRecords, variables: variables && Object.keys(variables).length ? variables : undefined });
	const answer = (await kadoaApiRequest.call(this, 'PUT', path(workflowId, '/run'), { body, itemIndex })) as IDataObject;
	if (typeof answer.jobId !== 'string') {
		throw new NodeOperationError(this.getNode(), 'Kadoa started the run but did not say its job ID', { itemIndex });
	}
	return { workflowId, ...answer };
}

const run: Operation = async function (itemIndex) {
	return await startRun.call(this, itemIndex, workflowIdOf(this, itemIndex));
};

async function runStatus(this: IExecuteFunctions, itemIndex: number, workflowId: string, jobId: string): Promise<IDataObject> {
	const status = (await kadoaApiRequest.call(this, 'GET', path(workflowId, `/jobs/${encodeURIComponent(jobId)}`), { itemIndex })) as IDataObject;
	return { workflowId, jobId, ...status };
}

const getRunStatus: Operation = async function (itemIndex) {
	const jobId = String(this.getNodeParameter('jobId', itemIndex, '')).trim();
	if (jobId === '') throw new NodeOperationError(this.getNode(), 'Enter the Job ID of the run', { itemIndex });
	return await runStatus.call(this, itemIndex, workflowIdOf(this, itemIndex), jobId);
};

class Cancelled extends Error {}

/**
 * Waits `ms`, or less when n8n cancels the execution. n8n-workflow's `sleep` is the wait (no
 * timers of our own); the abort signal ends the wait at once.
 */
async function waitOrCancel(ms: number, signal: AbortSignal | undefined): Promise<void> {
	if (signal?.aborted) throw new Cancelled();
	if (!signal) return await sleep(ms);
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<never>((_, reject) => {
		onAbort = () => reject(new Cancelled());
		signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		await Promise.race([sleep(ms), aborted]);
	} finally {
		if (onAbort) signal.removeEventListener('abort', onAbort);
	}
}

const FAILED_STATES = new Set(['FAILED', 'NOT_SUPPORTED', 'FAILED_INSUFFICIENT_FUNDS']);

const runAndWait: Operation = async function (itemIndex) {
	const workflowId = workflowIdOf(this, itemIndex);
	const maxWaitMs = Math.max(0, Number(this.getNodeParameter('maxWait', itemIndex, 600))) * 1000;
	const pollMs = Math.max(50, Number(this.getNodeParameter('pollInterval', itemIndex, 10)) * 1000);
	// Feature-detected: older n8n versions have no cancellation signal.
	const signal = this.getExecutionCancelSignal?.();
	const started = await startRun.call(this, itemIndex, workflowId);
	const jobId = started.jobId as string;
	const deadline = Date.now() + maxWaitMs;
	// A cancellation can also abort a status request in flight (n8n passes the signal to it).
	const stopped = () =>
		new NodeOperationError(this.getNode(), `Stopped waiting for Kadoa run ${jobId}: the execution was cancelled`, {
			itemIndex,
			description: 'The run itself goes on in Kadoa.',
		});
	for (;;) {
		let status: IDataObject;
		try {
			status = await runStatus.call(this, itemIndex, workflowId, jobId);
		} catch (error) {
			throw signal?.aborted ? stopped() : toNodeError(this.getNode(), error, itemIndex);
		}
		const state = String(status.state ?? '');
		if (FAILED_STATES.has(state)) {
			const errors = Array.isArray(status.errors) ? (status.errors as IDataObject[]) : [];
			const first = errors[0]?.message ? `: ${String(errors[0].message)}` : '';
			throw new NodeOperationError(this.getNode(), `Kadoa run ${jobId} of workflow ${workflowId} ended ${state}${first}`, {
				itemIndex,
				description: errors.length ? errors.map((e) => `${String(e.errorCode ?? 'error')}: ${String(e.message ?? '')}`).join('\n') : undefined,
			});
		}
		if (state !== '' && state !== 'IN_PROGRESS') return status;
		const left = deadline - Date.now();
		if (left <= 0) {
			throw new NodeOperationError(this.getNode(), `Kadoa run ${jobId} of workflow ${workflowId} is still running after ${maxWaitMs / 1000} s`, {
				itemIndex,
				description: `The run goes on in Kadoa. Follow it with Workflow → Get Run Status (Job ID ${jobId}), or raise Max Wait.`,
			});
		}
		try {
			await waitOrCancel(Math.min(pollMs, left), signal);
		} catch (error) {
			throw error instanceof Cancelled ? stopped() : toNodeError(this.getNode(), error, itemIndex);
		}
	}
};

const simpleAction = (sub: string, method: 'PUT' | 'DELETE', done: string): Operation =>
	async function (itemIndex) {
		const workflowId = workflowIdOf(this, itemIndex);
		const answer = await kadoaApiRequest.call(this, method, path(workflowId, sub), { itemIndex });
		return { workflowId, success: true, message: messageOf(answer) ?? done };
	};

export const workflowOperations: Record<string, Operation> = {
	getAll,
	get,
	create,
	update,
	run,
	runAndWait,
	getRunStatus,
	pause: simpleAction('/pause', 'PUT', 'Workflow paused'),
	resume: simpleAction('/resume', 'PUT', 'Workflow resumed'),
	delete: simpleAction('', 'DELETE', 'Workflow deleted'),
};
