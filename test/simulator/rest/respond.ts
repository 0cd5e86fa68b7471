// Answers of the simulated REST API. Kadoa's error bodies differ per endpoint family (see
// /work/shared/kadoa-rest-api.md and the OpenAPI document), and clients must cope with all three:
//   v4     {error: true, message, details}   (workflow create/update, schemas, data, most of v4)
//   job    {error: "...", reason?, ...}      (run, job status, and the older list endpoints)
//   v5     {status: "error", message, data}  (notifications)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, isObject, parseJson, readBody, sendJson } from '../http-util';

export type ErrorFamily = 'v4' | 'job' | 'v5';

/** An error body in the family's shape; `extra` adds fields (job: reason, recoveryHint; v4: details; v5: data). */
export function errorBody(family: ErrorFamily, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
	switch (family) {
		case 'v4':
			return { error: true, message, details: null, ...extra };
		case 'job':
			return { error: message, ...extra };
		case 'v5':
			return { status: 'error', message, data: null, ...extra };
	}
}

export function sendError(res: ServerResponse, status: number, family: ErrorFamily, message: string, extra?: Record<string, unknown>): void {
	sendJson(res, status, errorBody(family, message, extra));
}

/** A text/plain success, as some v4 endpoints answer (pause, delete). */
export function sendText(res: ServerResponse, status: number, text: string): void {
	if (res.headersSent || res.writableEnded) return;
	res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
	res.end(text);
}

/** v5 success envelope. */
export function sendV5(res: ServerResponse, status: number, data: unknown, message: string): void {
	sendJson(res, status, { data, status: 'success', message });
}

const MAX_BODY = 1024 * 1024;

/** Reads a JSON object body; answers 413/400 in the family's shape and returns undefined when it is not one. */
export async function readJsonObject(req: IncomingMessage, res: ServerResponse, family: ErrorFamily): Promise<Record<string, unknown> | undefined> {
	let raw: Buffer;
	try {
		raw = await readBody(req, MAX_BODY);
	} catch (err) {
		if (err instanceof BodyTooLarge) {
			sendError(res, 413, family, `Request body larger than ${MAX_BODY} bytes`);
			return undefined;
		}
		throw err;
	}
	if (raw.length === 0) return {};
	const body = parseJson(raw);
	if (!isObject(body)) {
		sendError(res, 400, family, 'Request body must be a JSON object');
		return undefined;
	}
	return body;
}

/** 24 hex characters, like Kadoa's ObjectIds. */
export function objectId(): string {
	let out = '';
	for (let i = 0; i < 24; i++) out += Math.floor(Math.random() * 16).toString(16);
	return out;
}

/** A UUID-shaped id (channels, settings, jobs, events). */
export function uuid(): string {
	const h = objectId() + objectId();
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `{totalCount, page, totalPages, limit}` of skip+limit and page+limit answers. */
export function pagination(total: number, skip: number, limit: number): { totalCount: number; page: number; totalPages: number; limit: number } {
	return { totalCount: total, page: Math.floor(skip / Math.max(1, limit)) + 1, totalPages: Math.ceil(total / Math.max(1, limit)), limit };
}

/** Comma-separated, repeated or JSON-array query values, as Kadoa accepts them. */
export function listParam(url: URL, name: string): string[] {
	const out: string[] = [];
	for (const raw of url.searchParams.getAll(name)) {
		const text = raw.trim();
		if (text.startsWith('[')) {
			const parsed = parseJson(Buffer.from(text));
			if (Array.isArray(parsed)) {
				out.push(...parsed.map((v) => String(v)));
				continue;
			}
		}
		out.push(...text.split(','));
	}
	return out.map((v) => v.trim()).filter(Boolean);
}
