/**
 * Sends acknowledgements (`POST /api/v1/events/ack {id}`) without ever blocking the stream:
 * a queue, a few concurrent requests over one keep-alive agent, retries with backoff when
 * the endpoint fails, and at most one successful ack per event id.
 */
import * as http from 'http';
import * as https from 'https';

import { ACK_BACKOFF, Backoff, type BackoffOptions } from '../realtime/backoff';
import type { ClientLogger } from '../realtime/client';
import { NetworkError, describeNetworkCode } from '../realtime/http';

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
}

export class Acknowledger {
	private readonly queue: string[] = [];
	/** Index of the next id to send: shift() on a long array copies it (O(n) per ack). */
	private head = 0;
	private pressure = false;
	private readonly queued = new Set<string>();
	private readonly done = new Set<string>();
	private readonly doneOrder: string[] = [];
	private readonly agent: http.Agent;
	private readonly backoff: Backoff;
	private readonly concurrency: number;
	private readonly timeoutMs: number;
	private readonly remember: number;
	private running = 0;
	private retryTimer?: NodeJS.Timeout;
	private closed = false;
	/** The ack URL, parsed once: one small request per event must not re-parse it. */
	private readonly target: { protocol: string; hostname: string; port: string; path: string };
	private readonly transport: typeof http | typeof https;
	private readonly requests = new Set<http.ClientRequest>();
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
		this.transport = url.protocol === 'https:' ? https : http;
		this.target = { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: `${url.pathname}${url.search}` };
		const Agent = url.protocol === 'https:' ? https.Agent : http.Agent;
		this.agent = new Agent({ keepAlive: true, maxSockets: this.concurrency, maxFreeSockets: 2 });
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

	isAcknowledged(id: string): boolean {
		return this.done.has(id);
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
		for (const request of this.requests) request.destroy();
		this.requests.clear();
		if (this.queued.size > 0) {
			this.options.logger.info(`Kadoa: ${this.queued.size} acknowledgement(s) not sent before close; Kadoa will redeliver those events and they will be recognised as already delivered`);
		}
		this.queue.length = 0;
		this.head = 0;
		this.queued.clear();
		this.agent.destroy();
		this.notifyIdle();
	}

	private pump(): void {
		while (!this.closed && !this.retryTimer && this.running < this.concurrency && this.head < this.queue.length) {
			const id = this.queue[this.head++];
			this.running++;
			void this.send(id).finally(() => {
				this.running--;
				this.pump();
				if (this.pressure && this.queued.size <= (this.options.lowWater ?? 0)) {
					this.pressure = false;
					this.options.onPressure?.(false);
				}
				if (this.queued.size === 0) this.notifyIdle();
			});
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

	private async send(id: string): Promise<void> {
		let failure: string;
		let retryable = true;
		try {
			const status = await this.post(id);
			if (status >= 200 && status < 300) {
				this.markDone(id);
				this.backoff.reset();
				return;
			}
			failure = `HTTP ${status}`;
			retryable = status >= 500 || status === 408 || status === 429;
		} catch (error) {
			failure = error instanceof NetworkError ? error.message : String(error);
		}
		if (this.closed) return;
		if (!retryable) {
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
	 * One ack request; resolves with the HTTP status. Leaner than the generic httpRequest on
	 * purpose (this runs once per event): no URL parsing, no abort listener, the answer's body
	 * drained unread, a total deadline per request.
	 */
	private post(id: string): Promise<number> {
		const body = JSON.stringify({ id });
		return new Promise<number>((resolve, reject) => {
			let settled = false;
			const request = this.transport.request({
				...this.target,
				method: 'POST',
				agent: this.agent,
				headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
			});
			const finish = (error: Error | undefined, status = 0) => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				this.requests.delete(request);
				if (error) reject(error);
				else resolve(status);
			};
			const timer = setTimeout(() => {
				request.destroy();
				finish(new NetworkError(`no answer within ${this.timeoutMs} ms`, 'ETIMEDOUT'));
			}, this.timeoutMs);
			this.requests.add(request);
			request.once('response', (response) => {
				response.once('end', () => finish(undefined, response.statusCode ?? 0));
				response.once('error', (error: NodeJS.ErrnoException) => finish(new NetworkError(`connection broke: ${describeNetworkCode(error.code, error.message)}`, error.code ?? 'EUNKNOWN')));
				response.resume();
			});
			request.once('error', (error: NodeJS.ErrnoException) => {
				finish(new NetworkError(`cannot reach ${this.target.hostname}: ${describeNetworkCode(error.code, error.message)}`, error.code ?? 'EUNKNOWN'));
			});
			request.end(body);
		});
	}

	private markDone(id: string): void {
		this.queued.delete(id);
		this.sent++;
		this.done.add(id);
		this.doneOrder.push(id);
		if (this.doneOrder.length > this.remember * 2) {
			for (const old of this.doneOrder.splice(0, this.doneOrder.length - this.remember)) this.done.delete(old);
		}
	}
}
