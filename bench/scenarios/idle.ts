/**
 * 6. Idle cost: CPU time of this process over `windowMs` while it holds one subscribed client
 * and the simulator sends only heartbeats (real 15 s period). Run once per kind, each in its
 * own process: 'trigger' (the node), 'raw' (baseline a), 'bare' (Node itself, no socket).
 */
import { RawClient } from '../lib/raw-client';
import { SimControl, BENCH_API_KEY, sleep } from '../lib/sim';
import { BenchTrigger } from '../lib/trigger';
import { wsProbe } from '../lib/ws-probe';

export type IdleKind = 'trigger' | 'raw' | 'bare';

export interface IdleOptions {
	kind: IdleKind;
	apiUrl: string;
	realtimeUrl: string;
	windowMs: number;
	/** Before the window: JIT and the subscribe's own work settle. */
	settleMs: number;
	/** Called once subscribed: the orchestrator may start the CPU-bound scenarios. */
	ready: (text: string) => void;
	progress: (text: string) => void;
}

export interface IdleResult {
	kind: IdleKind;
	windowMs: number;
	cpuMs: number;
	percentOfCore: number;
	heartbeats: number;
}

export async function idle(options: IdleOptions): Promise<IdleResult> {
	const ws = wsProbe();
	let close: () => Promise<void> = async () => {};
	if (options.kind !== 'bare') {
		const control = new SimControl(options.apiUrl);
		const before = (await control.state()).subscribes.length;
		if (options.kind === 'trigger') {
			const sim = { credentials: () => ({ apiKey: BENCH_API_KEY, apiUrl: options.apiUrl, realtimeUrl: options.realtimeUrl }) };
			const trigger = await BenchTrigger.activate(sim, { parameters: { acknowledge: 'emitted', output: 'event' } });
			close = () => trigger.close();
		} else {
			const raw = new RawClient({ apiUrl: options.apiUrl, realtimeUrl: options.realtimeUrl, ackConcurrency: 0 });
			await raw.connect();
			close = () => raw.close();
		}
		await control.waitForState((s) => s.subscribes.length > before, 20_000, 'a subscribe');
		control.close();
	}
	options.ready(`${options.kind} subscribed; settling ${options.settleMs / 1000} s`);
	// Settle (JIT, the subscribe's garbage) without forcing a GC. run.ts starts these workers
	// with --no-memory-reducer: V8's post-start-up full GCs would land in some windows only.
	await sleep(options.settleMs);
	options.progress(`measuring ${options.kind} for ${options.windowMs / 1000} s`);
	ws.reset();
	const c0 = process.cpuUsage();
	await sleep(options.windowMs);
	const c1 = process.cpuUsage(c0);
	const heartbeats = ws.messages;
	await close();
	const cpuMs = (c1.user + c1.system) / 1000;
	return { kind: options.kind, windowMs: options.windowMs, cpuMs, percentOfCore: (cpuMs / options.windowMs) * 100, heartbeats };
}
