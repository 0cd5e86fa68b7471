/**
 * Realtime delivery onboarding. Kadoa sends an event over the WebSocket only when the team has
 * a WEBSOCKET notification channel and an enabled notification setting for that event type
 * (team-wide, or for the workflow) that lists the channel. Without it the trigger connects
 * fine and receives nothing, silently. This module says exactly what is missing
 * (`checkRealtimeDelivery`) and sets it up, idempotently (`setupRealtimeDelivery`), the way
 * Kadoa's SDK does: reuse or create the channel, then create or update one settings entry per
 * event type (and workflow) with the channel merged into `channelIds`, enabled.
 *
 * n8n-free. The logic talks to Kadoa through a `KadoaRest` function, so the trigger uses plain
 * HTTP (`plainRest`) and the Kadoa node uses n8n's authenticated request helper, with one
 * implementation of the rules.
 *
 * Which setting decides for a workflow: its own entry for the event type when it has one,
 * else the team-wide entry. Kadoa does not document how the two combine; reading a
 * workflow's own entry as an override is the cautious reading (it can only report more
 * missing, never less), and the setup keeps both readings true.
 */
import type { KadoaEndpoints } from '../realtime/endpoints';
import { HINTS, KadoaError } from '../realtime/errors';
import { errorDetail, httpRequest, type HttpResponse, type NetworkError } from '../realtime/http';

export type RestMethod = 'GET' | 'POST' | 'PUT';

/** One JSON request to Kadoa's REST API (path with query, from the API base); the parsed answer; throws on failure. */
export type KadoaRest = (method: RestMethod, path: string, body?: unknown) => Promise<unknown>;

export const WEBSOCKET_CHANNEL_TYPE = 'WEBSOCKET';
/** Name of the channel created when the team has none (Kadoa allows one WebSocket channel per team). */
export const WEBSOCKET_CHANNEL_NAME = 'Realtime (WebSocket)';

/** Event types about the team, never about one workflow: their settings are always team-wide. */
export const TEAM_EVENT_TYPES: ReadonlySet<string> = new Set(['system_maintenance', 'service_degradation', 'credits_low', 'free_trial_ending']);

/** Where the fix is, in words, for every message that reports a gap. */
export const FIX_HINT =
	"Fix it in Kadoa's dashboard (Notifications: add the WebSocket channel to these events), or turn on the Kadoa Trigger option " +
	'"Set Up Realtime Delivery in Kadoa", or run the Kadoa node\'s Notification → Enable Realtime Delivery once.';

/** One event type, for one workflow or (workflowId null) for the whole team. */
export interface DeliveryTarget {
	eventType: string;
	workflowId: string | null;
}

export type DeliveryGapReason =
	/** The team has no WEBSOCKET notification channel at all. */
	| 'no-websocket-channel'
	/** No notification setting covers this event type (and workflow). */
	| 'no-setting'
	/** The setting that decides is switched off. */
	| 'setting-disabled'
	/** The setting that decides does not list the WebSocket channel. */
	| 'channel-not-linked';

export interface DeliveryGap extends DeliveryTarget {
	reason: DeliveryGapReason;
	/** The settings entry that decides, when there is one. */
	settingsId?: string;
}

export interface RealtimeDeliveryCheck {
	/** True when every chosen event type reaches the WebSocket for every chosen workflow. */
	ok: boolean;
	/** The team's WebSocket channel, when it has one. */
	channelId?: string;
	missing: DeliveryGap[];
	/** Plain words: what is missing and how to fix it (or that all is well). */
	message: string;
}

export type SettingAction = 'created' | 'updated' | 'unchanged';

export interface SettingChange extends DeliveryTarget {
	settingsId: string;
	action: SettingAction;
}

export interface RealtimeDeliverySetup {
	channelId: string;
	channelCreated: boolean;
	settings: SettingChange[];
	/** False when Kadoa was already set up: nothing was written. */
	changed: boolean;
	message: string;
}

interface Channel {
	id: string;
	channelType: string;
}

interface Setting {
	id: string;
	workflowId: string | null;
	eventType: string;
	enabled: boolean;
	channelIds: string[];
	eventConfiguration: Record<string, unknown>;
}

