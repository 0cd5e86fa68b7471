/**
 * One small JSON-over-HTTP request with the bounds the Kadoa endpoints need: a total
 * timeout (a stalled server must not freeze the caller), a response size cap, and an
 * optional keep-alive agent (acknowledgements are many small requests to one host).
 */
import * as http from 'http';
import * as https from 'https';

import { safeText, type Secrets } from './redact';

export interface HttpResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: string;
}

export interface HttpRequestOptions {
	method: 'GET' | 'POST' | 'PUT' | 'DELETE';
	headers?: Record<string, string>;
	body?: string;
	timeoutMs: number;
	maxResponseBytes?: number;
	agent?: http.Agent;
	signal?: AbortSignal;
}

/** Words for the usual socket error codes: people read these messages, and n8n rewrites texts that carry some raw codes. */
const NETWORK_WORDS: Record<string, string> = {
	ECONNREFUSED: 'connection refused',
	ECONNRESET: 'connection reset',
	ENOTFOUND: 'host name not found',
	EAI_AGAIN: 'host name lookup failed',
	ETIMEDOUT: 'timed out',
	EHOSTUNREACH: 'host unreachable',
	ENETUNREACH: 'network unreachable',
	EPIPE: 'connection closed',
	CERT_HAS_EXPIRED: 'its TLS certificate has expired',
	DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
	SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is self-signed',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
	ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host',
};

export function describeNetworkCode(code: string | undefined, fallback: string): string {
	return (code && NETWORK_WORDS[code]) ?? fallback;
}

/** Network-level failure (refused, reset, DNS, timeout): worth retrying. */
export class NetworkError extends Error {
	constructor(
		message: string,
		readonly code: string,
	) {
		super(message);
		this.name = 'NetworkError';
	}
}

export function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
	const target = new URL(url);
	const transport = target.protocol === 'https:' ? https : http;
	const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
	const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
	if (options.body !== undefined) {
		headers['content-type'] ??= 'application/json';
		headers['content-length'] = String(Buffer.byteLength(options.body));
	}

	return new Promise<HttpResponse>((resolve, reject) => {
		let settled = false;
		const finish = (error: Error | undefined, response?: HttpResponse) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			options.signal?.removeEventListener('abort', onAbort);
			if (error) reject(error);
			else resolve(response as HttpResponse);
		};
		const request = transport.request(target, {
			method: options.method,
			headers,
			agent: options.agent,
		});
		// A total deadline, not an idle one: a server that trickles bytes must not hold us.
		const timer = setTimeout(() => {
			request.destroy();
			finish(new NetworkError(`no answer from ${target.host} within ${options.timeoutMs} ms`, 'ETIMEDOUT'));
		}, options.timeoutMs);
		const onAbort = () => {
			request.destroy();
			finish(new NetworkError('request aborted', 'ABORTED'));
		};
		if (options.signal?.aborted) return onAbort();
		options.signal?.addEventListener('abort', onAbort, { once: true });

		request.on('error', (error: NodeJS.ErrnoException) => {
			finish(new NetworkError(`cannot reach ${target.host}: ${describeNetworkCode(error.code, error.message)}`, error.code ?? 'EUNKNOWN'));
		});
		request.on('response', (response) => {
			const chunks: Buffer[] = [];
			let size = 0;
			response.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > maxBytes) {
					request.destroy();
					finish(new NetworkError(`answer from ${target.host} is larger than ${maxBytes} bytes`, 'ETOOLARGE'));
					return;
				}
				chunks.push(chunk);
			});
			response.on('end', () => {
				finish(undefined, {
					status: response.statusCode ?? 0,
					headers: response.headers,
					body: Buffer.concat(chunks).toString('utf8'),
				});
			});
			response.on('error', (error: NodeJS.ErrnoException) => {
				finish(new NetworkError(`connection to ${target.host} broke: ${describeNetworkCode(error.code, error.message)}`, error.code ?? 'EUNKNOWN'));
			});
		});
		request.end(options.body);
	});
}

/** Seconds or HTTP-date from a Retry-After header, in ms; undefined when absent or unusable. */
export function retryAfterMs(headers: http.IncomingHttpHeaders): number | undefined {
	const raw = headers['retry-after'];
	if (typeof raw !== 'string' || raw.trim() === '') return undefined;
	const seconds = Number(raw);
	if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
	const date = Date.parse(raw);
	return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * A server's error body as a detail for an error message: Kadoa's bodies carry `message`,
 * `error` or `detail`; anything else is shown as text. Redacted of `secrets` and of what
 * looks like a token, on one printable line, at most 200 characters.
 */
export function errorDetail(body: string, secrets: Secrets = []): string {
	let text = body;
	try {
		// An error body of megabytes is not Kadoa's JSON: shown (cut) as text.
		const parsed: unknown = body.length <= 64 * 1024 ? JSON.parse(body) : undefined;
		if (parsed && typeof parsed === 'object') {
			const record = parsed as Record<string, unknown>;
			const detail = record.message ?? record.error ?? record.detail;
			if (typeof detail === 'string') text = detail;
		}
	} catch {
		// not JSON: the raw text
	}
	return safeText(text, secrets, 200);
}
