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
	/** First delay before events left to run again are fetched again (doubling up to an hour). */
	retryDelayMs: number;
	/** Make Kadoa send the chosen events to the team's WebSocket channel at activation. */
	setUpRealtimeDelivery: boolean;
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

/**
 * The longest an option that becomes a timer may be, in seconds: 24 days. setTimeout holds at
 * most 2^31-1 ms (24.8 days); a longer delay fires at once, the opposite of what was asked.
 */
export const MAX_TIMER_SECONDS = 24 * 24 * 3600;
/** The largest Max Frame Size: beyond it one event would hold more memory than n8n has to spare. */
export const MAX_FRAME_MB = 1024;
/** How often Kadoa sends a heartbeat on a quiet channel. */
export const KADOA_HEARTBEAT_SECONDS = 15;

/** A bound and how to say it: "2,073,600 seconds (24 days)". */
interface Maximum {
	value: number;
	words: string;
}

/** 2073600 → "2,073,600" (no Intl: the words must not depend on the locale or ICU data). */
const grouped = (value: number) => String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const TIMER_MAXIMUM: Maximum = { value: MAX_TIMER_SECONDS, words: `${grouped(MAX_TIMER_SECONDS)} seconds (24 days)` };

function positiveNumber(options: IDataObject, name: string, fallback: number, label: string, max?: Maximum): number {
	const raw = options[name];
	if (raw === undefined || raw === null || raw === '') return fallback;
	const value = Number(raw);
	if (!Number.isFinite(value) || value <= 0) {
		throw new SettingsError(`${label} must be a positive number, got "${String(raw)}"`);
	}
	if (max && value > max.value) {
		throw new SettingsError(`${label} must be at most ${max.words}, got "${String(raw)}"`);
	}
	return value;
}

/** Settings that work but will not do what the user likely wants. */
function warningsFor(heartbeatTimeoutSeconds: number): string[] {
	const warnings: string[] = [];
	if (heartbeatTimeoutSeconds <= KADOA_HEARTBEAT_SECONDS) {
		const s = heartbeatTimeoutSeconds;
		const relation = s < KADOA_HEARTBEAT_SECONDS ? 'below' : 'not above';
		warnings.push(
			`Heartbeat Timeout of ${s} s is ${relation} Kadoa's ${KADOA_HEARTBEAT_SECONDS} s heartbeat: on a quiet channel the connection will be dropped and reopened every ${s} s. Use 30 s (the default) unless frames are known to come more often.`,
		);
	}
	return warnings;
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
	let endpoints: KadoaEndpoints | undefined;
	let urlProblem = '';
	try {
		endpoints = resolveEndpoints(String(credentials.apiUrl ?? ''), String(credentials.realtimeUrl ?? ''));
	} catch (error) {
		urlProblem = (error as Error).message;
	}
	if (!endpoints) {
		throw new SettingsError(
			`The Kadoa API credential has an invalid URL: ${urlProblem}`,
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
	const heartbeatTimeout = positiveNumber(options, 'heartbeatTimeout', CLIENT_DEFAULTS.heartbeatTimeoutMs / 1000, 'Heartbeat Timeout', TIMER_MAXIMUM);
	return {
		apiKey,
		endpoints,
		eventTypes,
		workflowIds: parseIdList(parameters.workflowIds),
		ackMode,
		output,
		heartbeatTimeoutMs: heartbeatTimeout * 1000,
		maxInFlight: Math.ceil(positiveNumber(options, 'maxInFlight', 10, 'Max Executions Awaiting Acknowledgement')),
		executionTimeoutMs: positiveNumber(options, 'executionTimeout', 600, 'Execution Timeout', TIMER_MAXIMUM) * 1000,
		testWithLatestChange: options.testWithLatestChange === true,
		fetchPendingData: options.fetchPendingData !== false,
		holdMs: nonNegativeSeconds(options, 'unclaimedHold', DEFAULT_HOLD_MS / 1000, 'Hold Unclaimed Events', 3600) * 1000,
		setUpRealtimeDelivery: options.setUpRealtimeDelivery === true,
		retryDelayMs: Math.max(0.1, nonNegativeSeconds(options, 'retryDelay', 60, 'Retry Failed Events After', 3600)) * 1000,
		maxFrameBytes: Math.round(positiveNumber(options, 'maxFrameSize', DEFAULT_MAX_FRAME_MB, 'Max Frame Size', { value: MAX_FRAME_MB, words: `${MAX_FRAME_MB} MB` }) * 1048576),
		warnings: warningsFor(heartbeatTimeout),
	};
}