// ---------------------------------------------------------------- the rules

/** One target per event type and chosen workflow; team event types and "no workflow chosen" are team-wide. */
export function deliveryTargets(eventTypes: readonly string[], workflowIds: readonly string[]): DeliveryTarget[] {
	const targets: DeliveryTarget[] = [];
	const seen = new Set<string>();
	for (const eventType of new Set(eventTypes)) {
		const scopes = TEAM_EVENT_TYPES.has(eventType) || workflowIds.length === 0 ? [null] : [...new Set(workflowIds)];
		for (const workflowId of scopes) {
			const key = `${eventType}\u0000${workflowId ?? ''}`;
			if (seen.has(key)) continue;
			seen.add(key);
			targets.push({ eventType, workflowId });
		}
	}
	return targets;
}

function exactSetting(settings: readonly Setting[], target: DeliveryTarget): Setting | undefined {
	return settings.find((s) => s.eventType === target.eventType && s.workflowId === target.workflowId);
}

function delivers(setting: Setting | undefined, channelId: string | undefined): boolean {
	return setting !== undefined && channelId !== undefined && setting.enabled && setting.channelIds.includes(channelId);
}

/** The setting that decides for a target: the workflow's own, else the team-wide one. */
function decidingSetting(settings: readonly Setting[], target: DeliveryTarget): Setting | undefined {
	return exactSetting(settings, target) ?? (target.workflowId === null ? undefined : exactSetting(settings, { ...target, workflowId: null }));
}

function gapOf(target: DeliveryTarget, settings: readonly Setting[], channelId: string | undefined): DeliveryGap | undefined {
	if (channelId === undefined) return { ...target, reason: 'no-websocket-channel' };
	const setting = decidingSetting(settings, target);
	if (!setting) return { ...target, reason: 'no-setting' };
	if (!setting.enabled) return { ...target, reason: 'setting-disabled', settingsId: setting.id };
	if (!setting.channelIds.includes(channelId)) return { ...target, reason: 'channel-not-linked', settingsId: setting.id };
	return undefined;
}

const REASON_WORDS: Record<DeliveryGapReason, string> = {
	'no-websocket-channel': 'the team has no WebSocket channel',
	'no-setting': 'no notification setting for it',
	'setting-disabled': 'its notification setting is switched off',
	'channel-not-linked': 'its notification setting does not include the WebSocket channel',
};

function targetWords(target: DeliveryTarget): string {
	return target.workflowId === null ? `${target.eventType} (all workflows)` : `${target.eventType} for workflow ${target.workflowId}`;
}

export function describeCheck(targets: readonly DeliveryTarget[], missing: readonly DeliveryGap[]): string {
	if (missing.length === 0) {
		return `Kadoa sends ${targets.map(targetWords).join(', ')} to the team's WebSocket channel.`;
	}
	if (missing.every((gap) => gap.reason === 'no-websocket-channel')) {
		return (
			"Kadoa will not send any event to the Kadoa Trigger: the team has no WebSocket channel in Kadoa's notification settings, " +
			`so ${missing.map(targetWords).join(', ')} never reach n8n. ${FIX_HINT}`
		);
	}
	const gaps = missing.map((gap) => `${targetWords(gap)}: ${REASON_WORDS[gap.reason]}`).join('; ');
	return `Kadoa will not send these events to the WebSocket channel the Kadoa Trigger listens on, so the trigger would receive nothing for them. ${gaps}. ${FIX_HINT}`;
}

