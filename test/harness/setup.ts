/** Shared set-up for suites that run the trigger against the Kadoa simulator. */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { KadoaSimulator, type SimulatorOptions } from '../simulator/simulator';
import { TriggerHarness, type HarnessOptions } from './trigger-harness';

export const API_KEY = 'test-api-key';

export function credentialsFor(sim: KadoaSimulator, apiKey = API_KEY): ICredentialDataDecryptedObject {
	return { apiKey, apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl };
}

/** Tracks simulators and triggers of one test so afterEach can tear everything down. */
export class Fixture {
	private readonly sims: KadoaSimulator[] = [];
	private readonly harnesses: TriggerHarness[] = [];

	async sim(options: SimulatorOptions = {}): Promise<KadoaSimulator> {
		const sim = await KadoaSimulator.start({ heartbeatMs: 200, ...options });
		this.sims.push(sim);
		return sim;
	}

	async trigger(sim: KadoaSimulator, options: Partial<HarnessOptions> = {}): Promise<TriggerHarness> {
		const parameters = { ...options.parameters };
		// Short liveness timeout in tests; the product default stays 30 s.
		parameters.options = { heartbeatTimeout: 2, ...(parameters.options as object) };
		// Every activation is torn down, also those a restart or re-save of this one makes.
		const onActivated = (activated: TriggerHarness) => {
			this.harnesses.push(activated);
			options.onActivated?.(activated);
		};
		return await TriggerHarness.activate({ credentials: credentialsFor(sim), ...options, parameters, onActivated });
	}

	track(harness: TriggerHarness): TriggerHarness {
		this.harnesses.push(harness);
		return harness;
	}

	async teardown(): Promise<void> {
		await Promise.all(this.harnesses.splice(0).map((harness) => harness.close()));
		await Promise.all(this.sims.splice(0).map((sim) => sim.stop()));
	}
}
