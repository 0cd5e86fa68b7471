/**
 * The real Kadoa Trigger node, run through the n8n-faithful test harness, with the counters
 * a benchmark needs. The harness keeps every emission and log line for tests; here they are
 * counted instead of kept, as n8n hands items to an execution and does not hold them.
 *
 * The harness's n8n database lives in this process's heap; n8n's is on disk (SQLite or
 * Postgres). Kept, 20,000 execution rows would be charged to the node's heap and GC, so the
 * benchmark's n8n does not keep finished executions (benchDatabase).
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { Acknowledger } from '../../nodes/KadoaTrigger/delivery/acknowledger';
import { N8nDatabase, TriggerHarness, type Emission, type LogLine, type RunResult } from '../../test/harness/trigger-harness';
import type { SimProcess } from './sim';
import { nowNs } from './stats';

export interface BenchTriggerOptions {
	parameters?: Record<string, unknown>;
	/** How each execution ends (acknowledge modes that wait); see the harness. */
	execute?: (items: INodeExecutionData[], index: number) => RunResult | Promise<RunResult>;
	/** Called at each emit, with the emission (already counted). */
	onEmit?: (emission: Emission, atNs: bigint) => void;
	/** Keep the last emission (its items stay reachable, as in a running execution). */
	keepLast?: boolean;
	/** The n8n workflow's id: triggers of different ids are different members of a team connection. */
	workflowId?: string;
	/** One n8n database for several triggers (one n8n instance); default one per trigger (benchDatabase). */
	db?: N8nDatabase;
}

/**
 * An n8n database that deletes an execution when it ends (n8n's EXECUTIONS_DATA_SAVE_ON_SUCCESS
 * and _ON_ERROR = none), together with its de-duplication key: n8n's own table is not in the
 * node's heap, so the benchmark does not keep one there either.
 */
export function benchDatabase(): N8nDatabase {
	return new N8nDatabase({ saveExecutions: { success: false, error: false } });
}

export class BenchTrigger {
	emitted = 0;
	firstEmitNs = 0n;
	lastEmitNs = 0n;
	warnings = 0;
	lastEmission?: Emission;
	readonly warningLines: string[] = [];

	private constructor(readonly harness: TriggerHarness) {}

	static async activate(sim: Pick<SimProcess, 'credentials'>, options: BenchTriggerOptions = {}): Promise<BenchTrigger> {
		const harness = await TriggerHarness.activate({
			credentials: sim.credentials(),
			parameters: options.parameters,
			execute: options.execute,
			workflowId: options.workflowId,
			db: options.db ?? benchDatabase(),
		});
		const trigger = new BenchTrigger(harness);
		// Safe: the first emit comes from a setImmediate scheduled inside trigger(), after this.
		harness.emissions.push = (...emissions: Emission[]): number => {
			for (const emission of emissions) {
				const at = nowNs();
				if (trigger.emitted === 0) trigger.firstEmitNs = at;
				trigger.emitted++;
				trigger.lastEmitNs = at;
				if (options.keepLast) trigger.lastEmission = emission;
				options.onEmit?.(emission, at);
			}
			return trigger.emitted;
		};
		harness.logs.push = (...lines: LogLine[]): number => {
			for (const line of lines) {
				if (line.level === 'warn' || line.level === 'error') {
					trigger.warnings++;
					if (trigger.warningLines.length < 20) trigger.warningLines.push(`${line.level} ${line.message}`);
				}
			}
			return 0;
		};
		return trigger;
	}

	close(): Promise<void> {
		return this.harness.close();
	}
}

/** Successful acknowledgements of every trigger in this process, seen where the node records them. */
export interface AckProbe {
	count: number;
	lastNs: bigint;
	/** False when the node's Acknowledger has no `markDone` to observe (then use the simulator's count). */
	available: boolean;
	reset(): void;
}

let probe: AckProbe | undefined;

/**
 * Wraps the Acknowledger's private `markDone` (called once per acknowledged id) to count
 * acknowledgements and time the last one without polling the simulator during a run.
 */
export function ackProbe(): AckProbe {
	if (probe) return probe;
	const state: AckProbe = {
		count: 0,
		lastNs: 0n,
		available: false,
		reset() {
			state.count = 0;
			state.lastNs = 0n;
		},
	};
	const proto = Acknowledger.prototype as unknown as { markDone?: (this: Acknowledger, id: string) => void };
	const original = proto.markDone;
	if (typeof original === 'function') {
		state.available = true;
		proto.markDone = function markDone(this: Acknowledger, id: string): void {
			original.call(this, id);
			state.count++;
			state.lastNs = nowNs();
		};
	}
	probe = state;
	return state;
}
