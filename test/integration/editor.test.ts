/**
 * What a person meets in n8n's editor: the workflow picker, the credential test, test runs
 * with a stored sample, pending snapshots, and errors that say what to do.
 */
import type { ICredentialTestFunctions, ILoadOptionsFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { listWorkflows } from '../../nodes/KadoaTrigger/api/workflows';
import { KadoaTrigger } from '../../nodes/KadoaTrigger/KadoaTrigger.node';
import { resolveEndpoints } from '../../nodes/KadoaTrigger/realtime/endpoints';
import { expectNoSecrets } from '../harness/invariants';
import { API_KEY, Fixture, credentialsFor } from '../harness/setup';
import { waitFor } from '../harness/trigger-harness';
import type { KadoaSimulator } from '../simulator/simulator';

const fixture = new Fixture();
afterEach(() => fixture.teardown());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const manyWorkflows = (count: number) =>
	Array.from({ length: count }, (_, i) => ({
		id: `wf-${String(i).padStart(4, '0')}`,
		name: `Watch ${String(i).padStart(4, '0')}${i % 50 === 0 ? ' laptops' : ''}`,
		state: i % 3 === 0 ? 'PAUSED' : 'ACTIVE',
		url: `https://shop.example/${i}`,
	}));

function loadOptionsContext(credentials: Record<string, unknown>): ILoadOptionsFunctions {
	return {
		getCredentials: async () => credentials,
		getNode: () => ({ id: 'n', name: 'Kadoa Trigger', type: 'kadoaTrigger', typeVersion: 1, position: [0, 0], parameters: {} }),
	} as unknown as ILoadOptionsFunctions;
}

async function credentialTest(data: Record<string, unknown>): Promise<INodeCredentialTestResult> {
	const node = new KadoaTrigger();
	return await node.methods.credentialTest.kadoaApiConnectionTest.call({} as ICredentialTestFunctions, {
		id: 'c',
		name: 'Kadoa',
		type: 'kadoaApi',
		data: data as never,
	});
}

describe('workflow picker', () => {
	it('lists every workflow across pages, with its state, sorted by name', async () => {
		const sim = await fixture.sim({ workflows: manyWorkflows(250) });
		const options = await new KadoaTrigger().methods.loadOptions.getWorkflows.call(loadOptionsContext(credentialsFor(sim)));
		expect(options).toHaveLength(250);
		expect(options[0]).toEqual({ name: 'Watch 0000 laptops (PAUSED)', value: 'wf-0000', description: 'wf-0000' });
		expect(options.find((option) => option.value === 'wf-0248')?.name).toBe('Watch 0248 (ACTIVE)');
	});

	it('searches by name on the server', async () => {
		const sim = await fixture.sim({ workflows: manyWorkflows(250) });
		const found = await listWorkflows(resolveEndpoints(sim.apiUrl, sim.realtimeUrl), API_KEY, 'LAPTOPS');
		expect(found.map((workflow) => workflow.id)).toEqual(['wf-0000', 'wf-0050', 'wf-0100', 'wf-0150', 'wf-0200']);
	});

	it('says plainly when the key is refused', async () => {
		const sim = await fixture.sim();
		await expect(
			new KadoaTrigger().methods.loadOptions.getWorkflows.call(loadOptionsContext({ ...credentialsFor(sim), apiKey: 'nope' })),
		).rejects.toThrow(/Kadoa refused the API key \(HTTP 401/);
	});

	it('unknown workflow ids fail a user activation, but only warn on a restart', async () => {
		const sim = await fixture.sim({ workflows: manyWorkflows(3) });
		await expect(fixture.trigger(sim, { parameters: { workflowIds: ['wf-0001', 'wf-gone'] } })).rejects.toThrow(
			/Kadoa has no workflow with the ID wf-gone in this account/,
		);
		expect(sim.connectionAttempts).toBe(0);
		const restarted = await fixture.trigger(sim, { activationMode: 'init', parameters: { workflowIds: 'wf-0001, wf-gone' } });
		await sim.waitFor(() => sim.subscribes.length === 1);
		expect(restarted.logText()).toMatch(/no workflow with the ID wf-gone.*still delivered/);
		const event = sim.publishDataChange({ workflowId: 'wf-0001' });
		await restarted.waitForEmissions(1);
		expect(restarted.eventIds()).toEqual([event.id]);
	});
});

describe('credential test', () => {
	it('accepts a good key with realtime access and names the team', async () => {
		const sim = await fixture.sim({ teamId: 'team-7' });
		expect(await credentialTest(credentialsFor(sim))).toEqual({
			status: 'OK',
			message: 'Connected: the key works and realtime events are enabled for team team-7',
		});
		await sim.waitFor(() => sim.openSocketCount() === 0, 3000, 'probe socket closed');
		expect(sim.subscribes).toHaveLength(0);
	});

	it('tells a bad key, a missing Enterprise feature, a bad URL and an unreachable Kadoa apart', async () => {
		const sim = await fixture.sim();
		const bad = await credentialTest({ ...credentialsFor(sim), apiKey: 'wrong' });
		expect(bad.status).toBe('Error');
		expect(bad.message).toMatch(/^Kadoa refused the API key \(HTTP 401: Invalid API key\)\. Check the API key/);

		sim.setRealtimeEnabled(false);
		const noRealtime = await credentialTest(credentialsFor(sim));
		expect(noRealtime.message).toMatch(/refused realtime access \(HTTP 403.*Enterprise feature/);

		const badUrl = await credentialTest({ ...credentialsFor(sim), realtimeUrl: 'ws://realtime.example.com' });
		expect(badUrl.message).toMatch(/must use wss:\/\//);

		const port = sim.port;
		await sim.stop();
		const down = await credentialTest(credentialsFor(sim));
		expect(down.message).toMatch(new RegExp(`cannot reach 127\\.0\\.0\\.1:${port}: connection (refused|reset)\\. Check that the API and Realtime URLs`));

		const empty = await credentialTest({ ...credentialsFor(sim), apiKey: '' });
		expect(empty.message).toMatch(/Enter your Kadoa API key/);
	});
});

describe('errors at activation', () => {
	it('an unreachable Kadoa fails a user activation with what to do, but a restart keeps retrying quietly', async () => {
		const sim = await fixture.sim();
		const credentials = credentialsFor(sim);
		await sim.stop();
		const error = await fixture.trigger(sim, { credentials }).catch((caught: Error) => caught);
		expect((error as Error).message).toMatch(/Kadoa token request failed: cannot reach 127\.0\.0\.1:\d+: connection refused/);
		expect((error as Error & { description?: string }).description).toMatch(/Check that the API and Realtime URLs/);

		const restarted = await fixture.trigger(sim, { credentials, activationMode: 'init' });
		expect(restarted.logText()).toMatch(/not reachable yet .* retrying in the background/);
		await sim.restart();
		await sim.waitFor(() => sim.subscribes.length === 1, 8000, 'subscribe once Kadoa is back');
	});

	it('a wrong custom endpoint is named, not retried', async () => {
		const sim = await fixture.sim();
		const error = await fixture
			.trigger(sim, { activationMode: 'init', credentials: { ...credentialsFor(sim), apiUrl: `${sim.apiUrl}/not-kadoa` } })
			.catch((caught: Error) => caught);
		expect((error as Error).message).toMatch(/Unexpected answer from the Kadoa token endpoint \(HTTP 404\) at http:\/\/127\.0\.0\.1:\d+\/not-kadoa\/v4\/oauth2\/token/);
		await sleep(300);
		expect(sim.tokenRequests).toHaveLength(0);
	});

	it('no API key in the credential', async () => {
		const sim = await fixture.sim();
		await expect(fixture.trigger(sim, { credentials: { ...credentialsFor(sim), apiKey: '  ' } })).rejects.toThrow(/has no API key/);
	});
});

describe('test runs and richer items', () => {
	async function publishStoredChange(sim: KadoaSimulator, workflowId: string) {
		return sim.publishDataChange({ workflowId, summary: 'Two new laptops, one price drop', screenshotUrl: 'https://cdn.example/s.png' });
	}

	it('"Deliver Latest Change When Testing" emits the newest stored change at once, shaped like a live event and marked as a sample', async () => {
		const sim = await fixture.sim({ workflows: [{ id: 'wf-a', name: 'A', state: 'ACTIVE', url: 'https://a.example' }] });
		await publishStoredChange(sim, 'wf-a');
		const newest = await publishStoredChange(sim, 'wf-a');
		await publishStoredChange(sim, 'wf-b');
		const live = await fixture.trigger(sim);
		const manual = await fixture.trigger(sim, { mode: 'manual', parameters: { workflowIds: ['wf-a'], options: { testWithLatestChange: true } } });
		await manual.response?.manualTriggerFunction?.();
		await manual.waitForEmissions(1);
		const sample = manual.emissions[0].json[0];
		const change = newest.data as Record<string, unknown>;
		expect(sample).toMatchObject({
			sample: true,
			eventType: 'workflow_data_change',
			changeId: change.id,
			workflowId: 'wf-a',
			data: change.data,
			differences: change.differences,
			summary: 'Two new laptops, one price drop',
			screenshotUrl: 'https://cdn.example/s.png',
			links: { change: `https://www.kadoa.com/data-diff/${String(change.id)}`, workflow: 'https://www.kadoa.com/workflow/wf-a' },
		});
		// Same keys as the live item of the same change, plus the sample marker.
		await live.waitForEmissions(3);
		const liveItem = live.jsons().find((json) => json.changeId === change.id) ?? {};
		expect(Object.keys(sample).sort()).toEqual([...Object.keys(liveItem), 'sample'].sort());
		await sleep(200);
		expect(sim.acks.filter((ack) => String(ack.id).startsWith('sample-'))).toHaveLength(0);
	});

	it('with no stored change yet, the test run waits for the next live event', async () => {
		const sim = await fixture.sim();
		const manual = await fixture.trigger(sim, { mode: 'manual', parameters: { options: { testWithLatestChange: true } } });
		await manual.response?.manualTriggerFunction?.();
		expect(manual.logText()).toMatch(/no stored change .* waiting for the next live event/);
		await sim.waitFor(() => sim.subscribes.length === 1);
		const event = sim.publishDataChange();
		await manual.waitForEmissions(1);
		expect(manual.emissions[0].json[0]).toMatchObject({ eventId: event.id });
		expect(manual.emissions[0].json[0].sample).toBeUndefined();
	});

	it('an event whose snapshot is pending is completed from the changes API before it runs', async () => {
		const sim = await fixture.sim();
		const trigger = await fixture.trigger(sim);
		await sim.waitFor(() => sim.subscribes.length === 1);
		const full = { id: 'chg-pending-1', workflowId: 'wf-p', url: 'https://shop.example', createdAt: new Date().toISOString(), data: [{ name: 'A', price: 1 }], differences: [{ type: 'added', fields: [{ key: 'name', value: 'A' }] }], dataPending: false };
		const event = sim.publish({ type: 'workflow_data_change', data: { ...full, data: [], dataPending: true } });
		sim.addChange(full as never);
		await trigger.waitForEmissions(1);
		expect(trigger.emissions[0].json[0]).toMatchObject({ eventId: event.id, data: [{ name: 'A', price: 1 }], dataPending: false });
		await sim.waitFor(() => sim.isAcked(event.id));
	});

	it('when the full change cannot be fetched, the event still runs as received', async () => {
		const sim = await fixture.sim();
		const trigger = await fixture.trigger(sim);
		await sim.waitFor(() => sim.subscribes.length === 1);
		// The changes API now refuses the key (the socket stays up).
		sim.setApiKeys([]);
		const event = sim.publish({ type: 'workflow_data_change', data: { id: 'chg-missing', workflowId: 'wf-p', data: [], dataPending: true } });
		await trigger.waitForEmissions(1);
		expect(trigger.emissions[0].json[0]).toMatchObject({ eventId: event.id, dataPending: true });
		await waitFor(() => /could not complete event .*Kadoa refused the API key \(HTTP 401/.test(trigger.logText()));
		expectNoSecrets(sim, [trigger]);
	});
});
