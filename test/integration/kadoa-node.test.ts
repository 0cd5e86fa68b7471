/**
 * The Kadoa node's execute() run by n8n-core's own ExecuteContext (test/harness/execute-harness.ts)
 * against the simulator's REST API: every operation, the three paging styles with Return All,
 * Kadoa's three error shapes and 429, Run and Wait's bound and cancellation, realtime delivery
 * set-up twice, a test event reaching a socket, continueOnFail and pairedItem.
 */
import { NodeApiError, NodeOperationError, type IDataObject, type INodeExecutionData } from 'n8n-workflow';
import { inspect } from 'node:util';
import { WebSocket } from 'ws';

import { KadoaApi } from '../../credentials/KadoaApi.credentials';
import { Kadoa } from '../../nodes/Kadoa/Kadoa.node';
import { executeNode, loadOptionsContext, type ExecuteOptions } from '../harness/execute-harness';
import { DEMO_WORKFLOWS, productRow, makeRng, sampleWorkflows, type ChangePayload } from '../simulator/fixtures';
import { WS_CHANNEL_ID } from '../simulator/rest';
import { KadoaSimulator } from '../simulator/simulator';

const KEY = 'test-api-key';
const [W1, W2] = DEMO_WORKFLOWS.map((w) => w.id);
const PAUSED = sampleWorkflows()[5];

const node = new Kadoa();
const credentialType = new KadoaApi();
let sim: KadoaSimulator;

beforeEach(async () => {
	sim = await KadoaSimulator.start({ heartbeatMs: 0 });
});
afterEach(async () => {
	await sim.stop();
});

const byId = (value: string) => ({ __rl: true, mode: 'id', value });

function credentials(apiKey = KEY): ExecuteOptions['credentials'] {
	return { apiKey, apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl };
}

async function run(parameters: ExecuteOptions['parameters'], options: Partial<ExecuteOptions> = {}): Promise<INodeExecutionData[]> {
	const [output] = await executeNode(node, credentialType, { parameters, credentials: credentials(), ...options });
	return output;
}

async function failure(parameters: ExecuteOptions['parameters'], options: Partial<ExecuteOptions> = {}): Promise<NodeApiError | NodeOperationError> {
	const error = await run(parameters, options).then(
		() => undefined,
		(e: unknown) => e,
	);
	if (!(error instanceof NodeApiError || error instanceof NodeOperationError)) throw new Error(`expected an n8n node error, got ${String(error)}`);
	return error;
}

const json = (items: INodeExecutionData[]): IDataObject[] => items.map((i) => i.json);
const requests = (pathPart: string) => sim.rest.requests.filter((r) => r.path.includes(pathPart));

function expectPaired(items: INodeExecutionData[], itemIndex = 0): void {
	expect(items.length).toBeGreaterThan(0);
	for (const item of items) expect(item.pairedItem).toEqual({ item: itemIndex });
}

function manyWorkflows(count: number) {
	return Array.from({ length: count }, (_, i) => ({
		id: `wf${String(i).padStart(22, '0')}`,
		name: `Shop ${String(i).padStart(3, '0')}`,
		state: 'ACTIVE',
		url: `https://shop${i}.example/`,
	}));
}

