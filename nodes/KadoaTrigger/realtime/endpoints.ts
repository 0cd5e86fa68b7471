/**
 * Kadoa's endpoint URLs, derived from the credential's two base URLs, with the scheme rules
 * that keep the API key and tokens off plain-text connections.
 */

export const DEFAULT_API_URL = 'https://api.kadoa.com';
export const DEFAULT_REALTIME_URL = 'wss://realtime.kadoa.com';

export interface KadoaEndpoints {
	/** Base of the public REST API, without a trailing slash. */
	apiBase: string;
	/** POST: API key → short-lived realtime token. */
	tokenUrl: string;
	/** WebSocket URL without the token; the token is added per connection. */
	socketUrl: string;
	/** POST { id }: acknowledge one event (same host as the socket, over http(s)). */
	ackUrl: string;
}

export class EndpointError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'EndpointError';
	}
}

/** Loopback hosts may use plain ws:// and http:// (local gateways, tests). */
export function isLoopbackHost(hostname: string): boolean {
	const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
	return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function parseUrl(raw: string, field: string): URL {
	const value = raw.trim();
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new EndpointError(`${field} "${value}" is not a valid URL`);
	}
	if (url.username || url.password) {
		throw new EndpointError(`${field} must not contain a user name or password`);
	}
	if (url.search || url.hash) {
		throw new EndpointError(`${field} must not contain a query string or fragment`);
	}
	return url;
}

function trimSlash(path: string): string {
	return path.replace(/\/+$/, '');
}

export function resolveEndpoints(apiUrl: string, realtimeUrl: string): KadoaEndpoints {
	const api = parseUrl(apiUrl || DEFAULT_API_URL, 'API URL');
	if (api.protocol !== 'https:' && !(api.protocol === 'http:' && isLoopbackHost(api.hostname))) {
		throw new EndpointError(
			`API URL must use https:// (plain http:// is only allowed for localhost), got "${api.protocol}//${api.host}"`,
		);
	}

	const rt = parseUrl(realtimeUrl || DEFAULT_REALTIME_URL, 'Realtime URL');
	// Accept the http(s) form too: people paste the ack host. Map it to the socket scheme.
	const socketScheme = { 'wss:': 'wss:', 'https:': 'wss:', 'ws:': 'ws:', 'http:': 'ws:' }[rt.protocol];
	if (!socketScheme) {
		throw new EndpointError(`Realtime URL must start with wss://, got "${rt.protocol}//${rt.host}"`);
	}
	if (socketScheme === 'ws:' && !isLoopbackHost(rt.hostname)) {
		throw new EndpointError(
			`Realtime URL must use wss:// (plain ws:// is only allowed for localhost), got "ws://${rt.host}"`,
		);
	}
	const ackScheme = socketScheme === 'wss:' ? 'https:' : 'http:';
	const rtPath = trimSlash(rt.pathname);
	const apiBase = `${api.protocol}//${api.host}${trimSlash(api.pathname)}`;

	return {
		apiBase,
		tokenUrl: `${apiBase}/v4/oauth2/token`,
		socketUrl: `${socketScheme}//${rt.host}${rtPath || '/'}`,
		ackUrl: `${ackScheme}//${rt.host}${rtPath}/api/v1/events/ack`,
	};
}

/** The socket URL for one connection. Never log the result: it carries the token. */
export function socketUrlWithToken(endpoints: KadoaEndpoints, token: string): string {
	const url = new URL(endpoints.socketUrl);
	url.searchParams.set('access_token', token);
	return url.toString();
}

/** Redaction lives in redact.ts; re-exported for the modules that import it from here. */
export { redact } from './redact';
