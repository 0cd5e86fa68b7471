/**
 * One Kadoa Trigger's delivery policy on a team connection: which events are its business,
 * which it has finished, starting executions (at most `maxInFlight` at once), and what each
 * event's fate means. Every fate is a verdict, and one function (`verdictAction`) says what a
 * verdict means for the acknowledgement and for the resume state; `conclude` is the one place
 * that acts on it.
 *
 * Guarantee (trigger mode): at-least-once from Kadoa (unacknowledged events come back), made
 * effectively once by the resume state (ids and cursor, persisted as n8n saves static data).
 */
import type { ClientLogger } from '../realtime/client';
import { safeText } from '../realtime/redact';
import type { KadoaEvent } from '../realtime/protocol';
import { accepts, type EventFilter } from './filter';
import { buildItems, type Item, type OutputMode } from './items';
import { CursorTracker, type ResumeState } from './resume';

export type AckMode = 'emitted' | 'executionFinished' | 'executionSucceeded';

/** How an execution ended, as far as n8n tells. */
export type ExecutionOutcome =
	| 'success'
	| 'error'
	/** Paused by a Wait node: n8n holds it durably and will resume it. */
	| 'waiting'
	/** n8n recognised the de-duplication key: an execution of this event exists. */
	| 'duplicate'
	/** Cancelled, or could not start (2.x rejects the done promise). */
	| 'cancelled';

export interface ExecutionStarter {
	/** Starts one execution; throws when n8n refuses it at once (1.x). Resolves with how it ended. */
	start(items: Item[], eventId: string | undefined): Promise<ExecutionOutcome>;
}

/** What became of one event in one trigger. */
export type Verdict =
	/** Recognised as finished before (or by n8n's de-duplication key). */
	| 'duplicate'
	/** n8n took it (acknowledge when emitted). */
	| 'emitted'
	| 'succeeded'
	| 'failed'
	/** n8n refused to start it, or cancelled it. */
	| 'refused'
	/** n8n told no outcome within Execution Timeout. */
	| 'timedOut'
	/** Nothing to run (no rows in `rows` output). */
	| 'empty'
	/** It cannot run here (too large, items cannot be built); the user was told. */
	| 'reported';

export interface VerdictAction {
	acknowledge: boolean;
	/** `finished`: never run again; `retry`: run again when Kadoa redelivers it. */
	remember: 'finished' | 'retry';
}

/** The one table of what each verdict means, per acknowledgement mode (README's table). */
export function verdictAction(verdict: Verdict, mode: AckMode): VerdictAction {
	switch (verdict) {
		case 'refused':
		// No outcome: n8n 1.x never settles the done promise of an execution it could not start,
		// so only n8n knows whether it ran; a second run is preferred to a lost event.
		case 'timedOut':
			return { acknowledge: false, remember: 'retry' };
		case 'failed':
			return mode === 'executionSucceeded' ? { acknowledge: false, remember: 'retry' } : { acknowledge: true, remember: 'finished' };
		default:
			return { acknowledge: true, remember: 'finished' };
	}
}

function outcomeVerdict(outcome: ExecutionOutcome | 'timeout'): Verdict {
	switch (outcome) {
		case 'success':
		case 'waiting':
			return 'succeeded';
		case 'duplicate':
			return 'duplicate';
		case 'error':
			return 'failed';
		case 'cancelled':
			return 'refused';
		case 'timeout':
			return 'timedOut';
	}
}

/** What the team connection offers a member. */
export interface MemberLink {
	/** The member will settle this event. */
	claim(id: string): void;
	/** The member settled it; `acknowledge` false keeps it unacknowledged. */
	settle(id: string, acknowledge: boolean): void;
	/** The member's need to pause reading may have changed. */
	flow(): void;
}

export interface MemberOptions {
	/** Identifies the trigger across re-saves and restarts (workflow and node). */
	key: string;
	/** "Listen for test event": the first matching event only, never acknowledged. */
	manual: boolean;
	ackMode: AckMode;
	output: OutputMode;
	filter: EventFilter;
	maxInFlight: number;
	executionTimeoutMs: number;
	/** Larger events are reported instead of run. */
	maxFrameBytes: number;
	state: ResumeState;
	starter: ExecutionStarter;
	logger: ClientLogger;
	/** Tells the user about an event that cannot run (a failed execution on n8n 2.x). */
	report: (message: string, description: string, eventId: string | undefined) => void;
	/** Completes an event before it is emitted; undefined when it is complete as it is. */
	prepare?: (event: KadoaEvent) => Promise<KadoaEvent> | undefined;
	/** Aborted when the activation ends. */
	signal: AbortSignal;
}

