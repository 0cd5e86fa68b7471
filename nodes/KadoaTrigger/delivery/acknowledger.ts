/**
 * Sends acknowledgements (`POST /api/v1/events/ack {id}`) without ever blocking the stream:
 * a queue, a few concurrent requests over a keep-alive connection pool, retries with backoff
 * when the endpoint fails, and at most one successful ack per event id.
 *
 * One request per event is the trigger's largest cost per event, so it goes through undici
 * (Node's own HTTP client behind fetch) rather than node:http: about a third less CPU per
 * request, and its timeouts need no timer per request (see BENCHMARKS.md). The connection
 * pool is shared with the process's other Kadoa triggers (ack-pool.ts).
 */
import type { Dispatcher } from 'undici';

import { ACK_BACKOFF, Backoff, type BackoffOptions } from '../realtime/backoff';
import type { ClientLogger } from '../realtime/client';
import { NetworkError, describeNetworkCode } from '../realtime/http';
import { leaseAckPool, type AckPoolLease } from './ack-pool';

export interface AcknowledgerOptions {
	ackUrl: string;
	logger: ClientLogger;
	concurrency?: number;
	timeoutMs?: number;
	backoff?: BackoffOptions;
	/** How many acknowledged ids are remembered to refuse a second ack. */
	remember?: number;
	/** Acks queued or in flight at which `onPressure(true)` asks the caller to stop reading. */
	highWater?: number;
	/** ... and at or below which `onPressure(false)` lets it read again. */
	lowWater?: number;
	onPressure?: (overHighWater: boolean) => void;
	/** Called once per id Kadoa accepted. */
	onAcknowledged?: (id: string) => void;
}

/** Idle keep-alive connections close after this when the server gives no keep-alive hint. */
const IDLE_SOCKET_MS = 30_000;

export class Acknowledger {
	private readonly queue: string[] = [];
	/** Index of the next id to send: shift() on a long array copies it (O(n) per ack). */
	private head = 0;
	private pressure = false;
	private readonly queued = new Set<string>();
	private readonly done = new Set<string>();
	private readonly doneOrder: string[] = [];
	/** Taken at the first ack (a pool holds memory even when idle; many triggers never ack). */
	private lease?: AckPoolLease;
	private readonly origin: string;
	private readonly dispatchOptions: Dispatcher.DispatchOptions;
	private readonly hostname: string;
	private readonly backoff: Backoff;
	private readonly concurrency: number;
	private readonly timeoutMs: number;
	private readonly remember: number;
	private running = 0;
	private retryTimer?: NodeJS.Timeout;
	private closed = false;
	private idleWaiters: Array<() => void> = [];
	/** Acks that failed for good (4xx other than 408/429); counted for tests and logs. */
	rejected = 0;
	sent = 0;

	constructor(private readonly options: AcknowledgerOptions) {
		this.concurrency = options.concurrency ?? 8;
		this.timeoutMs = options.timeoutMs ?? 10_000;
		this.remember = options.remember ?? 10_000;
		this.backoff = new Backoff(options.backoff ?? ACK_BACKOFF);
		const url = new URL(options.ackUrl);
		this.hostname = url.hostname;
		this.origin = url.origin;
		this.dispatchOptions = { origin: url.origin, path: `${url.pathname}${url.search}`, method: 'POST', headers: ['content-type', 'application/json'] };
	}

	/** Queues an ack; a second call for the same id is a no-op. */
	ack(id: string): void {
		if (this.closed || this.done.has(id) || this.queued.has(id)) return;
		this.queued.add(id);
		this.queue.push(id);
		if (!this.pressure && this.options.highWater !== undefined && this.queued.size >= this.options.highWater) {
			this.pressure = true;
			this.options.onPressure?.(true);
		}
		this.pump();
	}

	/** Acks queued or in flight. */
	get pending(): number {
		return this.queued.size;
	}

