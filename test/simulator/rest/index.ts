// The simulator's Kadoa REST API beyond the realtime endpoints: workflows (list, get, create,
// update, run, job status, pause, resume, delete), data, schemas, changes and notifications,
// with each family's error shape, records of every request, and fault injection (e.g. 429
// with Kadoa's `reason`). The simulator routes every request here first (`handle`).
//
// Control (JSON), for processes that cannot call it in-process:
//   POST /__sim/rest/notifications {preset: subscribed | unsubscribed | none}
//   POST /__sim/rest/fault {n, status, reason?, message?, path?, method?}   next n matching requests fail
//   POST /__sim/rest/job-outcome {state: FINISHED | FAILED | never, durationMs, rows?, afterPolls?}
//   GET  /__sim/rest/state
import * as http from 'node:http';
import type { ChangePayload, SimWorkflow } from '../fixtures';
import { sendJson } from '../http-util';
import { getChange, listChanges } from './changes';
import { NotificationApi, type NotificationPreset } from './notifications';
import { errorBody, readJsonObject, sendError, type ErrorFamily } from './respond';
import { WorkflowApi, type JobOutcome } from './workflows';

export { NotificationApi, WS_CHANNEL_ID, EMAIL_CHANNEL_ID, type NotificationPreset } from './notifications';
export { WorkflowApi, type JobOutcome, type SimRun } from './workflows';

/** What the REST API needs from the simulator. */
export interface RestHost {
	/** The simulator's API-key check (valid, refused, revoked). */
	checkKey(req: http.IncomingMessage): { ok: boolean; status: number; error: string };
	workflows(): SimWorkflow[];
	setWorkflows(list: SimWorkflow[]): void;
	changes(): readonly ChangePayload[];
	/** Publishes a realtime event to subscribed sockets. */
	publish(spec: { type: string; data?: unknown; id?: string }): unknown;
}

/** The next `n` requests matching `method` and `path` (a prefix) fail with `status` (and Kadoa's `reason`). */
export interface RestFault {
	n: number;
	status: number;
	reason?: string;
	message?: string;
	path?: string;
	method?: string;
}

/** The next `n` requests matching `method` and `path` (a prefix) are answered only after `ms` (or never, if the client leaves first). */
export interface RestDelay {
	n: number;
	ms: number;
	path?: string;
	method?: string;
}

export interface RestRequestRecord {
	method: string;
	path: string;
	query: string;
	/** 0 until answered. */
	status: number;
	at: number;
}

/** The first queued entry matching the request, used up after `n` matches. */
function take<T extends { n: number; path?: string; method?: string }>(queue: T[], path: string, method: string): T | undefined {
	const index = queue.findIndex((f) => (!f.path || path.startsWith(f.path)) && (!f.method || f.method === method));
	if (index < 0) return undefined;
	const entry = queue[index];
	if (--entry.n <= 0) queue.splice(index, 1);
	return entry;
}

const REST_PREFIXES = ['/v4/workflows', '/v4/changes', '/v4/schemas', '/v5/notifications'];

/** Which error shape a path answers with (the list and change endpoints keep the simulator's earlier `{error}`). */
function familyOf(path: string, method: string): ErrorFamily {
	if (path.startsWith('/v5/')) return 'v5';
	if (path.startsWith('/v4/changes') || (path === '/v4/workflows' && method === 'GET')) return 'job';
	if (/^\/v4\/workflows\/[^/]+\/(run|jobs)(\/|$)/.test(path)) return 'job';
	return 'v4';
}

export class RestApi {
	readonly workflows: WorkflowApi;
	readonly notifications: NotificationApi;
	/** Every REST request (not the control API), in order. */
	readonly requests: RestRequestRecord[] = [];
	private readonly faults: RestFault[] = [];
	private readonly delays: RestDelay[] = [];

	constructor(private readonly host: RestHost) {
		this.workflows = new WorkflowApi(
			() => host.workflows(),
			(list) => host.setWorkflows(list),
			() => host.changes(),
		);
		this.notifications = new NotificationApi({ publish: (spec) => host.publish(spec), workflows: () => host.workflows() });
	}

	/** Queues a fault (see RestFault); faults are consumed in the order given. */
	fail(fault: RestFault): void {
		this.faults.push({ ...fault });
	}

	/** Queues a delay (see RestDelay). */
	delay(delay: RestDelay): void {
		this.delays.push({ ...delay });
	}

	/** Requests that changed something (POST, PUT, DELETE), optionally under a path prefix. */
	writes(prefix = ''): RestRequestRecord[] {
		return this.requests.filter((r) => r.method !== 'GET' && r.path.startsWith(prefix));
	}

