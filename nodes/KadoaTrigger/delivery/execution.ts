/**
 * Starts n8n executions for the delivery policy and reads how they ended. The only module
 * that touches `emit` and n8n's run results.
 */
import type { IDataObject, INodeExecutionData, IRun, ITriggerFunctions } from 'n8n-workflow';

import type { ExecutionOutcome, ExecutionStarter } from './delivery';
import type { Json } from './items';

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

export function n8nExecutionStarter(context: ITriggerFunctions): ExecutionStarter {
	return {
		start(items: Json[], eventId: string | undefined, awaitOutcome: boolean) {
			const data: INodeExecutionData[][] = [items.map((json) => ({ json: json as IDataObject }))];
			// With n8n 2.x, the key lets n8n itself refuse a second execution of one Kadoa event.
			const key = eventId === undefined ? undefined : `kadoa:${eventId}`;
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
