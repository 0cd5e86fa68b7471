import { CursorTracker, ResumeState, compareCursors } from '../../nodes/KadoaTrigger/delivery/resume';
import { parseIdList } from '../../nodes/KadoaTrigger/settings';

describe('ResumeState', () => {
	it('stores a delivered id before the emit and lets it go once Kadoa confirmed it and the cursor passed it', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 10);
		state.remember('a');
		state.remember('b');
		expect(store.recentEventIds).toEqual(['a', 'b']);
		// Either order: confirmed then passed, passed then confirmed.
		state.confirmed('a');
		state.passed('b');
		expect(state.openCount).toBe(2);
		state.passed('a');
		state.confirmed('b');
		expect(state.openCount).toBe(0);
		// The store catches up at the next write (before the next emit); until then it holds extra ids only.
		expect(store.recentEventIds).toEqual(['a', 'b']);
		state.remember('c');
		expect(store.recentEventIds).toEqual(['c']);
		// Still recognised in memory: Kadoa may redeliver it while this activation runs.
		expect(state.has('a')).toBe(true);
	});

	it('keeps an id that Kadoa confirmed but the cursor has not passed (a restart replays it), and one passed but unconfirmed (redelivered)', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 10);
		state.remember('confirmed-only');
		state.remember('passed-only');
		state.confirmed('confirmed-only');
		state.passed('passed-only');
		state.remember('next');
		expect(store.recentEventIds).toEqual(['confirmed-only', 'passed-only', 'next']);
		const restarted = new ResumeState(JSON.parse(JSON.stringify(store)), 10);
		expect(['confirmed-only', 'passed-only', 'next'].every((id) => restarted.has(id))).toBe(true);
	});

	it('forgets a failed id in the store at once, not at the next emit', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 10);
		state.remember('a');
		state.remember('b');
		state.forget('a');
		expect(store.recentEventIds).toEqual(['b']);
		expect(state.has('a')).toBe(false);
	});

	it('bounds memory and store by the window', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 3);
		for (const id of ['a', 'b', 'c', 'd']) state.remember(id);
		expect(store.recentEventIds).toEqual(['b', 'c', 'd']);
		expect(state.has('a')).toBe(false);
		expect(state.size).toBe(3);
	});

	it('reloads from persisted static data (restart), and lets loaded ids that never came back go after a window of deliveries', () => {
		const persisted = JSON.parse(JSON.stringify({ cursor: 'c-0005', recentEventIds: ['x', 'y', 7], revision: 12 }));
		const state = new ResumeState(persisted, 4);
		expect(state.cursor).toBe('c-0005');
		expect(state.has('x')).toBe(true);
		expect(state.openCount).toBe(2);
		expect(persisted.revision).toBeUndefined();
		// 'x' comes back (unacknowledged before the restart): confirmed and passed, it goes.
		state.confirmed('x');
		state.passed('x');
		// New events confirmed and passed as they go: only the loaded 'y' stays stored...
		for (const id of ['n1', 'n2', 'n3']) {
			state.remember(id);
			state.confirmed(id);
			state.passed(id);
		}
		expect(persisted.recentEventIds).toEqual(['y', 'n3']);
		// ... until a window's worth (4) of deliveries went by without it coming back.
		state.remember('n4');
		expect(persisted.recentEventIds).toEqual(['n4']);
		expect(state.has('y')).toBe(false);
	});

	it('never moves the cursor back', () => {
		const state = new ResumeState({}, 10);
		state.cursor = 'c-0010';
		state.cursor = 'c-0003';
		expect(state.cursor).toBe('c-0010');
		state.cursor = 'c-0011';
		expect(state.cursor).toBe('c-0011');
		expect(compareCursors('1736367604663-1', '1736367604663-0')).toBeGreaterThan(0);
		expect(compareCursors('99', '100')).toBeLessThan(0);
	});
});

describe('CursorTracker', () => {
	it('tells the resume state which ids the cursor passed; a cursor-less arrival after the last cursor has no position yet', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 10);
		const tracker = new CursorTracker(state);
		for (const id of ['a', 'b', 'c']) {
			state.remember(id);
			state.confirmed(id);
		}
		const settleA = tracker.arrived(undefined, 'a');
		const settleB = tracker.arrived('c-2', 'b');
		const settleC = tracker.arrived(undefined, 'c');
		settleC();
		settleB();
		expect(state.openCount).toBe(3);
		settleA();
		expect(state.cursor).toBe('c-2');
		// a (before the cursor) and b passed; c has no position, so it stays stored.
		expect(state.openCount).toBe(1);
		state.remember('d');
		expect(store.recentEventIds).toEqual(['c', 'd']);
	});

	it('moves past an event only when it and all earlier arrivals are settled', () => {
		const state = new ResumeState({}, 10);
		const tracker = new CursorTracker(state);
		const settle1 = tracker.arrived('c-1');
		const settle2 = tracker.arrived('c-2');
		const settle3 = tracker.arrived('c-3');
		settle2();
		expect(state.cursor).toBeUndefined();
		settle1();
		expect(state.cursor).toBe('c-2');
		settle1();
		settle3();
		expect(state.cursor).toBe('c-3');
		expect(tracker.outstanding).toBe(0);
	});

	it('stays correct across compaction of a long queue', () => {
		const state = new ResumeState({}, 10);
		const tracker = new CursorTracker(state);
		const settles = Array.from({ length: 5000 }, (_, i) => tracker.arrived(`c-${String(i).padStart(6, '0')}`));
		settles.forEach((settle, i) => i !== 2500 && settle());
		expect(state.cursor).toBe('c-002499');
		settles[2500]();
		expect(state.cursor).toBe('c-004999');
	});
});

describe('parseIdList', () => {
	it('takes arrays and comma- or space-separated text, de-duplicated', () => {
		expect(parseIdList(['a', ' b ', '', 'a'])).toEqual(['a', 'b']);
		expect(parseIdList('a, b;c\nd')).toEqual(['a', 'b', 'c', 'd']);
		expect(parseIdList(undefined)).toEqual([]);
	});
});
