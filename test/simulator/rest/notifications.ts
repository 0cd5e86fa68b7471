// Kadoa's notification endpoints (v5: `{data, status, message}` answers, `{status, message, data}`
// errors): channels, settings, event types, test events and the delivery log (offset + hasMore).
// A test event goes out on the realtime socket only when the team's settings route its type
// to the WebSocket channel: a workflow's own setting decides when it has one, else the
// team-wide one (the cautious reading; Kadoa does not document how they combine).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dataChangePayload, type SimWorkflow } from '../fixtures';
import { intParam, isObject } from '../http-util';
import { readJsonObject, sendError, sendV5, uuid } from './respond';

export const NOTIFICATION_EVENT_TYPES = [
	{ type: 'workflow_started', category: 'workflow', description: 'A workflow run started' },
	{ type: 'workflow_finished', category: 'workflow', description: 'A workflow run finished' },
	{ type: 'workflow_failed', category: 'workflow', description: 'A workflow run failed' },
	{ type: 'workflow_sample_finished', category: 'workflow', description: 'A sample extraction finished' },
	{ type: 'workflow_data_change', category: 'workflow', description: 'The extracted data changed' },
	{ type: 'system_maintenance', category: 'system', description: 'Planned maintenance' },
	{ type: 'service_degradation', category: 'system', description: 'Degraded service' },
	{ type: 'credits_low', category: 'account', description: 'Credits are running low' },
	{ type: 'free_trial_ending', category: 'account', description: 'The free trial ends soon' },
] as const;
const TYPES: readonly string[] = NOTIFICATION_EVENT_TYPES.map((t) => t.type);
const CHANNEL_TYPES = ['EMAIL', 'SLACK', 'WEBHOOK', 'WEBSOCKET'];

export interface SimChannel {
	id: string;
	name: string;
	channelType: string;
	config: Record<string, unknown>;
	createdAt: string;
	updatedAt: string;
}

export interface SimSetting {
	id: string;
	/** null: the whole team (workspace-level). */
	workflowId: string | null;
	eventType: string;
	eventConfiguration: Record<string, unknown>;
	enabled: boolean;
	channelIds: string[];
	createdAt: string;
	updatedAt: string;
}

export interface SimLogEntry {
	id: string;
	workflowId: string | null;
	eventType: string;
	eventStatus: 'SENT' | 'NO_CHANNEL';
	channelConfig: Record<string, unknown>;
	payload: Record<string, unknown>;
	eventId: string;
	createdAt: string;
}

/**
 * Starting states of a team's notification settings:
 * - `subscribed` (default): a WebSocket channel, linked team-wide to workflow_data_change
 *   (plus an email channel for workflow_failed), so realtime data changes reach the trigger;
 * - `unsubscribed`: both channels exist but workflow_data_change goes to email only: the trigger
 *   would connect and receive nothing (the silent first-hour failure);
 * - `none`: no channel, no setting.
 */
export type NotificationPreset = 'subscribed' | 'unsubscribed' | 'none';

export const WS_CHANNEL_ID = 'ch-websocket-0001';
export const EMAIL_CHANNEL_ID = 'ch-email-0001';

export interface PublishHook {
	publish(spec: { type: string; data?: unknown; id?: string }): unknown;
	workflows(): SimWorkflow[];
}

export class NotificationApi {
	channels: SimChannel[] = [];
	settings: SimSetting[] = [];
	readonly log: SimLogEntry[] = [];

	constructor(private readonly hook: PublishHook) {
		this.preset('subscribed');
	}

