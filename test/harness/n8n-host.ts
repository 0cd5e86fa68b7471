/**
 * One trigger node run as n8n runs it, in the jest process, from n8n's own parts:
 * - a real `Workflow` (n8n-workflow): parameter defaults filled in by its constructor,
 *   expressions resolved by its expression engine, static data as its ObservableObject that
 *   sets `__dataChanged` only on the changes n8n notices;
 * - n8n-core 2.41.1's own `TriggerContext` (getNodeParameter, getWorkflowStaticData,
 *   getCredentials, helpers.returnJsonArray/createDeferredPromise, ...), started through
 *   n8n-core's `TriggersAndPollers.runTriggerFunction` (manual mode: its emit swap and
 *   manualTriggerResponse);
 * - the `emit` of n8n 2.41.1 or 1.123.81 (n8n-emit.ts), around a model of the n8n services it
 *   calls: static-data saves, the workflow runner, the executions table (n8n-database.ts).
 *
 * Stubbed, and why it does not matter to a trigger:
 * - InstanceSettings (DI container): the real one reads and creates ~/.n8n/config with an
 *   encryption key. A trigger context only reads `instanceId` (getInstanceId) and, for Wait
 *   node resume URLs, `hmacSignatureSecret`.
 * - Logger: n8n's is one process-wide winston logger; each harness gets its own recording
 *   logger (same debug/info/warn/error calls) so a test sees its own trigger's lines. n8n's
 *   own lines around the trigger (emit, start failures) are recorded too, `origin: 'n8n'`.
 * - Credentials helper: returns the test's credential data with the credential type's
 *   defaults applied, as CredentialsHelper.applyDefaultsAndOverwrites does (n8n 2.41.1
 *   dist/credentials-helper.js lines 351-360). No encryption, overwrites or expressions in
 *   credential fields.
 * - The executions themselves: the test's `execute` callback says how each run ends.
 * - The 1.x flavour keeps n8n-core 2.41.1's TriggerContext (1.123.81 ships n8n-core 1.122.48,
 *   whose context differs in what a trigger can observe only by lacking saveFailedExecution,
 *   which the harness removes) and n8n-workflow 2.41.0's Workflow.
 * Not modelled: n8n wraps an activation error in WorkflowActivationError ("There was a
 * problem activating the workflow: ...") and, on 2.x, retries trigger() up to 5 times with
 * 1 s, 2 s, 4 s, 8 s pauses (workflows/triggers/trigger-activation-retry.js,
 * TRIGGER_ACTIVATION_MAX_ATTEMPTS = 5): the harness throws the node's own error at once.
 * After emitError n8n re-activates the trigger (2.x at once with the same retries, 1.x
 * after 1 s, doubling): the harness records the error and closes the trigger.
 */
import { Container } from '@n8n/di';
import { ExecutionLifecycleHooks } from 'n8n-core/dist/execution-engine/execution-lifecycle-hooks';
import { TriggerContext } from 'n8n-core/dist/execution-engine/node-execution-context/trigger-context';
import { TriggersAndPollers } from 'n8n-core/dist/execution-engine/triggers-and-pollers';
import { InstanceSettings } from 'n8n-core/dist/instance-settings';
import {
	ManualExecutionCancelledError,
	NodeHelpers,
	Workflow,
	type ExecutionStatus,
	type ICredentialDataDecryptedObject,
	type ICredentialType,
	type IDataObject,
	type INode,
	type INodeCredentials,
	type INodeExecutionData,
	type INodeType,
	type INodeTypes,
	type IRun,
	type ITriggerFunctions,
	type ITriggerResponse,
	type IWorkflowExecuteAdditionalData,
	type Logger,
	type WorkflowActivateMode,
} from 'n8n-workflow';

import { N8nDatabase } from './n8n-database';
import {
	createEmit,
	createSaveFailedExecution,
	defaultFlavour,
	DuplicateExecutionError,
	type LogLevel,
	type N8nFlavour,
	type N8nServices,
} from './n8n-emit';

// Module-level on purpose: n8n-core reads it from its container in every context's constructor.
Container.set(InstanceSettings, {
	instanceId: 'kadoa-test-instance',
	hmacSignatureSecret: 'kadoa-test-hmac-secret',
	instanceType: 'main',
	isLeader: true,
} as unknown as InstanceSettings);

