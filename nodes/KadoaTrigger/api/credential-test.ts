/**
 * The credential dialog's "Test": URLs valid, key accepted, realtime access granted.
 *
 * n8n runs this (through the node's `testedBy`) only because the credential class has no
 * declarative `test` request: n8n prefers a credential's own `test` when there is one
 * (CredentialsTester.getCredentialTestFunction, n8n 1.x and 2.x).
 */
import { DEFAULT_API_URL, DEFAULT_REALTIME_URL, redact, resolveEndpoints, type KadoaEndpoints } from '../realtime/endpoints';
import { HINTS, KadoaError } from '../realtime/errors';
import { ProbeError, probeRealtime } from '../realtime/probe';

export interface CredentialCheck {
	ok: boolean;
	message: string;
}

const TIMEOUT_MS = 10_000;

const CHECK_URL = 'Check it in the credential and that n8n can reach that host.';

export async function checkCredential(data: Record<string, unknown>): Promise<CredentialCheck> {
	const apiKey = typeof data.apiKey === 'string' ? data.apiKey.trim() : '';
	if (apiKey === '') return { ok: false, message: 'Enter your Kadoa API key (Kadoa dashboard → Settings → API keys).' };
	// Both URLs are checked before anything is sent: an http:// or ws:// URL to a host other
	// than this machine is refused here, so the key never travels in clear text.
	let endpoints: KadoaEndpoints;
	try {
		endpoints = resolveEndpoints(String(data.apiUrl ?? ''), String(data.realtimeUrl ?? ''));
	} catch (error) {
		return {
			ok: false,
			message: `${(error as Error).message}. The API key was not sent. Clear the URL fields to use Kadoa's defaults.`,
		};
	}
	try {
		const { teamId } = await probeRealtime(endpoints, apiKey, TIMEOUT_MS);
		return { ok: true, message: `Connected: the key works and realtime events are enabled for team ${teamId}` };
	} catch (error) {
		if (!(error instanceof ProbeError)) return { ok: false, message: redact(`The check failed: ${error instanceof Error ? error.message : String(error)}`, [apiKey]) };
		const message = error.step === 'token' ? tokenFailure(error.failure) : socketFailure(error.failure);
		return { ok: false, message: redact(message, [apiKey]) };
	}
}

/** A network failure (nothing answered) carries the "unreachable" hint; an HTTP answer does not. */
const isNetworkFailure = (failure: KadoaError): boolean => failure.hint === HINTS.unreachable;

/** Exchanging the key at the API URL failed. */
function tokenFailure(failure: KadoaError): string {
	if (failure.kind === 'auth') return `${failure.message}. ${HINTS.auth}`;
	if (isNetworkFailure(failure)) {
		const detail = failure.message.replace(/^Kadoa token request failed: /, '');
		return `No answer from the API URL (${detail}). ${CHECK_URL}`;
	}
	if (failure.kind === 'transient') return `Kadoa's API is unavailable right now (${failure.message}). Try the test again in a moment.`;
	return `The API URL does not lead to Kadoa's API: ${failure.message}. Clear the API URL to use Kadoa's default (${DEFAULT_API_URL}) unless you use a gateway.`;
}

/** The key bought a token, but opening the Realtime URL with it failed. */
function socketFailure(failure: KadoaError): string {
	const works = 'The API key works, but';
	if (failure.kind === 'access') return `${works} ${failure.message}. ${HINTS.access}`;
	if (failure.kind === 'auth') {
		return `${works} the Realtime URL refused its token (${failure.message}). Check that the API URL and the Realtime URL belong to the same Kadoa environment.`;
	}
	if (isNetworkFailure(failure)) return `${works} there is no answer from the Realtime URL (${failure.message}). ${CHECK_URL}`;
	if (failure.kind === 'transient') return `${works} Kadoa realtime is unavailable right now (${failure.message}). Try the test again in a moment.`;
	return `${works} the Realtime URL does not lead to Kadoa's realtime service: ${failure.message}. Clear the Realtime URL to use Kadoa's default (${DEFAULT_REALTIME_URL}) unless you use a gateway.`;
}
