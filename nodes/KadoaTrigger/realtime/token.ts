/** Exchanges the API key for a short-lived realtime token and the team (channel) id. */
import type { KadoaEndpoints } from './endpoints';
import { HINTS, KadoaError, isConfigNetworkCode } from './errors';
import { NetworkError, errorDetail, httpRequest, retryAfterMs } from './http';

export interface RealtimeToken {
	accessToken: string;
	teamId: string;
}

export async function fetchRealtimeToken(
	endpoints: KadoaEndpoints,
	apiKey: string,
	timeoutMs: number,
	signal?: AbortSignal,
): Promise<RealtimeToken> {
	let response;
	try {
		response = await httpRequest(endpoints.tokenUrl, {
			method: 'POST',
			headers: { 'x-api-key': apiKey },
			timeoutMs,
			maxResponseBytes: 64 * 1024,
			signal,
		});
	} catch (error) {
		const network = error as NetworkError;
		const kind = error instanceof NetworkError && isConfigNetworkCode(network.code) ? 'config' : 'transient';
		throw new KadoaError(kind, `Kadoa token request failed: ${network.message}`, HINTS.unreachable);
	}

	const { status } = response;
	if (status === 401 || status === 403) {
		const detail = errorDetail(response.body, [apiKey]);
		throw new KadoaError(
			'auth',
			`Kadoa refused the API key (HTTP ${status}${detail ? `: ${detail}` : ''})`,
			HINTS.auth,
		);
	}
	if (status === 429 || status >= 500 || status === 408) {
		throw new KadoaError(
			'transient',
			`Kadoa token endpoint is unavailable (HTTP ${status})`,
			undefined,
			retryAfterMs(response.headers),
		);
	}
	if (status < 200 || status >= 300) {
		throw new KadoaError(
			'config',
			`Unexpected answer from the Kadoa token endpoint (HTTP ${status}) at ${endpoints.tokenUrl}`,
			HINTS.config,
		);
	}

	let parsed: unknown;
	try {
		parsed = JSON.parse(response.body);
	} catch {
		throw new KadoaError('config', `The Kadoa token endpoint at ${endpoints.tokenUrl} did not answer with JSON`, HINTS.config);
	}
	const record = (parsed ?? {}) as Record<string, unknown>;
	const accessToken = record.access_token;
	const teamId = record.team_id;
	if (typeof accessToken !== 'string' || accessToken === '' || typeof teamId !== 'string' || teamId === '') {
		throw new KadoaError(
			'config',
			`The Kadoa token endpoint at ${endpoints.tokenUrl} answered without an access token or team id`,
			HINTS.config,
		);
	}
	return { accessToken, teamId };
}
