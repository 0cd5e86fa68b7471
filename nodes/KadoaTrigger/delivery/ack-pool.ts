/**
 * Connection pools for the ack endpoint, shared by every trigger in this process that
 * acknowledges to the same origin with the same settings: one set of keep-alive connections
 * to Kadoa, and one pool's memory (tens of KB), however many Kadoa triggers n8n runs.
 */
import { Pool } from 'undici';

export interface AckPoolOptions {
	/** Connections at most (requests beyond wait in the pool's queue). */
	connections: number;
	/** Connect, headers and body deadlines. */
	timeoutMs: number;
	/** Idle keep-alive connections close after this when the server gives no keep-alive hint. */
	idleMs: number;
}

export interface AckPoolLease {
	readonly pool: Pool;
	/** The last lease of a pool destroys it (and its connections); idempotent. */
	release(): void;
}

interface Shared {
	pool: Pool;
	leases: number;
}

const pools = new Map<string, Shared>();

export function leaseAckPool(origin: string, options: AckPoolOptions): AckPoolLease {
	const key = `${origin} ${options.connections} ${options.timeoutMs} ${options.idleMs}`;
	let shared = pools.get(key);
	if (!shared) {
		const pool = new Pool(origin, {
			connections: options.connections,
			// One request at a time per connection: proxies and load balancers in front of Kadoa
			// need not support HTTP pipelining.
			pipelining: 1,
			connect: { timeout: options.timeoutMs },
			headersTimeout: options.timeoutMs,
			bodyTimeout: options.timeoutMs,
			keepAliveTimeout: options.idleMs,
		});
		shared = { pool, leases: 0 };
		pools.set(key, shared);
	}
	shared.leases++;
	const lease = shared;
	let released = false;
	return {
		pool: lease.pool,
		release() {
			if (released) return;
			released = true;
			if (--lease.leases > 0) return;
			pools.delete(key);
			void lease.pool.destroy().catch(() => undefined);
		},
	};
}

/** Pools currently open in this process (for tests). */
export function openAckPools(): number {
	return pools.size;
}
