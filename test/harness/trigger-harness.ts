/**
 * An n8n-faithful stand-in for the trigger context, built from what n8n 2.x does:
 * - emit throws until trigger() returned (manual mode swaps emit in afterwards);
 * - static data is persisted (serialised, as n8n writes it to its database) when activation
 *   finishes and at every emit, never on close; a "restart" starts from the persisted copy;
 * - in manual mode the first emit becomes the test run and closeFunction is called next;
 * - donePromise settles as the test's `execute` callback says (or never).
 */
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INode,
	INodeExecutionData,
	IRun,
	ITriggerFunctions,
	ITriggerResponse,
	WorkflowActivateMode,
} from 'n8n-workflow';

import { KadoaTrigger } from '../../nodes/KadoaTrigger/KadoaTrigger.node';

export type RunResult = 'success' | 'error' | 'canceled' | 'waiting' | 'crashed' | 'duplicate' | 'reject' | 'never';

export interface HarnessOptions {
	mode?: 'trigger' | 'manual';
	activationMode?: WorkflowActivateMode;
	credentials: ICredentialDataDecryptedObject;
	parameters?: Record<string, unknown>;
	/** The persisted static data of an earlier activation ("restart"). */
	staticData?: IDataObject;
	/** How each execution ends, for acknowledge modes that wait; default success at once. */
	execute?: (items: INodeExecutionData[], index: number) => RunResult | Promise<RunResult>;
	/** Makes emit throw for these emit calls, counted from 0 (n8n refusing to start an execution). */
	emitThrows?: (index: number) => boolean;
}

export interface Emission {
	items: INodeExecutionData[];
	/** The items' json (computed when read: n8n does not copy items at emit, nor should we). */
	readonly json: IDataObject[];
	deduplicationKey?: string;
	hasDonePromise: boolean;
	at: number;
}

/**
 * The json is computed when read, on the prototype: copying it at every emit is work n8n does
 * not do, and a getter in an object literal gives every emission a slow, larger shape (it
 * tripled the replay benchmark's peak heap).
 */
class RecordedEmission implements Emission {
	constructor(
		readonly items: INodeExecutionData[],
		readonly deduplicationKey: string | undefined,
		readonly hasDonePromise: boolean,
		readonly at: number,
	) {}

	get json(): IDataObject[] {
		return this.items.map((item) => item.json);
	}
}

export interface LogLine {
	level: 'debug' | 'info' | 'warn' | 'error';
	message: string;
	meta?: unknown;
}

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