	/** Waits until every queued ack is sent, or `timeoutMs` passed. */
	flush(timeoutMs: number): Promise<boolean> {
		if (this.queued.size === 0) return Promise.resolve(true);
		return new Promise<boolean>((resolve) => {
			const timer = setTimeout(() => {
				this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== onIdle);
				resolve(false);
			}, timeoutMs);
			const onIdle = () => {
				clearTimeout(timer);
				resolve(true);
			};
			this.idleWaiters.push(onIdle);
		});
	}

	/** Drops what is left (Kadoa redelivers unacknowledged events) and frees the sockets. */
	close(): void {
		if (this.closed) return;
		this.closed = true;
		clearTimeout(this.retryTimer);
		if (this.queued.size > 0) {
			this.options.logger.info(`Kadoa: ${this.queued.size} acknowledgement(s) not sent before close; Kadoa will redeliver those events and they will be recognised as already delivered`);
		}
		this.queue.length = 0;
		this.head = 0;
		this.queued.clear();
		// Requests in flight finish on the shared pool (or die with it); their answers are ignored.
		this.lease?.release();
		this.notifyIdle();
	}

	private pump(): void {
		while (!this.closed && !this.retryTimer && this.running < this.concurrency && this.head < this.queue.length) {
			const id = this.queue[this.head++];
			this.running++;
			this.send(id);
		}
		if (this.head === this.queue.length) {
			this.queue.length = 0;
			this.head = 0;
		} else if (this.head > 1024 && this.head * 2 > this.queue.length) {
			this.queue.splice(0, this.head);
			this.head = 0;
		}
	}

	private notifyIdle(): void {
		const waiters = this.idleWaiters;
		this.idleWaiters = [];
		for (const waiter of waiters) waiter();
	}

	private send(id: string): void {
		this.post(id, (error, status) => {
			this.running--;
			if (!this.closed) this.settle(id, error, status);
			this.pump();
			if (this.pressure && this.queued.size <= (this.options.lowWater ?? 0)) {
				this.pressure = false;
				this.options.onPressure?.(false);
			}
			if (this.queued.size === 0) this.notifyIdle();
		});
	}

	private settle(id: string, error: NetworkError | undefined, status: number): void {
		if (!error && status >= 200 && status < 300) {
			this.markDone(id);
			this.backoff.reset();
			return;
		}
		const failure = error ? error.message : `HTTP ${status}`;
		if (!error && !(status >= 500 || status === 408 || status === 429)) {
			// 4xx: Kadoa will not take this ack (unknown or expired event); retrying cannot help.
			this.queued.delete(id);
			this.rejected++;
			this.options.logger.warn(`Kadoa refused the acknowledgement of event ${id} (${failure}); not retrying`);
			return;
		}
		// Put it back at the front and pause the whole queue: the endpoint is down, not the event.
		if (this.head > 0) this.queue[--this.head] = id;
		else this.queue.unshift(id);
		if (!this.retryTimer) {
			const delay = this.backoff.next();
			this.options.logger.warn(`Kadoa acknowledgement failed (${failure}); retrying in ${(delay / 1000).toFixed(1)} s`, {
				pending: this.queued.size,
			});
			this.retryTimer = setTimeout(() => {
				this.retryTimer = undefined;
				this.pump();
			}, delay);
		}
	}

	/**
	 * One ack request; calls back once with the HTTP status or a network error. The dispatch
	 * API: no promise and no body stream per request, the answer's body discarded.
	 */
	private post(id: string, callback: (error: NetworkError | undefined, status: number) => void): void {
		let status = 0;
		let settled = false;
		const finish = (error: NetworkError | undefined) => {
			if (settled) return;
			settled = true;
			callback(error, status);
		};
		this.lease ??= leaseAckPool(this.origin, { connections: this.concurrency, timeoutMs: this.timeoutMs, idleMs: IDLE_SOCKET_MS });
		this.lease.pool.dispatch(
			{ ...this.dispatchOptions, body: JSON.stringify({ id }) },
			{
				onConnect: () => undefined,
				onHeaders: (statusCode) => {
					status = statusCode;
					return true;
				},
				onData: () => true,
				onComplete: () => finish(undefined),
				onError: (error: Error & { code?: string }) => finish(this.networkError(error)),
			},
		);
	}

	private networkError(error: Error & { code?: string }): NetworkError {
		const code = error.code ?? 'EUNKNOWN';
		if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
			return new NetworkError(`no answer within ${this.timeoutMs} ms`, 'ETIMEDOUT');
		}
		if (code === 'UND_ERR_SOCKET') return new NetworkError(`connection broke: ${error.message}`, code);
		return new NetworkError(`cannot reach ${this.hostname}: ${describeNetworkCode(code, error.message)}`, code);
	}

	private markDone(id: string): void {
		this.queued.delete(id);
		this.sent++;
		this.done.add(id);
		this.doneOrder.push(id);
		this.options.onAcknowledged?.(id);
		if (this.doneOrder.length > this.remember * 2) {
			for (const old of this.doneOrder.splice(0, this.doneOrder.length - this.remember)) this.done.delete(old);
		}
	}
}
