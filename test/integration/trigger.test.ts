/**
 * The Kadoa Trigger end to end against the simulator over real sockets, through an
 * n8n-faithful trigger context: the behaviours the package promises.
 */
import { Fixture, API_KEY } from '../harness/setup';
import { activeHandles, waitFor } from '../harness/trigger-harness';

const fixture = new Fixture();
afterEach(() => fixture.teardown());

describe('Kadoa Trigger against the simulator', () => {
	it('subscribes to the team channel, emits a data change with the documented fields, then acknowledges it', async () => {
		const sim = await fixture.sim({ teamId: 'team-42' });
		const trigger = await fixture.trigger(sim);
		await sim.waitFor(() => sim.subscribes.length === 1, 5000, 'subscribe');
		expect(sim.subscribes[0]).toMatchObject({ channel: 'team-42' });
		expect(sim.subscribes[0].lastCursor).toBeUndefined();

		const event = sim.publishDataChange({ workflowId: 'wf-1' });
		await trigger.waitForEmissions(1);
		await sim.waitFor(() => sim.isAcked(event.id), 5000, 'ack');

		const [json] = trigger.emissions[0].json;
		const change = event.data as Record<string, unknown>;
		expect(json).toMatchObject({
			eventId: event.id,
			eventType: 'workflow_data_change',
			timestamp: event.timestamp,
			changeId: change.id,
			workflowId: 'wf-1',
			url: change.url,
			createdAt: change.createdAt,
			data: change.data,
			differences: change.differences,
		});
		// n8n 1.x has no fourth argument to emit.
		if (trigger.flavour !== '1.x') expect(trigger.emissions[0].deduplicationKey).toBe(`kadoa:${trigger.workflowId}:${trigger.context.getNode().id}:${event.id}`);
		expect(sim.acks.filter((ack) => ack.id === event.id)).toHaveLength(1);
		// The ack came after the emit.
		expect(sim.acks[0].at).toBeGreaterThanOrEqual(trigger.emissions[0].at);
	});

	it('accepts the payload under "message" as well as "data"', async () => {
		const sim = await fixture.sim();
		const trigger = await fixture.trigger(sim);
		await sim.waitFor(() => sim.subscribes.length === 1);
		const event = sim.publishDataChange({ workflowId: 'wf-m', payloadKey: 'message' });
		await trigger.waitForEmissions(1);
		expect(trigger.emissions[0].json[0]).toMatchObject({ eventId: event.id, workflowId: 'wf-m' });
		expect((trigger.emissions[0].json[0].data as unknown[]).length).toBeGreaterThan(0);
	});

	it('holds filtered-out events for the hold time, then acknowledges them without running them', async () => {
		const sim = await fixture.sim({ workflows: [{ id: 'wf-keep', name: 'Kept', state: 'ACTIVE', url: 'https://keep.example' }] });
		const trigger = await fixture.trigger(sim, { parameters: { workflowIds: 'wf-keep', options: { unclaimedHold: 1 } } });
		await sim.waitFor(() => sim.subscribes.length === 1);
		const otherWorkflow = sim.publishDataChange({ workflowId: 'wf-other' });
		const otherType = sim.publish({ type: 'workflow_started', data: { workflowId: 'wf-keep' } });
		const kept = sim.publishDataChange({ workflowId: 'wf-keep' });
		await sim.waitFor(() => sim.isAcked(kept.id), 5000, 'the kept event acknowledged');
		// Held: a trigger that registers within the hold (n8n start-up, a re-save) still gets them.
		expect(sim.isAcked(otherWorkflow.id) || sim.isAcked(otherType.id)).toBe(false);
		await sim.waitFor(() => [otherWorkflow, otherType].every((event) => sim.isAcked(event.id)), 5000, 'acks after the hold');
		expect(trigger.eventIds()).toEqual([kept.id]);
	});

	it('does not parse a large snapshot of a workflow it does not watch: read from its header, acknowledged, cursor moved', async () => {
		const sim = await fixture.sim({ workflows: [{ id: 'wf-keep', name: 'Kept', state: 'ACTIVE', url: 'https://keep.example' }] });
		const trigger = await fixture.trigger(sim, { parameters: { workflowIds: 'wf-keep', acknowledge: 'executionFinished', options: { unclaimedHold: 0.2 } } });
		await sim.waitFor(() => sim.subscribes.length === 1);
		const parse = jest.spyOn(JSON, 'parse');
		try {
			const largest = () => Math.max(0, ...parse.mock.calls.map(([text]) => (typeof text === 'string' ? text.length : 0)));
			const other = sim.publishDataChange({ workflowId: 'wf-other', fixture: { rows: 3000 } });
			await sim.waitFor(() => sim.isAcked(other.id), 5000, 'the unwatched snapshot acknowledged');
			expect(JSON.stringify(other.data).length).toBeGreaterThan(256 * 1024);
			expect(largest()).toBeLessThan(64 * 1024);
			// A watched one of the same size is parsed and runs; the cursor passed the skipped one.
			const kept = sim.publishDataChange({ workflowId: 'wf-keep', fixture: { rows: 3000 } });
			await trigger.waitForEmissions(1);
			expect(largest()).toBeGreaterThan(256 * 1024);
			expect(trigger.eventIds()).toEqual([kept.id]);
			expect(trigger.persistedStaticData.cursor).toBe(other.cursor);
		} finally {
			parse.mockRestore();
		}
	});

	it('survives heartbeats, garbage, binary, unknown types and events without id', async () => {
		const sim = await fixture.sim();
		const trigger = await fixture.trigger(sim, { parameters: { events: ['workflow_data_change', 'brand_new_type'] } });
		await sim.waitFor(() => sim.subscribes.length === 1);
		sim.sendRaw('this is not json');
		sim.sendRaw('[1,2,3]');
		sim.sendRaw('{"no":"type"}');
		sim.sendRaw(Buffer.from([0, 1, 2, 3]));
		sim.sendRaw('{"type":"control.unknown"}');
		sim.sendRaw('{"type":"brand_new_type","timestamp":1}');
		const event = sim.publishDataChange();
		await trigger.waitForEmissions(2);
		expect(trigger.emissions.map((emission) => emission.json[0].eventType)).toEqual(['brand_new_type', 'workflow_data_change']);
		expect(trigger.emissions[1].json[0].eventId).toBe(event.id);
		expect(sim.connections).toHaveLength(1);
		expect(trigger.logText()).toMatch(/malformed frame/);
		expect(trigger.logText()).toMatch(/without an id/);
	});

	it('fails activation with a clear message for a bad API key, without a retry loop', async () => {
		const sim = await fixture.sim();
		await expect(fixture.trigger(sim, { credentials: { apiKey: 'wrong-key', apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl } })).rejects.toThrow(
			/Kadoa refused the API key \(HTTP 401/,
		);
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(sim.tokenRequests).toHaveLength(1);
		expect(sim.connectionAttempts).toBe(0);
	});

	it('fails activation with a clear message when the account has no realtime access', async () => {
		const sim = await fixture.sim({ realtimeEnabled: false });
		const error = await fixture.trigger(sim).catch((caught: Error & { description?: string }) => caught);
		expect(error).toBeInstanceOf(Error);
		expect((error as Error).message).toMatch(/refused realtime access \(HTTP 403/);
		expect((error as { description?: string }).description).toMatch(/Enterprise/);
	});

	it('rejects plain-text endpoints for non-loopback hosts before connecting', async () => {
		const sim = await fixture.sim();
		await expect(fixture.trigger(sim, { credentials: { apiKey: API_KEY, apiUrl: 'http://api.kadoa.com', realtimeUrl: sim.realtimeUrl } })).rejects.toThrow(
			/must use https/,
		);
		expect(sim.tokenRequests).toHaveLength(0);
	});

	it('reconnects when the server closes the socket and gets the events published meanwhile', async () => {
		const sim = await fixture.sim();
		const trigger = await fixture.trigger(sim);
		await sim.waitFor(() => sim.subscribes.length === 1);
		const first = sim.publishDataChange();
		await sim.waitFor(() => sim.isAcked(first.id));
		sim.dropAll();
		const missed = sim.publishDataChange();
		await sim.waitFor(() => sim.subscribes.length === 2, 8000, 'resubscribe');
		await sim.waitFor(() => sim.isAcked(missed.id), 5000, 'missed event acked');
		expect(trigger.eventIds()).toEqual([first.id, missed.id]);
		expect(sim.subscribes[1].lastCursor).toBe(first.cursor);
		expect(sim.tokenRequests).toHaveLength(2);
	});

	it('reconnects when no frame arrives within heartbeatTimeout (black-holed socket)', async () => {
		const sim = await fixture.sim();
		const trigger = await fixture.trigger(sim, { parameters: { options: { heartbeatTimeout: 1 } } });
		await sim.waitFor(() => sim.subscribes.length === 1);
		sim.blackhole(true, { existingOnly: true });
		const during = sim.publishDataChange();
		await sim.waitFor(() => sim.subscribes.length === 2, 8000, 'resubscribe after silence');
		await trigger.waitForEmissions(1);
		expect(trigger.eventIds()).toEqual([during.id]);
		expect(trigger.logText()).toMatch(/no frame for 1\.\d s; dropping the connection/);
	});

	it('leaves an event unacknowledged when n8n cannot start its execution (1.x: emit throws; 2.x: the done promise rejects), and nothing escapes', async () => {
		const sim = await fixture.sim();
		const trigger = await fixture.trigger(sim, { emitThrows: (index) => index === 0, parameters: { acknowledge: 'executionFinished', options: { executionTimeout: 1 } } });
		await sim.waitFor(() => sim.subscribes.length === 1);
		const refused = sim.publishDataChange();
		const next = sim.publishDataChange();
		await sim.waitFor(() => sim.isAcked(next.id));
		await waitFor(() => /left unacknowledged|leaving it unacknowledged/.test(trigger.logText()), 5000, 'the refused start judged');
		expect(sim.isAcked(refused.id)).toBe(false);
		expect(trigger.logText()).toMatch(trigger.flavour === '1.x' ? /no outcome for the execution of event/ : /ended with "refused"; left unacknowledged/);
	});

	it('manual mode: the next matching event becomes the test run, is not acknowledged, and the trigger closes', async () => {
		const sim = await fixture.sim();
		const trigger = await fixture.trigger(sim, { mode: 'manual' });
		await sim.waitFor(() => sim.subscribes.length === 1);
		sim.publish({ type: 'workflow_started', data: { workflowId: 'x' } });
		const event = sim.publishDataChange();
		sim.publishDataChange();
		await trigger.waitForEmissions(1);
		await sim.waitFor(() => sim.openSocketCount() === 0, 5000, 'socket closed after the test event');
		expect(trigger.eventIds()).toEqual([event.id]);
		expect(trigger.emissions).toHaveLength(1);
		expect(sim.acks).toHaveLength(0);
		expect(trigger.persistedStaticData).toEqual({});
	});

	it('closeFunction closes the socket and clears every timer', async () => {
		const before = activeHandles();
		const sim = await fixture.sim({ heartbeatMs: 0 });
		const trigger = await fixture.trigger(sim);
		await sim.waitFor(() => sim.subscribes.length === 1);
		expect(sim.openSocketCount()).toBe(1);
		await trigger.close();
		await sim.waitFor(() => sim.openSocketCount() === 0, 3000, 'server sees the socket closed');
		await sim.stop();
		await waitFor(() => (activeHandles().Timeout ?? 0) <= (before.Timeout ?? 0), 3000, 'timers cleared');
		expect(activeHandles().TCPSocketWrap ?? 0).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0);
	});

	it('emits one item per row or per difference, each telling its event and change', async () => {
		const sim = await fixture.sim();
		// Two workflows on one team: one shared connection, each trigger its own items.
		const rows = await fixture.trigger(sim, { workflowId: 'wf-rows', parameters: { output: 'rows' } });
		const diffs = await fixture.trigger(sim, { workflowId: 'wf-diffs', parameters: { output: 'differences' } });
		await sim.waitFor(() => sim.subscribes.length >= 1);
		const event = sim.publishDataChange({ workflowId: 'wf-9' });
		await rows.waitForEmissions(1);
		await diffs.waitForEmissions(1);
		const change = event.data as { id: string; data: Record<string, unknown>[]; differences: Record<string, unknown>[] };
		expect(rows.emissions[0].json).toHaveLength(change.data.length);
		rows.emissions[0].json.forEach((item, index) => {
			expect(item).toMatchObject({ ...change.data[index], _kadoa: { eventId: event.id, changeId: change.id, workflowId: 'wf-9', index } });
		});
		expect(diffs.emissions[0].json).toHaveLength(change.differences.length);
		expect(diffs.emissions[0].json[0]).toMatchObject({ ...change.differences[0], _kadoa: { eventId: event.id, changeId: change.id } });
	});
});