	/** Answers the request when it is a REST or REST-control path; false otherwise (the simulator goes on). */
	async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, path: string, method: string): Promise<boolean> {
		if (path.startsWith('/__sim/rest/')) return await this.control(req, res, path, method);
		if (!REST_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return false;
		const record: RestRequestRecord = { method, path, query: url.search, status: 0, at: Date.now() };
		this.requests.push(record);
		res.once('finish', () => (record.status = res.statusCode));
		const family = familyOf(path, method);
		const key = this.host.checkKey(req);
		if (!key.ok) {
			req.resume();
			sendError(res, key.status, family, key.error);
			return true;
		}
		const delay = take(this.delays, path, method);
		if (delay && !(await this.hold(res, delay.ms))) {
			req.resume();
			return true;
		}
		const fault = take(this.faults, path, method);
		if (fault) {
			req.resume();
			const message = fault.message ?? (fault.status === 429 && family === 'job' ? 'Too many concurrent jobs' : (http.STATUS_CODES[fault.status] ?? 'Error'));
			sendJson(res, fault.status, errorBody(family, message, fault.reason ? { reason: fault.reason } : {}));
			return true;
		}
		if (path === '/v4/changes' && method === 'GET') {
			req.resume();
			listChanges(this.host.changes(), res, url);
			return true;
		}
		if (path.startsWith('/v4/changes/') && method === 'GET') {
			req.resume();
			getChange(this.host.changes(), res, decodeURIComponent(path.slice('/v4/changes/'.length)));
			return true;
		}
		if (await this.workflows.handle(req, res, url, path, method)) return true;
		return await this.notifications.handle(req, res, url, path, method);
	}

	/** Waits `ms`; false when the client left meanwhile (nothing to answer). */
	private hold(res: http.ServerResponse, ms: number): Promise<boolean> {
		return new Promise((resolve) => {
			const onClose = (): void => {
				clearTimeout(timer);
				resolve(false);
			};
			const timer = setTimeout(() => {
				res.off('close', onClose);
				resolve(true);
			}, ms);
			res.once('close', onClose);
		});
	}

	state(): Record<string, unknown> {
		return {
			workflows: this.host.workflows().length,
			channels: this.notifications.channels.length,
			settings: this.notifications.settings.length,
			notificationLog: this.notifications.log.length,
			requests: this.requests.length,
			writes: this.writes().length,
			pendingFaults: this.faults.reduce((n, f) => n + f.n, 0),
			pendingDelays: this.delays.reduce((n, d) => n + d.n, 0),
			jobOutcome: this.workflows.jobOutcome,
		};
	}

	private async control(req: http.IncomingMessage, res: http.ServerResponse, path: string, method: string): Promise<boolean> {
		if (path === '/__sim/rest/state' && method === 'GET') {
			req.resume();
			sendJson(res, 200, this.state());
			return true;
		}
		if (method !== 'POST') {
			req.resume();
			sendJson(res, 404, { error: 'Not found' });
			return true;
		}
		const body = await readJsonObject(req, res, 'job');
		if (!body) return true;
		switch (path) {
			case '/__sim/rest/notifications': {
				const preset = body.preset;
				if (preset !== 'subscribed' && preset !== 'unsubscribed' && preset !== 'none') {
					sendJson(res, 400, { error: 'preset must be subscribed, unsubscribed or none' });
					return true;
				}
				this.notifications.preset(preset as NotificationPreset);
				break;
			}
			case '/__sim/rest/fault': {
				const n = typeof body.n === 'number' ? body.n : 1;
				const status = typeof body.status === 'number' ? body.status : 429;
				const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
				this.fail({ n, status, reason: str(body.reason), message: str(body.message), path: str(body.path), method: str(body.method) });
				break;
			}
			case '/__sim/rest/job-outcome': {
				const state = body.state;
				if (state !== 'FINISHED' && state !== 'FAILED' && state !== 'never') {
					sendJson(res, 400, { error: 'state must be FINISHED, FAILED or never' });
					return true;
				}
				const outcome: JobOutcome = { state, durationMs: typeof body.durationMs === 'number' ? body.durationMs : 300 };
				if (typeof body.rows === 'number') outcome.rows = body.rows;
				if (typeof body.afterPolls === 'number') outcome.afterPolls = body.afterPolls;
				this.workflows.jobOutcome = outcome;
				break;
			}
			default:
				sendJson(res, 404, { error: 'Not found' });
				return true;
		}
		sendJson(res, 200, { ok: true });
		return true;
	}
}
