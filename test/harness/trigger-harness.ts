/**
 * The Kadoa Trigger run as n8n runs it (see n8n-host.ts for what is n8n's own code and what
 * is modelled, and n8n-emit.ts for the two emit flavours):
 * - n8n-core's TriggerContext on a real n8n Workflow: parameters with their defaults and
 *   expressions, static data, credentials with the Kadoa API credential's defaults;
 * - `emit` as n8n 2.41.1 or 1.123.81 builds it (`flavour`, default env KADOA_N8N_FLAVOUR or
 *   2.x): it never throws; a run that cannot start rejects the donePromise (2.x) or leaves it
 *   unsettled (1.x); a stored de-duplication key resolves it with undefined (2.x);
 * - static data written to the n8n database (N8nDatabase) exactly when n8n writes it: after
 *   activation and at each emit, only when n8n noticed a change, never on close, never in
 *   manual mode; restarts and re-saves start from what was written;
 * - manual mode as n8n-core runs it: the first emit is the test run, closeFunction follows.
 *
 * How each run ends comes from the test's `execute` callback (RunResult) and `emitThrows`.
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { KadoaApi } from '../../credentials/KadoaApi.credentials';
import { KadoaTrigger } from '../../nodes/KadoaTrigger/KadoaTrigger.node';
import { N8nTriggerHarness, type N8nHarnessOptions } from './n8n-host';

export { N8nDatabase, type StoredExecution } from './n8n-database';
export { defaultFlavour, DuplicateExecutionError, type N8nFlavour } from './n8n-emit';
export { waitFor, type Emission, type EmissionStatus, type LogLine, type RunResult } from './n8n-host';

/** The node type name n8n registers a community package's node under. */
export const KADOA_TRIGGER_TYPE = 'n8n-nodes-kadoa.kadoaTrigger';

export interface HarnessOptions extends Omit<N8nHarnessOptions, 'nodeType' | 'nodeTypeName' | 'credentialTypes' | 'credentials' | 'onActivated'> {
	credentials: ICredentialDataDecryptedObject;
	/** Called with every harness this one becomes (first activation, restarts, re-saves). */
	onActivated?: (harness: TriggerHarness) => void;
}

/** The node's defaults (n8n now fills them in from the node description; kept for callers). */
export const DEFAULT_PARAMETERS: Record<string, unknown> = {
	events: ['workflow_data_change'],
	workflowIds: [],
	acknowledge: 'emitted',
	output: 'event',
	options: {},
};

function fakeRun(status: IRun['status']): IRun {
	return {
		data: { resultData: { runData: {} } },
		mode: 'trigger',
		startedAt: new Date(),
		storedAt: 'db',
		status,
	} as unknown as IRun;
}

export class TriggerHarness {
	readonly emissions: Emission[] = [];
	readonly emitErrors: Error[] = [];
	readonly logs: LogLine[] = [];
	/** What n8n would have in its database, as n8n writes it there: serialised. */
	private persistedJson = '{}';
	response?: ITriggerResponse;
	closed = false;
	private readonly staticData: IDataObject;
	private returned = false;
	private emitCalls = 0;
	private readonly node: INode;

	private constructor(readonly options: HarnessOptions) {
		this.staticData = JSON.parse(JSON.stringify(options.staticData ?? {})) as IDataObject;
		this.node = {
			id: 'node-1',
			name: 'Kadoa Trigger',
			type: 'n8n-nodes-kadoa.kadoaTrigger',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		};
	}

	static async activate(options: HarnessOptions): Promise<TriggerHarness> {
		const harness = new TriggerHarness(options);
		await harness.run();
		return harness;
	}

	get mode(): 'trigger' | 'manual' {
		return this.options.mode ?? 'trigger';
	}

	jsons(): IDataObject[] {
		return this.emissions.flatMap((emission) => emission.json);
	}

