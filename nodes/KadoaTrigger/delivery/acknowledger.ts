/**
 * Sends acknowledgements (`POST /api/v1/events/ack {id}`) without ever blocking the stream:
 * a queue, a few concurrent requests over one keep-alive agent, retries with backoff when
 * the endpoint fails, and at most one successful ack per event id.
 */
import * as http from 'http';
import * as https from 'https';

import { ACK_BACKOFF, Backoff, type BackoffOptions } from '../realtime/backoff';
import type { ClientLogger } from '../realtime/client';
import { NetworkError, httpRequest } from '../realtime/http';

export interface AcknowledgerOptions {
	ackUrl: string;
	logger: ClientLogger;
	concurrency?: number;
	timeoutMs?: number;
	backoff?: BackoffOptions;
	/** How many acknowledged ids are remembered to refuse a second ack. */
	remember?: number;
}

export class Acknowledger {
	private readonly queue: string[] = [];
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
	private readonly abort = new AbortController();
	private idleWaiters: Array<() => void> = [];
	/** Acks that failed for good (4xx other than 408/429); counted for tests and logs. */
	rejected = 0;
	sent = 0;

	constructor(private readonly options: AcknowledgerOptions) {
		this.concurrency = options.concurrency ?? 8;
		this.timeoutMs = options.timeoutMs ?? 10_000;
		this.remember = options.remember ?? 10_000;
		this.backoff = new Backoff(options.backoff ?? ACK_BACKOFF);
		const Agent = options.ackUrl.startsWith('https:') ? https.Agent : http.Agent;
		this.agent = new Agent({ keepAlive: true, maxSockets: this.concurrency });
	}

	/** Queues an ack; a second call for the same id is a no-op. */
	ack(id: string): void {
		if (this.closed || this.done.has(id) || this.queued.has(id)) return;
		this.queued.add(id);
		this.queue.push(id);
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
		this.abort.abort();
		if (this.queued.size > 0) {
			this.options.logger.info(`Kadoa: ${this.queued.size} acknowledgement(s) not sent before close; Kadoa will redeliver those events and they will be recognised as already delivered`);
		}
		this.queue.length = 0;
		this.queued.clear();
		this.agent.destroy();
		this.notifyIdle();
	}

	private pump(): void {
		while (!this.closed && !this.retryTimer && this.running < this.concurrency && this.queue.length > 0) {
			const id = this.queue.shift() as string;
			this.running++;
			void this.send(id).finally(() => {
				this.running--;
				this.pump();
				if (this.queued.size === 0) this.notifyIdle();
			});
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
			const response = await httpRequest(this.options.ackUrl, {
				method: 'POST',
				body: JSON.stringify({ id }),
				timeoutMs: this.timeoutMs,
				maxResponseBytes: 64 * 1024,
				agent: this.agent,
				signal: this.abort.signal,
			});
			if (response.status >= 200 && response.status < 300) {
				this.markDone(id);
				this.backoff.reset();
				return;
			}
			failure = `HTTP ${response.status}`;
			retryable = response.status >= 500 || response.status === 408 || response.status === 429;
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
		this.queue.unshift(id);
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
