/**
 * delivery/member.ts on its own: one trigger's policy with a scripted ExecutionStarter, a
 * recording link and fake timers (no socket, no n8n).
 */
import { createFilter } from '../../nodes/KadoaTrigger/delivery/filter';
import { TriggerMember, verdictAction, type AckMode, type ExecutionOutcome, type MemberOptions } from '../../nodes/KadoaTrigger/delivery/member';
import { ResumeState } from '../../nodes/KadoaTrigger/delivery/resume';
import type { KadoaEvent } from '../../nodes/KadoaTrigger/realtime/protocol';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function event(n: number, workflowId = 'wf-a'): KadoaEvent {
	return { id: `e${n}`, type: 'workflow_data_change', timestamp: 1, cursor: `c-${String(n).padStart(4, '0')}`, payload: { id: `chg${n}`, workflowId, data: [{ n }] } };
}

function setup(ackMode: AckMode, overrides: Partial<MemberOptions> = {}) {
	const outcomes = new Map<string, (outcome: ExecutionOutcome) => void>();
	const settled: Array<[string, boolean]> = [];
	const reports: string[] = [];
	const store: Record<string, unknown> = {};
	const abort = new AbortController();
	let flowCalls = 0;
	const member = new TriggerMember({
		key: 'wf:node',
		manual: false,
		ackMode,
		output: 'event',
		filter: createFilter(['workflow_data_change'], ['wf-a']),
		maxInFlight: 2,
		executionTimeoutMs: 1_000,
		maxFrameBytes: 1_000_000,
		state: new ResumeState(store),
		starter: {
			start: (items) =>
				new Promise<ExecutionOutcome>((resolve) => {
					outcomes.set(String((items[0].json as { eventId: string }).eventId), resolve);
				}),
		},
		logger: silent,
		report: (message) => reports.push(message),
		signal: abort.signal,
		...overrides,
	});
	member.link = { claim: () => undefined, settle: (id, acknowledge) => settled.push([id, acknowledge]), flow: () => flowCalls++ };
	member.tracker.activate(1);
	member.open();
	return { member, outcomes, settled, reports, store, abort, flows: () => flowCalls };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('verdictAction (README\'s table)', () => {
	it.each<[Parameters<typeof verdictAction>[0], AckMode, boolean, string]>([
		['succeeded', 'executionSucceeded', true, 'finished'],
		['failed', 'executionSucceeded', false, 'retry'],
		['failed', 'executionFinished', true, 'finished'],
		['refused', 'executionFinished', false, 'retry'],
		['timedOut', 'executionFinished', false, 'retry'],
		['duplicate', 'executionSucceeded', true, 'finished'],
		['emitted', 'emitted', true, 'finished'],
		['reported', 'executionSucceeded', true, 'finished'],
		['empty', 'executionFinished', true, 'finished'],
	])('%s in %s: acknowledge %s, %s', (verdict, mode, acknowledge, remember) => {
		expect(verdictAction(verdict, mode)).toEqual({ acknowledge, remember });
	});
});

describe('TriggerMember', () => {
	afterEach(() => jest.useRealTimers());

	it('runs at most maxInFlight at once, asks to pause while events wait, and settles each by its outcome', async () => {
		const { member, outcomes, settled, flows } = setup('executionSucceeded');
		for (const n of [1, 2, 3]) member.offer(event(n));
		expect(member.inFlight).toBe(2);
		expect(member.queued).toBe(1);
		expect(member.busy).toBe(true);
		expect(flows()).toBeGreaterThan(0);
		outcomes.get('e1')?.('success');
		outcomes.get('e2')?.('error');
		await flush();
		expect(settled).toEqual([
			['e1', true],
			['e2', false],
		]);
		expect(member.inFlight).toBe(1);
		outcomes.get('e3')?.('waiting');
		await flush();
		expect(settled[2]).toEqual(['e3', true]);
		expect(member.busy).toBe(false);
	});

	it('gives an execution with no outcome up after Execution Timeout and leaves it to run again', async () => {
		jest.useFakeTimers();
		const { member, settled, store } = setup('executionFinished');
		member.offer(event(1));
		jest.advanceTimersByTime(1_000);
		await Promise.resolve();
		await Promise.resolve();
		expect(settled).toEqual([['e1', false]]);
		// Stored for the next emit: the event runs again when Kadoa redelivers it.
		expect(member.options.state.recognise('e1', undefined)).toBe('rerun');
		expect(store.startedEventIds).toEqual(['e1']);
	});

	it('ignores events of other workflows, and copies of events it is running', () => {
		const { member, settled } = setup('executionFinished');
		member.offer(event(1, 'wf-other'));
		member.offer(event(2));
		member.offer(event(2));
		expect(member.stats).toMatchObject({ filteredOut: 1, duplicates: 1, emitted: 1 });
		expect(settled).toEqual([]);
	});

	it('reports an event above Max Frame Size, never runs it, and lets it be acknowledged', () => {
		const { member, settled, reports } = setup('executionSucceeded', { maxFrameBytes: 100 });
		member.offer({ ...event(1), bytes: 5_000_000 });
		expect(member.stats.emitted).toBe(0);
		expect(reports[0]).toMatch(/Kadoa event e1 of Kadoa workflow wf-a .* is 4\.8 MB, above Max Frame Size/);
		expect(settled).toEqual([['e1', true]]);
	});

	it('acknowledging at emit: stored as finished before the emit; a start n8n later cancels is reported', async () => {
		const { member, outcomes, settled, store, reports } = setup('emitted');
		member.offer(event(1));
		expect(store.recentEventIds).toEqual(['e1']);
		expect(settled).toEqual([['e1', true]]);
		outcomes.get('e1')?.('cancelled');
		await flush();
		expect(reports[0]).toMatch(/n8n did not run the execution for Kadoa event e1/);
	});

	it('when the activation ends, running executions stay started (they run again next time) and nothing is settled', async () => {
		const { member, outcomes, settled, store, abort } = setup('executionFinished');
		member.offer(event(1));
		abort.abort();
		outcomes.get('e1')?.('success');
		await flush();
		expect(settled).toEqual([]);
		expect(store.startedEventIds).toEqual(['e1']);
		expect(member.busy).toBe(false);
	});
});
