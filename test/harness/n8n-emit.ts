/**
 * The `emit` (and `saveFailedExecution`) n8n hands to a trigger in an active workflow,
 * transcribed from n8n's own code, one flavour per n8n line:
 *
 * - 2.x, n8n 2.41.1: dist/workflows/triggers/trigger-execution-context.factory.js,
 *   getExecuteTriggerFunctions, lines 134-192 (emit 136-176, saveFailedExecution 180-187).
 * - 1.x, n8n 1.123.81: dist/active-workflow-manager.js, getExecuteTriggerFunctions,
 *   lines 252-284 (emit 254-269). 1.x's TriggerContext has no saveFailedExecution.
 *
 * Neither emit throws: both only schedule work (save the static data, start the run) and
 * return. What differs is how a run that cannot start, or is a duplicate, shows:
 *
 * | start of the run            | 2.x                                   | 1.x                                      |
 * |-----------------------------|---------------------------------------|------------------------------------------|
 * | fails, with donePromise     | donePromise rejects; error logged     | donePromise never settles; error logged  |
 * |                             |                                       | (unhandled rejection → uncaughtException |
 * |                             |                                       | → ErrorReporter)                         |
 * | fails, no donePromise       | error logged                          | error logged                             |
 * | dedup key already stored    | donePromise resolves undefined; warn  | no such thing: the key is ignored, runs  |
 * | run ends                    | donePromise resolves with the run     | same                                     |
 * | run cancelled (stopped)     | donePromise rejects (cancelled error) | same                                     |
 *
 * The n8n services behind the emit (static data service, workflow runner, active
 * executions, logger) are the harness's model of them, see N8nServices.
 */
import {
	OperationalError,
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type IRun,
	type ITriggerFunctions,
} from 'n8n-workflow';

export type N8nFlavour = '2.x' | '1.x';

/** The flavour tests run on unless they choose: env KADOA_N8N_FLAVOUR (`2.x` or `1.x`), else 2.x. */
export function defaultFlavour(): N8nFlavour {
	const raw = (process.env.KADOA_N8N_FLAVOUR ?? '').trim();
	if (raw === '' || raw === '2' || raw === '2.x') return '2.x';
	if (raw === '1' || raw === '1.x') return '1.x';
	throw new Error(`KADOA_N8N_FLAVOUR must be "2.x" or "1.x", got "${raw}"`);
}

