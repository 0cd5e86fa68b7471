/**
 * Starts n8n executions for the delivery policy and reads how they ended. The only module
 * that touches `emit` and n8n's run results.
 */
import { NodeOperationError, type INodeExecutionData, type IRun, type ITriggerFunctions } from 'n8n-workflow';

import type { ExecutionOutcome, ExecutionStarter } from './member';
import type { ClientLogger } from '../realtime/client';
import type { Item } from './items';

/** Maps a finished run to an outcome. `undefined` is what 2.x resolves for a de-duplicated emit. */
export function runOutcome(run: IRun | undefined): ExecutionOutcome {
	if (!run) return 'duplicate';
	switch (run.status) {
		case 'success':
			return 'success';
		case 'waiting':
			return 'waiting';
		case 'canceled':
			return 'cancelled';
		case 'error':
		case 'crashed':
			return 'error';
		default:
			// Older n8n versions may not set a status on every run.
			return run.data?.resultData?.error ? 'error' : 'success';
	}
}

/** The deferred promise type `emit` takes (its declaring package is not a dependency here). */
type DonePromise = NonNullable<Parameters<ITriggerFunctions['emit']>[2]>;

/** n8n-workflow ≥ 2.30 no longer exports createDeferredPromise; the helper may be missing in 1.x. */
function deferred(context: ITriggerFunctions): DonePromise {
	const helper = (context.helpers as { createDeferredPromise?: () => DonePromise }).createDeferredPromise;
	if (typeof helper === 'function') return helper();
	let resolve!: DonePromise['resolve'];
	let reject!: DonePromise['reject'];
	const promise = new Promise<IRun>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

/**
 * n8n 2.x refuses a second execution with the same de-duplication key while an execution with
 * that key is stored, whatever its status (n8n's execution-persistence.js: a unique key; only a
 * never-started "new" row is reclaimed). That answers "did this event already run?" for an
 * execution cut off by a crash. Keys are global in n8n, hence the workflow and node in them.
 * Not used when a failed execution must be able to run again (acknowledge on success only).
 */
export function deduplicationKey(workflowId: string | undefined, nodeId: string, eventId: string): string {
	return `kadoa:${workflowId ?? '-'}:${nodeId}:${eventId}`;
}

/**
 * Emits one execution and reads how it ended, on both n8n lines:
 * - 1.x: `emit` can throw when n8n cannot start the execution (the caller treats that as
 *   refused); it has no de-duplication key.
 * - 2.x: `emit` never throws; a start failure rejects the done promise, a de-duplicated start
 *   resolves it with `undefined` (workflows/triggers/trigger-execution-context.factory.js).
 * A done promise is always passed, also when acknowledging at emit: it bounds how many
 * executions run at once and tells of an execution n8n could not start.
 */
export function n8nExecutionStarter(context: ITriggerFunctions, useDeduplicationKey: boolean, manual = false): ExecutionStarter {
	const workflowId = context.getWorkflow().id;
	const nodeId = context.getNode().id;
	return {
		start(items: Item[], eventId: string | undefined) {
			// Item is INodeExecutionData's shape; its json holds parsed JSON only (IDataObject).
			const data = [items] as INodeExecutionData[][];
			const key = useDeduplicationKey && eventId !== undefined ? deduplicationKey(workflowId, nodeId, eventId) : undefined;
			if (manual) {
				// A test run's done promise settles only after closeFunction: nothing may wait on it.
				context.emit(data);
				return Promise.resolve('success' as const);
			}
			const done = deferred(context);
			context.emit(data, undefined, done, key);
			return done.promise.then(runOutcome, () => 'cancelled' as const);
		},
	};
}

/**
 * Reports one event the trigger could not run (too large, items that cannot be built) where
 * n8n users look: a failed execution in the list on n8n 2.x (`saveFailedExecution`, which also
 * runs the error workflow), an error log line on 1.x, which has no such call.
 */
export function n8nProblemReporter(context: ITriggerFunctions, logger: ClientLogger): (message: string, description: string, eventId: string | undefined) => void {
	// Absent on n8n 1.x (the host's n8n-workflow decides what exists at run time).
	const save = (context as Partial<Pick<ITriggerFunctions, 'saveFailedExecution'>>).saveFailedExecution;
	return (message, description, eventId) => {
		logger.error(`${message}. ${description}`, { eventId });
		if (typeof save !== 'function') return;
		try {
			save.call(context, new NodeOperationError(context.getNode(), message, { description }));
		} catch (error) {
			logger.warn(`Kadoa: n8n could not record the failed event: ${error instanceof Error ? error.message : String(error)}`);
		}
	};
}
