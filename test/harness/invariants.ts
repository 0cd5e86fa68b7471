/** The delivery invariant, asserted on what the simulator saw on the wire. */
import type { KadoaSimulator } from '../simulator/simulator';
import { API_KEY } from './setup';
import type { TriggerHarness } from './trigger-harness';

/** Event ids executed across the given activations, in order. */
export function executedIds(harnesses: TriggerHarness[]): string[] {
	return harnesses.flatMap((harness) => harness.eventIds());
}

/**
 * Every expected event executed at least once, none twice (across restarts), and (when
 * `acknowledged`) every executed event acknowledged exactly once.
 */
export function expectDeliveredOnce(sim: KadoaSimulator, harnesses: TriggerHarness[], expected: string[], acknowledged = true): void {
	const executed = executedIds(harnesses);
	expect([...executed].sort()).toEqual([...expected].sort());
	expect(new Set(executed).size).toBe(executed.length);
	if (!acknowledged) return;
	for (const id of expected) {
		const successful = sim.acks.filter((ack) => ack.id === id && ack.status >= 200 && ack.status < 300);
		expect({ id, acks: successful.length }).toEqual({ id, acks: 1 });
	}
}

/** Neither the API key nor any issued token appears in logs, errors or items. */
export function expectNoSecrets(sim: KadoaSimulator, harnesses: TriggerHarness[], extra: string[] = []): void {
	const secrets = [API_KEY, ...sim.issuedTokens()];
	const texts = [
		...harnesses.map((harness) => harness.logText()),
		...harnesses.flatMap((harness) => harness.emitErrors.map((error) => `${error.message} ${JSON.stringify(error)}`)),
		...harnesses.map((harness) => JSON.stringify(harness.emissions.map((emission) => emission.json))),
		...extra,
	];
	for (const text of texts) {
		for (const secret of secrets) expect(text.includes(secret) ? `secret found in: ${text.slice(0, 200)}` : 'clean').toBe('clean');
	}
}
