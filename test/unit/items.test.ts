import { buildItems, eventToItems as itemsOf, normaliseDifferences, type OutputMode } from '../../nodes/KadoaTrigger/delivery/items';
import { createFilter, matches } from '../../nodes/KadoaTrigger/delivery/filter';
import { parseFrame, type KadoaEvent } from '../../nodes/KadoaTrigger/realtime/protocol';
import { OddFrames, seededRandom } from '../harness/odd-frames';

function dataChange(payload: Record<string, unknown> = {}): KadoaEvent {
	return {
		id: 'evt-1',
		type: 'workflow_data_change',
		timestamp: 1736367604663,
		cursor: 'c-1',
		payload: {
			id: 'chg-1',
			workflowId: 'wf-1',
			data: [{ title: 'Test News' }, { title: 'New News' }],
			differences: [{ type: 'added', fields: [{ key: 'title', value: 'New News' }] }],
			url: 'https://example.com/news',
			createdAt: '2025-01-08T20:20:04.663Z',
			...payload,
		},
	};
}

/** The items' json, as n8n's expressions see it ($json). */
const eventToItems = (event: KadoaEvent, mode: OutputMode) => itemsOf(event, mode).map((item) => item.json);

describe('eventToItems', () => {
	it('gives n8n items: { json } each', () => {
		const items = itemsOf(dataChange({ data: [{ title: 'A' }] }), 'rows');
		expect(Object.keys(items[0])).toEqual(['json']);
		expect(items[0].json.title).toBe('A');
	});

	it('event output: one item with the documented fields', () => {
		const [item] = eventToItems(dataChange({ summary: 'One new headline', dataPending: false }), 'event');
		expect(item).toEqual({
			eventId: 'evt-1',
			eventType: 'workflow_data_change',
			timestamp: 1736367604663,
			time: '2025-01-08T20:20:04.663Z',
			changeId: 'chg-1',
			workflowId: 'wf-1',
			url: 'https://example.com/news',
			createdAt: '2025-01-08T20:20:04.663Z',
			data: [{ title: 'Test News' }, { title: 'New News' }],
			differences: [{ type: 'added', fields: [{ key: 'title', value: 'New News' }] }],
			summary: 'One new headline',
			dataPending: false,
			links: {
				change: 'https://www.kadoa.com/data-diff/chg-1',
				workflow: 'https://www.kadoa.com/workflow/wf-1',
			},
		});
	});

	it('rows output: each row as it came, with the reference under _kadoa', () => {
		const items = eventToItems(dataChange({ data: [{ title: 'A', eventId: 'row-own' }, 'plain'] }), 'rows');
		expect(items).toEqual([
			{ title: 'A', eventId: 'row-own', _kadoa: { eventId: 'evt-1', eventType: 'workflow_data_change', changeId: 'chg-1', workflowId: 'wf-1', index: 0 } },
			{ value: 'plain', _kadoa: { eventId: 'evt-1', eventType: 'workflow_data_change', changeId: 'chg-1', workflowId: 'wf-1', index: 1 } },
		]);
	});

	it('never clobbers a row field named _kadoa', () => {
		const [item] = eventToItems(dataChange({ data: [{ _kadoa: 'mine' }] }), 'rows');
		expect(item._kadoa).toBe('mine');
		expect(item._kadoa_).toMatchObject({ eventId: 'evt-1', changeId: 'chg-1' });
	});

	it('differences output: one item per difference', () => {
		const items = eventToItems(
			dataChange({
				differences: [
					{ type: 'added', fields: [{ key: 'title', value: 'N' }] },
					{ type: 'changed', fields: [{ key: 'price', value: 9, previousValue: 10 }] },
				],
			}),
			'differences',
		);
		expect(items.map((item) => item.type)).toEqual(['added', 'changed']);
		expect(items[1]).toMatchObject({ fields: [{ key: 'price', value: 9, previousValue: 10 }], _kadoa: { eventId: 'evt-1', index: 1 } });
	});

	it('rows of an empty snapshot give no items', () => {
		expect(eventToItems(dataChange({ data: [] }), 'rows')).toEqual([]);
		expect(eventToItems(dataChange({ data: undefined }), 'rows')).toEqual([]);
	});

	it('other event types carry their payload, in every output mode', () => {
		const event: KadoaEvent = { id: 'e9', type: 'workflow_failed', timestamp: undefined, cursor: undefined, payload: { workflowId: 'wf-2', error: 'boom' } };
		for (const mode of ['event', 'rows', 'differences'] as const) {
			expect(eventToItems(event, mode)).toEqual([
				{ eventId: 'e9', eventType: 'workflow_failed', timestamp: undefined, time: undefined, workflowId: 'wf-2', payload: { workflowId: 'wf-2', error: 'boom' } },
			]);
		}
	});
});

