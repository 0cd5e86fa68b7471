/**
 * The n8n harness itself, against a tiny trigger node defined here: where n8n writes static
 * data, how each n8n flavour's emit shows a start failure, a duplicate and a run's end, the
 * 2.x de-duplication index, saveFailedExecution, restarts and re-saves.
 */
import type { ICredentialType, IDataObject, INodeType, IRun, ITriggerFunctions } from 'n8n-workflow';

import { N8nDatabase } from '../harness/n8n-database';
import { N8nTriggerHarness, waitFor, type N8nHarnessOptions } from '../harness/n8n-host';
import type { N8nFlavour } from '../harness/n8n-emit';

type OnTrigger = (context: ITriggerFunctions) => unknown;

const tinyApi: ICredentialType = {
	name: 'tinyApi',
	displayName: 'Tiny API',
	properties: [
		{ displayName: 'Key', name: 'key', type: 'string', default: '' },
		{ displayName: 'URL', name: 'url', type: 'string', default: 'https://tiny.example' },
	],
};

let closes = 0;

function tinyNode(onTrigger: OnTrigger = () => undefined): INodeType {
	return {
		description: {
			displayName: 'Tiny Trigger',
			name: 'tinyTrigger',
			group: ['trigger'],
			version: 1,
			description: 'A trigger for testing the harness',
			defaults: { name: 'Tiny Trigger' },
			inputs: [],
			outputs: ['main'],
			credentials: [{ name: 'tinyApi', required: true }],
			properties: [
				{ displayName: 'Colour', name: 'colour', type: 'string', default: 'blue' },
				{ displayName: 'Count', name: 'count', type: 'number', default: 1 },
				{ displayName: 'Options', name: 'options', type: 'collection', default: {}, placeholder: 'Add option', options: [{ displayName: 'Size', name: 'size', type: 'number', default: 7 }] },
			],
		},
		async trigger(this: ITriggerFunctions) {
			await onTrigger(this);
			return {
				closeFunction: async () => {
					closes++;
				},
			};
		},
	};
}

const harnesses: N8nTriggerHarness[] = [];
afterEach(async () => {
	await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
});

async function activate(options: Partial<N8nHarnessOptions> & { onTrigger?: OnTrigger } = {}): Promise<N8nTriggerHarness> {
	const { onTrigger, ...rest } = options;
	const harness = await N8nTriggerHarness.activateNode({
		nodeType: tinyNode(onTrigger),
		nodeTypeName: 'test.tinyTrigger',
		credentialTypes: [tinyApi],
		credentials: { key: 'k-1' },
		onActivated: (activated) => harnesses.push(activated),
		...rest,
	});
	return harness;
}

