import { parseFrame, subscribeMessage } from '../../nodes/KadoaTrigger/realtime/protocol';

describe('parseFrame', () => {
	it('recognises heartbeats and draining notices', () => {
		expect(parseFrame('{"type":"heartbeat","timestamp":1}')).toEqual({ kind: 'heartbeat' });
		expect(parseFrame('{"type":"control.draining","retryAfterMs":2500}')).toEqual({ kind: 'draining', retryAfterMs: 2500 });
		expect(parseFrame('{"type":"control.draining"}')).toEqual({ kind: 'draining', retryAfterMs: undefined });
		expect(parseFrame('{"type":"control.something_new"}')).toEqual({ kind: 'control', type: 'control.something_new' });
	});

	it('reads events with the payload under data or under message', () => {
		const fromData = parseFrame('{"type":"workflow_data_change","timestamp":5,"id":"e1","_cursor":"c1","data":{"workflowId":"w"}}');
		expect(fromData).toEqual({
			kind: 'event',
			event: { id: 'e1', type: 'workflow_data_change', timestamp: 5, cursor: 'c1', payload: { workflowId: 'w' } },
		});
		const fromMessage = parseFrame('{"type":"workflow_failed","id":"e2","message":{"workflowId":"w2"}}');
		expect(fromMessage.kind === 'event' && fromMessage.event.payload).toEqual({ workflowId: 'w2' });
	});

	it('turns garbage into invalid frames instead of throwing', () => {
		expect(parseFrame('not json').kind).toBe('invalid');
		expect(parseFrame('[1,2]').kind).toBe('invalid');
		expect(parseFrame('null').kind).toBe('invalid');
		expect(parseFrame('{"no":"type"}').kind).toBe('invalid');
		expect(parseFrame('{"type":42}').kind).toBe('invalid');
		const noPayload = parseFrame('{"type":"credits_low","id":"e3","data":"oops"}');
		expect(noPayload.kind === 'event' && noPayload.event.payload).toEqual({});
	});

	it('keeps unknown event types (filters decide)', () => {
		const frame = parseFrame('{"type":"brand_new_event","id":"e4"}');
		expect(frame.kind === 'event' && frame.event.type).toBe('brand_new_event');
	});
});

describe('subscribeMessage', () => {
	it('adds lastCursor only when resuming', () => {
		expect(JSON.parse(subscribeMessage('team-1', undefined))).toEqual({ action: 'subscribe', channel: 'team-1' });
		expect(JSON.parse(subscribeMessage('team-1', 'c-9'))).toEqual({ action: 'subscribe', channel: 'team-1', lastCursor: 'c-9' });
	});
});
