/**
 * Realtime delivery onboarding (nodes/KadoaTrigger/api/notifications.ts) against the
 * simulator's notification settings: the check names exactly what is missing, the set-up
 * makes the check pass and is idempotent (a second run writes nothing).
 */
import { checkRealtimeDelivery, setupRealtimeDelivery, FIX_HINT } from '../../nodes/KadoaTrigger/api/notifications';
import { resolveEndpoints, type KadoaEndpoints } from '../../nodes/KadoaTrigger/realtime/endpoints';
import { KadoaError } from '../../nodes/KadoaTrigger/realtime/errors';
import { DEMO_WORKFLOWS } from '../simulator/fixtures';
import { EMAIL_CHANNEL_ID, WS_CHANNEL_ID } from '../simulator/rest';
import { KadoaSimulator } from '../simulator/simulator';

const KEY = 'test-api-key';
const [W1, W2] = DEMO_WORKFLOWS.map((w) => w.id);

let sim: KadoaSimulator;
let endpoints: KadoaEndpoints;

beforeEach(async () => {
	sim = await KadoaSimulator.start({ heartbeatMs: 0 });
	endpoints = resolveEndpoints(sim.apiUrl, sim.realtimeUrl);
});
afterEach(async () => {
	await sim.stop();
});

const notificationWrites = (): number => sim.rest.writes('/v5/notifications').length;

describe('checkRealtimeDelivery', () => {
	it('reports a subscribed team as delivered, team-wide and for chosen workflows', async () => {
		const team = await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], []);
		expect(team).toMatchObject({ ok: true, channelId: WS_CHANNEL_ID, missing: [] });
		expect(team.message).toBe("Kadoa sends workflow_data_change (all workflows) to the team's WebSocket channel.");
		// No setting of their own: the team-wide one decides for each workflow.
		const chosen = await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], [W1, W2]);
		expect(chosen.ok).toBe(true);
		expect(notificationWrites()).toBe(0);
	});

	it('says what is missing and how to fix it when the WebSocket channel is not subscribed', async () => {
		sim.rest.notifications.preset('unsubscribed');
		const check = await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], []);
		expect(check.ok).toBe(false);
		expect(check.missing).toEqual([{ eventType: 'workflow_data_change', workflowId: null, reason: 'channel-not-linked', settingsId: 'set-workflow_data_change' }]);
		expect(check.message).toContain('workflow_data_change (all workflows): its notification setting does not include the WebSocket channel');
		expect(check.message).toContain(FIX_HINT);
		expect(check.message).toMatch(/Set Up Realtime Delivery in Kadoa/);
		expect(check.message).toMatch(/Enable Realtime Delivery/);
	});

	it('names each gap when the team is partly subscribed', async () => {
		// Default team: data changes go to the socket, failures to email only, nothing for credits.
		const check = await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change', 'workflow_failed', 'credits_low'], [W1]);
		expect(check.ok).toBe(false);
		expect(check.missing).toEqual([
			{ eventType: 'workflow_failed', workflowId: W1, reason: 'channel-not-linked', settingsId: 'set-workflow_failed' },
			// A team event type is never about one workflow: it is checked team-wide.
			{ eventType: 'credits_low', workflowId: null, reason: 'no-setting' },
		]);
		expect(check.message).toContain(`workflow_failed for workflow ${W1}: its notification setting does not include the WebSocket channel`);
		expect(check.message).toContain('credits_low (all workflows): no notification setting for it');
		expect(check.message).not.toContain('workflow_data_change');
	});

	it("lets a workflow's own setting decide over the team-wide one, and sees switched-off settings", async () => {
		sim.rest.notifications.settings.push({
			id: 'own-w1',
			workflowId: W1,
			eventType: 'workflow_data_change',
			eventConfiguration: {},
			enabled: true,
			channelIds: [EMAIL_CHANNEL_ID],
			createdAt: '',
			updatedAt: '',
		});
		const own = await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], [W1, W2]);
		expect(own.missing).toEqual([{ eventType: 'workflow_data_change', workflowId: W1, reason: 'channel-not-linked', settingsId: 'own-w1' }]);
		sim.rest.notifications.settings.find((s) => s.id === 'set-workflow_data_change')!.enabled = false;
		const off = await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], []);
		expect(off.missing).toEqual([{ eventType: 'workflow_data_change', workflowId: null, reason: 'setting-disabled', settingsId: 'set-workflow_data_change' }]);
		expect(off.message).toContain('its notification setting is switched off');
	});

	it('says plainly when the team has no WebSocket channel at all', async () => {
		sim.rest.notifications.preset('none');
		const check = await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change', 'workflow_finished'], []);
		expect(check.ok).toBe(false);
		expect(check.channelId).toBeUndefined();
		expect(check.missing.map((g) => g.reason)).toEqual(['no-websocket-channel', 'no-websocket-channel']);
		expect(check.message).toMatch(/^Kadoa will not send any event to the Kadoa Trigger: the team has no WebSocket channel/);
	});

	it("turns Kadoa's refusals into KadoaError with Kadoa's own message", async () => {
		await expect(checkRealtimeDelivery(endpoints, 'wrong-key', ['workflow_data_change'], [])).rejects.toMatchObject({
			name: 'KadoaError',
			kind: 'auth',
			message: expect.stringContaining('Invalid API key'),
		});
		sim.rest.fail({ n: 1, status: 503, path: '/v5/notifications/channels', message: 'Notification service is restarting' });
		const error = await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], []).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(KadoaError);
		expect(error).toMatchObject({ kind: 'transient', message: 'Kadoa answered HTTP 503 for GET /v5/notifications/channels: Notification service is restarting' });
	});
});

