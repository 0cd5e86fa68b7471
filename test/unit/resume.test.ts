import { CursorTracker, ResumeState, compareCursors } from '../../nodes/KadoaTrigger/delivery/resume';
import { parseIdList } from '../../nodes/KadoaTrigger/settings';

describe('ResumeState', () => {
	it('keeps a bounded window of ids in the store and bumps revision on each change', () => {
		const store: Record<string, unknown> = {};
		const state = new ResumeState(store, 3);
		for (const id of ['a', 'b', 'c', 'd']) state.remember(id);
		expect(store.recentEventIds).toEqual(['b', 'c', 'd']);
		expect(state.has('a')).toBe(false);
		expect(state.has('d')).toBe(true);
		const revision = store.revision as number;
		state.forget('c');
		expect(store.recentEventIds).toEqual(['b', 'd']);
		expect(store.revision).toBe(revision + 1);
	});

	it('reloads from persisted static data (restart)', () => {
		const persisted = JSON.parse(JSON.stringify({ cursor: 'c-0005', recentEventIds: ['x', 'y', 7] }));
		const state = new ResumeState(persisted, 10);
		expect(state.cursor).toBe('c-0005');
		expect(state.has('x')).toBe(true);
		expect(state.size).toBe(2);
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