	/** Replaces channels and settings with one of the starting states (the log stays). */
	preset(kind: NotificationPreset): void {
		const at = '2025-01-06T09:00:00.000Z';
		this.channels = [];
		this.settings = [];
		if (kind === 'none') return;
		this.channels.push(
			{ id: EMAIL_CHANNEL_ID, name: 'Team email', channelType: 'EMAIL', config: { recipients: ['team@example.com'] }, createdAt: at, updatedAt: at },
			{ id: WS_CHANNEL_ID, name: 'Realtime', channelType: 'WEBSOCKET', config: {}, createdAt: at, updatedAt: at },
		);
		const setting = (eventType: string, channelIds: string[]): SimSetting => ({
			id: `set-${eventType}`,
			workflowId: null,
			eventType,
			eventConfiguration: {},
			enabled: true,
			channelIds,
			createdAt: at,
			updatedAt: at,
		});
		this.settings.push(setting('workflow_data_change', kind === 'subscribed' ? [WS_CHANNEL_ID] : [EMAIL_CHANNEL_ID]), setting('workflow_failed', [EMAIL_CHANNEL_ID]));
	}

	/** The enabled setting's WebSocket channel that gets this event type (for this workflow), if any. */
	websocketRoute(eventType: string, workflowId: string | null): SimChannel | undefined {
		const own = workflowId === null ? undefined : this.settings.find((s) => s.eventType === eventType && s.workflowId === workflowId);
		const deciding = own ?? this.settings.find((s) => s.eventType === eventType && s.workflowId === null);
		if (!deciding?.enabled) return undefined;
		return this.channels.find((c) => c.channelType === 'WEBSOCKET' && deciding.channelIds.includes(c.id));
	}

