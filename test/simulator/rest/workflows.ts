// Kadoa's workflow endpoints: list (skip + limit), get, create (the documented body shapes),
// update metadata, run, job status, pause, resume, delete, data (page + limit), schemas.
// Jobs need no timers: a job's state is computed from the clock when someone asks, and a
// job that finished becomes the workflow's latest run (its data) at that moment.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { makeRng, productRow, type ChangePayload, type Row, type SimWorkflow } from '../fixtures';
import { intParam, isObject, sendJson } from '../http-util';
import { errorBody, listParam, objectId, pagination, readJsonObject, sendError, sendText, uuid } from './respond';

export const INTERVALS = [
	'ONLY_ONCE',
	'EVERY_10_MINUTES',
	'EVERY_20_MINUTES',
	'HALF_HOURLY',
	'HOURLY',
	'TWO_HOURLY',
	'THREE_HOURLY',
	'FOUR_HOURLY',
	'SIX_HOURLY',
	'TWELVE_HOURLY',
	'EIGHTEEN_HOURLY',
	'DAILY',
	'TWO_DAY',
	'THREE_DAY',
	'WEEKLY',
	'BIWEEKLY',
	'TRIWEEKLY',
	'FOUR_WEEKS',
	'MONTHLY',
	'CUSTOM',
] as const;
const DATA_TYPES = ['STRING', 'NUMBER', 'BOOLEAN', 'DATE', 'DATETIME', 'MONEY', 'IMAGE', 'LINK', 'OBJECT', 'ARRAY'];
const FIELD_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;
const MONITOR_OPERATORS = ['changed', 'added', 'removed'];

export type JobState = 'IN_PROGRESS' | 'FINISHED' | 'FAILED' | 'NOT_SUPPORTED' | 'FAILED_INSUFFICIENT_FUNDS';

/** How the next runs end: their final state, after how long (`never`: they stay IN_PROGRESS). */
export interface JobOutcome {
	state: Exclude<JobState, 'IN_PROGRESS'> | 'never';
	durationMs: number;
	/** Instead of a duration: the run ends at its n-th status request (deterministic for tests). */
	afterPolls?: number;
	/** Rows a finished run extracts (default: the workflow's last run's count, else 12). */
	rows?: number;
}

interface Job {
	id: string;
	workflowId: string;
	startedAt: number;
	/** When it ends (Infinity until its n-th status request, with `afterPolls`). */
	finishAt: number;
	afterPolls?: number;
	polls: number;
	outcome: JobOutcome['state'];
	rows: number;
	limit: number | null;
	variables: Record<string, unknown>;
	settled: boolean;
}

/** One finished run of a workflow: the data `GET /v4/workflows/{id}/data` serves. */
export interface SimRun {
	runId: string;
	executedAt: string;
	rows: Row[];
}

export interface SimSchema {
	id: string;
	name: string;
	isPublic: boolean;
	entity: string;
	schema: Record<string, unknown>[];
}

export const SAMPLE_SCHEMAS: readonly SimSchema[] = [
	{
		id: 'schema-products-0001',
		name: 'Product listing',
		isPublic: false,
		entity: 'Product',
		schema: [
			{ name: 'name', description: 'Product name', dataType: 'STRING', fieldType: 'SCHEMA', isKey: true },
			{ name: 'price', description: 'Current price', dataType: 'MONEY', fieldType: 'SCHEMA' },
			{ name: 'url', description: 'Product page', dataType: 'LINK', fieldType: 'SCHEMA' },
		],
	},
	{
		id: 'schema-jobs-0002',
		name: 'Job posting',
		isPublic: true,
		entity: 'JobPosting',
		schema: [
			{ name: 'title', description: 'Job title', dataType: 'STRING', fieldType: 'SCHEMA', isKey: true },
			{ name: 'location', description: 'Where', dataType: 'STRING', fieldType: 'SCHEMA' },
		],
	},
];

type Body = Record<string, unknown>;

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function seedOf(id: string): number {
	let h = 2166136261;
	for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
	return h >>> 0;
}

