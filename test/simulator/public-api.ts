// The public API's realtime endpoints: the token exchange (`POST /v4/oauth2/token`, API key →
// access token + team id) and the acknowledgement (`POST /api/v1/events/ack {id}`), with their
// records and faults (failed, stalled).
import * as http from 'node:http';
import type { Auth } from './auth';
import type { EventStore } from './event-store';
import { PendingFaults } from './faults';
import { isObject, mask, parseJson, readBodyOr413, sendJson } from './http-util';
import type { SimRecords } from './records';
import type { TokenRequestRecord } from './types';

/** What the endpoints need from the simulator. */
export interface PublicApiHost {
	auth: Auth;
	store: EventStore;
	records: SimRecords;
	teamId: string;
	/** Limit of request bodies (beyond → 413). */
	maxBodyBytes: number;
	log(line: string): void;
}

interface StalledToken {
	res: http.ServerResponse;
	rec: TokenRequestRecord;
}

export class PublicApi {
	/** Pending token failures: status and Retry-After seconds. */
	readonly tokenFaults = new PendingFaults<{ status: number; retryAfterSeconds?: number }>();
	/** Pending ack failures: status (not recorded as acked). */
	readonly ackFaults = new PendingFaults<number>();
	/** Pending ack stalls: never answered. */
	readonly ackStalls = new PendingFaults<true>();
	private stallTokens = false;
	private readonly stalledTokens = new Set<StalledToken>();

	constructor(private readonly host: PublicApiHost) {}

	/** While on, token requests hang unanswered; off answers them 503. */
	setTokenStall(on: boolean): void {
		this.stallTokens = on;
		if (!on) this.releaseStalledTokens();
	}

	/** Answers every stalled token request 503 (stall switched off, or stop). */
	releaseStalledTokens(): void {
		for (const s of this.stalledTokens) {
			s.rec.status = 503;
			sendJson(s.res, 503, { error: 'Service Unavailable' });
		}
		this.stalledTokens.clear();
	}

	/** `POST /v4/oauth2/token`: a stall, a pending failure, a refused key, or a new token for the team. */
	async handleToken(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const { auth, records, log } = this.host;
		const key = auth.checkKey(req);
		const rec: TokenRequestRecord = { apiKeyOk: key.ok, status: 0, at: Date.now() };
		records.tokenRequests.push(rec);
		if (!(await readBodyOr413(req, res, this.host.maxBodyBytes))) {
			rec.status = 413;
			return;
		}
		if (this.stallTokens) {
			const s: StalledToken = { res, rec };
			this.stalledTokens.add(s);
			res.once('close', () => this.stalledTokens.delete(s));
			log('token request stalled');
			return;
		}
		const fault = this.tokenFaults.take();
		if (fault) {
			const { status, retryAfterSeconds } = fault;
			rec.status = status;
			const headers: Record<string, string> = retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {};
			log(`token request failed on purpose (${status})`);
			return sendJson(res, status, { error: http.STATUS_CODES[status] ?? 'Error' }, headers);
		}
		if (!key.ok) {
			rec.status = key.status;
			log(`token refused ${key.status} (key ${key.key ? mask(key.key) : 'missing'})`);
			return sendJson(res, key.status, { error: key.error });
		}
		const token = auth.issueToken();
		rec.status = 200;
		log(`token issued ${mask(token)} for key ${mask(key.key ?? '')}`);
		sendJson(res, 200, { access_token: token, team_id: this.host.teamId });
	}

	/** `POST /api/v1/events/ack {id}`: team-wide, no consumer identity; a repeated ack is a recorded duplicate. */
	async handleAck(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const { store, records, log } = this.host;
		const raw = await readBodyOr413(req, res, this.host.maxBodyBytes);
		const at = Date.now();
		if (!raw) {
			records.acks.push({ id: '', status: 413, duplicate: false, at });
			return;
		}
		const body = parseJson(raw);
		const id = isObject(body) && typeof body.id === 'string' ? body.id : '';
		if (this.ackStalls.take()) {
			records.acks.push({ id, status: 0, duplicate: false, at });
			return;
		}
		const failStatus = this.ackFaults.take();
		if (failStatus !== undefined) {
			records.acks.push({ id, status: failStatus, duplicate: false, at });
			return sendJson(res, failStatus, { error: http.STATUS_CODES[failStatus] ?? 'Error' });
		}
		if (id === '') {
			records.acks.push({ id, status: 400, duplicate: false, at });
			return sendJson(res, 400, { error: 'Body must be {"id": "<event id>"}' });
		}
		if (!store.isKnown(id)) {
			records.acks.push({ id, status: 404, duplicate: false, at });
			log(`ack of unknown event ${id}`);
			return sendJson(res, 404, { error: 'Event not found' });
		}
		const duplicate = store.ack(id);
		records.acks.push({ id, status: 200, duplicate, at });
		if (duplicate) log(`duplicate ack ${id}`);
		sendJson(res, 200, { success: true });
	}
}
