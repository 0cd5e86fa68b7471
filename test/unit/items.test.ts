import { eventToItems as itemsOf, normaliseDifferences, type OutputMode } from '../../nodes/KadoaTrigger/delivery/items';
import { createFilter, matches } from '../../nodes/KadoaTrigger/delivery/filter';
import type { KadoaEvent } from '../../nodes/KadoaTrigger/realtime/protocol';

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