export interface MemberStats {
	received: number;
	emitted: number;
	duplicates: number;
	filteredOut: number;
	failedToStart: number;
	executionsNotAcknowledged: number;
	outcomeTimeouts: number;
	reported: number;
}

interface Queued {
	event: KadoaEvent;
	settleCursor: () => void;
}

export class TriggerMember {
	readonly stats: MemberStats = {
		received: 0,
		emitted: 0,
		duplicates: 0,
		filteredOut: 0,
		failedToStart: 0,
		executionsNotAcknowledged: 0,
		outcomeTimeouts: 0,
		reported: 0,
	};
	readonly tracker: CursorTracker;
	link: MemberLink = { claim: noop, settle: noop, flow: noop };
	/** Claimed ids not yet settled (queued, being prepared or executing). */
	private readonly claimed = new Set<string>();
	private readonly waiting: Queued[] = [];
	private executing = 0;
	private preparing = 0;
	private maxExecuting = 0;
	/** Events that arrived before n8n accepts emits (until open()). */
	private held: KadoaEvent[] | undefined = [];
	private manualDelivered = false;
	/** Releases the outcome waits when the activation ends (one abort listener, not one each). */
	private readonly outcomeWaits = new Set<() => void>();

	constructor(readonly options: MemberOptions) {
		this.tracker = new CursorTracker(options.state);
		options.signal.addEventListener('abort', () => this.onAbort(), { once: true });
	}

	get key(): string {
		return this.options.key;
	}

	get filter(): EventFilter {
		return this.options.filter;
	}

	get cursor(): string | undefined {
		return this.options.state.cursor;
	}

	/** Whether this trigger accepts events of this type and workflow. */
	accepts(type: string, workflowId: unknown): boolean {
		return accepts(this.options.filter, type, workflowId);
	}

	/** Whether this trigger needs this event's payload (accepts it and has not finished it). */
	wants(type: string, workflowId: unknown, id: string, cursor: string | undefined, bytes: number): boolean {
		if (!this.accepts(type, workflowId)) return false;
		if (bytes > this.options.maxFrameBytes) return false;
		const seen = this.options.state.recognise(id, cursor);
		return seen === 'new' || seen === 'rerun';
	}

