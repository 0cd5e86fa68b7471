/**
 * Wires one activation together: realtime client → delivery policy → n8n executions, with
 * acknowledgements and resume state. Returns the bounded, idempotent close n8n calls.
 */
import { NodeOperationError, type ITriggerFunctions, type ITriggerResponse, type WorkflowActivateMode } from 'n8n-workflow';

import { Acknowledger } from './delivery/acknowledger';
import { EventDelivery } from './delivery/delivery';
import { n8nExecutionStarter } from './delivery/execution';
import { createFilter } from './delivery/filter';
import { DEFAULT_WINDOW, ResumeState, type StaticStore } from './delivery/resume';
import { nodeLogger } from './logging';
import { RealtimeClient } from './realtime/client';
import { KadoaError } from './realtime/errors';
import type { TriggerSettings } from './settings';

/** closeFunction's own bound: n8n waits for it on deactivate, save and shutdown. */
export const CLOSE_BUDGET_MS = 10_000;
/**
 * How long close waits for acknowledgements already decided. Short on purpose: an ack not
 * sent is not lost (Kadoa redelivers the event, the id window recognises it and acks it).
 */
export const ACK_FLUSH_MS = 2_000;

/**
 * Whether a Kadoa outage at activation should fail it. When a person activates or tests the
 * workflow they want to hear at once; at start-up, on re-save or on a leader change the
 * trigger keeps retrying quietly instead (n8n would not retry a failed update).
 */
function failFastOnOutage(mode: WorkflowActivateMode | undefined): boolean {
	return mode === 'manual' || mode === 'activate';
}

export async function startSubscription(context: ITriggerFunctions, settings: TriggerSettings): Promise<ITriggerResponse> {
	const node = context.getNode();
	const manual = context.getMode() === 'manual';
	const logger = nodeLogger(context.logger, node.name, context.getWorkflow().id);
	// Manual runs never persist static data (and must not move the production cursor).
	const store: StaticStore = manual ? {} : (context.getWorkflowStaticData('node') as StaticStore);
	const resume = new ResumeState(store, Math.max(DEFAULT_WINDOW, settings.maxInFlight * 4));
	const acknowledger = manual ? undefined : new Acknowledger({ ackUrl: settings.endpoints.ackUrl, logger });

	let client: RealtimeClient | undefined;
	const delivery = new EventDelivery({
		manual,
		ackMode: settings.ackMode,
		output: settings.output,
		filter: createFilter(settings.eventTypes, settings.workflowIds),
		maxInFlight: settings.maxInFlight,
		executionTimeoutMs: settings.executionTimeoutMs,
		resume,
		acknowledger,
		starter: n8nExecutionStarter(context, settings.ackMode !== 'executionSucceeded'),
		flow: { pause: () => client?.pause(), resume: () => client?.resume() },
		logger,
	});

	let closing: Promise<void> | undefined;
	const close = (): Promise<void> => {
		closing ??= (async () => {
			delivery.close();
			const budget = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_BUDGET_MS).unref());
			await Promise.race([
				Promise.all([client?.close(), acknowledger?.flush(ACK_FLUSH_MS)]),
				budget,
			]);
			acknowledger?.close();
			logger.info('Kadoa realtime subscription closed', { ...delivery.stats });
		})().catch((error: unknown) => {
			// closeFunction may throw only TriggerCloseError; nothing here is worth failing a deactivation.
			logger.warn(`Kadoa: error while closing: ${error instanceof Error ? error.message : String(error)}`);
		});
		return closing;
	};

	client = new RealtimeClient({
		endpoints: settings.endpoints,
		apiKey: settings.apiKey,
		logger,
		heartbeatTimeoutMs: settings.heartbeatTimeoutMs,
		maxFrameBytes: settings.maxFrameBytes,
		getCursor: () => (manual ? undefined : resume.cursor),
		onEvent: (event) => delivery.handle(event),
		onFatal: (error) => {
			void close();
			context.emitError(new NodeOperationError(node, error.message, { description: error.hint }));
		},
	});

	try {
		await client.start(failFastOnOutage(context.getActivationMode?.()));
	} catch (error) {
		await close();
		if (error instanceof KadoaError) throw new NodeOperationError(node, error.message, { description: error.hint });
		throw error;
	}
	// n8n accepts emits only once trigger() has returned (manual mode swaps emit afterwards).
	setImmediate(() => delivery.open());

	return { closeFunction: close };
}
