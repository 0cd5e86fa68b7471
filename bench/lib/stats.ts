import * as v8 from 'node:v8';

/** Small numeric helpers and the shape every scenario reports its figures in. */

export interface Figure {
	scenario: string;
	name: string;
	value: number;
	unit: string;
	/** The same-run baseline the figure is compared with. */
	baseline?: { name: string; value: number; unit: string };
	/** value / baseline.value (or as `ratioNote` says). */
	ratio?: number;
	target?: string;
	/** Informative only: benchmarks never fail on a time. */
	met?: boolean;
	note?: string;
}

export function percentile(sorted: readonly number[], p: number): number {
	if (sorted.length === 0) return NaN;
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[rank];
}

export function median(values: readonly number[]): number {
	return percentile([...values].sort((a, b) => a - b), 50);
}

export function sortNumbers(values: readonly number[]): number[] {
	return [...values].sort((a, b) => a - b);
}

/** Monotonic nanoseconds; CLOCK_MONOTONIC is shared by all processes on the machine. */
export function nowNs(): bigint {
	return process.hrtime.bigint();
}

export function msSince(startNs: bigint, endNs: bigint = nowNs()): number {
	return Number(endNs - startNs) / 1e6;
}

export function mb(bytes: number): number {
	return bytes / (1024 * 1024);
}

export function round(value: number, digits = 2): number {
	if (!Number.isFinite(value)) return value;
	const f = 10 ** digits;
	return Math.round(value * f) / f;
}

/** A forced, full collection (workers run with --expose-gc); twice, to let weak/finalised objects go. */
export function fullGc(): void {
	exposedGc()();
	exposedGc()();
}

function exposedGc(): (options?: { type: 'minor' | 'major' }) => void {
	const gc = (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc;
	if (!gc) throw new Error('run with --expose-gc');
	return gc;
}

/**
 * Settles the young-generation GC debt an allocation burst leaves behind: two scavenges (the
 * first copies survivors within the young generation, the second promotes them).
 */
export function settleYoungGc(): void {
	const gc = exposedGc();
	gc({ type: 'minor' });
	gc({ type: 'minor' });
}

export function heapUsed(): number {
	return process.memoryUsage().heapUsed;
}

/** Old space + large-object space: objects that survived the young generation. */
export function oldSpaceUsed(): number {
	let used = 0;
	for (const space of v8.getHeapSpaceStatistics()) {
		if (space.space_name === 'old_space' || space.space_name === 'large_object_space') used += space.space_used_size;
	}
	return used;
}

/** Samples heapUsed (and the old generation) every `everyMs` until stopped; returns the peak heapUsed. */
export class HeapSampler {
	private peak = 0;
	peakOld = 0;
	private readonly timer: NodeJS.Timeout;

	constructor(everyMs = 10) {
		this.sample();
		this.timer = setInterval(() => this.sample(), everyMs);
	}

	sample(): void {
		const used = heapUsed();
		if (used > this.peak) this.peak = used;
		const old = oldSpaceUsed();
		if (old > this.peakOld) this.peakOld = old;
	}

	stop(): number {
		clearInterval(this.timer);
		this.sample();
		return this.peak;
	}
}
