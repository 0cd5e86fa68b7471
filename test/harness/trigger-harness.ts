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

export class TriggerHarness extends N8nTriggerHarness {
	static async activate(options: HarnessOptions): Promise<TriggerHarness> {
		const harness = new TriggerHarness({
			...options,
			nodeType: new KadoaTrigger(),
			nodeTypeName: KADOA_TRIGGER_TYPE,
			credentialTypes: [new KadoaApi()],
			onActivated: options.onActivated as N8nHarnessOptions['onActivated'],
		});
		await harness.run();
		return harness;
	}

	/** The Kadoa event id of each emission (of its first item), in emit order. */
	eventIds(): string[] {
		return this.emissions.map((emission) => {
			const first = emission.json[0] ?? {};
			const reference = (first._kadoa ?? first) as IDataObject;
			return String(reference.eventId);
		});
	}

	/** The event ids for which n8n started an execution (not start failures, not de-duplicated). */
	executedEventIds(): string[] {
		const ids = this.eventIds();
		return this.emissions.flatMap((emission, index) => (emission.executionId !== undefined ? [ids[index]] : []));
	}
}

/** Handles a test can count before and after to prove nothing leaked. */
export function activeHandles(): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
	return counts;
}
