/**
 * Exponential backoff with full jitter: attempt n waits a random time in
 * [0, min(cap, base * 2^n)], so many clients that lost the same server do not return in
 * lock-step. The floor keeps even the luckiest draw from hammering a server in a tight loop.
 */
export interface BackoffOptions {
	baseMs: number;
	capMs: number;
	floorMs?: number;
	random?: () => number;
}

export const RECONNECT_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 60_000, floorMs: 100 };
export const ACK_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000, floorMs: 50 };

export class Backoff {
	private attempt = 0;
	private readonly random: () => number;

	constructor(private readonly options: BackoffOptions) {
		this.random = options.random ?? Math.random;
	}

	/** Delay before the next attempt; each call counts one more failure. */
	next(): number {
		// The exponent stops growing once the cap is reached (2 ** 1000 is Infinity).
		const ceiling = Math.min(this.options.capMs, this.options.baseMs * 2 ** Math.min(this.attempt, 30));
		this.attempt++;
		return Math.max(this.options.floorMs ?? 0, Math.round(this.random() * ceiling));
	}

	reset(): void {
		this.attempt = 0;
	}

	get failures(): number {
		return this.attempt;
	}
}