	/** Routes /v5/notifications/*; false when the path is not one of them. */
	async handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string, method: string): Promise<boolean> {
		const m = /^\/v5\/notifications\/(channels|settings|event-types|test|logs)(?:\/([^/]+))?$/.exec(path);
		if (!m) return false;
		const id = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
		const route = `${method} ${m[1]}${id === undefined ? '' : '/:id'}`;
		switch (route) {
			case 'GET channels':
				req.resume();
				sendV5(res, 200, { channels: this.channels.map((c) => this.channelView(c)) }, 'Channels retrieved successfully');
				return true;
			case 'POST channels':
				await this.createChannel(req, res);
				return true;
			case 'GET channels/:id':
			case 'DELETE channels/:id': {
				req.resume();
				const channel = this.channels.find((c) => c.id === id);
				if (!channel) sendError(res, 404, 'v5', 'Channel not found');
				else if (method === 'GET') sendV5(res, 200, { channel: this.channelView(channel) }, 'Channel retrieved successfully');
				else {
					this.channels = this.channels.filter((c) => c !== channel);
					for (const s of this.settings) s.channelIds = s.channelIds.filter((c) => c !== channel.id);
					sendV5(res, 200, { channel: this.channelView(channel) }, 'Channel deleted successfully');
				}
				return true;
			}
			case 'GET settings':
				req.resume();
				this.listSettings(res, url);
				return true;
			case 'POST settings':
				await this.createSetting(req, res);
				return true;
			case 'PUT settings/:id':
				await this.updateSetting(req, res, id ?? '');
				return true;
			case 'GET settings/:id':
			case 'DELETE settings/:id': {
				req.resume();
				const setting = this.settings.find((s) => s.id === id);
				if (!setting) sendError(res, 404, 'v5', 'Settings not found');
				else {
					if (method === 'DELETE') this.settings = this.settings.filter((s) => s !== setting);
					sendV5(res, 200, { settings: this.settingView(setting) }, method === 'GET' ? 'Settings retrieved successfully' : 'Settings deleted successfully');
				}
				return true;
			}
			case 'GET event-types':
				req.resume();
				sendV5(res, 200, { eventTypes: NOTIFICATION_EVENT_TYPES.map((t) => ({ ...t, version: '1', schema: {} })) }, 'Event types retrieved successfully');
				return true;
			case 'POST test':
				await this.sendTest(req, res);
				return true;
			case 'GET logs':
				req.resume();
				this.listLog(res, url);
				return true;
			default:
				return false;
		}
	}

	private channelView(c: SimChannel): Record<string, unknown> {
		const linkedConfigurations = this.settings
			.filter((s) => s.channelIds.includes(c.id))
			.map((s) => ({ configurationId: s.id, workflowId: s.workflowId, eventType: s.eventType, enabled: s.enabled }));
		return { ...c, linkedConfigurations };
	}

	private settingView(s: SimSetting): Record<string, unknown> {
		const { channelIds, ...rest } = s;
		const channels = channelIds
			.map((id) => this.channels.find((c) => c.id === id))
			.filter((c): c is SimChannel => c !== undefined)
			.map((c) => ({ id: c.id, name: c.name, channelType: c.channelType }));
		return { ...rest, channels };
	}

	private async createChannel(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const body = await readJsonObject(req, res, 'v5');
		if (!body) return;
		if (typeof body.name !== 'string' || body.name === '') return sendError(res, 400, 'v5', 'name is required');
		if (!CHANNEL_TYPES.includes(String(body.channelType))) return sendError(res, 400, 'v5', `channelType must be one of ${CHANNEL_TYPES.join(', ')}`);
		if (!isObject(body.config)) return sendError(res, 400, 'v5', 'config must be an object');
		if (body.channelType === 'WEBSOCKET' && this.channels.some((c) => c.channelType === 'WEBSOCKET')) {
			return sendError(res, 400, 'v5', 'This workspace already has a WebSocket channel');
		}
		const at = new Date().toISOString();
		const channel: SimChannel = { id: uuid(), name: body.name, channelType: String(body.channelType), config: body.config, createdAt: at, updatedAt: at };
		this.channels.push(channel);
		sendV5(res, 201, { channel: this.channelView(channel) }, 'Channel created successfully');
	}

	private listSettings(res: ServerResponse, url: URL): void {
		const workflowParam = url.searchParams.get('workflowId');
		const eventType = url.searchParams.get('eventType');
		const workflowIds = workflowParam === null ? undefined : workflowParam.split(',').map((s) => s.trim());
		const matching = this.settings.filter(
			(s) =>
				(workflowIds === undefined || workflowIds.some((w) => (w === 'null' ? s.workflowId === null : s.workflowId === w))) &&
				(eventType === null || s.eventType === eventType),
		);
		sendV5(res, 200, { settings: matching.map((s) => this.settingView(s)) }, 'Settings retrieved successfully');
	}

	/** Problems with channelIds (unknown ids); undefined when fine. */
	private channelProblem(channelIds: unknown): string | undefined {
		if (channelIds === undefined) return undefined;
		if (!Array.isArray(channelIds) || !channelIds.every((c) => typeof c === 'string')) return 'channelIds must be an array of channel ids';
		const unknown = channelIds.filter((c) => !this.channels.some((ch) => ch.id === c));
		return unknown.length ? `Unknown channel(s): ${unknown.join(', ')}` : undefined;
	}

	private async createSetting(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const body = await readJsonObject(req, res, 'v5');
		if (!body) return;
		if (!TYPES.includes(String(body.eventType))) return sendError(res, 400, 'v5', `eventType must be one of ${TYPES.join(', ')}`);
		if (!isObject(body.eventConfiguration)) return sendError(res, 400, 'v5', 'eventConfiguration is required');
		const workflowId = typeof body.workflowId === 'string' && body.workflowId !== '' ? body.workflowId : null;
		if (workflowId !== null && !this.hook.workflows().some((w) => w.id === workflowId)) return sendError(res, 400, 'v5', `Workflow ${workflowId} not found`);
		const problem = this.channelProblem(body.channelIds);
		if (problem) return sendError(res, 400, 'v5', problem);
		if (this.settings.some((s) => s.eventType === body.eventType && s.workflowId === workflowId)) {
			return sendError(res, 400, 'v5', 'Settings for this event type already exist');
		}
		const at = new Date().toISOString();
		const setting: SimSetting = {
			id: uuid(),
			workflowId,
			eventType: String(body.eventType),
			eventConfiguration: body.eventConfiguration,
			enabled: body.enabled !== false,
			channelIds: (body.channelIds as string[] | undefined) ?? [],
			createdAt: at,
			updatedAt: at,
		};
		this.settings.push(setting);
		sendV5(res, 201, { settings: this.settingView(setting) }, 'Settings created successfully');
	}

	private async updateSetting(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
		const body = await readJsonObject(req, res, 'v5');
		if (!body) return;
		const setting = this.settings.find((s) => s.id === id);
		if (!setting) return sendError(res, 404, 'v5', 'Settings not found');
		if (body.eventType !== undefined && !TYPES.includes(String(body.eventType))) return sendError(res, 400, 'v5', `eventType must be one of ${TYPES.join(', ')}`);
		if (body.eventConfiguration !== undefined && !isObject(body.eventConfiguration)) return sendError(res, 400, 'v5', 'eventConfiguration must be an object');
		const problem = this.channelProblem(body.channelIds);
		if (problem) return sendError(res, 400, 'v5', problem);
		if (typeof body.eventType === 'string') setting.eventType = body.eventType;
		if (isObject(body.eventConfiguration)) setting.eventConfiguration = body.eventConfiguration;
		if (typeof body.enabled === 'boolean') setting.enabled = body.enabled;
		if (Array.isArray(body.channelIds)) setting.channelIds = [...new Set(body.channelIds as string[])];
		setting.updatedAt = new Date().toISOString();
		sendV5(res, 200, { settings: this.settingView(setting) }, 'Settings updated successfully');
	}

	private async sendTest(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const body = await readJsonObject(req, res, 'v5');
		if (!body) return;
		if (!TYPES.includes(String(body.eventType))) return sendError(res, 400, 'v5', `Invalid eventType; one of ${TYPES.join(', ')}`);
		const eventType = String(body.eventType);
		const workflows = this.hook.workflows();
		const workflowId = typeof body.workflowId === 'string' && body.workflowId !== '' ? body.workflowId : null;
		if (workflowId !== null && !workflows.some((w) => w.id === workflowId)) return sendError(res, 400, 'v5', `Workflow ${workflowId} not found`);
		const eventId = uuid();
		const subject = workflowId ?? (eventType.startsWith('workflow_') ? (workflows[0]?.id ?? null) : null);
		const payload: Record<string, unknown> =
			eventType === 'workflow_data_change'
				? { ...dataChangePayload({ workflowId: subject ?? undefined, rows: 3, seed: 42 }), test: true }
				: { workflowId: subject, message: `Test event (${eventType})`, test: true };
		const route = this.websocketRoute(eventType, workflowId);
		if (route) this.hook.publish({ type: eventType, data: payload, id: eventId });
		this.log.push({
			id: uuid(),
			workflowId: subject,
			eventType,
			eventStatus: route ? 'SENT' : 'NO_CHANNEL',
			channelConfig: route ? { channelId: route.id, channelType: route.channelType } : {},
			payload,
			eventId,
			createdAt: new Date().toISOString(),
		});
		sendV5(res, 200, { eventId, eventType, ...(workflowId !== null ? { workflowId } : {}) }, 'Test event sent successfully');
	}

	/** Newest first, offset + limit (max 100), `hasMore` while entries remain. */
	private listLog(res: ServerResponse, url: URL): void {
		const limit = intParam(url.searchParams.get('limit'), 50, 1, 100);
		const offset = intParam(url.searchParams.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER);
		const workflowId = url.searchParams.get('workflowId');
		const eventType = url.searchParams.get('eventType');
		const start = Date.parse(url.searchParams.get('startDate') ?? '');
		const end = Date.parse(url.searchParams.get('endDate') ?? '');
		const matching = [...this.log]
			.reverse()
			.filter((e) => {
				const t = Date.parse(e.createdAt);
				return (workflowId === null || e.workflowId === workflowId) && (eventType === null || e.eventType === eventType) && !(t < start) && !(t > end);
			});
		const events = matching.slice(offset, offset + limit);
		sendV5(res, 200, { events, pagination: { total: matching.length, limit, offset, hasMore: offset + events.length < matching.length } }, 'Event logs retrieved successfully');
	}
}
