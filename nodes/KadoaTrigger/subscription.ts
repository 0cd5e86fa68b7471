/**
 * Wires one activation together: realtime client → delivery policy → n8n executions, with
 * acknowledgements and resume state. Returns the bounded, idempotent close n8n calls.
 */
import { NodeOperationError, type ITriggerFunctions, type ITriggerResponse, type WorkflowActivateMode } from 'n8n-workflow';

import { getChange, latestChange, sampleEvent } from './api/changes';
import { unknownWorkflowIds } from './api/workflows';
import { Acknowledger } from './delivery/acknowledger';
import { EventDelivery } from './delivery/delivery';
import { n8nExecutionStarter } from './delivery/execution';
import { accepts, createFilter } from './delivery/filter';
import { DATA_CHANGE } from './delivery/items';
import { DEFAULT_WINDOW, ResumeState, type StaticStore } from './delivery/resume';
import { nodeLogger } from './logging';
import { RealtimeClient, type ClientLogger } from './realtime/client';
import { KadoaError } from './realtime/errors';
import type { KadoaEvent } from './realtime/protocol';
import type { TriggerSettings } from './settings';

/** closeFunction's own bound: n8n waits for it on deactivate, save and shutdown. */
export const CLOSE_BUDGET_MS = 10_000;
/**
 * How long close waits for acknowledgements already decided. Short on purpose: an ack not
 * sent is not lost (Kadoa redelivers the event, the stored ids recognise it and it is acked).
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

/**
 * Acknowledgements queued or in flight at which reading pauses, and at which it resumes.
 * Events then wait at Kadoa, not in memory, and the ids n8n stores at every emit stay few
 * (see ResumeState). 32 keeps the 8 concurrent ack requests busy.
 */
export const ACK_HIGH_WATER = 32;
export const ACK_LOW_WATER = 8;

/** How long fetching a pending snapshot may hold an event back. */
const PENDING_FETCH_TIMEOUT_MS = 30_000;

/**
 * Selected Kadoa workflows that do not exist would silently never fire. Said plainly when a
 * person activates or tests; only logged on restarts, where one deleted workflow must not
 * stop the others.
 */
async function checkWorkflowIds(settings: TriggerSettings, strict: boolean, logger: ClientLogger): Promise<string | undefined> {
	if (settings.workflowIds.length === 0) return undefined;
	let unknown: string[];
	try {
		unknown = await unknownWorkflowIds(settings.endpoints, settings.apiKey, settings.workflowIds);
	} catch (error) {
		// The connection attempt that follows reports key and endpoint problems itself.
		logger.debug(`Kadoa: could not check the selected workflows: ${(error as Error).message}`);
		return undefined;
	}
	if (unknown.length === 0) return undefined;
	const message = `Kadoa has no workflow with the ID${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in this account (deleted, or a typo?)`;
	if (strict) return message;
	logger.warn(`${message}; events of the other selected workflows are still delivered`);
	return undefined;
}

/** Completes an event whose snapshot Kadoa is still storing, from the changes API. */
function pendingDataFetcher(settings: TriggerSettings): ((event: KadoaEvent) => Promise<KadoaEvent> | undefined) | undefined {
	if (!settings.fetchPendingData) return undefined;
	return (event) => {
		const changeId = event.payload.id;
		if (event.type !== DATA_CHANGE || event.payload.dataPending !== true || typeof changeId !== 'string') return undefined;
		return getChange(settings.endpoints, settings.apiKey, changeId, PENDING_FETCH_TIMEOUT_MS).then((change) => ({
			...event,
			payload: { ...event.payload, ...change },
		}));
	};
}

