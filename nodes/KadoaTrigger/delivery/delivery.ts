/**
 * The delivery policy between the socket and n8n: de-duplicate, filter, shape items, start
 * executions, acknowledge according to the chosen mode, bound the executions awaiting their
 * outcome (back-pressure), and move the resume cursor only past settled events.
 *
 * Guarantee (trigger mode): at-least-once from Kadoa (unacknowledged events come back), made
 * effectively once by the resume state: delivered ids in memory, and in static data (written
 * before each emit) those a restart could see again.
 */
import type { ClientLogger } from '../realtime/client';
import type { KadoaEvent } from '../realtime/protocol';
import type { Acknowledger } from './acknowledger';
import { matches, type EventFilter } from './filter';
import { eventToItems, type Item, type OutputMode } from './items';
import { CursorTracker, type ResumeState } from './resume';

export type AckMode = 'emitted' | 'executionFinished' | 'executionSucceeded';

/** How an execution ended, as far as the trigger can tell. */
export type ExecutionOutcome =
	| 'success'
	| 'error'
	/** Paused by a Wait node: n8n holds it durably and will resume it. */
	| 'waiting'
	/** n8n recognised the de-duplication key and did not run it again. */
	| 'duplicate'
	/** Cancelled, timed out in n8n, or could not start. */
	| 'cancelled';

export interface ExecutionStarter {
	/**
	 * Starts one execution with these items. With `awaitOutcome` it returns how the execution
	 * ended (the caller bounds the wait). Throws if n8n refused to start it.
	 */
	start(items: Item[], eventId: string | undefined, awaitOutcome: boolean): Promise<ExecutionOutcome> | void;
}

export interface FlowControl {
	pause(): void;
	resume(): void;
}

export interface DeliveryOptions {
	/** "Listen for test event": deliver the first matching event only, never acknowledge. */
	manual: boolean;
	ackMode: AckMode;
	output: OutputMode;
	filter: EventFilter;
	maxInFlight: number;
	executionTimeoutMs: number;
	resume: ResumeState;
	acknowledger?: Acknowledger;
	starter: ExecutionStarter;
	flow?: FlowControl;
	logger: ClientLogger;
	/**
	 * Completes an event before it is emitted (e.g. fetches a snapshot Kadoa marked as still
	 * pending). Returns undefined when the event is complete as it is.
	 */
	prepare?: (event: KadoaEvent) => Promise<KadoaEvent> | undefined;
}

export interface DeliveryStats {
	received: number;
	emitted: number;
	duplicates: number;
	filteredOut: number;
	failedToStart: number;
	executionsNotAcknowledged: number;
	outcomeTimeouts: number;
}

interface Pending {
	event: KadoaEvent;
	settle: () => void;
}

export class EventDelivery {
	readonly stats: DeliveryStats = {
		received: 0,
		emitted: 0,
		duplicates: 0,
		filteredOut: 0,
		failedToStart: 0,
		executionsNotAcknowledged: 0,
		outcomeTimeouts: 0,
	};
	private readonly cursor: CursorTracker;
	/** Ids queued or executing: a replay of one of them is a duplicate, not a new event. */
	private readonly pendingIds = new Set<string>();
	private readonly waiting: Pending[] = [];
	private readonly outcomeWaits = new Set<() => void>();
	private executing = 0;
	/** Events being completed by `prepare`: they hold an in-flight slot too. */
	private preparing = 0;
	private maxExecuting = 0;
	private held: KadoaEvent[] | undefined = [];
	private manualDelivered = false;
	private closed = false;

	constructor(private readonly options: DeliveryOptions) {
		this.cursor = new CursorTracker(options.resume);
	}

	/**
	 * n8n only accepts emits after trigger() returned; events that arrive before are held
	 * until the node calls open().
	 */
	open(): void {
		const held = this.held;
		this.held = undefined;
		for (const event of held ?? []) this.handle(event);
	}

	/** Executions started and not yet settled; never above maxInFlight. */
	get inFlight(): number {
		return this.executing;
	}

