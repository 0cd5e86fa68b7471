/**
 * Wires one activation: the trigger's delivery policy (a member of its team's shared
 * connection, or of a private one in a test run), its resume state in static data, and the
 * bounded, idempotent close n8n calls.
 */
import { NodeOperationError, type ITriggerFunctions, type ITriggerResponse, type WorkflowActivateMode } from 'n8n-workflow';

import { getChange, latestChange, sampleEvent } from './api/changes';
import { checkRealtimeDelivery, deliveryTargets, setupRealtimeDelivery } from './api/notifications';
import { unknownWorkflowIds } from './api/workflows';
import { EVENT_TYPES } from './description';
import { n8nExecutionStarter, n8nProblemReporter } from './delivery/execution';
import { createFilter } from './delivery/filter';
import { DATA_CHANGE } from './delivery/items';
import { TriggerMember } from './delivery/member';
import { DEFAULT_WINDOW, ResumeState, type StaticStore } from './delivery/resume';
import { manualConnection, teamConnection } from './delivery/team-connection';
import { nodeLogger } from './logging';
import type { ClientLogger } from './realtime/client';
import { KadoaError } from './realtime/errors';
import type { KadoaEvent } from './realtime/protocol';
import type { TriggerSettings } from './settings';

/** closeFunction's own bound: n8n waits for it on deactivate, save and shutdown. */
export const CLOSE_BUDGET_MS = 10_000;

/** How long fetching a pending snapshot may hold an event back. */
const PENDING_FETCH_TIMEOUT_MS = 30_000;

/**
 * Whether a Kadoa outage at activation should fail it. When a person activates or tests the
 * workflow they want to hear at once; at start-up, on re-save or on a leader change the
 * trigger keeps retrying quietly instead (n8n would not retry a failed update).
 */
function failFastOnOutage(mode: WorkflowActivateMode | undefined): boolean {
	return mode === 'manual' || mode === 'activate';
}

/** n8n is starting or a leader took over: many triggers register one after another. */
function isStartup(mode: WorkflowActivateMode | undefined): boolean {
	return mode === 'init' || mode === 'leadershipChange';
}

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

const KNOWN_EVENT_TYPES = new Set(EVENT_TYPES.map((option) => String(option.value)));

/**
 * The first-hour failure: the socket connects fine and nothing ever arrives, because Kadoa's
 * notification settings do not send the chosen event types to the team's WebSocket channel.
 * With "Set Up Realtime Delivery in Kadoa" the trigger fixes that (idempotently); otherwise it
 * says what is missing: a failed activation when a person activates and nothing at all would
 * arrive, a warning in the log otherwise (the settings may be changed in Kadoa at any time).
 */
