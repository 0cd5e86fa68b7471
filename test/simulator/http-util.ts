// Small HTTP helpers of the simulator (no framework: the simulator must stay dependency-free).
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Thrown by `readBody` when the body exceeds the limit. */
export class BodyTooLarge extends Error {
	constructor(readonly limit: number) {
		super(`request body larger than ${limit} bytes`);
	}
}

/**
 * Reads the whole body, at most `limit` bytes. Beyond the limit it rejects with BodyTooLarge
 * and keeps discarding the rest, so the client can still read the 413 instead of a reset.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const declared = Number(req.headers['content-length']);
		if (Number.isFinite(declared) && declared > limit) {
			req.resume();
			reject(new BodyTooLarge(limit));
			return;
		}
		const chunks: Buffer[] = [];
		let size = 0;
		let over = false;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			// Discarding forever would let a client stream gigabytes into us.
			if (size > limit * 16) req.destroy();
			if (over) return;
			if (size > limit) {
				over = true;
				chunks.length = 0;
				reject(new BodyTooLarge(limit));
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => {
			if (!over) resolve(Buffer.concat(chunks));
		});
		req.on('error', (err) => {
			if (!over) reject(err);
		});
	});
}

/** Parses a JSON body; undefined when it is not valid JSON. */
export function parseJson(body: Buffer): unknown {
	try {
		return JSON.parse(body.toString('utf8')) as unknown;
	} catch {
		return undefined;
	}
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sends a JSON response (no-op if the response already ended, e.g. the client left). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	if (res.headersSent || res.writableEnded) return;
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text),
		...headers,
	});
	res.end(text);
}

/** Integer query parameter with a default and bounds. */
export function intParam(v: string | null, def: number, min: number, max: number): number {
	if (v === null || v.trim() === '') return def;
	const n = Number(v);
	if (!Number.isFinite(n)) return def;
	return Math.min(max, Math.max(min, Math.floor(n)));
}

/** Shows only the start of a secret: logs must never carry API keys or tokens. */
export function mask(secret: string): string {
	const shown = Math.min(4, Math.floor(secret.length / 4));
	return `${secret.slice(0, shown)}…(${secret.length} chars)`;
}

/** Reads a body of at most `limit` bytes; beyond it answers 413 and returns undefined. */
export async function readBodyOr413(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | undefined> {
	try {
		return await readBody(req, limit);
	} catch (err) {
		if (err instanceof BodyTooLarge) {
			sendJson(res, 413, { error: `Request body larger than ${limit} bytes` }, { connection: 'close' });
			return undefined;
		}
		throw err;
	}
}