describe('normaliseDifferences', () => {
	it('accepts the older single diff object', () => {
		expect(normaliseDifferences({ diff: { type: 'added', fields: [] } })).toEqual([{ type: 'added', fields: [] }]);
		expect(normaliseDifferences({ diff: { added: [{ fields: [{ key: 'a', value: 1 }] }], removed: [{ a: 2 }] } })).toEqual([
			{ type: 'added', fields: [{ key: 'a', value: 1 }] },
			{ type: 'removed', value: { a: 2 } },
		]);
		expect(normaliseDifferences({})).toEqual([]);
		expect(normaliseDifferences({ differences: [null, 3, { type: 'removed' }] })).toEqual([{ type: 'removed' }]);
	});
});

describe('filter', () => {
	const event = (type: string, workflowId?: string): KadoaEvent => ({ id: 'x', type, timestamp: 1, cursor: undefined, payload: workflowId ? { workflowId } : {} });

	it('filters by event type and by workflow', () => {
		const filter = createFilter(['workflow_data_change'], [' wf-1 ', '']);
		expect(matches(filter, event('workflow_data_change', 'wf-1'))).toBe(true);
		expect(matches(filter, event('workflow_data_change', 'wf-2'))).toBe(false);
		expect(matches(filter, event('workflow_failed', 'wf-1'))).toBe(false);
	});

	it('lets team-level events through a workflow filter, and empty filters pass all', () => {
		expect(matches(createFilter(['credits_low'], ['wf-1']), event('credits_low'))).toBe(true);
		expect(matches(createFilter([], []), event('anything', 'w'))).toBe(true);
	});
});