// ---------------------------------------------------------------- reading Kadoa's answers

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ data: { <key>: [...] } }` as documented; also a bare `{ <key>: [...] }` or array. */
function listIn(body: unknown, key: string): unknown[] {
	const data = isRecord(body) && body.data !== undefined ? body.data : body;
	if (Array.isArray(data)) return data;
	if (isRecord(data) && Array.isArray(data[key])) return data[key] as unknown[];
	return [];
}

/** `{ data: { <key>: {...} } }` as documented; also a bare object. */
function objectIn(body: unknown, key: string): Record<string, unknown> {
	const data = isRecord(body) && isRecord(body.data) ? body.data : body;
	if (isRecord(data) && isRecord(data[key])) return data[key] as Record<string, unknown>;
	return isRecord(data) ? data : {};
}

function toChannel(raw: unknown): Channel | undefined {
	if (!isRecord(raw) || typeof raw.id !== 'string') return undefined;
	return { id: raw.id, channelType: String(raw.channelType ?? raw.type ?? '').toUpperCase() };
}

function toSetting(raw: unknown): Setting | undefined {
	if (!isRecord(raw) || typeof raw.id !== 'string' || typeof raw.eventType !== 'string') return undefined;
	// Answers list linked channels as `channels: [{ id, ... }]`; requests send `channelIds`. Accept both.
	const fromChannels = Array.isArray(raw.channels) ? raw.channels.map((c) => (isRecord(c) ? c.id : c)) : [];
	const fromIds = Array.isArray(raw.channelIds) ? raw.channelIds : [];
	const channelIds = [...new Set([...fromChannels, ...fromIds].filter((id): id is string => typeof id === 'string'))];
	const workflowId = typeof raw.workflowId === 'string' && raw.workflowId !== '' && raw.workflowId !== 'null' ? raw.workflowId : null;
	return {
		id: raw.id,
		workflowId,
		eventType: raw.eventType,
		enabled: raw.enabled !== false,
		channelIds,
		eventConfiguration: isRecord(raw.eventConfiguration) ? raw.eventConfiguration : {},
	};
}

async function websocketChannel(rest: KadoaRest): Promise<Channel | undefined> {
	const channels = listIn(await rest('GET', '/v5/notifications/channels'), 'channels');
	return channels.map(toChannel).find((c): c is Channel => c !== undefined && c.channelType === WEBSOCKET_CHANNEL_TYPE);
}

async function allSettings(rest: KadoaRest): Promise<Setting[]> {
	return listIn(await rest('GET', '/v5/notifications/settings'), 'settings')
		.map(toSetting)
		.filter((s): s is Setting => s !== undefined);
}

// ---------------------------------------------------------------- check and set up

/** Which of the targets do not reach the WebSocket, through any KadoaRest. */
export async function checkRealtimeDeliveryWith(rest: KadoaRest, eventTypes: readonly string[], workflowIds: readonly string[]): Promise<RealtimeDeliveryCheck> {
	const targets = deliveryTargets(eventTypes, workflowIds);
	const channel = await websocketChannel(rest);
	const settings = channel ? await allSettings(rest) : [];
	const missing = targets.map((target) => gapOf(target, settings, channel?.id)).filter((gap): gap is DeliveryGap => gap !== undefined);
	return { ok: missing.length === 0, channelId: channel?.id, missing, message: describeCheck(targets, missing) };
}

/** Creates or reuses the WebSocket channel and makes every target deliver to it; writes nothing when all do already. */
export async function setupRealtimeDeliveryWith(rest: KadoaRest, eventTypes: readonly string[], workflowIds: readonly string[]): Promise<RealtimeDeliverySetup> {
	const targets = deliveryTargets(eventTypes, workflowIds);
	let channel = await websocketChannel(rest);
	const channelCreated = channel === undefined;
	if (!channel) {
		const created = toChannel(
			objectIn(await rest('POST', '/v5/notifications/channels', { name: WEBSOCKET_CHANNEL_NAME, channelType: WEBSOCKET_CHANNEL_TYPE, config: {} }), 'channel'),
		);
		if (!created) throw new KadoaError('config', 'Kadoa did not return the WebSocket channel it created', HINTS.config);
		channel = created;
	}
	const channelId = channel.id;
	const settings = await allSettings(rest);
	const changes: SettingChange[] = [];
	for (const target of targets) {
		const exact = exactSetting(settings, target);
		const teamWide = target.workflowId === null ? undefined : exactSetting(settings, { ...target, workflowId: null });
		if (delivers(exact, channelId) || (!exact && delivers(teamWide, channelId))) {
			const settingsId = (exact ?? teamWide) as Setting;
			changes.push({ ...target, settingsId: settingsId.id, action: 'unchanged' });
			continue;
		}
		if (exact) {
			const channelIds = [...new Set([...exact.channelIds, channelId])];
			await rest('PUT', `/v5/notifications/settings/${encodeURIComponent(exact.id)}`, {
				eventType: exact.eventType,
				eventConfiguration: exact.eventConfiguration,
				enabled: true,
				channelIds,
			});
			Object.assign(exact, { enabled: true, channelIds });
			changes.push({ ...target, settingsId: exact.id, action: 'updated' });
			continue;
		}
		// A workflow's own entry may override the team-wide one: it keeps the channels the team-wide entry delivers to.
		const inherited = teamWide?.enabled ? teamWide.channelIds : [];
		const body: Record<string, unknown> = { eventType: target.eventType, eventConfiguration: {}, enabled: true, channelIds: [...new Set([...inherited, channelId])] };
		if (target.workflowId !== null) body.workflowId = target.workflowId;
		const created = toSetting(objectIn(await rest('POST', '/v5/notifications/settings', body), 'settings'));
		if (!created) throw new KadoaError('config', `Kadoa did not return the notification setting it created for ${targetWords(target)}`, HINTS.config);
		settings.push(created);
		changes.push({ ...target, settingsId: created.id, action: 'created' });
	}
	const changed = channelCreated || changes.some((c) => c.action !== 'unchanged');
	const written = changes.filter((c) => c.action !== 'unchanged');
	const message = changed
		? `Realtime delivery set up: ${channelCreated ? 'created the WebSocket channel; ' : ''}${written.map((c) => `${c.action} the setting for ${targetWords(c)}`).join('; ') || 'no setting needed a change'}.`
		: `Nothing to change: Kadoa already sends ${targets.map(targetWords).join(', ')} to the team's WebSocket channel.`;
	return { channelId, channelCreated, settings: changes, changed, message };
}