function productRows(count: number, seed: number): Row[] {
	const rng = makeRng(seed);
	return Array.from({ length: count }, (_, i) => productRow(rng, i + 1));
}

/** Problems with a create body, as Kadoa's validation would list them (empty = valid). */
function createProblems(body: Body, schemas: readonly SimSchema[]): string[] {
	const problems: string[] = [];
	if (!isStringArray(body.urls) || body.urls.length === 0) problems.push('urls: at least one URL is required');
	else for (const u of body.urls) if (!/^https?:\/\/\S+$/.test(u)) problems.push(`urls: "${u}" is not a URL`);
	const hasPrompt = body.userPrompt !== undefined;
	const hasSchema = body.schemaId !== undefined && !hasPrompt;
	const hasFields = body.entity !== undefined || body.fields !== undefined;
	const hasRaw = body.outputOptions !== undefined;
	const hasTemplate = body.templateId !== undefined;
	if (!hasPrompt && !hasSchema && !hasFields && !hasRaw && !hasTemplate) {
		problems.push('one of userPrompt, schemaId, entity + fields, outputOptions or templateId is required');
	}
	if (hasPrompt && (typeof body.userPrompt !== 'string' || body.userPrompt.length < 10 || body.userPrompt.length > 5000)) {
		problems.push('userPrompt: 10 to 5000 characters');
	}
	if (body.schemaId !== undefined && !schemas.some((s) => s.id === body.schemaId)) problems.push(`schemaId: no schema "${String(body.schemaId)}"`);
	if (hasFields && !hasPrompt) {
		if (typeof body.entity !== 'string' || body.entity === '') problems.push('entity: required with fields');
		if (!Array.isArray(body.fields) || body.fields.length === 0) problems.push('fields: at least one field is required');
	}
	if (Array.isArray(body.fields)) {
		body.fields.forEach((f, i) => {
			if (!isObject(f) || typeof f.name !== 'string' || !FIELD_NAME.test(f.name)) problems.push(`fields[${i}].name: letters, digits and _ only, starting with a letter`);
			else if (f.fieldType !== 'CLASSIFICATION') {
				if (typeof f.description !== 'string' || f.description === '') problems.push(`fields[${i}].description: required`);
				if (!DATA_TYPES.includes(String(f.dataType))) problems.push(`fields[${i}].dataType: one of ${DATA_TYPES.join(', ')}`);
			}
		});
	}
	problems.push(...commonProblems(body, 'interval'));
	return problems;
}

/** Checks shared by create and update (`intervalKey`: `interval` on create, `updateInterval` on update). */
function commonProblems(body: Body, intervalKey: string): string[] {
	const problems: string[] = [];
	if (body.name !== undefined && (typeof body.name !== 'string' || body.name === '')) problems.push('name: a non-empty string');
	if (body[intervalKey] !== undefined && !(INTERVALS as readonly string[]).includes(String(body[intervalKey]))) problems.push(`${intervalKey}: one of ${INTERVALS.join(', ')}`);
	if (body.schedules !== undefined && !isStringArray(body.schedules)) problems.push('schedules: an array of cron expressions');
	if (body.tags !== undefined && (!isStringArray(body.tags) || body.tags.some((t) => t.length < 2))) problems.push('tags: strings of at least 2 characters');
	if (body.limit !== undefined && body.limit !== null && !(Number.isInteger(body.limit) && (body.limit as number) >= 1)) problems.push('limit: a positive integer or null');
	if (body.monitoring !== undefined) {
		const fields = isObject(body.monitoring) ? body.monitoring.fields : undefined;
		if (!Array.isArray(fields) || fields.length === 0) problems.push('monitoring.fields: at least one field');
		else
			fields.forEach((f, i) => {
				if (!isObject(f) || typeof f.fieldName !== 'string' || f.fieldName === '' || !MONITOR_OPERATORS.includes(String(f.operator))) {
					problems.push(`monitoring.fields[${i}]: {fieldName, operator: changed | added | removed}`);
				}
			});
	}
	return problems;
}

