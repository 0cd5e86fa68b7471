/**
 * The simulator's own CLI (build/test/simulator/cli.js), with `BENCH_SIM_WORKFLOWS` = K
 * workflows in `GET /v4/workflows` instead of the sample ones: a burst then spreads its events
 * over those K workflows (round robin), and a trigger may select any of them. The CLI has no
 * flag for it, so the simulator's start options are extended before the CLI runs.
 */
import type { SimWorkflow } from '../../test/simulator/fixtures';
import { KadoaSimulator, type SimulatorOptions } from '../../test/simulator/simulator';

/** K Kadoa workflows with ids shaped like Kadoa's (24 hex digits). */
export function teamWorkflows(k: number): SimWorkflow[] {
	return Array.from({ length: k }, (_, i) => ({
		id: `be7c4000${i.toString(16).padStart(16, '0')}`,
		name: `Bench workflow ${i + 1}`,
		state: 'ACTIVE',
		url: `https://bench.example/${i + 1}`,
		createdAt: '2025-01-06T09:00:00.000Z',
	}));
}

if (require.main === module) {
	const k = Number(process.env.BENCH_SIM_WORKFLOWS);
	if (Number.isInteger(k) && k > 0) {
		const start = KadoaSimulator.start.bind(KadoaSimulator);
		KadoaSimulator.start = (options: SimulatorOptions = {}) => start({ ...options, workflows: teamWorkflows(k) });
	}
	// After the patch above: the CLI starts the simulator as soon as it is loaded.
	require('../../test/simulator/cli');
}