// ---------------------------------------------------------------- plain HTTP (the trigger)

/** Kadoa's answer to a refused request, in words; never the key. */
function refusal(method: RestMethod, path: string, response: HttpResponse): KadoaError {
	const detail = errorDetail(response.body);
	const where = `${method} ${path.split('?')[0]}`;
	if (response.status === 401 || response.status === 403) {
		return new KadoaError('auth', `Kadoa refused the API key for ${where} (HTTP ${response.status}: ${detail})`, HINTS.auth);
	}
	if (response.status === 404) return new KadoaError('config', `Kadoa answered 404 for ${where}: ${detail}`, HINTS.config);
	return new KadoaError('transient', `Kadoa answered HTTP ${response.status} for ${where}: ${detail}`);
}

function unreachable(error: NetworkError): never {
	throw new KadoaError('transient', `Kadoa API request failed: ${error.message}`, HINTS.unreachable);
}

/** A KadoaRest over plain HTTP with the API key, for code that runs outside a node execution (the trigger). */
export function plainRest(endpoints: KadoaEndpoints, apiKey: string, timeoutMs = 15_000): KadoaRest {
	return async (method, path, body) => {
		const response = await httpRequest(`${endpoints.apiBase}${path}`, {
			method,
			headers: { 'x-api-key': apiKey },
			body: body === undefined ? undefined : JSON.stringify(body),
			timeoutMs,
			maxResponseBytes: 16 * 1024 * 1024,
		}).catch(unreachable);
		if (response.status < 200 || response.status >= 300) throw refusal(method, path, response);
		if (response.body.trim() === '') return {};
		try {
			return JSON.parse(response.body) as unknown;
		} catch {
			return response.body;
		}
	};
}

/** Which chosen event types (for which chosen workflows; none = team-wide) do not reach the team's WebSocket channel. */
export async function checkRealtimeDelivery(
	endpoints: KadoaEndpoints,
	apiKey: string,
	eventTypes: readonly string[],
	workflowIds: readonly string[],
): Promise<RealtimeDeliveryCheck> {
	return await checkRealtimeDeliveryWith(plainRest(endpoints, apiKey), eventTypes, workflowIds);
}

/** Makes the chosen event types reach the team's WebSocket channel; running it again changes nothing. */
export async function setupRealtimeDelivery(
	endpoints: KadoaEndpoints,
	apiKey: string,
	eventTypes: readonly string[],
	workflowIds: readonly string[],
): Promise<RealtimeDeliverySetup> {
	return await setupRealtimeDeliveryWith(plainRest(endpoints, apiKey), eventTypes, workflowIds);
}
