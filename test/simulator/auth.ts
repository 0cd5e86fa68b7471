// Who may call the simulator: valid and revoked API keys, and the access tokens it issued
// (with their expiry). Shared by the token endpoint, the socket upgrade and the REST API.
import type * as http from 'node:http';
import { randomBytes } from 'node:crypto';

/** The outcome of the API-key check of a request (`key` as sent, for masked logs only). */
export interface KeyState {
	ok: boolean;
	key?: string;
	status: number;
	error: string;
}

export class Auth {
	private apiKeys: Set<string>;
	private readonly revoked = new Set<string>();
	/** Issued token → expiry (epoch ms). */
	private readonly tokens = new Map<string, number>();

	constructor(
		apiKeys: string[],
		private readonly tokenTtlMs: number,
	) {
		this.apiKeys = new Set(apiKeys);
	}

	/** Checks the `x-api-key` header: missing or unknown → 401, revoked → 403. */
	checkKey(req: http.IncomingMessage): KeyState {
		const header = req.headers['x-api-key'];
		const key = Array.isArray(header) ? header[0] : header;
		if (!key) return { ok: false, status: 401, error: 'Invalid API key' };
		if (this.revoked.has(key)) return { ok: false, key, status: 403, error: 'API key revoked' };
		if (!this.apiKeys.has(key)) return { ok: false, key, status: 401, error: 'Invalid API key' };
		return { ok: true, key, status: 200, error: '' };
	}

	/** A new access token, valid for the token TTL. */
	issueToken(): string {
		const now = Date.now();
		// Expired tokens are forgotten only in bulk, so that tests can still list them for a while.
		if (this.tokens.size > 10000) for (const [t, exp] of this.tokens) if (exp <= now) this.tokens.delete(t);
		const token = randomBytes(24).toString('base64url');
		this.tokens.set(token, now + this.tokenTtlMs);
		return token;
	}

	/** True for an issued token that has not expired. */
	isValidToken(token: string): boolean {
		const expires = this.tokens.get(token);
		return expires !== undefined && expires > Date.now();
	}

	/** Every access token issued (and not yet forgotten). */
	issuedTokens(): string[] {
		return [...this.tokens.keys()];
	}

	/** Replaces the valid API keys (and un-revokes them). */
	setApiKeys(keys: string[]): void {
		this.apiKeys = new Set(keys);
		for (const k of keys) this.revoked.delete(k);
	}

	/** Revokes a key: its token requests get 403 (tokens already issued stay valid until they expire). */
	revokeKey(key: string): void {
		this.revoked.add(key);
	}
}