/** n8n 2.41.1 dist/errors/duplicate-execution.error.js, same message. */
export class DuplicateExecutionError extends OperationalError {
	constructor(readonly deduplicationKey: string) {
		super(`Execution with deduplication key "${deduplicationKey}" already exists`);
	}
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What n8n's emit calls into; the harness implements it (n8n-host.ts). */
export interface N8nServices {
	readonly workflowId: string;
	readonly workflowName: string;
	readonly node: INode;
	/**
	 * WorkflowStaticDataService.saveStaticData(workflow) (dist/workflows/workflow-static-data.service.js
	 * lines 31-44 in 2.41.1, 33-46 in 1.123.81): writes only when `__dataChanged` is set.
	 */
	saveStaticData(): Promise<void>;
	/**
	 * 2.x: resolveWorkflowData() then WorkflowExecutionService.runWorkflow(..., deduplicationKey);
	 * 1.x: runWorkflow(...) without a key. Resolves with the execution id; rejects when the run
	 * cannot start, or (2.x) with DuplicateExecutionError.
	 */
	runWorkflow(data: INodeExecutionData[][], deduplicationKey: string | undefined): Promise<string>;
	/** ActiveExecutions.getPostExecutePromise(executionId): the finished run. */
	getPostExecutePromise(executionId: string): Promise<IRun | undefined>;
	/** n8n's process-wide Logger. */
	log(level: LogLevel, message: string, meta?: IDataObject): void;
	/**
	 * 1.x: what becomes of a rejection nobody handles. n8n registers no `unhandledRejection`
	 * listener, so Node raises it as an uncaught exception, and ErrorReporter.init's
	 * `process.on('uncaughtException')` (n8n-core 1.122.48 dist/errors/error-reporter.js lines
	 * 91-93, defaultReport lines 61-82) logs its message at error level. The harness calls this
	 * instead of leaving a real unhandled rejection in the test process.
	 */
	reportUncaught(error: Error): void;
	/** 2.x recordTriggerFailure: ExecutionService.createErrorExecution, then the error workflow. */
	recordTriggerFailure(error: Error): void;
}

type Emit = ITriggerFunctions['emit'];
type ResponsePromise = Parameters<Emit>[1];
type DonePromise = Parameters<Emit>[2];
/** The donePromise as n8n settles it: 2.x also resolves it with undefined. */
interface Done {
	resolve(run: IRun | undefined): void;
	reject(error: Error): void;
}

function ensureError(error: unknown): Error {
	return error instanceof Error ? error : new Error(String(error));
}

/** n8n 2.41.1, trigger-execution-context.factory.js lines 136-176 (settleDonePromise: 93-99). */
export function createEmit2x(n8n: N8nServices): Emit {
	return (data: INodeExecutionData[][], _responsePromise?: ResponsePromise, donePromise?: DonePromise, deduplicationKey?: string) => {
		n8n.log('debug', `Received trigger for workflow "${n8n.workflowName}"`);
		void n8n.saveStaticData();
		const executePromise: Promise<string | undefined> = n8n.runWorkflow(data, deduplicationKey).catch((error: unknown) => {
			if (error instanceof DuplicateExecutionError) {
				n8n.log('warn', 'Scheduled execution skipped: duplicate deduplication key', {
					workflowId: n8n.workflowId,
					nodeId: n8n.node.id,
					deduplicationKey: error.deduplicationKey,
				});
				return undefined;
			}
			throw error;
		});
		if (donePromise) {
			const done = donePromise as unknown as Done;
			void executePromise
				.then(async (executionId) => (executionId === undefined ? undefined : await n8n.getPostExecutePromise(executionId)))
				.then(done.resolve, (error: unknown) => done.reject(ensureError(error)));
		}
		// (n8n also emits its 'workflow-executed' event here: nothing a trigger can see.)
		void executePromise.catch((error: unknown) => {
			const failure = ensureError(error);
			n8n.log('error', failure.message, { error: failure.message, workflowId: n8n.workflowId, nodeName: n8n.node.name });
		});
	};
}

/** n8n 1.123.81, active-workflow-manager.js lines 254-269. The fourth argument does not exist. */
export function createEmit1x(n8n: N8nServices): Emit {
	return (data: INodeExecutionData[][], _responsePromise?: ResponsePromise, donePromise?: DonePromise) => {
		n8n.log('debug', `Received trigger for workflow "${n8n.workflowName}"`);
		void n8n.saveStaticData();
		const executePromise = n8n.runWorkflow(data, undefined);
		if (donePromise) {
			const done = donePromise as unknown as Done;
			void executePromise.then(
				(executionId) => {
					n8n.getPostExecutePromise(executionId).then(done.resolve).catch(done.reject);
				},
				// n8n passes no rejection handler: the start failure is unhandled and the
				// donePromise never settles. See N8nServices.reportUncaught.
				(error: unknown) => n8n.reportUncaught(ensureError(error)),
			);
		} else {
			executePromise.catch((error: unknown) => {
				const failure = ensureError(error);
				n8n.log('error', failure.message, { error: failure.message });
			});
		}
	};
}

/** n8n 2.41.1, trigger-execution-context.factory.js lines 180-187 (recordTriggerFailure 118-133). */
export function createSaveFailedExecution2x(n8n: N8nServices): (error: Error) => void {
	return (error: Error) => {
		n8n.log(
			'info',
			`The trigger node "${n8n.node.name}" of workflow "${n8n.workflowName}" reported the error: "${error.message}". Saving to failed executions`,
			{ nodeName: n8n.node.name, workflowId: n8n.workflowId, workflowName: n8n.workflowName },
		);
		n8n.recordTriggerFailure(error);
	};
}

export function createEmit(flavour: N8nFlavour, n8n: N8nServices): Emit {
	return flavour === '2.x' ? createEmit2x(n8n) : createEmit1x(n8n);
}

/** 1.x: undefined, as TriggerContext there has no such member (n8n-core 1.122.48 trigger-context.js). */
export function createSaveFailedExecution(flavour: N8nFlavour, n8n: N8nServices): ((error: Error) => void) | undefined {
	return flavour === '2.x' ? createSaveFailedExecution2x(n8n) : undefined;
}