async function checkNotificationSettings(settings: TriggerSettings, strict: boolean, logger: ClientLogger): Promise<{ message: string; hint: string } | undefined> {
	const eventTypes = settings.eventTypes.filter((type) => KNOWN_EVENT_TYPES.has(type));
	if (eventTypes.length === 0) return undefined;
	if (settings.setUpRealtimeDelivery) {
		try {
			const setup = await setupRealtimeDelivery(settings.endpoints, settings.apiKey, eventTypes, settings.workflowIds);
			if (setup.changed) logger.info(`Kadoa: ${setup.message}`);
		} catch (error) {
			const message = `Could not set up realtime delivery in Kadoa: ${(error as Error).message}`;
			if (strict) return { message, hint: "Check that the API key may change notification settings, or set them up in Kadoa's dashboard and turn the option off." };
			logger.warn(`Kadoa: ${message}`);
		}
		return undefined;
	}
	let check;
	try {
		check = await checkRealtimeDelivery(settings.endpoints, settings.apiKey, eventTypes, settings.workflowIds);
	} catch (error) {
		// Key and endpoint problems are reported by the connection itself.
		logger.debug(`Kadoa: could not read the notification settings: ${(error as Error).message}`);
		return undefined;
	}
	if (check.ok) return undefined;
	const nothingArrives = check.missing.length >= deliveryTargets(eventTypes, settings.workflowIds).length;
	if (strict && nothingArrives) {
		return { message: 'Kadoa does not send the chosen events to n8n', hint: check.message };
	}
	logger.warn(`Kadoa: ${check.message}`);
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
	const workflowId = context.getWorkflow().id;
	const manual = context.getMode() === 'manual';
	const logger = nodeLogger(context.logger, node.name, workflowId);
	const activationMode = context.getActivationMode?.();
	const failFast = failFastOnOutage(activationMode);
	for (const warning of settings.warnings ?? []) logger.warn(`Kadoa: ${warning}`);
	// Both read Kadoa's REST API; at once, so that activation waits for one round trip.
	const [unknownWorkflows, deliveryGap] = await Promise.all([
		checkWorkflowIds(settings, failFast, logger),
		checkNotificationSettings(settings, failFast, logger),
	]);
	if (unknownWorkflows) {
		throw new NodeOperationError(node, unknownWorkflows, {
			description: 'Pick the workflows again from the list, or remove the ones that no longer exist.',
		});
	}
	if (deliveryGap) throw new NodeOperationError(node, deliveryGap.message, { description: deliveryGap.hint });

	// Manual runs never persist static data (and must not move the production cursor).
	const store: StaticStore = manual ? {} : (context.getWorkflowStaticData('node') as StaticStore);
	const abort = new AbortController();
	const member = new TriggerMember({
		key: `${workflowId ?? '-'}:${node.id}`,
		manual,
		ackMode: settings.ackMode,
		output: settings.output,
		filter: createFilter(settings.eventTypes, settings.workflowIds),
		maxInFlight: settings.maxInFlight,
		executionTimeoutMs: settings.executionTimeoutMs,
		maxFrameBytes: settings.maxFrameBytes,
		state: new ResumeState(store, Math.max(DEFAULT_WINDOW, settings.maxInFlight * 4)),
		starter: n8nExecutionStarter(context, settings.ackMode !== 'executionSucceeded', manual),
		report: n8nProblemReporter(context, logger),
		logger,
		prepare: pendingDataFetcher(settings),
		signal: abort.signal,
	});
	const connectionSettings = { endpoints: settings.endpoints, apiKey: settings.apiKey };
	const connection = manual ? manualConnection(connectionSettings) : teamConnection(connectionSettings);

	let closing: Promise<void> | undefined;
	let joined = false;
	const close = (): Promise<void> => {
		closing ??= (async () => {
			abort.abort();
			let budget: NodeJS.Timeout | undefined;
			await Promise.race([
				connection.leave(member),
				new Promise<void>((resolve) => (budget = setTimeout(resolve, CLOSE_BUDGET_MS))),
			]);
			clearTimeout(budget);
			if (manual) await connection.close();
			// A failed activation opened nothing: a "closed" line per n8n retry would only be noise.
			if (joined) logger.info('Kadoa realtime subscription closed', { ...member.stats });
		})().catch((error: unknown) => {
			// closeFunction may throw only TriggerCloseError; nothing here is worth failing a deactivation.
			logger.warn(`Kadoa: error while closing: ${error instanceof Error ? error.message : String(error)}`);
		});
		return closing;
	};

	try {
		await connection.join(member, {
			failFast,
			startup: isStartup(activationMode),
			heartbeatTimeoutMs: settings.heartbeatTimeoutMs,
			holdMs: settings.holdMs,
			retryDelayMs: settings.retryDelayMs,
			logger,
			onFatal: (error) => {
				void close();
				context.emitError(new NodeOperationError(node, error.message, { description: error.hint }));
			},
		});
		joined = true;
	} catch (error) {
		await close();
		if (manual) await connection.close();
		if (error instanceof KadoaError) throw new NodeOperationError(node, error.message, { description: error.hint });
		throw new NodeOperationError(node, error as Error);
	}
	// n8n accepts emits only once trigger() has returned (manual mode swaps emit afterwards).
	setImmediate(() => member.open());

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
			member.offer(sampleEvent(change));
		};
	}
	return response;
}
