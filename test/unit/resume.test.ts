import { CursorTracker, ResumeState, compareCursors } from '../../nodes/KadoaTrigger/delivery/resume';
import { parseIdList } from '../../nodes/KadoaTrigger/settings';

/** What n8n would hand a restarted trigger: the static data as serialised at a save. */
const saved = (store: Record<string, unknown>) => JSON.parse(JSON.stringify(store)) as Record<string, unknown>;

describe('ResumeState', () => {
	it('stores a started id before the emit, and a finished one until Kadoa confirmed it and the cursor passed it', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 10);
		state.begin('a');
		state.begin('b');
		expect(store.startedEventIds).toEqual(['a', 'b']);
		expect(state.recognise('a', undefined)).toBe('inflight');
		state.finished('a');
		state.finished('b');
		// Static data changes only right before an emit (n8n's save point): until then it keeps
		// the last snapshot, in which both are still started.
		expect(store).toMatchObject({ startedEventIds: ['a', 'b'], recentEventIds: [] });
		state.persist();
		expect(store).toMatchObject({ startedEventIds: [], recentEventIds: ['a', 'b'] });
		// Either order: confirmed then passed, passed then confirmed.
		state.confirmed('a');
		state.advance('c-2', ['b']);
		expect(state.openCount).toBe(2);
		state.advance('c-2', ['a']);
		state.confirmed('b');
		expect(state.openCount).toBe(0);
		state.persist();
		expect(store.recentEventIds).toEqual([]);
		// Still recognised in memory: Kadoa may redeliver it while this activation runs.
		expect(state.recognise('a', undefined)).toBe('known');
	});

	it('issue 11.1: a failed run runs again after a re-save or restart, whichever snapshot n8n saved (started at its emit, retry at a later one)', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 10);
		state.begin('failed');
		// n8n saved static data at this emit; the run fails afterwards and no other emit follows.
		const atEmit = saved(store);
		state.retry('failed');
		state.begin('next');
		const afterFailure = saved(store);
		expect(afterFailure.retryEventIds).toEqual(['failed']);
		// Whichever of the two n8n has, the restarted trigger runs the event again.
		for (const persisted of [atEmit, afterFailure]) {
			expect(new ResumeState(persisted, 10).recognise('failed', 'c-1')).toBe('rerun');
		}
		// ...even when its cursor is behind the stored cursor (Kadoa redelivers unacknowledged events).
		state.advance('c-9', ['failed']);
		state.persist();
		expect(new ResumeState(saved(store), 10).recognise('failed', 'c-1')).toBe('rerun');
	});

	it('issue 11.2: an execution cut off by a stop runs again after the restart (its outcome was never seen)', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 10);
		state.begin('running');
		state.abandon('running');
		const restarted = new ResumeState(saved(store), 10);
		expect(restarted.recognise('running', undefined)).toBe('rerun');
		expect(restarted.hasUnfinished).toBe(true);
		restarted.begin('running');
		restarted.finished('running');
		expect(restarted.recognise('running', undefined)).toBe('known');
		expect(restarted.hasUnfinished).toBe(false);
	});

	it('issue 11.6: the stored cursor never runs ahead of the stored ids, whatever order copies settle in', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 10);
		const tracker = new CursorTracker(state);
		tracker.activate();
		// e5 runs; a copy of the older e3 (drain overlap) arrives after it and settles at once.
		const settle5 = tracker.arrived('c-0000000005', 'e5');
		const settle3 = tracker.arrived('c-0000000003', 'e3');
		state.begin('e5');
		state.finished('e5');
		settle5();
		settle3();
		state.persist();
		// The batch ends with the lower cursor: the stored cursor is the highest, and e5 (finished,
		// unconfirmed) is still stored.
		expect(store.cursor).toBe('c-0000000005');
		expect(store.recentEventIds).toEqual(['e5']);
		const restarted = new ResumeState(saved(store), 10);
		expect(restarted.recognise('e5', 'c-0000000005')).toBe('known');
	});

	it('recognises events at or behind its cursor as settled, but runs a "retry" id whatever the cursor says', () => {
		const state = new ResumeState({ cursor: 'c-0000000010', retryEventIds: ['r'] }, 10);
		expect(state.recognise('x', 'c-0000000009')).toBe('known');
		expect(state.recognise('x', 'c-0000000010')).toBe('known');
		expect(state.recognise('x', 'c-0000000011')).toBe('new');
		expect(state.recognise('r', 'c-0000000001')).toBe('rerun');
	});

	it('bounds finished ids by the window, never dropping started or retry ids', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 3);
		state.begin('s');
		state.retry('r');
		for (const id of ['a', 'b', 'c', 'd']) state.finished(id);
		state.persist();
		expect(store.startedEventIds).toEqual(['s']);
		expect(store.retryEventIds).toEqual(['r']);
		expect((store.recentEventIds as string[]).length).toBeLessThanOrEqual(3);
		expect(state.size).toBeLessThanOrEqual(3);
	});

	it('reloads from static data of earlier versions (recentEventIds and cursor): those ids count as finished', () => {
		const state = new ResumeState({ cursor: 'c-0000000002', recentEventIds: ['a', 'b'], revision: 3 }, 10);
		expect(state.recognise('a', 'c-0000000009')).toBe('known');
		expect(state.cursor).toBe('c-0000000002');
	});

	it('lets loaded finished ids that never came back go after a window of deliveries', () => {
		const state = new ResumeState({ recentEventIds: ['old'] }, 2);
		state.begin('x');
		state.begin('y');
		expect(state.recognise('old', undefined)).toBe('known'); // still in the memory window
		expect(state.openCount).toBe(2);
	});

	it('never moves the cursor back', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 10);
		state.advance('c-0000000005', []);
		state.advance('c-0000000003', []);
		expect(state.cursor).toBe('c-0000000005');
		expect(compareCursors('c-10', 'c-9')).toBeGreaterThan(0);
		expect(compareCursors('1700000000000-2', '1700000000000-10')).toBeLessThan(0);
	});
});