describe('eventToItems on odd but valid JSON', () => {
	const modes: OutputMode[] = ['event', 'rows', 'differences'];
	const event = (payload: unknown, extra: Partial<KadoaEvent> = {}): KadoaEvent => ({
		id: 'evt-odd',
		type: 'workflow_data_change',
		timestamp: 1736367604663,
		cursor: 'c-1',
		payload: payload as Record<string, unknown>,
		...extra,
	});
	const allModes = (make: () => KadoaEvent) => modes.map((mode) => itemsOf(make(), mode));

	it('a timestamp no Date can hold leaves `time` empty and keeps the number', () => {
		for (const timestamp of [1e20, -1e20, 8.64e15 + 1, -8.64e15 - 1, Infinity, -Infinity, NaN]) {
			for (const type of ['workflow_data_change', 'workflow_failed']) {
				const [item] = eventToItems(event({ workflowId: 'wf-1' }, { timestamp, type }), 'event');
				expect(item.time).toBeUndefined();
				expect(item.timestamp).toBe(timestamp);
			}
		}
		expect(eventToItems(event({}, { timestamp: 8.64e15 }), 'event')[0].time).toBe('+275760-09-13T00:00:00.000Z');
	});

	it('a lone UTF-16 surrogate in an id leaves that link empty, the rest of the item intact', () => {
		const [item] = eventToItems(event({ id: 'chg-\ud800', workflowId: 'wf-\udfff-1' }), 'event');
		expect(item).toMatchObject({ changeId: 'chg-\ud800', workflowId: 'wf-\udfff-1', links: { change: undefined, workflow: undefined } });
		const [mixed] = eventToItems(event({ id: 'chg-1', workflowId: 'x\ud83dy' }), 'event');
		expect(mixed.links).toEqual({ change: 'https://www.kadoa.com/data-diff/chg-1', workflow: undefined });
		// A well-formed pair is encoded as usual.
		expect(eventToItems(event({ id: '\ud83d\ude00' }), 'event')[0].links).toMatchObject({ change: 'https://www.kadoa.com/data-diff/%F0%9F%98%80' });
	});

	it('a payload that is not an object still gives items, in every mode', () => {
		for (const payload of [null, 42, 'text', true, [1, { a: 2 }], []]) {
			const [asEvent, rows, differences] = allModes(() => event(payload));
			expect(asEvent).toHaveLength(1);
			expect(asEvent[0].json).toMatchObject({ eventId: 'evt-odd', data: [], differences: [], changeId: undefined, workflowId: undefined });
			expect(rows).toEqual([]);
			expect(differences).toEqual([]);
			const [other] = itemsOf(event(payload, { type: 'workflow_failed' }), 'rows');
			expect(other.json).toEqual({ eventId: 'evt-odd', eventType: 'workflow_failed', timestamp: 1736367604663, time: '2025-01-08T20:20:04.663Z', payload });
		}
	});

	it('rows and differences that are not arrays, or hold anything, give no exception', () => {
		for (const odd of [{ a: 1 }, 'rows', null, 7, true]) {
			expect(eventToItems(event({ data: odd }), 'rows')).toEqual([]);
			expect(eventToItems(event({ differences: odd }), 'differences')).toEqual([]);
			expect(eventToItems(event({ data: odd, differences: odd }), 'event')[0]).toMatchObject({ data: [], differences: [] });
		}
		const rows = eventToItems(event({ data: [null, 3, 'x', [1], { a: 1 }] }), 'rows');
		expect(rows.map((row) => ('value' in row ? row.value : row.a))).toEqual([null, 3, 'x', [1], 1]);
	});

	it('ids that are numbers are not strings: left empty, not thrown on', () => {
		const [item] = eventToItems(event({ id: 42, workflowId: 7 }), 'event');
		expect(item).toMatchObject({ changeId: undefined, workflowId: undefined, links: { change: undefined, workflow: undefined } });
	});

	it('a payload nested deeper than n8n can store gives items that JSON.stringify can write', () => {
		let deep: unknown = 'leaf';
		for (let i = 0; i < 100_000; i++) deep = [deep];
		for (const [mode, items] of allModes(() => event({ data: [{ deep }], differences: [{ type: 'added', fields: deep }] })).entries()) {
			expect(items.length).toBeGreaterThan(0);
			for (const item of items) expect(typeof JSON.stringify(item.json)).toBe('string');
			if (mode === 0) expect(JSON.stringify(items[0].json)).toContain('nested deeper than');
		}
		let deepObject: Record<string, unknown> = {};
		for (let i = 0; i < 50_000; i++) deepObject = { a: deepObject };
		const [other] = itemsOf(event(deepObject, { type: 'workflow_failed' }), 'event');
		expect(typeof JSON.stringify(other.json)).toBe('string');
	});

	it('shallow payloads are left as they are: nothing is cut at ordinary depths', () => {
		let nested: unknown = { leaf: true };
		for (let i = 0; i < 100; i++) nested = { child: nested };
		const payload = { data: [{ nested }] };
		const [item] = eventToItems(event(JSON.parse(JSON.stringify(payload))), 'event');
		expect(item.data).toEqual(payload.data);
	});

	it('reports what it could not represent, and nothing for an ordinary event', () => {
		expect(buildItems(dataChange(), 'event').problems).toEqual([]);
		const { items, problems } = buildItems(event({ id: 'c\ud800', workflowId: 'w\ud800' }, { timestamp: 1e20 }), 'event');
		expect(items).toHaveLength(1);
		expect(problems.join('\n')).toMatch(/timestamp 100000000000000000000 is not a valid date/);
		expect(problems.join('\n')).toMatch(/changeId .*links\.change/);
		expect(problems.join('\n')).toMatch(/workflowId .*links\.workflow/);
	});
});

describe('parseFrame → eventToItems, fuzzed with odd JSON', () => {
	const modes: OutputMode[] = ['event', 'rows', 'differences'];

	function runSeed(seed: number, cases: number): number {
		const generator = new OddFrames(seededRandom(seed));
		let events = 0;
		for (let n = 0; n < cases; n++) {
			const text = generator.frame();
			try {
				const frame = parseFrame(text);
				if (frame.kind !== 'event') continue;
				events++;
				for (const mode of modes) {
					// A fresh parse per mode: rows are extended in place.
					const again = parseFrame(text);
					if (again.kind !== 'event') throw new Error('parsed differently the second time');
					const items = itemsOf(again.event, mode);
					if (mode === 'event' && items.length !== 1) throw new Error(`event mode gave ${items.length} items`);
					for (const item of items) {
						if (typeof item.json !== 'object' || item.json === null || Array.isArray(item.json)) throw new Error('item json is not an object');
						if (typeof JSON.stringify(item.json) !== 'string') throw new Error('item json does not serialise');
					}
				}
			} catch (error) {
				throw new Error(
					`fuzz seed ${seed}, case ${n} (replay: FUZZ_SEED=${seed} npx jest -c test/jest.config.js test/unit/items.test.ts): ${(error as Error).stack}\nframe: ${text.slice(0, 500)}`,
				);
			}
		}
		return events;
	}

	it('never throws and always gives serialisable items (a fixed seed and a random one)', () => {
		const seeds = process.env.FUZZ_SEED ? [Number(process.env.FUZZ_SEED)] : [20250108, Math.floor(Math.random() * 2 ** 31)];
		for (const seed of seeds) expect(runSeed(seed, 3000)).toBeGreaterThan(1000);
	});
});