describe('Workflow', () => {
	it('Get Many: limit, filters (search, state, tags) and Return All over skip+limit pages', async () => {
		const limited = await run({ resource: 'workflow', operation: 'getAll', limit: 4 });
		expect(json(limited).map((w) => w.id)).toEqual(sampleWorkflows().slice(0, 4).map((w) => w.id));
		expectPaired(limited);

		const search = await run({ resource: 'workflow', operation: 'getAll', returnAll: true, filters: { search: 'job board' } });
		expect(json(search).map((w) => w.name)).toEqual(['Job board – careers.example']);
		const paused = await run({ resource: 'workflow', operation: 'getAll', returnAll: true, filters: { state: 'PAUSED' } });
		expect(json(paused).map((w) => w.id)).toEqual([PAUSED.id]);
		sim.setWorkflows(sampleWorkflows().map((w, i) => ({ ...w, tags: i % 2 ? ['pricing'] : ['jobs'] })));
		const tagged = await run({ resource: 'workflow', operation: 'getAll', returnAll: true, filters: { tags: 'pricing, none' } });
		expect(json(tagged)).toHaveLength(3);

		sim.setWorkflows(manyWorkflows(230));
		const before = requests('/v4/workflows').length;
		const all = await run({ resource: 'workflow', operation: 'getAll', returnAll: true });
		expect(all).toHaveLength(230);
		expect(new Set(json(all).map((w) => w.id)).size).toBe(230);
		expect(requests('/v4/workflows').slice(before).map((r) => new URLSearchParams(r.query).get('skip'))).toEqual(['0', '100', '200']);
	});

	it('Get: by ID, by dashboard URL and from the list', async () => {
		const got = await run({ resource: 'workflow', operation: 'get', workflowId: byId(W2) });
		expect(got[0].json).toMatchObject({ id: W2, name: DEMO_WORKFLOWS[1].name, state: 'ACTIVE' });
		expectPaired(got);
		const byUrl = await run({
			resource: 'workflow',
			operation: 'get',
			workflowId: { __rl: true, mode: 'url', value: `https://www.kadoa.com/workflow/${W1}` },
		});
		expect(byUrl[0].json.id).toBe(W1);
		const fromList = await run({ resource: 'workflow', operation: 'get', workflowId: { __rl: true, mode: 'list', value: W1 } });
		expect(fromList[0].json.id).toBe(W1);
	});

	it('Create: from a prompt, a saved schema, or an entity with fields; interval or cron; monitored fields; listed afterwards', async () => {
		const fromPrompt = await run({
			resource: 'workflow',
			operation: 'create',
			urls: 'https://shop.example/monitors,\nhttps://shop.example/tablets',
			extraction: 'prompt',
			userPrompt: 'Extract every product with name, price and link',
			interval: 'DAILY',
			monitoredFields: { field: [{ fieldName: 'price', operator: 'changed' }, { fieldName: 'name', operator: 'added' }] },
			additionalFields: { name: 'Monitors', tags: 'pricing, hardware', maxRecords: 500, bypassPreview: true, country: 'de' },
		});
		expect(fromPrompt[0].json).toMatchObject({ success: true, workflowId: expect.any(String) });
		expectPaired(fromPrompt);
		const id = fromPrompt[0].json.workflowId as string;
		const listed = await run({ resource: 'workflow', operation: 'getAll', returnAll: true, filters: { search: 'Monitors' } });
		expect(json(listed)).toEqual([
			expect.objectContaining({
				id,
				state: 'ACTIVE',
				urls: ['https://shop.example/monitors', 'https://shop.example/tablets'],
				updateInterval: 'DAILY',
				tags: ['pricing', 'hardware'],
				limit: 500,
				monitoring: true,
				notificationConfig: {
					monitoredFields: [
						{ fieldName: 'price', operator: 'changed' },
						{ fieldName: 'name', operator: 'added' },
					],
				},
			}),
		]);

		const fromSchema = await run({
			resource: 'workflow',
			operation: 'create',
			urls: 'https://careers.example/jobs',
			extraction: 'schema',
			schemaId: { __rl: true, mode: 'list', value: 'schema-jobs-0002' },
			interval: 'CUSTOM',
			schedules: ['0 9 * * 1-5', '0 17 * * 1-5'],
			timezone: 'Europe/Berlin',
		});
		const schemaWorkflow = (await run({ resource: 'workflow', operation: 'get', workflowId: byId(fromSchema[0].json.workflowId as string) }))[0].json;
		expect(schemaWorkflow).toMatchObject({
			state: 'PREVIEW',
			schemaId: 'schema-jobs-0002',
			entity: 'JobPosting',
			updateInterval: 'CUSTOM',
			schedules: ['0 9 * * 1-5', '0 17 * * 1-5'],
			scheduleTimezone: 'Europe/Berlin',
		});

		const fromFields = await run({
			resource: 'workflow',
			operation: 'create',
			urls: 'https://homes.example/rent',
			extraction: 'fields',
			entity: 'Listing',
			fields: {
				field: [
					{ name: 'title', description: 'Listing title', dataType: 'STRING', isKey: true },
					{ name: 'rent', description: 'Monthly rent', dataType: 'MONEY', example: '1200 EUR' },
				],
			},
		});
		const fieldsWorkflow = (await run({ resource: 'workflow', operation: 'get', workflowId: byId(fromFields[0].json.workflowId as string) }))[0].json;
		expect(fieldsWorkflow).toMatchObject({
			entity: 'Listing',
			updateInterval: 'ONLY_ONCE',
			schema: [
				{ name: 'title', description: 'Listing title', dataType: 'STRING', fieldType: 'SCHEMA', isKey: true },
				{ name: 'rent', description: 'Monthly rent', dataType: 'MONEY', fieldType: 'SCHEMA', example: '1200 EUR' },
			],
		});
	});

	it("Create: Kadoa's {error: true, message, details} becomes NodeApiError with Kadoa's words", async () => {
		const error = await failure({ resource: 'workflow', operation: 'create', urls: 'https://shop.example/', userPrompt: 'too short' });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe('Invalid request body');
		expect(error.description).toContain('userPrompt: 10 to 5000 characters');
		expect((error as NodeApiError).httpCode).toBe('400');
		expect(error.context.itemIndex).toBe(0);
		const noUrl = await failure({ resource: 'workflow', operation: 'create', urls: ' , ', userPrompt: 'Extract all the products' });
		expect(noUrl).toBeInstanceOf(NodeOperationError);
		expect(noUrl.message).toBe('Enter at least one URL to extract data from');
	});

	it('Update: changes name and monitoring; nothing to update is said plainly', async () => {
		const updated = await run({
			resource: 'workflow',
			operation: 'update',
			workflowId: byId(W1),
			updateFields: { name: 'Laptops (EU)', updateInterval: 'HOURLY', urls: 'https://shop.example/eu/laptops' },
			monitoredFields: { field: [{ fieldName: 'price', operator: 'changed' }] },
		});
		expect(updated[0].json).toEqual({ workflowId: W1, success: true, message: 'Workflow metadata updated' });
		expect(sim.rest.workflows).toBeDefined();
		const stored = (await run({ resource: 'workflow', operation: 'get', workflowId: byId(W1) }))[0].json;
		expect(stored).toMatchObject({ name: 'Laptops (EU)', updateInterval: 'HOURLY', url: 'https://shop.example/eu/laptops', monitoring: true });
		const nothing = await failure({ resource: 'workflow', operation: 'update', workflowId: byId(W1) });
		expect(nothing.message).toBe('Choose at least one field to update');
	});

	it('Run Now and Get Run Status; a run refused with {error, reason} (409) and 429 keep their reason', async () => {
		sim.rest.workflows.jobOutcome = { state: 'never', durationMs: 0 };
		const started = await run({ resource: 'workflow', operation: 'run', workflowId: byId(W1), runOptions: { maxRecords: 5, variables: '{"page": 2}' } });
		expect(started[0].json).toMatchObject({ workflowId: W1, jobId: expect.any(String), status: 'running', message: 'Workflow started' });
		const jobId = started[0].json.jobId as string;
		const status = await run({ resource: 'workflow', operation: 'getRunStatus', workflowId: byId(W1), jobId });
		expect(status[0].json).toMatchObject({ workflowId: W1, jobId, id: jobId, state: 'IN_PROGRESS', limit: 5, variables: { page: 2 } });
		expectPaired(status);

		const created = await run({ resource: 'workflow', operation: 'create', urls: 'https://new.example/', userPrompt: 'Extract the news headlines' });
		const preview = await failure({ resource: 'workflow', operation: 'run', workflowId: byId(created[0].json.workflowId as string) });
		expect(preview.message).toBe('The workflow is waiting for its preview to be confirmed (PREVIEW_AWAITS_CUSTOMER_CONFIRMATION)');
		expect(preview.description).toContain('Confirm the preview in the Kadoa dashboard');
		expect((preview as NodeApiError).httpCode).toBe('409');

		sim.rest.fail({ n: 1, status: 429, reason: 'PIPELINE_CROWDED', path: `/v4/workflows/${W2}/run` });
		const crowded = await failure({ resource: 'workflow', operation: 'run', workflowId: byId(W2) });
		expect(crowded).toBeInstanceOf(NodeApiError);
		expect(crowded.message).toBe('Too many concurrent jobs (PIPELINE_CROWDED)');
		expect(crowded.description).toMatch(/pipeline is crowded right now.*Retry On Fail/);
		expect((crowded as NodeApiError).httpCode).toBe('429');
		sim.rest.fail({ n: 1, status: 429, reason: 'USER_RATE_LIMIT', path: `/v4/workflows/${W2}/run` });
		expect((await failure({ resource: 'workflow', operation: 'run', workflowId: byId(W2) })).description).toMatch(/Too many requests from this Kadoa account/);
	});

	it('Run and Wait: polls until the run finished; its data is then the run given by the job ID', async () => {
		sim.rest.workflows.jobOutcome = { state: 'FINISHED', durationMs: 0, afterPolls: 3, rows: 7 };
		const done = await run({ resource: 'workflow', operation: 'runAndWait', workflowId: byId(W1), pollInterval: 0.05, maxWait: 30 });
		expect(done[0].json).toMatchObject({ workflowId: W1, state: 'FINISHED', finishedAt: expect.any(String) });
		expectPaired(done);
		const jobId = done[0].json.jobId as string;
		expect(requests(`/jobs/${jobId}`)).toHaveLength(3);
		const rows = await run({ resource: 'data', operation: 'get', workflowId: byId(W1), run: 'runId', runId: jobId, returnAll: true });
		expect(rows).toHaveLength(7);
	});

	it('Run and Wait: a failed run fails the node with Kadoa\'s error', async () => {
		sim.rest.workflows.jobOutcome = { state: 'FAILED', durationMs: 0, afterPolls: 2 };
		const error = await failure({ resource: 'workflow', operation: 'runAndWait', workflowId: byId(W1), pollInterval: 0.05, maxWait: 30 });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(new RegExp(`^Kadoa run [0-9a-f-]+ of workflow ${W1} ended FAILED: The page did not load`));
		expect(error.description).toContain('PAGE_LOAD_FAILED');
	});

	it('Run and Wait: gives up at Max Wait, naming the job to follow', async () => {
		sim.rest.workflows.jobOutcome = { state: 'never', durationMs: 0 };
		const error = await failure({ resource: 'workflow', operation: 'runAndWait', workflowId: byId(W1), pollInterval: 0.1, maxWait: 1 });
		const jobId = /Kadoa run (\S+) /.exec(error.message)?.[1] ?? '';
		expect(error.message).toBe(`Kadoa run ${jobId} of workflow ${W1} is still running after 1 s`);
		expect(error.description).toContain(`Get Run Status (Job ID ${jobId})`);
		// Bounded: at most one poll per interval within the wait, (1 s / 0.1 s) + 1, plus one for timer rounding.
		const polls = requests(`/jobs/${jobId}`).length;
		expect(polls).toBeGreaterThanOrEqual(1);
		expect(polls).toBeLessThanOrEqual(12);
	});

	it("Run and Wait: stops waiting when n8n cancels the execution", async () => {
		sim.rest.workflows.jobOutcome = { state: 'never', durationMs: 0 };
		const controller = new AbortController();
		const pending = run({ resource: 'workflow', operation: 'runAndWait', workflowId: byId(W1), pollInterval: 0.2, maxWait: 600 }, { abortSignal: controller.signal });
		await sim.waitFor(() => requests('/jobs/').length >= 2, 5000, 'two status polls');
		controller.abort();
		const error = await pending.then(
			() => undefined,
			(e: unknown) => e as Error,
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toMatch(/^Stopped waiting for Kadoa run \S+: the execution was cancelled$/);
		const polls = requests('/jobs/').length;
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect(requests('/jobs/').length).toBe(polls);
	});

	it('Run and Wait: a cancellation also cuts a status request in flight', async () => {
		sim.rest.workflows.jobOutcome = { state: 'never', durationMs: 0 };
		// The first status request gets no answer for 20 s (the run itself is a PUT).
		sim.rest.delay({ n: 1, ms: 20_000, path: `/v4/workflows/${W1}/jobs/` });
		const controller = new AbortController();
		const pending = run({ resource: 'workflow', operation: 'runAndWait', workflowId: byId(W1), pollInterval: 0.05, maxWait: 600 }, { abortSignal: controller.signal });
		await sim.waitFor(() => requests('/jobs/').length >= 1, 5000, 'the held status request');
		const held = requests('/jobs/')[0];
		expect(held.status).toBe(0);
		controller.abort();
		const error = await pending.then(
			() => undefined,
			(e: unknown) => e as Error,
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toMatch(/^Stopped waiting for Kadoa run \S+: the execution was cancelled$/);
		// Never answered: the client went away (an answered request would show 200).
		expect(held.status).toBe(0);
		expect(requests('/jobs/')).toHaveLength(1);
	});

	it('Pause, Resume and Delete (text/plain and JSON answers); a deleted workflow is 404', async () => {
		const paused = await run({ resource: 'workflow', operation: 'pause', workflowId: byId(W2) });
		expect(paused[0].json).toEqual({ workflowId: W2, success: true, message: 'Workflow paused' });
		expect(sim.rest.requests.at(-1)).toMatchObject({ method: 'PUT', path: `/v4/workflows/${W2}/pause`, status: 200 });
		expect((await run({ resource: 'workflow', operation: 'get', workflowId: byId(W2) }))[0].json.state).toBe('PAUSED');
		const resumed = await run({ resource: 'workflow', operation: 'resume', workflowId: byId(W2) });
		expect(resumed[0].json).toEqual({ workflowId: W2, success: true, message: 'Workflow unpaused' });
		const deleted = await run({ resource: 'workflow', operation: 'delete', workflowId: byId(W2) });
		expect(deleted[0].json).toEqual({ workflowId: W2, success: true, message: 'Workflow deleted' });
		const list = await run({ resource: 'workflow', operation: 'getAll', returnAll: true });
		expect(json(list).map((w) => w.id)).not.toContain(W2);
		const gone = await failure({ resource: 'workflow', operation: 'get', workflowId: byId(W2) });
		expect(gone.message).toBe('Workflow not found');
		expect(gone.description).toMatch(/Check the ID/);
		expect((gone as NodeApiError).httpCode).toBe('404');
	});
});

describe('Data', () => {
	it('Get: latest run, rows as items (Limit), or the whole answer (Simplify off)', async () => {
		const rows = await run({ resource: 'data', operation: 'get', workflowId: byId(W1), limit: 5 });
		expect(rows).toHaveLength(5);
		expect(rows[0].json).toMatchObject({ name: expect.any(String), price: expect.any(Number), currency: 'USD' });
		expectPaired(rows);
		const envelope = await run({ resource: 'data', operation: 'get', workflowId: byId(W1), returnAll: true, simplify: false });
		expect(envelope).toHaveLength(1);
		expect(envelope[0].json).toMatchObject({ workflowId: W1, runId: expect.any(String), executedAt: expect.any(String), totalCount: 12 });
		expect(envelope[0].json.data).toHaveLength(12);
	});

	it('Get: Return All follows page+limit pages, all from the run of the first page', async () => {
		const rng = makeRng(5);
		const runId = sim.rest.workflows.setRows(W1, Array.from({ length: 250 }, (_, i) => productRow(rng, i + 1)));
		const before = requests('/data').length;
		const rows = await run({ resource: 'data', operation: 'get', workflowId: byId(W1), returnAll: true });
		expect(rows).toHaveLength(250);
		expect(rows[249].json.name).toMatch(/#250$/);
		const pages = requests('/data').slice(before).map((r) => new URLSearchParams(r.query));
		expect(pages.map((q) => q.get('page'))).toEqual(['1', '2', '3']);
		expect(pages.map((q) => q.get('runId'))).toEqual([null, runId, runId]);
	});

	it('Get: a given run by ID; an unknown run is a 404 with Kadoa\'s message', async () => {
		const first = sim.rest.workflows.runsOf(W1)[0];
		sim.rest.workflows.setRows(W1, [{ name: 'newer' }]);
		const rows = await run({ resource: 'data', operation: 'get', workflowId: byId(W1), run: 'runId', runId: first.runId, returnAll: true });
		expect(json(rows)).toEqual(first.rows);
		const missing = await failure({ resource: 'data', operation: 'get', workflowId: byId(W1), run: 'runId', runId: 'no-such-run' });
		expect(missing.message).toBe('Run no-such-run not found for this workflow');
	});

	it("Get after a data change: the workflow's data is the change's snapshot (what Kadoa Trigger → Kadoa Get Data shows)", async () => {
		const event = sim.publishDataChange({ workflowId: W2, fixture: { rows: 4, seed: 9 } });
		const change = event.data as ChangePayload;
		const rows = await run({ resource: 'data', operation: 'get', workflowId: byId(W2), returnAll: true, simplify: false });
		expect(rows[0].json).toMatchObject({ workflowId: W2, runId: change.id, executedAt: change.createdAt, data: change.data });
	});

	it('Get for the workflow each input item names (an expression), paired to that item', async () => {
		const items = [{ json: { workflowId: W1 } }, { json: { workflowId: W2 } }];
		const rows = await run(
			{ resource: 'data', operation: 'get', workflowId: { __rl: true, mode: 'id', value: '={{ $json.workflowId }}' }, limit: 2 },
			{ items },
		);
		expect(rows.map((r) => r.pairedItem)).toEqual([{ item: 0 }, { item: 0 }, { item: 1 }, { item: 1 }]);
		expect(requests('/data').map((r) => r.path)).toEqual([`/v4/workflows/${W1}/data`, `/v4/workflows/${W2}/data`]);
	});
});

describe('Change', () => {
	function change(i: number, workflowId: string): ChangePayload {
		return { id: `change-${String(i).padStart(4, '0')}`, workflowId, data: [], differences: [], url: 'https://shop.example/', createdAt: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString() };
	}

	it('Get Many: since a date, for given workflows; Return All over skip+limit pages; Limit', async () => {
		for (let i = 0; i < 230; i++) sim.addChange(change(i, W1));
		for (let i = 0; i < 5; i++) sim.addChange(change(300 + i, W2));
		const before = requests('/v4/changes').length;
		const all = await run({ resource: 'change', operation: 'getAll', workflowIds: [W1], returnAll: true });
		expect(all).toHaveLength(230);
		expect(json(all).every((c) => c.workflowId === W1)).toBe(true);
		expect(requests('/v4/changes').slice(before).map((r) => new URLSearchParams(r.query).get('skip'))).toEqual(['0', '100', '200']);

		const since = await run({
			resource: 'change',
			operation: 'getAll',
			workflowIds: `${W1}, ${W2}`,
			returnAll: true,
			filters: { startDate: '2025-01-01T03:45:00.000Z', excludeData: true },
		});
		// Minutes 225..229 of W1 and 300..304 of W2, newest first.
		expect(json(since).map((c) => c.id)).toEqual([304, 303, 302, 301, 300, 229, 228, 227, 226, 225].map((i) => `change-${String(i).padStart(4, '0')}`));
		expect(since[0].json).not.toHaveProperty('data');
		const query = new URLSearchParams(requests('/v4/changes').at(-1)!.query);
		expect(query.get('workflowIds')).toBe(`${W1},${W2}`);
		expect(query.get('exclude')).toBe('data,differences');

		const three = await run({ resource: 'change', operation: 'getAll', limit: 3 });
		expect(three).toHaveLength(3);
		expectPaired(three);
	});

	it("Get: one change; an unknown one is Kadoa's {error: \"...\"} as NodeApiError", async () => {
		const event = sim.publishDataChange({ workflowId: W1 });
		const changeId = (event.data as ChangePayload).id;
		const got = await run({ resource: 'change', operation: 'get', changeId });
		expect(got[0].json).toEqual(event.data);
		const missing = await failure({ resource: 'change', operation: 'get', changeId: 'nope' });
		expect(missing).toBeInstanceOf(NodeApiError);
		expect(missing.message).toBe('Change not found');
	});
});

describe('Notification', () => {
	it('Enable Realtime Delivery subscribes the channel; running it twice changes nothing', async () => {
		sim.rest.notifications.preset('unsubscribed');
		const first = await run({ resource: 'notification', operation: 'enableRealtime', eventTypes: ['workflow_data_change', 'workflow_finished'], workflowIds: [] });
		expect(first[0].json).toMatchObject({
			channelId: WS_CHANNEL_ID,
			changed: true,
			settings: [
				{ eventType: 'workflow_data_change', workflowId: null, action: 'updated' },
				{ eventType: 'workflow_finished', workflowId: null, action: 'created' },
			],
		});
		expectPaired(first);
		const snapshot = JSON.stringify(sim.rest.notifications.settings);
		const writes = sim.rest.writes('/v5/notifications').length;
		const second = await run({ resource: 'notification', operation: 'enableRealtime', eventTypes: ['workflow_data_change', 'workflow_finished'], workflowIds: [] });
		expect(second[0].json).toMatchObject({ changed: false, settings: [{ action: 'unchanged' }, { action: 'unchanged' }] });
		expect(sim.rest.writes('/v5/notifications').length).toBe(writes);
		expect(JSON.stringify(sim.rest.notifications.settings)).toBe(snapshot);
	});

	it('Send Test Event reaches a subscribed realtime socket, and not an unsubscribed team', async () => {
		const token = (await (await fetch(`${sim.apiUrl}/v4/oauth2/token`, { method: 'POST', headers: { 'x-api-key': KEY } })).json()) as { access_token: string };
		const socket = new WebSocket(`${sim.realtimeUrl}/?access_token=${token.access_token}`);
		const frames: IDataObject[] = [];
		socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as IDataObject));
		await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
		socket.send(JSON.stringify({ action: 'subscribe', channel: sim.team }));
		await sim.waitFor(() => sim.subscribes.length === 1, 2000, 'subscribe');
		try {
			const sent = await run({ resource: 'notification', operation: 'sendTestEvent', eventType: 'workflow_data_change', workflowId: W1 });
			expect(sent[0].json).toMatchObject({ eventId: expect.any(String), eventType: 'workflow_data_change', workflowId: W1 });
			const eventId = sent[0].json.eventId as string;
			await sim.waitFor(() => frames.some((f) => f.id === eventId), 2000, 'the test event on the socket');
			expect(frames.find((f) => f.id === eventId)).toMatchObject({ type: 'workflow_data_change', data: { workflowId: W1, test: true } });

			sim.rest.notifications.preset('unsubscribed');
			const events = sim.events.length;
			const unsent = await run({ resource: 'notification', operation: 'sendTestEvent', eventType: 'workflow_data_change' });
			expect(unsent[0].json.eventId).toEqual(expect.any(String));
			expect(sim.events.length).toBe(events);
			expect(sim.rest.notifications.log.at(-1)).toMatchObject({ eventId: unsent[0].json.eventId, eventStatus: 'NO_CHANNEL' });
		} finally {
			socket.terminate();
		}
	});

	it("Send Test Event: Kadoa's v5 {status, message, data} error becomes NodeApiError", async () => {
		const error = await failure({ resource: 'notification', operation: 'sendTestEvent', eventType: '={{ "no_such_event" }}' });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toMatch(/^Invalid eventType; one of workflow_started/);
		expect((error as NodeApiError).httpCode).toBe('400');
	});

	it('Get Delivery Log: Return All follows offset+hasMore pages; filters', async () => {
		for (let i = 0; i < 230; i++) {
			sim.rest.notifications.log.push({
				id: `log-${i}`,
				workflowId: i % 10 === 0 ? W2 : W1,
				eventType: 'workflow_data_change',
				eventStatus: 'SENT',
				channelConfig: {},
				payload: {},
				eventId: `evt-${i}`,
				createdAt: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
			});
		}
		const before = requests('/v5/notifications/logs').length;
		const all = await run({ resource: 'notification', operation: 'getLog', returnAll: true });
		expect(all).toHaveLength(230);
		expect(all[0].json.id).toBe('log-229');
		expect(requests('/v5/notifications/logs').slice(before).map((r) => new URLSearchParams(r.query).get('offset'))).toEqual(['0', '100', '200']);
		const filtered = await run({ resource: 'notification', operation: 'getLog', returnAll: true, filters: { workflowId: W2 } });
		expect(filtered).toHaveLength(23);
		const limited = await run({ resource: 'notification', operation: 'getLog', limit: 7 });
		expect(limited).toHaveLength(7);
	});
});

describe('Errors and item handling', () => {
	it('a refused key is a NodeApiError with the credential hint; the key is in no message', async () => {
		const error = await failure({ resource: 'workflow', operation: 'getAll', limit: 1 }, { credentials: credentials('wrong-secret-key') });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe('Invalid API key');
		expect(error.description).toMatch(/Check the API key in the Kadoa API credential/);
		expect(inspect(error, { depth: 12, showHidden: true })).not.toContain('wrong-secret-key');
	});

	it('an unreachable Kadoa is a NodeApiError in words that carries the key nowhere', async () => {
		const apiUrl = sim.apiUrl;
		await sim.stop();
		const error = await failure({ resource: 'workflow', operation: 'getAll', limit: 1 }, { credentials: { apiKey: 'secret-key-0815', apiUrl, realtimeUrl: sim.realtimeUrl } });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe(`Cannot reach Kadoa at ${new URL(apiUrl).host}: connection refused`);
		expect(error.description).toMatch(/Check the API URL in the Kadoa API credential/);
		// n8n's HTTP client error (request headers included) is not kept as the cause.
		expect(inspect(error, { depth: 12, showHidden: true })).not.toContain('secret-key-0815');
		expect(JSON.stringify(error)).not.toContain('secret-key-0815');
	});

	it('refuses a plain http:// API URL that is not loopback, before sending anything', async () => {
		const error = await failure(
			{ resource: 'workflow', operation: 'getAll', limit: 1 },
			{ credentials: { apiKey: KEY, apiUrl: 'http://kadoa.example.com', realtimeUrl: sim.realtimeUrl } },
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/API URL must use https:\/\//);
		expect(sim.rest.requests).toHaveLength(0);
	});

	it('continueOnFail: a failing item gives an error item paired to it; the others go on', async () => {
		const items = [{ json: { id: W1 } }, { json: { id: 'no-such-workflow' } }, { json: { id: W2 } }];
		const output = await run(
			{ resource: 'workflow', operation: 'get', workflowId: { __rl: true, mode: 'id', value: '={{ $json.id }}' } },
			{ items, continueOnFail: true },
		);
		expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[0].json.id).toBe(W1);
		expect(output[1].json).toMatchObject({ error: 'Workflow not found', httpCode: '404', description: expect.stringContaining('Check the ID') });
		expect(output[2].json.id).toBe(W2);
		// Without it, the first failure stops the node and names the item.
		const error = await failure({ resource: 'workflow', operation: 'get', workflowId: { __rl: true, mode: 'id', value: '={{ $json.id }}' } }, { items });
		expect(error.context.itemIndex).toBe(1);
	});
});

describe('Pickers', () => {
	const picker = () => loadOptionsContext(node, credentialType, { parameters: { resource: 'workflow', operation: 'get' }, credentials: credentials() });

	it('searches workflows page by page, with the dashboard link', async () => {
		const found = await node.methods.listSearch.searchWorkflows.call(picker(), 'laptop');
		expect(found.results).toEqual([{ name: DEMO_WORKFLOWS[0].name, value: W1, url: `https://www.kadoa.com/workflow/${W1}` }]);
		expect(found.paginationToken).toBeUndefined();
		const paused = await node.methods.listSearch.searchWorkflows.call(picker(), 'legacy');
		expect(paused.results[0].name).toBe(`${PAUSED.name} (PAUSED)`);
		sim.setWorkflows(manyWorkflows(150));
		const first = await node.methods.listSearch.searchWorkflows.call(picker());
		expect(first.results).toHaveLength(100);
		expect(first.paginationToken).toBe('100');
		const second = await node.methods.listSearch.searchWorkflows.call(picker(), undefined, first.paginationToken);
		expect(second.results).toHaveLength(50);
		expect(second.paginationToken).toBeUndefined();
	});

	it('lists saved schemas (filtered here) and every workflow for the multi-selects', async () => {
		const schemas = await node.methods.listSearch.searchSchemas.call(picker());
		expect(schemas.results.map((s) => s.value)).toEqual(['schema-products-0001', 'schema-jobs-0002']);
		expect((await node.methods.listSearch.searchSchemas.call(picker(), 'JOB')).results).toEqual([{ name: 'Job posting', value: 'schema-jobs-0002' }]);
		const options = await node.methods.loadOptions.getWorkflows.call(picker());
		expect(options).toHaveLength(6);
		expect(options.map((o) => o.name)).toEqual([...options.map((o) => o.name)].sort((a, b) => a.localeCompare(b)));
	});
});

describe('Description', () => {
	it('is usable as an AI tool, with an action and a description on every operation', () => {
		const { description } = node;
		expect(description.usableAsTool).toBe(true);
		expect(description.inputs).toEqual(['main']);
		expect(description.outputs).toEqual(['main']);
		const operations = description.properties.filter((p) => p.name === 'operation');
		expect(operations).toHaveLength(4);
		for (const property of operations) {
			for (const option of property.options as Array<{ action?: string; description?: string }>) {
				expect(option.action).toEqual(expect.any(String));
				expect((option.description ?? '').length).toBeGreaterThan(20);
			}
		}
	});
});
