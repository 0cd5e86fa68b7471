/**
 * What a person meets in n8n's editor: the workflow picker, the credential test, test runs
 * with a stored sample, pending snapshots, and errors that say what to do.
 */
import * as http from 'http';
import * as net from 'net';
import type { Duplex } from 'stream';
import type { ICredentialTestFunctions, ILoadOptionsFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { KadoaApi } from '../../credentials/KadoaApi.credentials';

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
	it('is the one n8n runs: the credential has no declarative test, so n8n uses the node\'s testedBy', () => {
		// n8n's CredentialsTester.getCredentialTestFunction prefers a credential's `test`
		// request and only then looks for a node whose credentials entry names `testedBy`.
		expect((new KadoaApi() as { test?: unknown }).test).toBeUndefined();
		const node = new KadoaTrigger();
		const entry = node.description.credentials?.find((credential) => credential.name === 'kadoaApi');
		expect(entry?.testedBy).toBe('kadoaApiConnectionTest');
		expect(typeof node.methods.credentialTest[entry?.testedBy as 'kadoaApiConnectionTest']).toBe('function');
	});

	it('accepts a good key with realtime access and names the team', async () => {
		const sim = await fixture.sim({ teamId: 'team-7' });
		expect(await credentialTest(credentialsFor(sim))).toEqual({
			status: 'OK',
			message: 'Connected: the key works and realtime events are enabled for team team-7',
		});
		await sim.waitFor(() => sim.openSocketCount() === 0, 3000, 'probe socket closed');
		expect(sim.subscribes).toHaveLength(0);
	});

	it('a refused key', async () => {
		const sim = await fixture.sim();
		const result = await credentialTest({ ...credentialsFor(sim), apiKey: 'wrong' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^Kadoa refused the API key \(HTTP 401: Invalid API key\)\. Check the API key/);
		expect(sim.connectionAttempts).toBe(0);
	});

	it('a key without realtime access (Enterprise)', async () => {
		const sim = await fixture.sim();
		sim.setRealtimeEnabled(false);
		const result = await credentialTest(credentialsFor(sim));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^The API key works, but Kadoa refused realtime access \(HTTP 403.*\)\. Realtime events are a Kadoa Enterprise feature/);
	});

	it('an API URL that is not Kadoa', async () => {
		const sim = await fixture.sim();
		const result = await credentialTest({ ...credentialsFor(sim), apiUrl: `${sim.apiUrl}/not-kadoa` });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			/^The API URL does not lead to Kadoa's API: Unexpected answer from the Kadoa token endpoint \(HTTP 404\) at http:\/\/127\.0\.0\.1:\d+\/not-kadoa\/v4\/oauth2\/token\. Clear the API URL/,
		);
		expect(sim.connectionAttempts).toBe(0);
	});

	it('an unreachable API URL', async () => {
		const sim = await fixture.sim();
		const port = await closedPort();
		const result = await credentialTest({ ...credentialsFor(sim), apiUrl: `http://127.0.0.1:${port}` });
		expect(result.status).toBe('Error');
		expect(result.message).toBe(
			`No answer from the API URL (cannot reach 127.0.0.1:${port}: connection refused). Check it in the credential and that n8n can reach that host.`,
		);
		expect(sim.connectionAttempts).toBe(0);
	});

	it('an unreachable Realtime URL, although the key bought a token', async () => {
		const sim = await fixture.sim();
		const port = await closedPort();
		const result = await credentialTest({ ...credentialsFor(sim), realtimeUrl: `ws://127.0.0.1:${port}` });
		expect(result.status).toBe('Error');
		expect(result.message).toBe(
			`The API key works, but there is no answer from the Realtime URL (cannot reach 127.0.0.1:${port}: connection refused). Check it in the credential and that n8n can reach that host.`,
		);
		expect(sim.tokenRequests.map((request) => request.status)).toEqual([200]);
	});

	it('a Realtime URL that is not Kadoa', async () => {
		const sim = await fixture.sim();
		const notKadoa = await startNotKadoa();
		try {
			const result = await credentialTest({ ...credentialsFor(sim), realtimeUrl: `ws://127.0.0.1:${notKadoa.port}` });
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(
				/^The API key works, but the Realtime URL does not lead to Kadoa's realtime service: The Realtime URL did not accept a WebSocket connection \(HTTP 404: Not Found\)\. Clear the Realtime URL/,
			);
			expect(notKadoa.upgrades).toBe(1);
		} finally {
			await notKadoa.close();
		}
	});

	it('an unreachable Kadoa (simulator stopped), and an empty key', async () => {
		const sim = await fixture.sim();
		const port = sim.port;
		await sim.stop();
		const down = await credentialTest(credentialsFor(sim));
		expect(down.message).toMatch(new RegExp(`^No answer from the API URL \\(cannot reach 127\\.0\\.0\\.1:${port}: connection (refused|reset)\\)`));
		const empty = await credentialTest({ ...credentialsFor(sim), apiKey: '' });
		expect(empty.message).toMatch(/Enter your Kadoa API key/);
	});

	it('refuses http:// and ws:// to other hosts before anything is sent', async () => {
		const sim = await fixture.sim();
		// Every TCP connection (http, https, ws) goes through net.Socket#connect: none may start.
		const connect = jest.spyOn(net.Socket.prototype, 'connect');
		try {
			const api = await credentialTest({ ...credentialsFor(sim), apiUrl: 'http://example.invalid' });
			expect(api.status).toBe('Error');
			expect(api.message).toBe(
				'API URL must use https:// (plain http:// is only allowed for localhost), got "http://example.invalid". The API key was not sent. Clear the URL fields to use Kadoa\'s defaults.',
			);
			// The API URL is fine (loopback), the Realtime URL is not: the key is not sent to the API either.
			const realtime = await credentialTest({ ...credentialsFor(sim), realtimeUrl: 'ws://realtime.example.com' });
			expect(realtime.message).toMatch(/^Realtime URL must use wss:\/\/ .*got "ws:\/\/realtime\.example\.com"\. The API key was not sent\./);
			const httpRealtime = await credentialTest({ ...credentialsFor(sim), realtimeUrl: 'http://realtime.example.com' });
			expect(httpRealtime.message).toMatch(/^Realtime URL must use wss:\/\//);
			expect(connect).not.toHaveBeenCalled();
		} finally {
			connect.mockRestore();
		}
		expect(sim.tokenRequests).toHaveLength(0);
		expect(sim.connectionAttempts).toBe(0);
	});

	it('never shows the key, even when a server echoes it', async () => {
		const sim = await fixture.sim();
		const key = 'kadoa-secret-key-1234';
		const echo = await startNotKadoa((key) => `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{"error":"no route for ${key}"}`, key);
		try {
			sim.setApiKeys([key]);
			const result = await credentialTest({ ...credentialsFor(sim, key), realtimeUrl: `ws://127.0.0.1:${echo.port}` });
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(/HTTP 404: no route for \[redacted\]/);
			expect(result.message).not.toContain(key);
		} finally {
			await echo.close();
		}
	});
});

