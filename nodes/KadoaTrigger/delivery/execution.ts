/**
 * Starts n8n executions for the delivery policy and reads how they ended. The only module
 * that touches `emit` and n8n's run results.
 */
import type { INodeExecutionData, IRun, ITriggerFunctions } from 'n8n-workflow';

import type { ExecutionOutcome, ExecutionStarter } from './delivery';
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
 * n8n 2.x refuses a second execution with the same de-duplication key for as long as the
 * first execution is stored: a guard behind our own stored ids (multi-main failover, lost
 * static data). Keys are global in n8n, hence the workflow and node in it. Not used when a
 * failed execution must be able to run again (acknowledge on success only).
 */
export function deduplicationKey(workflowId: string | undefined, nodeId: string, eventId: string): string {
	return `kadoa:${workflowId ?? '-'}:${nodeId}:${eventId}`;
}

export function n8nExecutionStarter(context: ITriggerFunctions, useDeduplicationKey: boolean): ExecutionStarter {
	const workflowId = context.getWorkflow().id;
	const nodeId = context.getNode().id;
	return {
		start(items: Item[], eventId: string | undefined, awaitOutcome: boolean) {
			// Item is INodeExecutionData's shape; its json holds parsed JSON only (IDataObject).
			const data = [items] as INodeExecutionData[][];
			const key = useDeduplicationKey && eventId !== undefined ? deduplicationKey(workflowId, nodeId, eventId) : undefined;
			if (!awaitOutcome) {
				context.emit(data, undefined, undefined, key);
				return;
			}
			const done = deferred(context);
			context.emit(data, undefined, done, key);
			return done.promise.then(runOutcome);
		},
	};
}