export class WorkflowApi {
	private readonly jobs = new Map<string, Job>();
	private readonly runs = new Map<string, SimRun[]>();
	/** How the next runs end (tests change it; the demo keeps the default). */
	jobOutcome: JobOutcome = { state: 'FINISHED', durationMs: 300 };
	readonly schemas: SimSchema[] = SAMPLE_SCHEMAS.map((s) => ({ ...s, schema: s.schema.map((f) => ({ ...f })) }));

	constructor(
		private readonly workflows: () => SimWorkflow[],
		private readonly setWorkflows: (list: SimWorkflow[]) => void,
		/** Published data changes: each one's snapshot is that workflow's data from then on, as after a real run. */
		private readonly changes: () => readonly ChangePayload[] = () => [],
	) {}

	private find(id: string): SimWorkflow | undefined {
		return this.workflows().find((w) => w.id === id);
	}

	/** The workflow's finished runs, oldest first; a workflow that never ran through the API has one sample run. */
	runsOf(workflowId: string): SimRun[] {
		this.settle(workflowId);
		return this.storedRuns(workflowId);
	}

	private storedRuns(workflowId: string): SimRun[] {
		let list = this.runs.get(workflowId);
		if (!list) {
			list = [{ runId: `run-${workflowId.slice(-8)}-0`, executedAt: '2025-01-06T10:00:00.000Z', rows: productRows(12, seedOf(workflowId)) }];
			this.runs.set(workflowId, list);
		}
		return list;
	}

	/** The runs data is served from: the finished runs and the snapshots of published changes, oldest first. */
	private dataRuns(workflowId: string): SimRun[] {
		const fromChanges = this.changes()
			.filter((c) => c.workflowId === workflowId && Array.isArray(c.data))
			.map((c) => ({ runId: c.id, executedAt: c.createdAt, rows: c.data }));
		if (fromChanges.length === 0) return this.runsOf(workflowId);
		// Stable: ties keep runs before change snapshots.
		return [...this.runsOf(workflowId), ...fromChanges].sort((a, b) => (a.executedAt < b.executedAt ? -1 : a.executedAt > b.executedAt ? 1 : 0));
	}

	/** Makes `rows` the workflow's latest run (data paging tests); returns its run id. */
	setRows(workflowId: string, rows: Row[]): string {
		const run: SimRun = { runId: uuid(), executedAt: new Date().toISOString(), rows };
		this.runsOf(workflowId).push(run);
		return run.runId;
	}

	/** Jobs that finished by now become runs (and update the workflow's run state). */
	private settle(workflowId: string): void {
		for (const job of this.jobs.values()) {
			if (job.workflowId !== workflowId || job.settled || this.jobState(job) === 'IN_PROGRESS') continue;
			job.settled = true;
			const wf = this.find(workflowId);
			if (wf) {
				wf.runState = job.outcome === 'FINISHED' ? 'FINISHED' : 'FAILED';
				wf.finishedAt = new Date(job.finishAt).toISOString();
			}
			if (job.outcome !== 'FINISHED') continue;
			this.storedRuns(workflowId).push({ runId: job.id, executedAt: new Date(job.finishAt).toISOString(), rows: productRows(job.limit ?? job.rows, seedOf(job.id)) });
		}
	}

	private jobState(job: Job): JobState {
		if (job.outcome === 'never') return 'IN_PROGRESS';
		if (job.afterPolls !== undefined && job.finishAt === Infinity && job.polls >= job.afterPolls) job.finishAt = Date.now();
		if (Date.now() < job.finishAt) return 'IN_PROGRESS';
		return job.outcome;
	}