export async function startSubscription(context: ITriggerFunctions, settings: TriggerSettings): Promise<ITriggerResponse> {
	const node = context.getNode();
	const manual = context.getMode() === 'manual';
	const logger = nodeLogger(context.logger, node.name, context.getWorkflow().id);
	const failFast = failFastOnOutage(context.getActivationMode?.());
	const unknownWorkflows = await checkWorkflowIds(settings, failFast, logger);
	if (unknownWorkflows) {
		throw new NodeOperationError(node, unknownWorkflows, {
			description: 'Pick the workflows again from the list, or remove the ones that no longer exist.',
		});
	}
	// Manual runs never persist static data (and must not move the production cursor).
	const store: StaticStore = manual ? {} : (context.getWorkflowStaticData('node') as StaticStore);
	const resume = new ResumeState(store, Math.max(DEFAULT_WINDOW, settings.maxInFlight * 4));
	// Read no faster than Kadoa takes acknowledgements: every id not yet acknowledged must stay
	// among the persisted ids (at most the window), or a restart would run it again.
	let client: RealtimeClient | undefined;
	let deliveryPaused = false;
	let acksPaused = false;
	const applyFlow = () => (deliveryPaused || acksPaused ? client?.pause() : client?.resume());
	const acknowledger = manual
		? undefined
		: new Acknowledger({
				ackUrl: settings.endpoints.ackUrl,
				logger,
				highWater: ACK_HIGH_WATER,
				lowWater: ACK_LOW_WATER,
				onPressure: (on) => {
					acksPaused = on;
					applyFlow();
				},
				// Confirmed and behind the cursor, an id no longer needs to be in static data.
				onAcknowledged: (id) => resume.confirmed(id),
			});

	const filter = createFilter(settings.eventTypes, settings.workflowIds);
	const delivery = new EventDelivery({
		manual,
		ackMode: settings.ackMode,
		output: settings.output,
		filter,
		maxInFlight: settings.maxInFlight,
		executionTimeoutMs: settings.executionTimeoutMs,
		resume,
		acknowledger,
		starter: n8nExecutionStarter(context, settings.ackMode !== 'executionSucceeded'),
		flow: {
			pause: () => {
				deliveryPaused = true;
				applyFlow();
			},
			resume: () => {
				deliveryPaused = false;
				applyFlow();
			},
		},
		logger,
		prepare: pendingDataFetcher(settings),
	});

	let closing: Promise<void> | undefined;
	let started = false;
	const close = (): Promise<void> => {
		closing ??= (async () => {
			delivery.close();
			let budget: NodeJS.Timeout | undefined;
			await Promise.race([
				Promise.all([client?.close(), acknowledger?.flush(ACK_FLUSH_MS)]),
				new Promise<void>((resolve) => (budget = setTimeout(resolve, CLOSE_BUDGET_MS))),
			]);
			clearTimeout(budget);
			acknowledger?.close();
			// A failed activation opened nothing: a "closed" line per n8n retry would only be noise.
			if (started) logger.info('Kadoa realtime subscription closed', { ...delivery.stats });
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
		// A large snapshot of a workflow (or type) this trigger does not watch is not parsed.
		skipEvent: (header) => !accepts(filter, header.type, header.workflowId),
		onFatal: (error) => {
			void close();
			context.emitError(new NodeOperationError(node, error.message, { description: error.hint }));
		},
	});

	try {
		await client.start(failFast);
		started = true;
	} catch (error) {
		await close();
		if (error instanceof KadoaError) throw new NodeOperationError(node, error.message, { description: error.hint });
		throw error;
	}
	// n8n accepts emits only once trigger() has returned (manual mode swaps emit afterwards).
	setImmediate(() => delivery.open());

	const response: ITriggerResponse = { closeFunction: close };
	if (manual && settings.testWithLatestChange && settings.eventTypes.includes(DATA_CHANGE)) {
		// n8n calls this in manual mode after trigger() returned: a stored change, shaped like a
		// live event, so downstream nodes can be built before anything changes on the site.
		response.manualTriggerFunction = async () => {
			const change = await latestChange(settings.endpoints, settings.apiKey, settings.workflowIds).catch((error: unknown) => {
				const kadoaError = error as KadoaError;
				throw new NodeOperationError(node, `Could not load the latest Kadoa change: ${kadoaError.message}`, { description: kadoaError.hint });
			});
			if (!change) {
				logger.info('Kadoa: no stored change for the selected workflows yet; waiting for the next live event');
				return;
			}
			delivery.deliverSample(sampleEvent(change));
		};
	}
	return response;
}