	eventIds(): string[] {
		return this.emissions.map((emission) => {
			const first = emission.json[0] ?? {};
			const reference = (first._kadoa ?? first) as IDataObject;
			return String(reference.eventId);
		});
	}

	logText(): string {
		return this.logs.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.meta ?? {})}`).join('\n');
	}

	async waitForEmissions(count: number, timeoutMs = 5000): Promise<void> {
		await waitFor(() => this.emissions.length >= count, timeoutMs, `${count} emissions (have ${this.emissions.length})`);
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		await this.response?.closeFunction?.();
	}

	private async run(): Promise<void> {
		const node = new KadoaTrigger();
		const context = this.context();
		this.response = await node.trigger.call(context);
		this.returned = true;
		// n8n saves static data once activation finished (trigger mode only).
		if (this.mode === 'trigger') this.persist();
	}

	/** What n8n would have in its database (parsed on each read: a copy). */
	get persistedStaticData(): IDataObject {
		return JSON.parse(this.persistedJson) as IDataObject;
	}

	/** n8n serialises the whole static data at each save (TypeORM, JSON column). */
	private persist(): void {
		this.persistedJson = JSON.stringify(this.staticData);
	}

	private emit(items: INodeExecutionData[][], done?: { resolve: (run: IRun | undefined) => void; reject: (error: Error) => void }, deduplicationKey?: string): void {
		if (!this.returned) throw new Error('emit called before trigger() returned');
		if (this.closed) throw new Error('emit called after closeFunction');
		const index = this.emitCalls++;
		if (this.options.emitThrows?.(index)) throw new Error('n8n could not start the execution');
		if (this.mode === 'trigger') this.persist();
		const batch = items[0] ?? [];
		this.emissions.push(new RecordedEmission(batch, deduplicationKey, done !== undefined, Date.now()));
		if (this.mode === 'manual') {
			// n8n takes the first event as the test run, then closes the trigger.
			setImmediate(() => void this.close());
			return;
		}
		if (!done) return;
		void Promise.resolve(this.options.execute ? this.options.execute(batch, index) : 'success').then((result) => {
			if (result === 'never') return;
			if (result === 'reject') return done.reject(new Error('execution could not start'));
			if (result === 'duplicate') return done.resolve(undefined);
			done.resolve(fakeRun(result));
		});
	}

	private context(): ITriggerFunctions {
		const parameters = { ...DEFAULT_PARAMETERS, ...this.options.parameters };
		const log = (level: LogLine['level']) => (message: string, meta?: unknown) => {
			this.logs.push({ level, message, meta });
		};
		const context = {
			getNode: () => this.node,
			getWorkflow: () => ({ id: 'wf-test-0000001', name: 'Kadoa test', active: this.mode === 'trigger' }),
			getMode: () => this.mode,
			getActivationMode: () => this.options.activationMode ?? (this.mode === 'manual' ? 'manual' : 'activate'),
			getCredentials: async (type: string) => {
				if (type !== 'kadoaApi') throw new Error(`unexpected credential type ${type}`);
				return { ...this.options.credentials };
			},
			getNodeParameter: (name: string, fallback?: unknown) => (name in parameters ? parameters[name] : fallback),
			getWorkflowStaticData: (type: string) => {
				if (type !== 'node') throw new Error('only node static data is used');
				return this.staticData;
			},
			emit: (items: INodeExecutionData[][], _response?: unknown, done?: { resolve: (run: IRun | undefined) => void; reject: (error: Error) => void }, key?: string) =>
				this.emit(items, done, key),
			emitError: (error: Error) => {
				this.emitErrors.push(error);
				// n8n tears the trigger down after emitError.
				void this.close();
			},
			logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
			helpers: {
				returnJsonArray: (items: IDataObject[]) => items.map((json) => ({ json })),
			},
		};
		return context as unknown as ITriggerFunctions;
	}
}

export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!predicate()) {
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

/** Handles a test can count before and after to prove nothing leaked. */
export function activeHandles(): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
	return counts;
}
