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

describe('parseFrame on odd but valid JSON', () => {
	const event = (text: string) => {
		const frame = parseFrame(text);
		if (frame.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(frame)}`);
		return frame.event;
	};

	it('a timestamp of 1e400 (Infinity once parsed) is no timestamp', () => {
		expect(event('{"type":"x","id":"e","timestamp":1e400}').timestamp).toBeUndefined();
		expect(event('{"type":"x","id":"e","timestamp":-1e400}').timestamp).toBeUndefined();
		// Finite but beyond any Date: kept as sent (the item leaves `time` empty).
		expect(event('{"type":"x","id":"e","timestamp":1e20}').timestamp).toBe(1e20);
	});

	it('with both data and message, reads the first object in the frame, as the header reader does', () => {
		expect(event('{"type":"x","id":"e","message":{"workflowId":"A"},"data":{"workflowId":"B"}}').payload).toEqual({ workflowId: 'A' });
		expect(event('{"type":"x","id":"e","data":{"workflowId":"B"},"message":{"workflowId":"A"}}').payload).toEqual({ workflowId: 'B' });
		expect(event('{"type":"x","id":"e","data":null,"message":{"workflowId":"A"}}').payload).toEqual({ workflowId: 'A' });
		expect(event('{"type":"x","id":"e","message":[1],"data":{"workflowId":"B"}}').payload).toEqual({ workflowId: 'B' });
	});

	it('ids and cursors that are not strings, and payloads that are not objects, are left out', () => {
		for (const value of ['42', 'null', '{}', '[]', 'true', '""']) {
			const parsed = event(`{"type":"x","id":${value},"_cursor":${value},"data":${value}}`);
			expect(parsed).toMatchObject({ id: undefined, cursor: undefined, payload: {} });
		}
	});

	it('keeps a control frame type short and printable: it is only logged', () => {
		const frame = parseFrame(JSON.stringify({ type: `control.${'x'.repeat(1_000_000)}` }));
		expect(frame.kind === 'control' && frame.type.length).toBe(100);
		const forged = parseFrame(JSON.stringify({ type: 'control.x\n2025-01-01 ERROR forged line\u001b[2J' }));
		expect(forged).toEqual({ kind: 'control', type: 'control.x 2025-01-01 ERROR forged line [2J' });
	});

	it('deep nesting and lone surrogates are parsed, not thrown on', () => {
		expect(parseFrame('['.repeat(200_000) + ']'.repeat(200_000)).kind).toBe('invalid');
		expect(event(`{"type":"x","id":"\\ud800","data":{"rows":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`).id).toBe('\ud800');
		expect(parseFrame(`{"type":"x","data":${'{"a":'.repeat(100_000)}1${'}'.repeat(99_999)}`).kind).toBe('invalid');
	});
});
