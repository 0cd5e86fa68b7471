/**
 * The frames Kadoa sends on the realtime socket, parsed once and validated just enough to
 * route them. Anything unexpected becomes an `invalid` frame instead of an exception:
 * a bad frame must never take the connection (or n8n) down.
 */

export interface KadoaEvent {
	/** Kadoa's event id: the acknowledgement key. Missing only on a malformed event. */
	id: string | undefined;
	type: string;
	/** Unix ms, as sent. */
	timestamp: number | undefined;
	/** Opaque, server-ordered replay position. */
	cursor: string | undefined;
	/** The event's payload: `data` in Kadoa's documentation, `message` in its SDKs. */
	payload: Record<string, unknown>;
	/** A stored change replayed for a test run, not a live event: never acknowledged. */
	sample?: boolean;
	/** Only the header was read (an unwanted large frame): the payload holds its workflowId at most. */
	partial?: true;
}

export type Frame =
	| { kind: 'heartbeat' }
	| { kind: 'draining'; retryAfterMs: number | undefined }
	| { kind: 'control'; type: string }
	| { kind: 'event'; event: KadoaEvent }
	| { kind: 'invalid'; reason: string };

export interface SubscribeMessage {
	action: 'subscribe';
	channel: string;
	lastCursor?: string;
}

export function subscribeMessage(channel: string, lastCursor: string | undefined): string {
	const message: SubscribeMessage = { action: 'subscribe', channel };
	if (lastCursor) message.lastCursor = lastCursor;
	return JSON.stringify(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseFrame(raw: string): Frame {
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw);
	} catch {
		return { kind: 'invalid', reason: 'not JSON' };
	}
	return frameFromObject(parsed);
}

export function frameFromObject(parsed: unknown): Frame {
	if (!isRecord(parsed)) return { kind: 'invalid', reason: 'not a JSON object' };
	const type = parsed.type;
	if (typeof type !== 'string' || type === '') return { kind: 'invalid', reason: 'no "type"' };

	if (type === 'heartbeat') return { kind: 'heartbeat' };
	if (type === 'control.draining') {
		const retry = parsed.retryAfterMs;
		return {
			kind: 'draining',
			retryAfterMs: typeof retry === 'number' && Number.isFinite(retry) ? retry : undefined,
		};
	}
	if (type.startsWith('control.')) return { kind: 'control', type };

	const payload = isRecord(parsed.data) ? parsed.data : isRecord(parsed.message) ? parsed.message : {};
	const id = typeof parsed.id === 'string' && parsed.id !== '' ? parsed.id : undefined;
	const cursor = typeof parsed._cursor === 'string' && parsed._cursor !== '' ? parsed._cursor : undefined;
	const timestamp = typeof parsed.timestamp === 'number' ? parsed.timestamp : undefined;
	return { kind: 'event', event: { id, type, timestamp, cursor, payload } };
}
