/**
 * The frames Kadoa sends on the realtime socket, parsed once and validated just enough to
 * route them. Anything unexpected becomes an `invalid` frame instead of an exception:
 * a bad frame must never take the connection (or n8n) down.
 */

import { safeText } from './redact';

export interface KadoaEvent {
	/** Kadoa's event id: the acknowledgement key. Missing only on a malformed event. */
	id: string | undefined;
	type: string;
	/** Unix ms, as sent. */
	timestamp: number | undefined;
	/** Opaque, server-ordered replay position. */
	cursor: string | undefined;
	/**
	 * The event's payload: `data` in Kadoa's documentation, `message` in its SDKs; in a frame
	 * with both, the first that is an object (what a reader of the header sees, peek.ts).
	 */
	payload: Record<string, unknown>;
	/** A stored change replayed for a test run, not a live event: never acknowledged. */
	sample?: boolean;
	/** Only the header was read (an unwanted large frame): the payload holds its workflowId at most. */
	partial?: true;
	/** Size of the frame it came in, in bytes (limits per trigger are applied after the header). */
	bytes?: number;
	/** Serial of the connection it came on (during a drain or replacement two deliver at once). */
	connection?: number;
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

/** The longest control frame type kept: it is only logged (printable), and a frame may hold megabytes. */
const MAX_CONTROL_TYPE_LENGTH = 100;

/** Total: any failure (not only a SyntaxError) is an `invalid` frame, never an exception. */
export function parseFrame(raw: string): Frame {
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw);
	} catch {
		return { kind: 'invalid', reason: 'not JSON' };
	}
	try {
		return frameFromObject(parsed);
	} catch {
		return { kind: 'invalid', reason: 'unreadable' };
	}
}

function payloadOf(frame: Record<string, unknown>): Record<string, unknown> {
	// Top-level keys are few; their order is the frame's (neither key is an integer).
	for (const key in frame) {
		if (key !== 'data' && key !== 'message') continue;
		const value = frame[key];
		if (isRecord(value)) return value;
	}
	return {};
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
	if (type.startsWith('control.')) return { kind: 'control', type: safeText(type, [], MAX_CONTROL_TYPE_LENGTH) };

	const payload = payloadOf(parsed);
	const id = typeof parsed.id === 'string' && parsed.id !== '' ? parsed.id : undefined;
	const cursor = typeof parsed._cursor === 'string' && parsed._cursor !== '' ? parsed._cursor : undefined;
	// 1e400 parses to Infinity: not a time.
	const timestamp = typeof parsed.timestamp === 'number' && Number.isFinite(parsed.timestamp) ? parsed.timestamp : undefined;
	return { kind: 'event', event: { id, type, timestamp, cursor, payload } };
}
