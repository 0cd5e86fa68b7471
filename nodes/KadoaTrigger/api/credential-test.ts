/** The credential dialog's "Test": URLs valid, key accepted, realtime access granted. */
import { resolveEndpoints } from '../realtime/endpoints';
import { KadoaError } from '../realtime/errors';
import { probeRealtime } from '../realtime/probe';

export interface CredentialCheck {
	ok: boolean;
	message: string;
}

const TIMEOUT_MS = 10_000;

export async function checkCredential(data: Record<string, unknown>): Promise<CredentialCheck> {
	const apiKey = typeof data.apiKey === 'string' ? data.apiKey.trim() : '';
	if (apiKey === '') return { ok: false, message: 'Enter your Kadoa API key (Kadoa dashboard → Settings → API keys).' };
	let endpoints;
	try {
		endpoints = resolveEndpoints(String(data.apiUrl ?? ''), String(data.realtimeUrl ?? ''));
	} catch (error) {
		return { ok: false, message: `${(error as Error).message}. Clear the URL fields to use Kadoa's defaults.` };
	}
	try {
		const { teamId } = await probeRealtime(endpoints, apiKey, TIMEOUT_MS);
		return { ok: true, message: `Connected: the key works and realtime events are enabled for team ${teamId}` };
	} catch (error) {
		if (error instanceof KadoaError) {
			return { ok: false, message: error.hint ? `${error.message}. ${error.hint}` : error.message };
		}
		throw error;
	}
}
