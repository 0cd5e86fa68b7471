/**
 * What can go wrong talking to Kadoa, sorted by what the caller should do about it.
 * Messages are written for the person who set up the workflow, and never carry the API key,
 * the token or a URL with the token.
 */
export type KadoaErrorKind =
	/** Kadoa refused the API key (wrong, revoked). Retrying will not help. */
	| 'auth'
	/** The key is fine but the account may not use realtime (an Enterprise feature). */
	| 'access'
	/** The configured endpoint is not a Kadoa endpoint (wrong URL, unknown host, bad answer). */
	| 'config'
	/** Network trouble, 5xx, 429, timeouts: retry with backoff. */
	| 'transient';

import type { IncomingHttpHeaders } from 'http';

import { errorDetail, retryAfterMs } from './http';
import type { Secrets } from './redact';

export class KadoaError extends Error {
	constructor(
		readonly kind: KadoaErrorKind,
		message: string,
		readonly hint?: string,
		readonly retryAfterMs?: number,
	) {
		super(message);
		this.name = 'KadoaError';
	}

	get retryable(): boolean {
		return this.kind === 'transient';
	}
}

export const HINTS = {
	auth: 'Check the API key in the Kadoa API credential (Kadoa dashboard → Settings → API keys).',
	access:
		'Realtime events are a Kadoa Enterprise feature: ask Kadoa to enable realtime (WebSocket) delivery for your team.',
	unreachable: 'Check that the API and Realtime URLs in the credential are right and that n8n can reach them.',
	config: 'Check the API URL and Realtime URL in the Kadoa API credential (leave them empty for Kadoa\'s defaults).',
} as const;

/** Error codes that mean "this host name or address is wrong", not "the network hiccuped". */
const CONFIG_NETWORK_CODES = new Set(['ENOTFOUND', 'ERR_INVALID_URL', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN']);

export function isConfigNetworkCode(code: string): boolean {
	return CONFIG_NETWORK_CODES.has(code);
}

export interface RefusalContext {
	/** The answer's headers: Retry-After on 429 and 5xx is honoured, as for the token request. */
	headers?: IncomingHttpHeaders;
	/** Redacted from the body's text (the API key, the token the upgrade carried). */
	secrets?: Secrets;
}

/**
 * What a refused WebSocket upgrade means. 403: the account may not use realtime. 401 right
 * after a fresh token: retry, unless it keeps happening (`give up`).
 */
export function upgradeRefusal(status: number, body: string, giveUpOn401: boolean, context: RefusalContext = {}): KadoaError {
	const detail = errorDetail(body, context.secrets);
	const suffix = detail ? `: ${detail}` : '';
	if (status === 403) {
		return new KadoaError('access', `Kadoa refused realtime access (HTTP 403${suffix})`, HINTS.access);
	}
	if (status === 401) {
		return giveUpOn401
			? new KadoaError('auth', `Kadoa keeps refusing the realtime token (HTTP 401${suffix})`, HINTS.auth)
			: new KadoaError('transient', `Kadoa refused the realtime token (HTTP 401${suffix})`);
	}
	if (status === 429 || status >= 500) {
		const retryAfter = context.headers ? retryAfterMs(context.headers) : undefined;
		return new KadoaError('transient', `Kadoa realtime is unavailable (HTTP ${status})`, undefined, retryAfter);
	}
	return new KadoaError('config', `The Realtime URL did not accept a WebSocket connection (HTTP ${status}${suffix})`, HINTS.config);
}