/**
 * How a simulated execution ends (the test's `execute` callback), named by what the trigger's
 * donePromise then does:
 * - `success`, `error`, `waiting` (Wait node), `crashed`: resolves with a run of that status;
 * - `canceled`: rejects (ExecutionCancelledError: the execution was stopped);
 * - `reject`: rejects. 2.x: the run could not start (no execution is stored; same as
 *   `emitThrows`). 1.x, where a start failure never settles the donePromise, the only
 *   rejection is a stopped execution: same as `canceled`;
 * - `duplicate`: 2.x: n8n refused it as a duplicate (resolves undefined, nothing stored).
 *   1.x has no de-duplication: it runs and succeeds;
 * - `never`: never settles (the execution stays `running`; `crashed` after a crash-restart).
 * The cause whose observation differs by flavour is `emitThrows`: a start failure.
 */
export type RunResult = 'success' | 'error' | 'canceled' | 'waiting' | 'crashed' | 'duplicate' | 'reject' | 'never';

/** Where an emit ended up: `start-failed` and `deduplicated` never ran; the rest are execution statuses. */
export type EmissionStatus = 'starting' | 'start-failed' | 'deduplicated' | 'ignored' | ExecutionStatus;

export interface Emission {
	/** Emit call number, from 0 (the `index` the `execute` callback and `emitThrows` get). */
	readonly index: number;
	items: INodeExecutionData[];
	/** The items' json (computed when read: n8n does not copy items at emit, nor should we). */
	readonly json: IDataObject[];
	/** The de-duplication key as n8n received it: 2.x only (1.x's emit has no fourth parameter). */
	deduplicationKey?: string;
	hasDonePromise: boolean;
	at: number;
	/** n8n's execution for this emit, once it exists (never for start-failed or deduplicated). */
	executionId?: string;
	status: EmissionStatus;
}

/** The json is computed when read, on the prototype (a getter per object literal tripled the replay benchmark's heap). */
class RecordedEmission implements Emission {
	executionId?: string;
	status: EmissionStatus = 'starting';

	constructor(
		readonly index: number,
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
	level: LogLevel;
	message: string;
	meta?: unknown;
	/** `node`: the trigger's own this.logger; `n8n`: what n8n logs around it. */
	origin?: 'node' | 'n8n';
}

export interface N8nHarnessOptions {
	/** The trigger node, and the type name it is registered under. */
	nodeType: INodeType;
	nodeTypeName: string;
	/** Credential types the node uses (their defaults are applied as n8n does). */
	credentialTypes?: ICredentialType[];
	/** The stored data of the node's credential (every credential type it declares gets it). */
	credentials?: ICredentialDataDecryptedObject;
	mode?: 'trigger' | 'manual';
	activationMode?: WorkflowActivateMode;
	/** The node's parameters as stored in the workflow; n8n fills in the defaults. */
	parameters?: Record<string, unknown>;
	/** Seeds the node's static data in the database before activation (an earlier n8n saved it). */
	staticData?: IDataObject;
	/** How each execution ends; default success at once. `index` counts emit calls from 0. */
	execute?: (items: INodeExecutionData[], index: number) => RunResult | Promise<RunResult>;
	/** n8n fails to start the run of these emit calls (counted from 0), as each flavour shows it. */
	emitThrows?: (index: number) => boolean;
	/** Default: env KADOA_N8N_FLAVOUR, else 2.x. */
	flavour?: N8nFlavour;
	/** The n8n database this workflow lives in; default a new one (a private n8n). */
	db?: N8nDatabase;
	/** At most 21 characters (n8n's isWorkflowIdValid); default a fresh id. */
	workflowId?: string;
	workflowName?: string;
	/** Static data is kept per node name. Default: the node type's default name. */
	nodeName?: string;
	/** Called with every harness this one becomes (first activation, restarts, re-saves). */
	onActivated?: (harness: N8nTriggerHarness) => void;
	/** Internal: the static data n8n read for this activation (a re-save reads it before closing). */
	staticDataSnapshot?: IDataObject;
}

let workflowCounter = 0;
function nextWorkflowId(): string {
	return `kadoaTestWf${String(++workflowCounter).padStart(5, '0')}`;
}

/** n8n 2.41.1 dist/utils.js isWorkflowIdValid: n8n never saves static data of another id. */
function assertWorkflowId(id: string): void {
	if (id.length === 0 || id.length > 21) throw new Error(`workflow id "${id}" is not one n8n accepts (1 to 21 characters): n8n would never save its static data`);
}

class NodeTypes implements INodeTypes {
	constructor(private readonly types: Map<string, INodeType>) {}