describe('CursorTracker', () => {
	it('moves past an event only when it and all earlier arrivals are settled, and tells which ids it passed', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 10);
		const tracker = new CursorTracker(state);
		tracker.activate();
		const first = tracker.arrived('c-1', 'a');
		const second = tracker.arrived('c-2', 'b');
		const cursorless = tracker.arrived(undefined, 'c');
		second();
		expect(state.cursor).toBeUndefined();
		first();
		expect(state.cursor).toBe('c-2');
		cursorless();
		expect(state.cursor).toBe('c-2');
		expect(tracker.outstanding).toBe(0);
	});

	it('counts nothing before it is activated (the connection has not replayed from this trigger\'s cursor yet)', () => {
		const state = new ResumeState({ cursor: 'c-1' }, 10);
		const tracker = new CursorTracker(state);
		tracker.arrived('c-9', 'x')();
		expect(state.cursor).toBe('c-1');
		tracker.activate();
		tracker.arrived('c-9', 'x')();
		expect(state.cursor).toBe('c-9');
	});

	it('stays correct across compaction of a long queue', () => {
		const state = new ResumeState({}, 10);
		const tracker = new CursorTracker(state);
		tracker.activate();
		for (let i = 1; i <= 5000; i++) tracker.arrived(`c-${String(i).padStart(6, '0')}`, `e${i}`)();
		expect(state.cursor).toBe('c-005000');
		expect(tracker.outstanding).toBe(0);
	});
});

describe('parseIdList', () => {
	it('takes arrays and comma- or space-separated text, de-duplicated', () => {
		expect(parseIdList(['a', ' b ', '', 'a'])).toEqual(['a', 'b']);
		expect(parseIdList('a, b;c\nd')).toEqual(['a', 'b', 'c', 'd']);
		expect(parseIdList(undefined)).toEqual([]);
	});
});

describe('CursorTracker.settledArrival', () => {
	it('moves the cursor at once when nothing is outstanding, and queues behind an outstanding event otherwise', () => {
		const state = new ResumeState({}, 10);
		const tracker = new CursorTracker(state);
		tracker.activate();
		tracker.settledArrival('c-01', 'x');
		expect(state.cursor).toBe('c-01');
		const running = tracker.arrived('c-02', 'r');
		tracker.settledArrival('c-03', 'y');
		// Not past the running event.
		expect(state.cursor).toBe('c-01');
		running();
		expect(state.cursor).toBe('c-03');
		expect(tracker.outstanding).toBe(0);
	});
});
