/**
 * Baseline (d): baseline (c) inside n8n. A trigger node that does the least a trigger can:
 * its trigger() opens a raw client (c) and emits every parsed frame as one item, with a done
 * promise and a de-duplication key as the Kadoa Trigger emits (so n8n does the same work per
 * emit), then acknowledges it over undici; run through the same harness as the Kadoa Trigger
 * (n8n-core's TriggerContext, n8n's emit, its execution table). "Kadoa Trigger ÷ (d)" is what
 * the node costs beyond n8n's own work per emit and its transport. It keeps no static data,
 * so n8n saves none at its emits (the Kadoa Trigger writes its resume state before each: its
 * cost).
 */
import { NodeConnectionTypes, type IDataObject, type INodeType, type IRun, type ITriggerFunctions, type ITriggerResponse } from 'n8n-workflow';

import { N8nTriggerHarness, type Emission } from '../../test/harness/n8n-host';
import { RawClient } from './raw-client';
import type { SimProcess } from './sim';
import { benchDatabase } from './trigger';

const NODE_TYPE = 'n8n-nodes-bench.minimalTrigger';

type DonePromise = NonNullable<Parameters<ITriggerFunctions['emit']>[2]>;

function deferred(): DonePromise {
	let resolve!: DonePromise['resolve'];
	let reject!: DonePromise['reject'];
	const promise = new Promise<IRun>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

function minimalNodeType(sim: Pick<SimProcess, 'apiUrl' | 'realtimeUrl'>, ackConcurrency: number, onClient: (client: RawClient) => void): INodeType {
	return {
		description: {
			displayName: 'Minimal Trigger',
			name: 'minimalTrigger',
			group: ['trigger'],
			version: 1,
			description: 'Emits every realtime frame (benchmark baseline)',
			defaults: { name: 'Minimal Trigger' },
			inputs: [],
			outputs: [NodeConnectionTypes.Main],
			properties: [],
		},
		async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
			const client = new RawClient({
				apiUrl: sim.apiUrl,
				realtimeUrl: sim.realtimeUrl,
				ackConcurrency,
				ackTransport: 'undici',
				// Emitted before its acknowledgement is queued, as `acknowledge: emitted` does.
				onEvent: (frame) => {
					const done = deferred();
					this.emit([[{ json: frame as IDataObject }]], undefined, done, `bench:${String(frame.id)}`);
					void done.promise.catch(() => undefined);
				},
			});
			await client.connect();
			onClient(client);
			return { closeFunction: () => client.close() };
		},
	};
}

export class MinimalTrigger {
	emitted = 0;

	private constructor(
		readonly harness: N8nTriggerHarness,
		readonly client: RawClient,
	) {}

	static async activate(sim: Pick<SimProcess, 'apiUrl' | 'realtimeUrl'>, ackConcurrency: number): Promise<MinimalTrigger> {
		let client: RawClient | undefined;
		const harness = await N8nTriggerHarness.activateNode({
			nodeType: minimalNodeType(sim, ackConcurrency, (c) => {
				client = c;
			}),
			nodeTypeName: NODE_TYPE,
			db: benchDatabase(),
		});
		if (!client) throw new Error('the minimal trigger did not connect');
		const trigger = new MinimalTrigger(harness, client);
		// Counted, not kept (as BenchTrigger does).
		harness.emissions.push = (...emissions: Emission[]): number => {
			trigger.emitted += emissions.length;
			return trigger.emitted;
		};
		harness.logs.push = () => 0;
		return trigger;
	}

	close(): Promise<void> {
		return this.harness.close();
	}
}