	get peakInFlight(): number {
		return this.maxExecuting;
	}

	get queued(): number {
		return this.waiting.length;
	}

	handle(event: KadoaEvent): void {
		if (this.closed) return;
		if (this.held) {
			this.held.push(event);
			return;
		}
		const { manual, resume, acknowledger, logger } = this.options;
		if (manual && this.manualDelivered) return;
		this.stats.received++;
		const id = event.id;

		if (id !== undefined && (this.pendingIds.has(id) || resume.has(id))) {
			this.stats.duplicates++;
			logger.debug(`Kadoa: event ${id} was already delivered; not running it again`, { eventId: id });
			if (manual) return;
			// It came back, so Kadoa may not have our ack: send it (once per process). A replay
			// after a stale cursor gets a harmless second ack; a skipped one would leave an event
			// Kadoa lost the ack of coming back forever.
			if (!this.pendingIds.has(id)) acknowledger?.ack(id);
			// Nothing left to do for this copy: the cursor may pass it.
			this.cursor.arrived(event.cursor, id)();
			return;
		}

		const settle = manual ? noop : this.cursor.arrived(event.cursor, id);
		if (!matches(this.options.filter, event)) {
			this.stats.filteredOut++;
			logger.debug(`Kadoa: event ${id ?? '(no id)'} of type ${event.type} does not match the filters; acknowledged`, { eventId: id });
			// Nothing will ever run it; unacknowledged it would come back on every reconnect.
			if (!manual && id !== undefined) acknowledger?.ack(id);
			settle();
			return;
		}

		if (id === undefined) {
			logger.warn(`Kadoa: an event of type ${event.type} arrived without an id; it runs, but cannot be acknowledged or de-duplicated`);
		} else {
			this.pendingIds.add(id);
		}

		if (this.busy() || this.waiting.length > 0) {
			this.waiting.push({ event, settle });
			// Stop reading the socket until executions finish: Kadoa keeps the rest.
			this.options.flow?.pause();
			return;
		}
		this.dispatch(event, settle);
	}

	/** Stops delivering; pending outcome waits are released without acknowledging. */
	close(): void {
		if (this.closed) return;
		this.closed = true;
		this.held = undefined;
		this.waiting.length = 0;
		for (const release of [...this.outcomeWaits]) release();
		this.outcomeWaits.clear();
	}

	/** A stored change for a test run (manual mode, so never acknowledged). */
	deliverSample(event: KadoaEvent): void {
		if (!this.options.manual || !event.sample) throw new Error('samples are for manual runs only');
		this.handle(event);
	}

	private busy(): boolean {
		return this.executing + this.preparing >= this.options.maxInFlight;
	}

	private dispatch(event: KadoaEvent, settle: () => void): void {
		const prepared = this.options.prepare?.(event);
		if (!prepared) {
			this.start(event, settle);
			return;
		}
		this.preparing++;
		void prepared
			.catch((error: unknown) => {
				this.options.logger.warn(`Kadoa: could not complete event ${event.id ?? '(no id)'} (${error instanceof Error ? error.message : String(error)}); emitting it as received`);
				return event;
			})
			.then((ready) => {
				this.preparing--;
				if (this.closed) return;
				this.start(ready, settle);
				this.pump();
			});
	}