/** A 127.0.0.1 port nothing listens on (bound, read, closed). */
async function closedPort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as net.AddressInfo;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

/** An HTTP server that is not Kadoa: it answers a WebSocket upgrade with 404 (or `answer`). */
async function startNotKadoa(
	answer: (key: string) => string = () => 'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nNot Found',
	key = '',
): Promise<{ port: number; upgrades: number; close: () => Promise<void> }> {
	const state = { port: 0, upgrades: 0, close: async () => {} };
	const server = http.createServer((_request, response) => response.writeHead(404).end('Not Found'));
	server.on('upgrade', (_request, socket: Duplex) => {
		state.upgrades++;
		socket.end(answer(key));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	state.port = (server.address() as net.AddressInfo).port;
	state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
	return state;
}

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

describe('realtime delivery set-up in Kadoa (onboarding)', () => {
	it('a team whose WebSocket channel gets none of the chosen events fails a user activation, saying what is missing and how to fix it', async () => {
		const sim = await fixture.sim();
		sim.rest.notifications.preset('unsubscribed');
		const error = await fixture.trigger(sim).catch((caught: Error) => caught);
		expect((error as Error).message).toBe('Kadoa does not send the chosen events to n8n');
		const description = String((error as Error & { description?: string }).description);
		expect(description).toMatch(/workflow_data_change/);
		expect(description).toMatch(/Set Up Realtime Delivery in Kadoa/);
		expect(sim.subscribes).toHaveLength(0);
	});

	it('on a restart the same gap is only a warning: the trigger still subscribes (settings can change in Kadoa at any time)', async () => {
		const sim = await fixture.sim();
		sim.rest.notifications.preset('unsubscribed');
		const trigger = await fixture.trigger(sim, { activationMode: 'init' });
		await sim.waitFor(() => sim.subscribes.length === 1);
		expect(trigger.logText()).toMatch(/warn Kadoa: .*workflow_data_change/);
	});

	it('some chosen events reaching the channel: activation goes on with a warning naming the others', async () => {
		const sim = await fixture.sim();
		const trigger = await fixture.trigger(sim, { parameters: { events: ['workflow_data_change', 'workflow_failed'] } });
		await sim.waitFor(() => sim.subscribes.length === 1);
		expect(trigger.logText()).toMatch(/warn Kadoa: .*workflow_failed/);
	});

	it('"Set Up Realtime Delivery in Kadoa" subscribes the channel at activation, once: a second activation changes nothing', async () => {
		const sim = await fixture.sim();
		sim.rest.notifications.preset('none');
		const parameters = { events: ['workflow_data_change', 'workflow_failed'], options: { setUpRealtimeDelivery: true } };
		const first = await fixture.trigger(sim, { parameters });
		await sim.waitFor(() => sim.subscribes.length === 1);
		const writes = sim.rest.writes('/v5/notifications').length;
		expect(writes).toBeGreaterThan(0);
		expect(sim.rest.notifications.websocketRoute('workflow_failed', null)).toBeDefined();
		await first.close();
		await fixture.trigger(sim, { parameters });
		expect(sim.rest.writes('/v5/notifications').length).toBe(writes);
		// The events now reach the socket and the trigger.
		expect(sim.rest.notifications.websocketRoute('workflow_data_change', null)).toBeDefined();
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