	getByName(type: string): INodeType {
		return this.get(type);
	}

	getByNameAndVersion(type: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.get(type), version);
	}

	getKnownTypes(): IDataObject {
		return {};
	}

	private get(type: string): INodeType {
		const nodeType = this.types.get(type);
		if (!nodeType) throw new Error(`Unrecognized node type: ${type}`);
		return nodeType;
	}
}

function latestVersion(nodeType: INodeType): number {
	const { version } = nodeType.description;
	return Array.isArray(version) ? Math.max(...version) : version;
}

function finishedRun(status: ExecutionStatus, startedAt: Date, mode: 'trigger' | 'manual'): IRun {
	const resultData: IDataObject = { runData: {} };
	if (status === 'error') resultData.error = { name: 'NodeOperationError', message: 'The workflow failed (simulated by the test harness)' };
	return {
		data: { resultData },
		mode,
		startedAt,
		stoppedAt: new Date(),
		status,
		finished: status === 'success',
		storedAt: 'db',
	} as unknown as IRun;
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
const ioTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class StartFailure extends Error {
	constructor() {
		super('n8n could not start the execution (simulated: the workflow could not be loaded or the queue is unreachable)');
	}
}

export class N8nTriggerHarness {
	readonly emissions: Emission[] = [];
	/** Errors the node reported with emitError. */
	readonly emitErrors: Error[] = [];
	/** 2.x: errors the node reported with saveFailedExecution (each a failed execution in n8n's list). */
	readonly failedExecutions: Error[] = [];
	readonly logs: LogLine[] = [];
	response?: ITriggerResponse;
	/** n8n began closing the trigger (deactivation, re-save, shutdown, manual run over). */
	closed = false;
	/** Manual mode: the test run's failure (emitError, saveFailedExecution, manualTriggerFunction). */
	manualRunError?: Error;
	readonly flavour: N8nFlavour;
	readonly db: N8nDatabase;
	readonly workflowId: string;
	readonly workflowName: string;
	readonly nodeName: string;
	/** n8n's Workflow object of this activation (its staticData is what n8n holds in memory). */
	readonly workflow: Workflow;
	/** The context the node got (n8n-core's TriggerContext). */
	context!: ITriggerFunctions;

	private readonly node: INode;
	private readonly emissionOf = new WeakMap<INodeExecutionData[][], RecordedEmission>();
	private readonly outcomes = new Map<string, Promise<IRun>>();
	private readonly pendingWrites = new Set<Promise<void>>();
	private emitCalls = 0;
	private closing?: Promise<void>;
	private closeReturned = false;
	/** n8n's process died (kill): nothing it would do happens any more. */
	private dead = false;
	private manualHooks?: ExecutionLifecycleHooks;

	protected constructor(readonly options: N8nHarnessOptions) {
		this.flavour = options.flavour ?? defaultFlavour();
		this.db = options.db ?? new N8nDatabase();
		this.workflowId = options.workflowId ?? nextWorkflowId();
		assertWorkflowId(this.workflowId);
		this.workflowName = options.workflowName ?? `Test workflow ${this.workflowId}`;
		this.nodeName = options.nodeName ?? options.nodeType.description.defaults.name ?? options.nodeType.description.displayName;
		if (options.staticData) this.db.seedNodeStaticData(this.workflowId, this.nodeName, options.staticData);

		const credentials: INodeCredentials = {};
		for (const credential of options.nodeType.description.credentials ?? []) {
			credentials[credential.name] = { id: `cred-${credential.name}`, name: `${credential.name} account` };
		}
		const storedNode: INode = {
			id: `node-${this.workflowId}`,
			name: this.nodeName,
			type: options.nodeTypeName,
			typeVersion: latestVersion(options.nodeType),
			position: [0, 0],
			parameters: JSON.parse(JSON.stringify(options.parameters ?? {})) as INode['parameters'],
			credentials,
		};
		// What n8n reads from its database at activation (a re-save: read before the old trigger closed).
		const staticData = options.staticDataSnapshot ?? this.db.loadStaticData(this.workflowId);
		this.workflow = new Workflow({
			id: this.workflowId,
			name: this.workflowName,
			nodes: [storedNode],
			connections: {},
			active: this.mode === 'trigger',
			nodeTypes: new NodeTypes(new Map([[options.nodeTypeName, options.nodeType]])),
			staticData,
			settings: {},
		});
		this.node = this.workflow.nodes[this.nodeName];
	}

	/** Activates a trigger node as n8n would; resolves once trigger() returned (and, trigger mode, static data was saved). */
	static async activateNode(options: N8nHarnessOptions): Promise<N8nTriggerHarness> {
		const harness = new N8nTriggerHarness(options);
		await harness.run();
		return harness;
	}

	/** The node's id in the workflow (n8n: a UUID; here `node-<workflowId>`). */
	get nodeId(): string {
		return this.node.id;
	}

	get mode(): 'trigger' | 'manual' {
		return this.options.mode ?? 'trigger';
	}

	get activationMode(): WorkflowActivateMode {
		return this.options.activationMode ?? (this.mode === 'manual' ? 'manual' : 'activate');
	}

	/** The node's static data as n8n last wrote it to its database (a parsed copy). */
	get persistedStaticData(): IDataObject {
		return this.db.nodeStaticData(this.workflowId, this.nodeName);
	}

	/** The node's static data as n8n holds it in memory now (a copy). */
	get memoryStaticData(): IDataObject {
		const data = this.workflow.staticData[`node:${this.nodeName}`] as IDataObject | undefined;
		return data ? (JSON.parse(JSON.stringify(data)) as IDataObject) : {};
	}

	/** How often n8n wrote this workflow's static data. */
	get staticDataWrites(): number {
		return this.db.staticDataWrites(this.workflowId);
	}

	/** Emits for which n8n started an execution (running or ended). */
	get executions(): Emission[] {
		return this.emissions.filter((emission) => emission.executionId !== undefined);
	}

	jsons(): IDataObject[] {
		return this.emissions.flatMap((emission) => emission.json);
	}

	logText(): string {
		return this.logs.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.meta ?? {})}`).join('\n');
	}

	async waitForEmissions(count: number, timeoutMs = 5000): Promise<void> {
		await waitFor(() => this.emissions.length >= count, timeoutMs, `${count} emissions (have ${this.emissions.length})`);
	}

	/**
	 * Deactivation (also what n8n does to the old trigger on a re-save, and to every trigger
	 * on shutdown): closeFunction. n8n saves no static data here. Executions already running
	 * go on and still settle their donePromise.
	 */
	async close(): Promise<void> {
		if (!this.closing) {
			this.closed = true;
			this.closing = (async () => {
				try {
					await this.response?.closeFunction?.();
				} finally {
					this.closeReturned = true;
					await Promise.all([...this.pendingWrites]);
				}
			})();
		}
		return this.closing;
	}

	/**
	 * n8n's process dies (kill -9, OOM): from now on nothing n8n would do happens (emits start
	 * nothing and save nothing, running executions never report, static data not yet written
	 * is lost). closeFunction is still called, to free the node's sockets and timers in this
	 * process; a real crash would not run it (cut the network first if that matters).
	 * Then, before activating again, `db.recoverAfterCrash()` (restart({ crash: true }) does both).
	 */
	async kill(): Promise<void> {
		this.dead = true;
		await this.close();
	}

	/**
	 * n8n stops and starts again: the trigger is closed (or its process killed), and a new
	 * activation (`init`) of the same workflow starts from what n8n had written.
	 */
	async restart(overrides: Partial<N8nHarnessOptions> = {}, { crash = false } = {}): Promise<this> {
		if (crash) await this.kill();
		else await this.close();
		if (crash) this.db.recoverAfterCrash();
		return this.spawn({ activationMode: 'init', ...overrides });
	}

	/**
	 * Restarts an n8n holding several workflows: closes (or kills) them all, then activates
	 * them again one after another in the given order (n8n activates one workflow at a time by
	 * default: N8N_WORKFLOW_ACTIVATION_BATCH_SIZE = 1).
	 */
	static async restartAll<T extends N8nTriggerHarness>(harnesses: T[], { crash = false } = {}): Promise<T[]> {
		await Promise.all(harnesses.map((harness) => (crash ? harness.kill() : harness.close())));
		if (crash) for (const db of new Set(harnesses.map((harness) => harness.db))) db.recoverAfterCrash();
		const restarted: T[] = [];
		for (const harness of harnesses) restarted.push(await harness.spawn({ activationMode: 'init' }));
		return restarted;
	}

	/**
	 * The user saves (2.x: publishes) the active workflow.
	 *
	 * 2.x (publication service, on by default: @n8n/config WorkflowsConfig.useWorkflowPublicationService):
	 * WorkflowPublicationApplier.publish (dist/workflows/publication/workflow-publication-applier.js
	 * lines 67-129) re-registers a trigger only when its name, type, typeVersion, webhookId,
	 * credentials reference or parameters changed (publication/trigger-diff.js). Otherwise
	 * the trigger keeps running untouched, with its in-memory static data: this returns the
	 * same harness. When it changed: the workflow row, with its static data, is read first
	 * (resolveVersions, lines 299-311), then the old trigger is closed (teardownOldVersionNodes)
	 * and the new one activated (`update`) on a Workflow built from that row
	 * (WorkflowTriggerActivator.createWorkflow, workflow-trigger-activator.js lines 328-339).
	 *
	 * 1.x (n8n 1.123.81 dist/workflows/workflow.service.js lines 242-243, 297, 350-358): any
	 * save of an active workflow removes it (closeFunction), updates the row (the editor sends
	 * no static data), then ActiveWorkflowManager.add(id, 'update') reads the workflow from the
	 * database again (active-workflow-manager.js lines 385, 403-412).
	 */
	async resave(change: { parameters?: Record<string, unknown>; triggerChanged?: boolean } = {}): Promise<this> {
		const parameters = change.parameters ?? this.options.parameters;
		const changed = change.triggerChanged ?? JSON.stringify(parameters ?? {}) !== JSON.stringify(this.options.parameters ?? {});
		if (this.flavour === '2.x') {
			if (!changed) return this;
			const snapshot = this.db.loadStaticData(this.workflowId);
			await this.close();
			return this.spawn({ activationMode: 'update', parameters, staticDataSnapshot: snapshot });
		}
		await this.close();
		return this.spawn({ activationMode: 'update', parameters });
	}

	/** A new activation of the same workflow in the same n8n database (restart, re-save). */
	protected async spawn(overrides: Partial<N8nHarnessOptions>): Promise<this> {
		const { staticData: _seedOnlyOnce, staticDataSnapshot: _readOnce, ...options } = this.options;
		const Self = this.constructor as new (options: N8nHarnessOptions) => this;
		const next = new Self({
			...options,
			db: this.db,
			workflowId: this.workflowId,
			workflowName: this.workflowName,
			nodeName: this.nodeName,
			flavour: this.flavour,
			...overrides,
		});
		await next.run();
		return next;
	}

	protected async run(): Promise<void> {
		const triggers = new TriggersAndPollers();
		const additionalData = this.additionalData();
		await this.workflow.expression.acquireIsolate();
		try {
			this.response = await triggers.runTriggerFunction(
				this.workflow,
				this.node,
				(workflow, node, data, mode, activation) => this.createContext(workflow, node, data, mode, activation),
				additionalData,
				this.mode,
				this.activationMode,
			);
		} catch (error) {
			this.closed = true;
			this.closeReturned = true;
			// 2.x saves static data even when a trigger failed to activate (WorkflowTriggerActivator.activateInternal
			// collects failures, then saves: lines 203-216); 1.x's add() throws before its save (line 447).
			if (this.mode === 'trigger' && this.flavour === '2.x') await this.saveStaticData();
			throw error;
		} finally {
			await this.workflow.expression.releaseIsolate();
		}
		if (this.mode === 'manual') {
			this.startManualRun();
		} else {
			// Saved once activation finished: 2.x activateInternal lines 213-216; 1.x add() line 447.
			await this.saveStaticData();
		}
		this.options.onActivated?.(this);
	}

	private additionalData(): IWorkflowExecuteAdditionalData {
		const credentialTypes = new Map((this.options.credentialTypes ?? []).map((type) => [type.name, type]));
		const stored = this.options.credentials ?? {};
		const credentialsHelper = {
			isCredentialUsableByNode: () => true,
			getParentTypes: () => [],
			getCredentialsProperties: (type: string) => credentialTypes.get(type)?.properties ?? [],
			getDecrypted: async (_additionalData: unknown, _nodeCredentials: unknown, type: string) => {
				const credentialType = credentialTypes.get(type);
				if (!credentialType) throw new Error(`Unknown credential type "${type}" (give it in credentialTypes)`);
				const data = JSON.parse(JSON.stringify(stored)) as ICredentialDataDecryptedObject;
				return NodeHelpers.getNodeParameters(credentialType.properties, data as INode['parameters'], true, false, null, null) as ICredentialDataDecryptedObject;
			},
		};
		const additionalData: Record<string, unknown> = {
			credentialsHelper,
			restApiUrl: 'http://127.0.0.1:5678/rest',
			instanceBaseUrl: 'http://127.0.0.1:5678/',
			webhookBaseUrl: 'http://127.0.0.1:5678/webhook/',
			webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting/',
			webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test/',
			formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting/',
			variables: {},
			executeWorkflow: async () => {
				throw new Error('executeWorkflow is not available in the trigger harness');
			},
		};
		// Manual runs: n8n-core's runTriggerFunction hangs the donePromise on these hooks.
		if (this.mode === 'manual') {
			this.manualHooks = new ExecutionLifecycleHooks('manual', 'manual-run', { id: this.workflowId, name: this.workflowName, nodes: [], connections: {}, active: false } as never);
			additionalData.hooks = this.manualHooks;
		}
		return additionalData as unknown as IWorkflowExecuteAdditionalData;
	}

	private createContext(
		workflow: Workflow,
		node: INode,
		additionalData: IWorkflowExecuteAdditionalData,
		mode: 'trigger' | 'manual' | string,
		activation: WorkflowActivateMode,
	): ITriggerFunctions {
		let context: TriggerContext;
		if (mode === 'manual') {
			// n8n-core's getExecuteTriggerFunctions: emit & co. throw until runTriggerFunction swaps them.
			context = new TriggerContext(workflow, node, additionalData, 'manual', activation);
		} else {
			const services = this.services();
			const n8nEmit = createEmit(this.flavour, services);
			const emit: ITriggerFunctions['emit'] = (data, responsePromise, donePromise, deduplicationKey) => {
				if (this.dead) return;
				if (this.closeReturned) {
					// Not n8n: a harness check. A trigger must not emit once its closeFunction returned.
					throw new Error('emit called after closeFunction returned');
				}
				// What n8n receives: 1.x's emit has no fourth parameter.
				const emission = this.record(data, donePromise !== undefined, this.flavour === '2.x' ? deduplicationKey : undefined);
				this.emissionOf.set(data, emission);
				n8nEmit(data, responsePromise, donePromise, deduplicationKey);
			};
			const emitError = (error: Error) => {
				if (this.dead) return;
				this.emitErrors.push(error);
				if (this.flavour === '2.x') {
					// recoverFromRuntimeTriggerFailure (workflow-trigger-activator.js lines 544-574), via errorReporter.warn.
					services.log('warn', `The trigger node "${node.name}" failed at runtime and was deactivated`, { workflowId: this.workflowId, nodeName: node.name });
				} else {
					// active-workflow-manager.js lines 270-281.
					services.log('info', `The trigger node "${node.name}" of workflow "${this.workflowName}" failed with the error: "${error.message}". Will try to reactivate.`, {
						nodeName: node.name,
						workflowId: this.workflowId,
						workflowName: this.workflowName,
					});
				}
				void this.close();
			};
			context = new TriggerContext(workflow, node, additionalData, 'trigger', activation, emit, emitError, createSaveFailedExecution(this.flavour, services));
		}
		if (this.flavour === '1.x') delete (context as { saveFailedExecution?: unknown }).saveFailedExecution;
		Object.defineProperty(context, 'logger', { value: this.nodeLogger(), configurable: true });
		this.context = context;
		return context;
	}

	private record(data: INodeExecutionData[][], hasDonePromise: boolean, deduplicationKey: string | undefined): RecordedEmission {
		const emission = new RecordedEmission(this.emitCalls++, data[0] ?? [], deduplicationKey, hasDonePromise, Date.now());
		this.emissions.push(emission);
		return emission;
	}

	private nodeLogger(): Logger {
		const log = (level: LogLevel) => (message: string, meta?: unknown) => {
			this.logs.push({ level, message, meta, origin: 'node' });
		};
		return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } as Logger;
	}

	private services(): N8nServices {
		return {
			workflowId: this.workflowId,
			workflowName: this.workflowName,
			node: this.node,
			saveStaticData: () => this.saveStaticData(),
			runWorkflow: (data, deduplicationKey) => this.runWorkflow(data, deduplicationKey),
			getPostExecutePromise: async (executionId) => {
				const run = this.outcomes.get(executionId);
				this.outcomes.delete(executionId);
				if (!run) throw new Error(`Execution ${executionId} not found`);
				return await run;
			},
			log: (level, message, meta) => {
				this.logs.push({ level, message, meta, origin: 'n8n' });
			},
			reportUncaught: (error) => {
				this.logs.push({ level: 'error', message: error.message, meta: { via: 'uncaughtException' }, origin: 'n8n' });
			},
			recordTriggerFailure: (error) => {
				this.failedExecutions.push(error);
				this.db.insertExecution({ workflowId: this.workflowId, nodeName: this.nodeName, mode: this.mode, status: 'error', reportedByTrigger: true, error: error.message });
			},
		};
	}

	/**
	 * WorkflowStaticDataService.saveStaticData: only when n8n noticed a change (`__dataChanged`).
	 * n8n hands the live object to TypeORM, which serialises it when it builds the UPDATE a few
	 * microtasks later; the flag is cleared only once the write returned, so a change made
	 * while the write is under way is not saved until something changes again.
	 */
	private saveStaticData(): Promise<void> {
		const staticData = this.workflow.staticData;
		if (this.mode !== 'trigger' || this.dead || staticData.__dataChanged !== true) return Promise.resolve();
		const write = (async () => {
			await Promise.resolve();
			const serialised = JSON.stringify(staticData);
			await ioTurn();
			if (this.dead) return;
			this.db.writeStaticData(this.workflowId, serialised);
			staticData.__dataChanged = false;
		})();
		this.pendingWrites.add(write);
		void write.finally(() => this.pendingWrites.delete(write));
		return write;
	}

	/**
	 * The workflow runner's part, per flavour: (2.x) load the published workflow, insert the
	 * execution (the de-duplication index may refuse it), run it. Resolves with the execution
	 * id once the run ended (when the id is known does not change what the trigger sees: the
	 * donePromise waits for the end either way).
	 */
	private async runWorkflow(data: INodeExecutionData[][], deduplicationKey: string | undefined): Promise<string> {
		const emission = this.emissionOf.get(data);
		if (!emission) throw new Error('runWorkflow without a recorded emit');
		await ioTurn();
		if (this.dead) return never();
		if (this.options.emitThrows?.(emission.index)) throw this.startFailed(emission);
		const key = this.flavour === '2.x' ? deduplicationKey : undefined;
		try {
			this.db.assertKeyFree(key);
		} catch (error) {
			emission.status = 'deduplicated';
			throw error;
		}
		const startedAt = new Date();
		const outcome = this.options.execute ? this.options.execute(emission.items, emission.index) : 'success';
		// A result known at once decides the start before any execution exists.
		if (outcome === 'reject' && this.flavour === '2.x') throw this.startFailed(emission);
		if (outcome === 'duplicate' && this.flavour === '2.x') throw this.deduplicated(emission, key);
		const execution = this.db.insertExecution({ workflowId: this.workflowId, nodeName: this.nodeName, mode: 'trigger', status: 'running', deduplicationKey: key });
		emission.executionId = execution.id;
		emission.status = 'running';
		const result = await outcome;
		if (this.dead) return never();
		if (this.flavour === '2.x' && (result === 'reject' || result === 'duplicate')) {
			// Decided late (an async callback): the run is taken back as if it never started.
			this.db.deleteExecution(execution.id);
			emission.executionId = undefined;
			throw result === 'reject' ? this.startFailed(emission) : this.deduplicated(emission, key);
		}
		let run: Promise<IRun>;
		if (result === 'never') {
			run = never();
		} else if (result === 'canceled' || result === 'reject') {
			// ActiveExecutions.stopExecution rejects the post-execute promise (2.41.1 active-executions.js
			// lines 151-173; 1.123.81 lines 117-132).
			this.db.finishExecution(execution.id, 'canceled');
			emission.status = 'canceled';
			run = Promise.reject(new ManualExecutionCancelledError(execution.id));
			run.catch(() => undefined);
		} else {
			// 1.x has no de-duplication: a "duplicate" simply runs.
			const status: ExecutionStatus = result === 'duplicate' ? 'success' : result;
			this.db.finishExecution(execution.id, status);
			emission.status = status;
			run = Promise.resolve(finishedRun(status, startedAt, 'trigger'));
		}
		if (emission.hasDonePromise) this.outcomes.set(execution.id, run);
		return execution.id;
	}

	private startFailed(emission: RecordedEmission): Error {
		emission.status = 'start-failed';
		return new StartFailure();
	}

	private deduplicated(emission: RecordedEmission, key: string | undefined): Error {
		emission.status = 'deduplicated';
		return new DuplicateExecutionError(key ?? '(a duplicate forced by the test)');
	}

	/**
	 * Manual mode, after trigger() returned (n8n-core workflow-execute.js executeTriggerNode,
	 * lines 683-703): n8n calls manualTriggerFunction once, waits for the first emit
	 * (manualTriggerResponse), runs the test execution, calls closeFunction as soon as the
	 * trigger's output is taken (processNodeOutput, line 972), and resolves a donePromise when
	 * the run ended (the workflowExecuteAfter hook). Static data is never saved for it.
	 */
	private startManualRun(): void {
		const context = this.context as ITriggerFunctions & { emit: ITriggerFunctions['emit']; emitError: ITriggerFunctions['emitError'] };
		const n8nEmit = context.emit;
		context.emit = (data, responsePromise, donePromise, deduplicationKey) => {
			const emission = this.record(data, donePromise !== undefined, this.flavour === '2.x' ? deduplicationKey : undefined);
			if (emission.index > 0) emission.status = 'ignored';
			n8nEmit(data, responsePromise, donePromise);
		};
		const n8nEmitError = context.emitError;
		context.emitError = (error, responsePromise) => {
			this.emitErrors.push(error);
			n8nEmitError(error, responsePromise);
			void this.close();
		};
		// n8n-core 2.41.1 swaps saveFailedExecution too; 1.x's runTrigger has none to swap.
		const swappable = context as unknown as { saveFailedExecution?: (error: Error) => void };
		const n8nSaveFailed = swappable.saveFailedExecution;
		if (this.flavour === '1.x') {
			delete swappable.saveFailedExecution;
		} else if (n8nSaveFailed) {
			swappable.saveFailedExecution = (error: Error) => {
				this.failedExecutions.push(error);
				n8nSaveFailed(error);
			};
		}
		const response = this.response;
		if (!response) return;
		const manualTrigger = response.manualTriggerFunction;
		if (manualTrigger) {
			// n8n calls it once; a test that calls it too gets that same call.
			const call = manualTrigger.call(response).catch((error: unknown) => {
				this.manualRunError ??= error as Error;
			});
			response.manualTriggerFunction = async () => await call;
		}
		response.manualTriggerResponse?.then(
			(data) => void this.finishManualRun(data),
			(error: unknown) => {
				this.manualRunError ??= error as Error;
			},
		);
	}

	private async finishManualRun(data: INodeExecutionData[][]): Promise<void> {
		setImmediate(() => void this.close());
		const emission = this.emissions[0] as RecordedEmission | undefined;
		const startedAt = new Date();
		const result = await (this.options.execute ? this.options.execute(data[0] ?? [], 0) : 'success');
		if (result === 'never') return;
		// A test run has started already: "could not start" can only show as a failed run.
		const status: ExecutionStatus = result === 'duplicate' ? 'success' : result === 'reject' ? 'error' : result;
		if (emission) emission.status = status;
		const execution = this.db.insertExecution({ workflowId: this.workflowId, nodeName: this.nodeName, mode: 'manual', status });
		if (emission) emission.executionId = execution.id;
		await this.manualHooks?.runHook('workflowExecuteAfter', [finishedRun(status, startedAt, 'manual')]);
	}
}

export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!predicate()) {
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}