	/** n8n accepts emits only once trigger() returned: events before that wait here. */
	open(): void {
		const held = this.held;
		this.held = undefined;
		for (const event of held ?? []) this.offer(event);
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

	/** While true, the connection stops reading (Kadoa keeps the events). */
	get busy(): boolean {
		return !this.options.signal.aborted && (this.waiting.length > 0 || this.slotsFull());
	}

	/** Ids this trigger claimed and has not settled (handed back when it leaves). */
	get unsettled(): string[] {
		return [...this.claimed];
	}

	offer(event: KadoaEvent): void {
		const { signal, manual, state, logger } = this.options;
		if (signal.aborted) return;
		if (this.held) {
			this.held.push(event);
			return;
		}
		if (manual && this.manualDelivered) return;
		this.stats.received++;
		const id = event.id;
		if (!this.accepts(event.type, event.payload.workflowId)) {
			this.stats.filteredOut++;
			this.tracker.settledArrival(event.cursor, id, event.connection);
			return;
		}
		const settleCursor = this.tracker.arrived(event.cursor, id, event.connection);
		if (id === undefined) {
			logger.warn(`Kadoa: an event of type ${safeText(event.type, [], 100)} arrived without an id; it runs, but cannot be acknowledged or de-duplicated`);
			this.enqueue({ event, settleCursor });
			return;
		}
		const seen = state.recognise(id, event.cursor);
		if (seen === 'inflight' || seen === 'known' || (seen === 'new' && this.claimed.has(id))) {
			// A copy (replay, drain overlap, Kadoa lost our ack): the original settles the id.
			this.stats.duplicates++;
			const why = seen === 'known' && !state.remembers(id) ? `is at or behind this trigger's cursor ${state.cursor ?? ''}` : 'was already delivered';
			logger.debug(`Kadoa: event ${shown(id)} ${why}; not running it again`, { eventId: id });
			// Finished here before: as far as this trigger goes it may be acknowledged (a ghost of
			// this trigger may have held it for it). A copy of one in progress settles with it.
			if (seen === 'known' && !manual && !this.claimed.has(id)) this.link.settle(id, true);
			settleCursor();
			return;
		}
		if (!manual) {
			this.claimed.add(id);
			this.link.claim(id);
		}
		const size = event.bytes ?? 0;
		if (event.partial || size > this.options.maxFrameBytes) {
			this.reportTooLarge(event, size);
			this.conclude(event, 'reported', settleCursor);
			return;
		}
		this.enqueue({ event, settleCursor });
	}

	private enqueue(queued: Queued): void {
		if (this.slotsFull() || this.waiting.length > 0) {
			this.waiting.push(queued);
			// Stop reading the socket until executions finish: Kadoa keeps the rest.
			this.link.flow();
			return;
		}
		this.dispatch(queued);
	}

	private slotsFull(): boolean {
		return this.executing + this.preparing >= this.options.maxInFlight;
	}

	private dispatch({ event, settleCursor }: Queued): void {
		const prepared = this.options.prepare?.(event);
		if (!prepared) {
			this.start(event, settleCursor);
			return;
		}
		this.preparing++;
		void prepared
			.catch((error: unknown) => {
				this.options.logger.warn(`Kadoa: could not complete event ${shown(event.id)} (${errorText(error)}); emitting it as received`);
				return event;
			})
			.then((ready) => {
				this.preparing--;
				if (this.options.signal.aborted) return;
				this.start(ready, settleCursor);
				this.pump();
			});
	}

	private start(event: KadoaEvent, settleCursor: () => void): void {
		const { manual, ackMode, state, starter, logger } = this.options;
		const id = event.id;
		if (manual && this.manualDelivered) return;
		let items: Item[];
		try {
			const built = buildItems(event, this.options.output);
			items = built.items;
			// Odd values are left out of the items, not fatal: said once, with the event id.
			if (built.problems.length > 0) logger.warn(`Kadoa: event ${shown(id)}: ${built.problems.join('; ')}`, { eventId: id });
		} catch (error) {
			this.reportProblem(event, `Kadoa event ${shown(id)} could not be turned into items: ${errorText(error)}`, 'The event was acknowledged and skipped. Please report this event to the node\'s maintainers.');
			this.conclude(event, 'reported', settleCursor);
			return;
		}
		if (items.length === 0) {
			this.stats.filteredOut++;
			logger.debug(`Kadoa: event ${shown(id)} has nothing to output in this mode; acknowledged`, { eventId: id });
			this.conclude(event, 'empty', settleCursor);
			return;
		}

		// Stored before the emit, which is when n8n saves static data. Acknowledged at emit, the
		// event is finished from then on; otherwise it is started, its outcome unknown.
		if (id !== undefined && !manual) {
			state.begin(id, ackMode === 'emitted');
		}
		let outcome: Promise<ExecutionOutcome>;
		try {
			outcome = starter.start(items, id);
		} catch (error) {
			this.stats.failedToStart++;
			logger.error(`Kadoa: n8n did not accept event ${shown(id)}: ${errorText(error)}; left unacknowledged for Kadoa to redeliver`, { eventId: id });
			this.conclude(event, 'refused', settleCursor);
			return;
		}
		this.stats.emitted++;
		logger.debug(`Kadoa: event ${shown(id)} (${shown(event.type)}) emitted with ${items.length} item(s)`, { eventId: id });
		if (manual) {
			this.manualDelivered = true;
			if (id !== undefined) this.claimed.delete(id);
			void outcome.catch(noop);
			return;
		}
		if (ackMode === 'emitted') this.conclude(event, 'emitted', settleCursor);

		this.executing++;
		if (this.executing > this.maxExecuting) this.maxExecuting = this.executing;
		void this.awaitOutcome(outcome).then((result) => {
			this.executing--;
			if (this.options.signal.aborted) return;
			if (ackMode !== 'emitted') this.conclude(event, outcomeVerdict(result), settleCursor);
			else if (result === 'cancelled') this.reportNotRun(event);
			this.pump();
		});
	}

	/** The one place that acts on a verdict: resume state, acknowledgement, cursor. */
	private conclude(event: KadoaEvent, verdict: Verdict, settleCursor: () => void): void {
		const id = event.id;
		if (id === undefined || this.options.manual) {
			settleCursor();
			return;
		}
		const { state, logger, ackMode } = this.options;
		const action = verdictAction(verdict, ackMode);
		if (verdict === 'timedOut') {
			this.stats.outcomeTimeouts++;
			logger.warn(`Kadoa: no outcome for the execution of event ${shown(id)} within ${Math.round(this.options.executionTimeoutMs / 1000)} s; ${action.acknowledge ? 'acknowledging it' : 'leaving it unacknowledged so that it runs again'}`, { eventId: id });
		}
		if (action.remember === 'finished') state.finished(id);
		else state.retry(id);
		if (!action.acknowledge) {
			this.stats.executionsNotAcknowledged++;
			if (verdict !== 'timedOut') logger.info(`Kadoa: execution for event ${shown(id)} ended with "${verdict}"; left unacknowledged so Kadoa delivers it again`, { eventId: id });
		}
		this.claimed.delete(id);
		this.link.settle(id, action.acknowledge);
		settleCursor();
	}

	/** Bounded wait: n8n's outcome can be late, rejected, or never come. */
	private awaitOutcome(outcome: Promise<ExecutionOutcome>): Promise<ExecutionOutcome | 'timeout'> {
		return new Promise((resolve) => {
			const finish = (result: ExecutionOutcome | 'timeout') => {
				clearTimeout(timer);
				this.outcomeWaits.delete(release);
				resolve(result);
			};
			const release = () => finish('timeout');
			const timer = setTimeout(release, this.options.executionTimeoutMs);
			this.outcomeWaits.add(release);
			outcome.then(finish, () => finish('cancelled'));
		});
	}

	private pump(): void {
		while (!this.options.signal.aborted && !this.slotsFull() && this.waiting.length > 0) {
			this.dispatch(this.waiting.shift() as Queued);
		}
		this.link.flow();
	}

	private reportTooLarge(event: KadoaEvent, size: number): void {
		const limit = this.options.maxFrameBytes;
		const workflow = typeof event.payload.workflowId === 'string' ? ` of Kadoa workflow ${safeText(event.payload.workflowId, [], 100)}` : '';
		this.reportProblem(
			event,
			`Kadoa event ${shown(event.id)}${workflow} (${safeText(event.type, [], 100)}) is ${formatMegabytes(size)}, above Max Frame Size (${formatMegabytes(limit)}); it was not run`,
			`Raise "Max Frame Size" in the Kadoa Trigger's options to at least ${Math.ceil(size / 1048576)} MB to run such events. This one was acknowledged so that the stream goes on; the change is still in Kadoa (changes API, dashboard).`,
		);
	}

	private reportNotRun(event: KadoaEvent): void {
		this.reportProblem(
			event,
			`n8n did not run the execution for Kadoa event ${shown(event.id)} (${safeText(event.type, [], 100)}) after it was acknowledged`,
			'With "Acknowledge: When Emitted" the event was already acknowledged to Kadoa; choose "When Execution Finished" to have such events delivered again.',
		);
	}

	private reportProblem(event: KadoaEvent, message: string, description: string): void {
		this.stats.reported++;
		this.options.report(message, description, event.id);
	}

	private onAbort(): void {
		this.held = undefined;
		this.waiting.length = 0;
		for (const release of [...this.outcomeWaits]) release();
		// Executions still running keep their `started` record: the next activation runs them
		// again, or n8n's de-duplication key recognises them.
		for (const id of this.claimed) this.options.state.abandon(id);
	}
}

/** Ids and types come from the wire: bounded and printable in logs and messages. */
function shown(id: string | undefined): string {
	if (id === undefined) return '(no id)';
	// Kadoa's ids are short printable ASCII: checked with one test, cleaned only when odd (this
	// runs for the debug line of every event, whether or not debug logging is on).
	return PLAIN_ID.test(id) ? id : safeText(id, [], 100);
}

const PLAIN_ID = /^[\x21-\x7e]{1,100}$/;

function errorText(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

function formatMegabytes(bytes: number): string {
	return `${(bytes / 1048576).toFixed(bytes >= 10 * 1048576 ? 0 : 1)} MB`;
}

function noop(): void {}