	/** Routes /v4/workflows*, /v4/schemas*; false when the path is not one of them. */
	async handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string, method: string): Promise<boolean> {
		if (path === '/v4/schemas' && method === 'GET') {
			req.resume();
			sendJson(res, 200, { error: false, data: this.schemas });
			return true;
		}
		if (path === '/v4/workflows') {
			if (method === 'GET') {
				req.resume();
				this.list(res, url);
				return true;
			}
			if (method === 'POST') {
				await this.create(req, res);
				return true;
			}
			return false;
		}
		const m = /^\/v4\/workflows\/([^/]+)(?:\/(metadata|run|pause|resume|data|jobs)(?:\/([^/]+))?)?$/.exec(path);
		if (!m) return false;
		const id = decodeURIComponent(m[1]);
		const route = `${method} ${m[2] ?? ''}${m[3] !== undefined ? '/:id' : ''}`;
		// Bodies are read only where they matter; the others are drained.
		if (route === 'PUT metadata') await this.update(req, res, id);
		else if (route === 'PUT run') await this.run(req, res, id);
		else {
			req.resume();
			if (route === 'GET ') this.get(res, id);
			else if (route === 'DELETE ') this.remove(res, id);
			else if (route === 'PUT pause') this.pause(res, id);
			else if (route === 'PUT resume') this.resume(res, id);
			else if (route === 'GET data') this.data(res, url, id);
			else if (route === 'GET jobs/:id') this.job(res, id, decodeURIComponent(m[3] ?? ''));
			else return false;
		}
		return true;
	}

	private list(res: ServerResponse, url: URL): void {
		const limit = intParam(url.searchParams.get('limit'), 25, 1, 100);
		const skip = intParam(url.searchParams.get('skip'), 0, 0, Number.MAX_SAFE_INTEGER);
		const search = (url.searchParams.get('search') ?? '').trim().toLowerCase();
		const state = url.searchParams.get('state') ?? '';
		const tags = listParam(url, 'tags');
		const monitoring = url.searchParams.get('monitoring');
		const all = this.workflows().filter(
			(w) =>
				(!search || w.name.toLowerCase().includes(search) || w.id.toLowerCase() === search) &&
				// DRAFT workflows only when asked for (as Kadoa documents).
				(state ? w.state === state : w.state !== 'DRAFT') &&
				(tags.length === 0 || (Array.isArray(w.tags) && tags.some((t) => (w.tags as string[]).includes(t)))) &&
				(monitoring === null || String(w.monitoring === true) === monitoring),
		);
		sendJson(res, 200, { workflows: all.slice(skip, skip + limit), pagination: pagination(all.length, skip, limit) });
	}

	private get(res: ServerResponse, id: string): void {
		const wf = this.find(id);
		if (!wf) return sendError(res, 404, 'v4', 'Workflow not found');
		this.settle(id);
		const runs = this.runsOf(id);
		const running = [...this.jobs.values()].find((j) => j.workflowId === id && this.jobState(j) === 'IN_PROGRESS');
		sendJson(res, 200, {
			urls: [wf.url],
			displayState: running ? 'RUNNING' : wf.state,
			schedules: [],
			monitoring: false,
			tags: [],
			totalRecords: runs[runs.length - 1]?.rows.length ?? 0,
			...wf,
			...(running ? { runState: 'RUNNING', jobId: running.id } : {}),
		});
	}

	private async create(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const body = await readJsonObject(req, res, 'v4');
		if (!body) return;
		const problems = createProblems(body, this.schemas);
		if (problems.length) return sendError(res, 400, 'v4', 'Invalid request body', { details: problems });
		const urls = body.urls as string[];
		const id = objectId();
		const schedules = isStringArray(body.schedules) ? body.schedules : [];
		const wf: SimWorkflow = {
			id,
			name: typeof body.name === 'string' ? body.name : `Workflow for ${new URL(urls[0]).host}`,
			state: body.bypassPreview === true ? 'ACTIVE' : 'PREVIEW',
			url: urls[0],
			urls,
			updateInterval: typeof body.interval === 'string' ? body.interval : schedules.length ? 'CUSTOM' : 'ONLY_ONCE',
			schedules,
			scheduleTimezone: typeof body.timezone === 'string' ? body.timezone : 'UTC',
			tags: isStringArray(body.tags) ? body.tags : [],
			monitoring: body.monitoring !== undefined,
			notificationConfig: isObject(body.monitoring) ? { monitoredFields: body.monitoring.fields } : null,
			limit: typeof body.limit === 'number' ? body.limit : undefined,
			createdAt: new Date().toISOString(),
		};
		if (typeof body.userPrompt === 'string') wf.userPrompt = body.userPrompt;
		if (typeof body.schemaId === 'string') {
			const schema = this.schemas.find((s) => s.id === body.schemaId);
			Object.assign(wf, { schemaId: schema?.id, schemaName: schema?.name, entity: schema?.entity, schema: schema?.schema });
		}
		if (typeof body.entity === 'string') wf.entity = body.entity;
		if (Array.isArray(body.fields)) wf.schema = body.fields;
		this.setWorkflows([...this.workflows(), wf]);
		sendJson(res, 201, { error: false, success: true, workflowId: id, message: 'Workflow created successfully' });
	}

	private async update(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
		const body = await readJsonObject(req, res, 'v4');
		if (!body) return;
		const wf = this.find(id);
		if (!wf) return sendError(res, 404, 'v4', 'Workflow not found');
		const problems = commonProblems(body, 'updateInterval');
		if (body.userPrompt !== undefined && (typeof body.userPrompt !== 'string' || body.userPrompt.length < 10)) problems.push('userPrompt: 10 to 5000 characters');
		if (body.urls !== undefined && (!isStringArray(body.urls) || body.urls.length === 0)) problems.push('urls: at least one URL');
		if (problems.length) return sendError(res, 400, 'v4', 'Invalid request body', { details: problems });
		for (const key of ['name', 'updateInterval', 'schedules', 'limit', 'userPrompt', 'entity', 'location', 'additionalData', 'schema']) {
			if (body[key] !== undefined) wf[key] = body[key];
		}
		if (typeof body.timezone === 'string') wf.scheduleTimezone = body.timezone;
		if (isStringArray(body.urls)) Object.assign(wf, { urls: body.urls, url: body.urls[0] });
		if (isObject(body.monitoring)) Object.assign(wf, { monitoring: true, notificationConfig: { monitoredFields: body.monitoring.fields } });
		sendJson(res, 200, { success: true, message: 'Workflow metadata updated' });
	}

	private async run(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
		const body = await readJsonObject(req, res, 'job');
		if (!body) return;
		const wf = this.find(id);
		if (!wf) return sendError(res, 400, 'job', 'Workflow not found');
		if (wf.state === 'DRAFT' || wf.state === 'PREVIEW') {
			const preview = wf.state === 'PREVIEW';
			return sendJson(
				res,
				409,
				errorBody('job', preview ? 'The workflow is waiting for its preview to be confirmed' : 'The workflow is not set up completely', {
					reason: preview ? 'PREVIEW_AWAITS_CUSTOMER_CONFIRMATION' : 'WORKFLOW_NOT_FINALISED',
					recoveryHint: preview ? 'Confirm the preview in the Kadoa dashboard, then run the workflow again' : 'Finish the workflow set-up in the Kadoa dashboard',
					existingState: wf.state,
				}),
			);
		}
		this.settle(id);
		if ([...this.jobs.values()].some((j) => j.workflowId === id && this.jobState(j) === 'IN_PROGRESS')) {
			return sendError(res, 400, 'job', 'Workflow is already running');
		}
		const now = Date.now();
		const outcome = this.jobOutcome;
		const last = this.runsOf(id).at(-1);
		const job: Job = {
			id: uuid(),
			workflowId: id,
			startedAt: now,
			finishAt: outcome.afterPolls !== undefined ? Infinity : now + outcome.durationMs,
			afterPolls: outcome.afterPolls,
			polls: 0,
			outcome: outcome.state,
			rows: outcome.rows ?? last?.rows.length ?? 12,
			limit: typeof body.limit === 'number' && body.limit > 0 ? Math.floor(body.limit) : null,
			variables: isObject(body.variables) ? body.variables : {},
			settled: false,
		};
		this.jobs.set(job.id, job);
		Object.assign(wf, { jobId: job.id, runState: 'RUNNING', startedAt: new Date(now).toISOString() });
		sendJson(res, 200, { message: 'Workflow started', jobId: job.id, status: 'running' });
	}

	private job(res: ServerResponse, workflowId: string, jobId: string): void {
		const job = this.jobs.get(jobId);
		if (!job || job.workflowId !== workflowId) return sendError(res, 404, 'job', 'Job not found');
		job.polls++;
		this.settle(workflowId);
		const state = this.jobState(job);
		const done = state !== 'IN_PROGRESS';
		sendJson(res, 200, {
			id: job.id,
			workflowId,
			state,
			startedAt: new Date(job.startedAt).toISOString(),
			...(done ? { finishedAt: new Date(job.finishAt).toISOString() } : { estimatedFinishedAtUtc: Number.isFinite(job.finishAt) && job.outcome !== 'never' ? new Date(job.finishAt).toISOString() : null }),
			limit: job.limit,
			variables: job.variables,
			errors:
				state === 'FAILED' || state === 'FAILED_INSUFFICIENT_FUNDS'
					? [{ errorCode: state === 'FAILED' ? 'PAGE_LOAD_FAILED' : 'INSUFFICIENT_FUNDS', message: state === 'FAILED' ? 'The page did not load (HTTP 503 from the site)' : 'Not enough credits', occurredAt: new Date(job.finishAt).toISOString() }]
					: [],
			snapshot: null,
		});
	}

	private pause(res: ServerResponse, id: string): void {
		const wf = this.find(id);
		if (!wf) return sendError(res, 404, 'v4', 'Workflow not found');
		wf.state = 'PAUSED';
		sendText(res, 200, 'Workflow paused');
	}

	private resume(res: ServerResponse, id: string): void {
		const wf = this.find(id);
		if (!wf) return sendError(res, 404, 'v4', 'Workflow not found');
		if (!['PAUSED', 'PREVIEW', 'ERROR'].includes(wf.state)) return sendError(res, 400, 'v4', `Cannot resume a workflow in state ${wf.state}`);
		const message = wf.state === 'PAUSED' ? 'Workflow unpaused' : 'Workflow resumed';
		wf.state = 'ACTIVE';
		sendJson(res, 200, { message });
	}

	private remove(res: ServerResponse, id: string): void {
		if (!this.find(id)) return sendError(res, 404, 'v4', 'Workflow not found');
		this.setWorkflows(this.workflows().filter((w) => w.id !== id));
		sendText(res, 200, 'Workflow deleted');
	}

	private data(res: ServerResponse, url: URL, id: string): void {
		if (!this.find(id)) return sendError(res, 404, 'v4', 'Workflow not found');
		const runs = this.dataRuns(id);
		const runId = url.searchParams.get('runId');
		const run = runId ? runs.find((r) => r.runId === runId) : runs[runs.length - 1];
		if (!run) return sendError(res, 404, 'v4', `Run ${runId} not found for this workflow`);
		const page = intParam(url.searchParams.get('page'), 1, 1, Number.MAX_SAFE_INTEGER);
		const limit = intParam(url.searchParams.get('limit'), 25, 0, 10_000);
		let rows = run.rows;
		const sortBy = url.searchParams.get('sortBy');
		if (sortBy) {
			const dir = url.searchParams.get('order') === 'desc' ? -1 : 1;
			rows = [...rows].sort((a, b) => (String(a[sortBy]) < String(b[sortBy]) ? -dir : String(a[sortBy]) > String(b[sortBy]) ? dir : 0));
		}
		// limit 0 streams everything in one answer.
		const size = limit === 0 ? Math.max(1, rows.length) : limit;
		const slice = limit === 0 ? rows : rows.slice((page - 1) * size, page * size);
		sendJson(res, 200, {
			workflowId: id,
			runId: run.runId,
			executedAt: run.executedAt,
			data: slice,
			pagination: { ...pagination(rows.length, (page - 1) * size, size), page },
		});
	}
}