	private start(event: KadoaEvent, settle: () => void): void {
		const { manual, ackMode, resume, acknowledger, starter, logger } = this.options;
		const id = event.id;
		if (manual && this.manualDelivered) {
			// Another event became the test run while this one was being completed.
			if (id !== undefined) this.pendingIds.delete(id);
			return;
		}
		const items = eventToItems(event, this.options.output);
		if (items.length === 0) {
			this.stats.filteredOut++;
			logger.debug(`Kadoa: event ${id ?? '(no id)'} has nothing to output in this mode; acknowledged`, { eventId: id });
			if (id !== undefined) {
				this.pendingIds.delete(id);
				if (!manual) acknowledger?.ack(id);
			}
			settle();
			return;
		}

		// Written before emit: n8n persists static data at each emit, so a restart knows it ran.
		if (id !== undefined && !manual) resume.remember(id);
		const awaitOutcome = !manual && ackMode !== 'emitted';
		let outcome: Promise<ExecutionOutcome> | void;
		try {
			outcome = starter.start(items, id, awaitOutcome);
		} catch (error) {
			this.stats.failedToStart++;
			logger.error(`Kadoa: n8n did not accept event ${id ?? '(no id)'}: ${error instanceof Error ? error.message : String(error)}; left unacknowledged for Kadoa to redeliver`, { eventId: id });
			if (id !== undefined) {
				resume.forget(id);
				this.pendingIds.delete(id);
			}
			settle();
			return;
		}
		this.stats.emitted++;
		logger.debug(`Kadoa: event ${id ?? '(no id)'} (${event.type}) emitted with ${items.length} item(s)`, { eventId: id });
		if (manual) {
			this.manualDelivered = true;
			if (id !== undefined) this.pendingIds.delete(id);
			return;
		}
		if (!awaitOutcome || !outcome) {
			if (id !== undefined) {
				acknowledger?.ack(id);
				this.pendingIds.delete(id);
			}
			settle();
			return;
		}

		this.executing++;
		if (this.executing > this.maxExecuting) this.maxExecuting = this.executing;
		void this.awaitOutcome(outcome).then((result) => {
			this.executing--;
			if (this.closed) return;
			this.onOutcome(event, result);
			settle();
			this.pump();
		});
	}

	private onOutcome(event: KadoaEvent, result: ExecutionOutcome | 'timeout'): void {
		const { ackMode, resume, acknowledger, logger } = this.options;
		const id = event.id;
		if (id === undefined) return;
		this.pendingIds.delete(id);
		let acknowledge: boolean;
		switch (result) {
			case 'success':
			case 'waiting':
			case 'duplicate':
				acknowledge = true;
				break;
			case 'error':
				acknowledge = ackMode === 'executionFinished';
				break;
			case 'cancelled':
				acknowledge = false;
				break;
			case 'timeout':
				this.stats.outcomeTimeouts++;
				acknowledge = ackMode === 'executionFinished';
				logger.warn(`Kadoa: no outcome for the execution of event ${id} within ${Math.round(this.options.executionTimeoutMs / 1000)} s; ${acknowledge ? 'acknowledging it' : 'leaving it unacknowledged'} (it will not run again)`, { eventId: id });
				break;
		}
		if (acknowledge) {
			acknowledger?.ack(id);
			return;
		}
		this.stats.executionsNotAcknowledged++;
		if (result === 'timeout') return;
		// Forgotten, so that Kadoa's redelivery (on the next connection) runs it again.
		resume.forget(id);
		logger.info(`Kadoa: execution for event ${id} ended with "${result}"; left unacknowledged so Kadoa delivers it again`, { eventId: id });
	}

	/** Bounded wait: n8n's outcome can be late, rejected, or never come. */
	private awaitOutcome(outcome: Promise<ExecutionOutcome>): Promise<ExecutionOutcome | 'timeout'> {
		return new Promise((resolve) => {
			const release = () => {
				clearTimeout(timer);
				this.outcomeWaits.delete(release);
				resolve('timeout');
			};
			const timer = setTimeout(release, this.options.executionTimeoutMs);
			this.outcomeWaits.add(release);
			outcome.then(
				(result) => {
					clearTimeout(timer);
					this.outcomeWaits.delete(release);
					resolve(result);
				},
				() => {
					clearTimeout(timer);
					this.outcomeWaits.delete(release);
					resolve('cancelled');
				},
			);
		});
	}

	private pump(): void {
		while (!this.closed && !this.busy() && this.waiting.length > 0) {
			const next = this.waiting.shift() as Pending;
			this.dispatch(next.event, next.settle);
		}
		if (this.waiting.length === 0) this.options.flow?.resume();
	}
}

function noop(): void {}