const ioTurns = async (count = 3) => {
	for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A donePromise from n8n-core's own helper, with its state observable. */
function done(context: ITriggerFunctions) {
	const deferred = context.helpers.createDeferredPromise<IRun | undefined>();
	const state: { settled?: 'resolved' | 'rejected'; value?: IRun | undefined; error?: Error } = {};
	deferred.promise.then(
		(value) => Object.assign(state, { settled: 'resolved', value }),
		(error: Error) => Object.assign(state, { settled: 'rejected', error }),
	);
	return { deferred: deferred as never, state };
}

const items = (id: string) => [[{ json: { id } }]];
const flavours: N8nFlavour[] = ['2.x', '1.x'];

describe('n8n-core TriggerContext on a real Workflow', () => {
	it('fills parameter defaults, resolves expressions, applies credential defaults, and exposes n8n helpers', async () => {
		let seen: IDataObject = {};
		await activate({
			parameters: { count: '={{ 40 + 2 }}', options: {} },
			onTrigger: async (context) => {
				const credentials = await context.getCredentials('tinyApi');
				seen = {
					colour: context.getNodeParameter('colour') as string,
					count: context.getNodeParameter('count') as number,
					options: context.getNodeParameter('options') as IDataObject,
					credentials,
					mode: context.getMode(),
					activation: context.getActivationMode(),
					workflow: context.getWorkflow() as unknown as IDataObject,
					items: context.helpers.returnJsonArray([{ a: 1 }]) as unknown as IDataObject,
					deferred: typeof context.helpers.createDeferredPromise,
				};
			},
		});
		expect(seen).toMatchObject({
			colour: 'blue',
			count: 42,
			options: {},
			credentials: { key: 'k-1', url: 'https://tiny.example' },
			mode: 'trigger',
			activation: 'activate',
			workflow: { active: true },
			items: [{ json: { a: 1 } }],
			deferred: 'function',
		});
	});

	it('the logger of the context records the node lines, n8n lines apart', async () => {
		const harness = await activate({ onTrigger: (context) => context.logger.warn('careful', { x: 1 }) });
		harness.context.emit(items('a'));
		expect(harness.logs).toEqual([
			{ level: 'warn', message: 'careful', meta: { x: 1 }, origin: 'node' },
			{ level: 'debug', message: `Received trigger for workflow "${harness.workflowName}"`, meta: undefined, origin: 'n8n' },
		]);
	});
});

describe.each(flavours)('static data on %s: written exactly when n8n writes it', (flavour) => {
	it('after activation when trigger() changed it, serialised under node:<name>, without the change flag', async () => {
		const harness = await activate({ flavour, onTrigger: (context) => (context.getWorkflowStaticData('node').cursor = 'c-1') });
		expect(harness.staticDataWrites).toBe(1);
		expect(harness.persistedStaticData).toEqual({ cursor: 'c-1' });
		expect(harness.db.loadStaticData(harness.workflowId)).toEqual({ 'node:Tiny Trigger': { cursor: 'c-1' } });
	});

	it('not after activation when trigger() only read it', async () => {
		const harness = await activate({ flavour, onTrigger: (context) => void context.getWorkflowStaticData('node') });
		expect(harness.staticDataWrites).toBe(0);
	});

	it('at each emit, only if n8n noticed a change since its last write; never at close', async () => {
		const harness = await activate({ flavour });
		const data = harness.context.getWorkflowStaticData('node');
		data.cursor = 'c-1';
		harness.context.emit(items('a'));
		// Changes in the same synchronous turn are in the write: n8n serialises a few microtasks later.
		data.ids = ['a'];
		await ioTurns();
		expect(harness.persistedStaticData).toEqual({ cursor: 'c-1', ids: ['a'] });
		harness.context.emit(items('b'));
		await ioTurns();
		expect(harness.staticDataWrites).toBe(1);
		data.cursor = 'c-2';
		await harness.close();
		expect(harness.persistedStaticData).toEqual({ cursor: 'c-1', ids: ['a'] });
	});

	it('an in-place change of an array created during this activation goes unnoticed; of one loaded from the database, noticed', async () => {
		const harness = await activate({ flavour, staticData: { loaded: ['x'] } });
		const data = harness.context.getWorkflowStaticData('node');
		data.fresh = [];
		harness.context.emit(items('a'));
		await ioTurns();
		(data.fresh as string[]).push('a');
		harness.context.emit(items('b'));
		await ioTurns();
		expect(harness.persistedStaticData).toEqual({ loaded: ['x'], fresh: [] });
		(data.loaded as string[]).push('y');
		harness.context.emit(items('c'));
		await ioTurns();
		expect(harness.persistedStaticData).toEqual({ loaded: ['x', 'y'], fresh: ['a'] });
	});

	it('never in manual mode', async () => {
		const harness = await activate({ flavour, mode: 'manual', onTrigger: (context) => (context.getWorkflowStaticData('node').x = 1) });
		harness.context.getWorkflowStaticData('node').y = 2;
		harness.context.emit(items('a'));
		await waitFor(() => harness.closed);
		await ioTurns();
		expect(harness.staticDataWrites).toBe(0);
	});
});

describe.each(flavours)('emit on %s', (flavour) => {
	it('never throws, not even when n8n cannot start the run; the failure is logged', async () => {
		const harness = await activate({ flavour, emitThrows: () => true });
		expect(() => harness.context.emit(items('a'))).not.toThrow();
		await waitFor(() => harness.emissions[0].status === 'start-failed');
		await ioTurns();
		expect(harness.logs.filter((line) => line.origin === 'n8n' && line.level === 'error').map((line) => line.message)).toEqual([
			expect.stringMatching(/could not start the execution/),
		]);
		expect(harness.executions).toHaveLength(0);
		expect(harness.db.executions).toHaveLength(0);
	});

	it('a start failure with a donePromise: 2.x rejects it, 1.x never settles it', async () => {
		const harness = await activate({ flavour, emitThrows: (index) => index === 0 });
		const failed = done(harness.context);
		harness.context.emit(items('a'), undefined, failed.deferred);
		const ran = done(harness.context);
		harness.context.emit(items('b'), undefined, ran.deferred);
		await waitFor(() => ran.state.settled !== undefined);
		await ioTurns();
		if (flavour === '2.x') {
			expect(failed.state).toMatchObject({ settled: 'rejected', error: expect.objectContaining({ message: expect.stringMatching(/could not start/) }) });
		} else {
			expect(failed.state.settled).toBeUndefined();
			expect(harness.logs).toContainEqual(expect.objectContaining({ level: 'error', origin: 'n8n', meta: { via: 'uncaughtException' } }));
		}
		expect(ran.state.value?.status).toBe('success');
	});

	it('a run that ends resolves the donePromise with it; a cancelled one rejects it', async () => {
		const results = ['error', 'waiting', 'crashed', 'canceled'] as const;
		const harness = await activate({ flavour, execute: (_items, index) => results[index] });
		const promises = results.map((_result, index) => {
			const promise = done(harness.context);
			harness.context.emit(items(`e${index}`), undefined, promise.deferred);
			return promise;
		});
		await waitFor(() => promises.every((promise) => promise.state.settled !== undefined));
		expect(promises.slice(0, 3).map((promise) => promise.state.value?.status)).toEqual(['error', 'waiting', 'crashed']);
		expect(promises[3].state).toMatchObject({ settled: 'rejected', error: expect.objectContaining({ name: 'ManualExecutionCancelledError' }) });
		expect(harness.db.executions.map((execution) => execution.status)).toEqual(['error', 'waiting', 'crashed', 'canceled']);
	});

	it('a de-duplication key: 2.x runs the first and resolves the second with undefined; 1.x ignores it and runs both', async () => {
		const harness = await activate({ flavour });
		const first = done(harness.context);
		const second = done(harness.context);
		harness.context.emit(items('a'), undefined, first.deferred, 'kadoa:evt-1');
		await waitFor(() => first.state.settled !== undefined);
		harness.context.emit(items('a'), undefined, second.deferred, 'kadoa:evt-1');
		await waitFor(() => second.state.settled !== undefined);
		expect(first.state.value?.status).toBe('success');
		if (flavour === '2.x') {
			expect(second.state).toEqual({ settled: 'resolved', value: undefined });
			expect(harness.emissions.map((emission) => emission.status)).toEqual(['success', 'deduplicated']);
			expect(harness.logText()).toMatch(/Scheduled execution skipped: duplicate deduplication key/);
			expect(harness.db.executions.map((execution) => execution.deduplicationKey)).toEqual(['kadoa:evt-1']);
		} else {
			expect(second.state.value?.status).toBe('success');
			expect(harness.db.executions.map((execution) => execution.deduplicationKey)).toEqual([undefined, undefined]);
		}
	});

	it('"reject": the donePromise rejects on both; 2.x as a run that could not start, 1.x as a stopped one', async () => {
		const harness = await activate({ flavour, execute: () => 'reject' });
		const promise = done(harness.context);
		harness.context.emit(items('a'), undefined, promise.deferred, 'key-a');
		await waitFor(() => promise.state.settled !== undefined);
		expect(promise.state.settled).toBe('rejected');
		if (flavour === '2.x') {
			expect(harness.emissions[0]).toMatchObject({ status: 'start-failed', deduplicationKey: 'key-a' });
			expect(harness.emissions[0].executionId).toBeUndefined();
			expect(harness.db.executions).toHaveLength(0);
		} else {
			expect(harness.emissions[0]).toMatchObject({ status: 'canceled', deduplicationKey: undefined });
			expect(promise.state.error?.name).toBe('ManualExecutionCancelledError');
			expect(harness.db.executions.map((execution) => execution.status)).toEqual(['canceled']);
		}
	});

	it('"duplicate" forced by the test: 2.x resolves undefined, 1.x (no de-duplication) runs it', async () => {
		const harness = await activate({ flavour, execute: () => 'duplicate' });
		const promise = done(harness.context);
		harness.context.emit(items('a'), undefined, promise.deferred);
		await waitFor(() => promise.state.settled !== undefined);
		expect(promise.state.value?.status).toBe(flavour === '2.x' ? undefined : 'success');
	});

	it('saveFailedExecution: on 2.x a failed execution in the list, the trigger keeps running; on 1.x absent', async () => {
		const harness = await activate({ flavour });
		const save = (harness.context as Partial<ITriggerFunctions>).saveFailedExecution;
		if (flavour === '1.x') {
			expect(save).toBeUndefined();
			return;
		}
		expect(typeof save).toBe('function');
		harness.context.saveFailedExecution(Object.assign(new Error('frame of 300 MB for event e-1'), { name: 'NodeOperationError' }) as never);
		expect(harness.failedExecutions.map((error) => error.message)).toEqual(['frame of 300 MB for event e-1']);
		expect(harness.db.executions).toEqual([expect.objectContaining({ status: 'error', reportedByTrigger: true, error: 'frame of 300 MB for event e-1' })]);
		expect(harness.logText()).toMatch(/reported the error: "frame of 300 MB for event e-1". Saving to failed executions/);
		expect(harness.closed).toBe(false);
	});

	it('manual mode: emit before trigger() returned throws (n8n-core); the first emit is the test run, then closeFunction; later emits are ignored', async () => {
		let early: unknown;
		const before = closes;
		const harness = await activate({
			flavour,
			mode: 'manual',
			onTrigger: (context) => {
				try {
					context.emit(items('too-early'));
				} catch (error) {
					early = error;
				}
			},
		});
		expect((early as Error).message).toBe('Overwrite TriggerContext.emit function');
		const promise = done(harness.context);
		harness.context.emit(items('a'), undefined, promise.deferred);
		harness.context.emit(items('b'));
		await waitFor(() => closes === before + 1 && promise.state.settled !== undefined);
		expect(promise.state.value?.status).toBe('success');
		expect(harness.emissions.map((emission) => emission.status)).toEqual(['success', 'ignored']);
		expect((harness.context as Partial<ITriggerFunctions>).saveFailedExecution === undefined).toBe(flavour === '1.x');
	});

	it('emit after closeFunction returned is a harness error (a trigger bug)', async () => {
		const harness = await activate({ flavour });
		await harness.close();
		expect(() => harness.context.emit(items('late'))).toThrow(/after closeFunction returned/);
	});
});

describe('the 2.x de-duplication index', () => {
	const flavour = '2.x';

	it('spans all workflows of one n8n', async () => {
		const db = new N8nDatabase();
		const a = await activate({ flavour, db });
		const b = await activate({ flavour, db });
		expect(a.workflowId).not.toBe(b.workflowId);
		a.context.emit(items('x'), undefined, undefined, 'key-1');
		await waitFor(() => a.emissions[0].status === 'success');
		const second = done(b.context);
		b.context.emit(items('x'), undefined, second.deferred, 'key-1');
		await waitFor(() => second.state.settled !== undefined);
		expect(second.state).toEqual({ settled: 'resolved', value: undefined });
	});

	it('a stored execution blocks the key whatever its status, a crashed one included, until it is pruned', async () => {
		const db = new N8nDatabase();
		const first = await activate({ flavour, db, execute: () => 'never' });
		first.context.emit(items('x'), undefined, undefined, 'key-1');
		await waitFor(() => first.emissions[0].status === 'running');
		const restarted = await first.restart({ execute: () => 'success' }, { crash: true });
		expect(db.executions.map((execution) => execution.status)).toEqual(['crashed']);
		const blocked = done(restarted.context);
		restarted.context.emit(items('x'), undefined, blocked.deferred, 'key-1');
		await waitFor(() => blocked.state.settled !== undefined);
		expect(blocked.state.value).toBeUndefined();

		expect(db.prune((execution) => execution.status === 'crashed')).toBe(1);
		const ran = done(restarted.context);
		restarted.context.emit(items('x'), undefined, ran.deferred, 'key-1');
		await waitFor(() => ran.state.settled !== undefined);
		expect(ran.state.value?.status).toBe('success');
	});

	it('pruning by count keeps the newest executions (and running ones) with their keys', async () => {
		const db = new N8nDatabase();
		const harness = await activate({ flavour, db, execute: (_items, index) => (index === 0 ? 'never' : 'success') });
		for (const key of ['k0', 'k1', 'k2', 'k3']) harness.context.emit(items(key), undefined, undefined, key);
		await waitFor(() => harness.emissions.every((emission) => emission.status !== 'starting') && harness.emissions[3].status === 'success');
		expect(db.pruneByCount(2)).toBe(1);
		expect(db.executions.map((execution) => execution.deduplicationKey)).toEqual(['k0', 'k2', 'k3']);
	});

	it('an n8n that does not save successful executions forgets their keys with them', async () => {
		const db = new N8nDatabase({ saveExecutions: { success: false, error: true } });
		const harness = await activate({ flavour, db, execute: (_items, index) => (index === 0 ? 'error' : 'success') });
		const outcomes = ['key-e', 'key-s', 'key-e', 'key-s'].map((key, index) => {
			const promise = done(harness.context);
			harness.context.emit(items(`e${index}`), undefined, promise.deferred, key);
			return promise;
		});
		await waitFor(() => outcomes.every((outcome) => outcome.state.settled !== undefined));
		expect(outcomes.map((outcome) => outcome.state.value?.status ?? 'undefined')).toEqual(['error', 'success', 'undefined', 'success']);
		expect(db.executions.map((execution) => [execution.deduplicationKey, execution.status])).toEqual([['key-e', 'error']]);
	});

	it('a failed run keeps its key; a run that could not start stores none; a never-started (new) execution is reclaimed', async () => {
		const db = new N8nDatabase();
		const harness = await activate({ flavour, db, execute: (_items, index) => (index === 0 ? 'error' : index === 2 ? 'reject' : 'success') });
		const outcomes = ['key-err', 'key-err', 'key-rej', 'key-rej'].map((key, index) => {
			const promise = done(harness.context);
			harness.context.emit(items(`e${index}`), undefined, promise.deferred, key);
			return promise;
		});
		await waitFor(() => outcomes.every((outcome) => outcome.state.settled !== undefined));
		expect(outcomes.map((outcome) => outcome.state.settled === 'rejected' ? 'rejected' : outcome.state.value?.status ?? 'undefined')).toEqual([
			'error',
			'undefined',
			'rejected',
			'success',
		]);
		db.insertExecution({ workflowId: harness.workflowId, nodeName: harness.nodeName, mode: 'trigger', status: 'new', deduplicationKey: 'key-new' });
		const reclaimed = done(harness.context);
		harness.context.emit(items('n'), undefined, reclaimed.deferred, 'key-new');
		await waitFor(() => reclaimed.state.settled !== undefined);
		expect(reclaimed.state.value?.status).toBe('success');
		expect(db.executions.filter((execution) => execution.deduplicationKey === 'key-new').map((execution) => execution.status)).toEqual(['success']);
	});
});

describe.each(flavours)('restarts and re-saves on %s', (flavour) => {
	it('a restart starts from what n8n wrote, not from memory; each workflow of one n8n from its own data', async () => {
		const db = new N8nDatabase();
		const a = await activate({ flavour, db, staticData: { seeded: true } });
		const b = await activate({ flavour, db });
		a.context.getWorkflowStaticData('node').cursor = 'a-1';
		a.context.emit(items('a'));
		b.context.getWorkflowStaticData('node').cursor = 'b-1';
		b.context.emit(items('b'));
		await ioTurns();
		a.context.getWorkflowStaticData('node').cursor = 'a-2 (after the last emit: never written)';
		const [a2, b2] = await N8nTriggerHarness.restartAll([a, b]);
		expect(a2.memoryStaticData).toEqual({ seeded: true, cursor: 'a-1' });
		expect(b2.memoryStaticData).toEqual({ cursor: 'b-1' });
		expect(a2.context.getActivationMode()).toBe('init');
		expect(a.closed && b.closed).toBe(true);
	});

	it('a crash loses a write still under way', async () => {
		const harness = await activate({ flavour });
		harness.context.getWorkflowStaticData('node').cursor = 'c-1';
		harness.context.emit(items('a'));
		const restarted = await harness.restart({}, { crash: true });
		expect(restarted.memoryStaticData).toEqual({});
	});

	it('a re-save: 2.x leaves an unchanged trigger running; a changed one, and any on 1.x, restarts from the database', async () => {
		const harness = await activate({ flavour, parameters: { colour: 'red' } });
		harness.context.getWorkflowStaticData('node').cursor = 'c-1';
		harness.context.emit(items('a'));
		await ioTurns();
		harness.context.getWorkflowStaticData('node').cursor = 'c-2 (in memory only)';

		const same = await harness.resave();
		if (flavour === '2.x') {
			expect(same).toBe(harness);
			expect(harness.closed).toBe(false);
		} else {
			expect(same).not.toBe(harness);
			expect(harness.closed).toBe(true);
			expect(same.memoryStaticData).toEqual({ cursor: 'c-1' });
			expect(same.context.getActivationMode()).toBe('update');
		}

		const changed = await same.resave({ parameters: { colour: 'green' } });
		expect(changed).not.toBe(same);
		expect(same.closed).toBe(true);
		expect(changed.context.getNodeParameter('colour')).toBe('green');
		expect(changed.context.getActivationMode()).toBe('update');
		expect(changed.memoryStaticData).toEqual({ cursor: 'c-1' });
	});
});