describe('setupRealtimeDelivery', () => {
	it('subscribes the existing channel, after which the check passes; a second run writes nothing', async () => {
		sim.rest.notifications.preset('unsubscribed');
		const first = await setupRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], []);
		expect(first).toMatchObject({
			channelId: WS_CHANNEL_ID,
			channelCreated: false,
			changed: true,
			settings: [{ eventType: 'workflow_data_change', workflowId: null, settingsId: 'set-workflow_data_change', action: 'updated' }],
		});
		// Merged, not replaced: the email channel still gets the event.
		const setting = sim.rest.notifications.settings.find((s) => s.id === 'set-workflow_data_change')!;
		expect(setting.channelIds).toEqual([EMAIL_CHANNEL_ID, WS_CHANNEL_ID]);
		expect((await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], [])).ok).toBe(true);

		const writes = notificationWrites();
		const second = await setupRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], []);
		expect(second).toMatchObject({ changed: false, channelCreated: false, settings: [{ action: 'unchanged' }] });
		expect(second.message).toMatch(/^Nothing to change/);
		expect(notificationWrites()).toBe(writes);
	});

	it('creates the channel and the settings a team without any needs; twice = no change', async () => {
		sim.rest.notifications.preset('none');
		const types = ['workflow_data_change', 'workflow_failed', 'credits_low'];
		const first = await setupRealtimeDelivery(endpoints, KEY, types, [W1, W2]);
		expect(first.channelCreated).toBe(true);
		expect(first.settings.map((s) => [s.eventType, s.workflowId, s.action])).toEqual([
			['workflow_data_change', W1, 'created'],
			['workflow_data_change', W2, 'created'],
			['workflow_failed', W1, 'created'],
			['workflow_failed', W2, 'created'],
			['credits_low', null, 'created'],
		]);
		const [channel] = sim.rest.notifications.channels;
		expect(channel).toMatchObject({ id: first.channelId, channelType: 'WEBSOCKET' });
		expect(sim.rest.notifications.settings.every((s) => s.enabled && s.channelIds.includes(channel.id))).toBe(true);
		expect(await checkRealtimeDelivery(endpoints, KEY, types, [W1, W2])).toMatchObject({ ok: true, missing: [] });

		const writes = notificationWrites();
		expect((await setupRealtimeDelivery(endpoints, KEY, types, [W1, W2])).changed).toBe(false);
		expect(notificationWrites()).toBe(writes);
		expect(sim.rest.notifications.channels).toHaveLength(1);
		expect(sim.rest.notifications.settings).toHaveLength(5);
	});

	it("gives a workflow its own setting that keeps the team-wide setting's channels", async () => {
		sim.rest.notifications.preset('unsubscribed');
		const result = await setupRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], [W1]);
		expect(result.settings).toEqual([{ eventType: 'workflow_data_change', workflowId: W1, settingsId: expect.any(String), action: 'created' }]);
		const own = sim.rest.notifications.settings.find((s) => s.workflowId === W1)!;
		expect(own).toMatchObject({ eventType: 'workflow_data_change', enabled: true, channelIds: [EMAIL_CHANNEL_ID, WS_CHANNEL_ID] });
		// The team-wide setting is left alone.
		expect(sim.rest.notifications.settings.find((s) => s.id === 'set-workflow_data_change')!.channelIds).toEqual([EMAIL_CHANNEL_ID]);
		expect((await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], [W1])).ok).toBe(true);
		expect((await checkRealtimeDelivery(endpoints, KEY, ['workflow_data_change'], [W2])).ok).toBe(false);
	});

	it('switches a disabled setting on with the channel merged in', async () => {
		const setting = sim.rest.notifications.settings.find((s) => s.id === 'set-workflow_failed')!;
		setting.enabled = false;
		const result = await setupRealtimeDelivery(endpoints, KEY, ['workflow_failed'], []);
		expect(result.settings).toEqual([{ eventType: 'workflow_failed', workflowId: null, settingsId: 'set-workflow_failed', action: 'updated' }]);
		expect(setting).toMatchObject({ enabled: true, channelIds: [EMAIL_CHANNEL_ID, WS_CHANNEL_ID] });
	});
});
