/** Reads and checks the node's parameters and credential once, at activation. */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import type { AckMode } from './delivery/member';
import type { OutputMode } from './delivery/items';
import { CLIENT_DEFAULTS } from './realtime/client';
import { resolveEndpoints, type KadoaEndpoints } from './realtime/endpoints';
import { DEFAULT_HOLD_MS } from './delivery/team-connection';

export interface TriggerSettings {
	apiKey: string;
	endpoints: KadoaEndpoints;
	eventTypes: string[];
	workflowIds: string[];
	ackMode: AckMode;
	output: OutputMode;
	heartbeatTimeoutMs: number;
	maxInFlight: number;
	executionTimeoutMs: number;
	maxFrameBytes: number;
	/** Things the user should know about these settings (logged at activation). */
	warnings?: string[];
	/** How long events no active trigger accepts (and acks at n8n's start-up) are held. */
	holdMs: number;
	/** Manual runs: deliver the latest stored change at once instead of waiting. */
	testWithLatestChange: boolean;
	/** Fetch the full change before emitting when Kadoa marks its snapshot as pending. */
	fetchPendingData: boolean;
}

export class SettingsError extends Error {
	constructor(message: string, readonly hint?: string) {
		super(message);
		this.name = 'SettingsError';
	}
}

const ACK_MODES: readonly AckMode[] = ['emitted', 'executionFinished', 'executionSucceeded'];
const OUTPUT_MODES: readonly OutputMode[] = ['event', 'rows', 'differences'];

/** Ids from the picker (array) or from an expression (array, or comma/space-separated text). */
export function parseIdList(value: unknown): string[] {
	const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,;]+/) : [];
	return [...new Set(parts.map((part) => String(part).trim()).filter((part) => part !== ''))];
}

function positiveNumber(options: IDataObject, name: string, fallback: number, label: string): number {
	const raw = options[name];
	if (raw === undefined || raw === null || raw === '') return fallback;
	const value = Number(raw);
	if (!Number.isFinite(value) || value <= 0) {
		throw new SettingsError(`${label} must be a positive number, got "${String(raw)}"`);
	}
	return value;
}

/** Default "Max Frame Size": snapshots of tens of MB are legitimate. */
export const DEFAULT_MAX_FRAME_MB = 100;

function nonNegativeSeconds(options: IDataObject, name: string, fallback: number, label: string, max: number): number {
	const raw = options[name];
	if (raw === undefined || raw === null || raw === '') return fallback;
	const value = Number(raw);
	if (!Number.isFinite(value) || value < 0 || value > max) {
		throw new SettingsError(`${label} must be between 0 and ${max} seconds, got "${String(raw)}"`);
	}
	return value;
}

export interface RawParameters {
	events: unknown;
	workflowIds: unknown;
	acknowledge: unknown;
	output: unknown;
	options: IDataObject;
}

export function readSettings(credentials: ICredentialDataDecryptedObject, parameters: RawParameters): TriggerSettings {
	const apiKey = typeof credentials.apiKey === 'string' ? credentials.apiKey.trim() : '';
	if (apiKey === '') {
		throw new SettingsError('The Kadoa API credential has no API key', 'Open the credential and paste your Kadoa API key.');
	}
	let endpoints: KadoaEndpoints;
	try {
		endpoints = resolveEndpoints(String(credentials.apiUrl ?? ''), String(credentials.realtimeUrl ?? ''));
	} catch (error) {
		throw new SettingsError(
			`The Kadoa API credential has an invalid URL: ${(error as Error).message}`,
			"Fix the API URL or Realtime URL in the credential, or clear them to use Kadoa's defaults.",
		);
	}

	const ackMode = parameters.acknowledge as AckMode;
	if (!ACK_MODES.includes(ackMode)) throw new SettingsError(`Unknown acknowledge mode "${String(parameters.acknowledge)}"`);
	const output = parameters.output as OutputMode;
	if (!OUTPUT_MODES.includes(output)) throw new SettingsError(`Unknown output "${String(parameters.output)}"`);
	const eventTypes = parseIdList(parameters.events);
	if (eventTypes.length === 0) {
		throw new SettingsError('Choose at least one event type', 'Select the Kadoa events that should start this workflow.');
	}

	const { options } = parameters;
	return {
		apiKey,
		endpoints,
		eventTypes,
		workflowIds: parseIdList(parameters.workflowIds),
		ackMode,
		output,
		heartbeatTimeoutMs: positiveNumber(options, 'heartbeatTimeout', CLIENT_DEFAULTS.heartbeatTimeoutMs / 1000, 'Heartbeat Timeout') * 1000,
		maxInFlight: Math.ceil(positiveNumber(options, 'maxInFlight', 10, 'Max Executions Awaiting Acknowledgement')),
		executionTimeoutMs: positiveNumber(options, 'executionTimeout', 600, 'Execution Timeout') * 1000,
		testWithLatestChange: options.testWithLatestChange === true,
		fetchPendingData: options.fetchPendingData !== false,
		holdMs: nonNegativeSeconds(options, 'unclaimedHold', DEFAULT_HOLD_MS / 1000, 'Hold Unclaimed Events', 3600) * 1000,
		maxFrameBytes: Math.round(positiveNumber(options, 'maxFrameSize', DEFAULT_MAX_FRAME_MB, 'Max Frame Size') * 1048576),
	};
}
