// Paced publishing: a burst's events at a fixed rate from the simulator's own loop, with the
// lateness of each send and, on request, a send-time stamp written into each event's id.
import type { EventStore } from './event-store';
import type { Publisher } from './publisher';
import type { PacedResult, PacedSpec, PublishedEvent, Spread } from './types';

/** Fixed width of a paced event's stamp (the digits of 2^64), so that it can be written into a built frame. */
const STAMP_PLACEHOLDER = '0'.repeat(20);

/** What paced runs need from the simulator. */
export interface PacedHost {
	store: EventStore;
	publisher: Publisher;
	broadcast(frame: Buffer, eventId: string): void;
	log(line: string): void;
}

export class PacedPublisher {
	/** Runs in progress: each entry ends its run (`endAll`, at stop). */
	private readonly runs = new Set<() => void>();

	constructor(private readonly host: PacedHost) {}

	/**
	 * Publishes `count` burst-like events at `ratePerSec`, on a schedule fixed at the start (event i
	 * is due at start + i / rate: no drift). Each pass sends every event that is due, so a late pass
	 * catches up at once. Resolves when all are sent, or when `endAll()` ends it.
	 */
	run(spec: PacedSpec): Promise<PacedResult> {
		const { store } = this.host;
		const publishOne = this.host.publisher.syntheticPublisher(spec);
		const intervalNs = 1e9 / spec.ratePerSec;
		const spinNs = (spec.spinMs ?? 0) * 1e6;
		const lateness: number[] = [];
		const stampToSent: number[] = [];
		let first: string | undefined;
		let last: string | undefined;
		const start = process.hrtime.bigint();
		return new Promise<PacedResult>((resolve) => {
			let timer: NodeJS.Timeout | undefined;
			let immediate: NodeJS.Immediate | undefined;
			const finish = (): void => {
				this.runs.delete(finish);
				if (timer) clearTimeout(timer);
				if (immediate) clearImmediate(immediate);
				const ms = Math.round(Number(process.hrtime.bigint() - start) / 1e6);
				this.host.log(`paced publish: ${lateness.length}/${spec.count} events at ${spec.ratePerSec}/s in ${ms} ms`);
				resolve({
					count: spec.count,
					sent: lateness.length,
					ratePerSec: spec.ratePerSec,
					firstCursor: first,
					lastCursor: last,
					ms,
					lateness: spread(lateness),
					stampToSent: spread(stampToSent),
				});
			};
			const tick = (): void => {
				timer = undefined;
				immediate = undefined;
				let i = lateness.length;
				for (; i < spec.count; i++) {
					if (Number(process.hrtime.bigint() - start) < i * intervalNs) break;
					// Built (and stored) first, so that serialisation and any GC it triggers happen before the stamp.
					const ev = publishOne(spec.stamp ? `lat-${STAMP_PLACEHOLDER}-${i}` : undefined);
					const frame = store.lastFrame;
					const at = process.hrtime.bigint();
					if (spec.stamp) this.restamp(ev, frame, at);
					this.host.broadcast(frame, ev.id);
					stampToSent.push(Number(process.hrtime.bigint() - at) / 1e6);
					lateness.push((Number(at - start) - i * intervalNs) / 1e6);
					first ??= ev.cursor;
					last = ev.cursor;
				}
				if (i >= spec.count) return finish();
				const waitNs = i * intervalNs - Number(process.hrtime.bigint() - start);
				if (waitNs <= spinNs) immediate = setImmediate(tick);
				else timer = setTimeout(tick, (waitNs - spinNs) / 1e6);
			};
			this.runs.add(finish);
			tick();
		});
	}

	/** Ends every run in progress (each resolves with what it sent). */
	endAll(): void {
		for (const end of [...this.runs]) end();
	}

	/** Writes `at` over the id's placeholder, in the frame's bytes (same width) and in the records. */
	private restamp(ev: PublishedEvent, frame: Buffer, at: bigint): void {
		const stamp = String(at).padStart(STAMP_PLACEHOLDER.length, '0');
		const offset = frame.indexOf(`"id":"lat-${STAMP_PLACEHOLDER}-`) + '"id":"lat-'.length;
		frame.write(stamp, offset, 'latin1');
		this.host.store.renameId(ev, `lat-${stamp}${ev.id.slice(4 + stamp.length)}`);
	}
}

function spread(ms: number[]): Spread {
	const sorted = [...ms].sort((a, b) => a - b);
	const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
	const r = (v: number): number => Math.round(v * 1000) / 1000;
	return { p50Ms: r(at(0.5)), p99Ms: r(at(0.99)), maxMs: r(sorted[sorted.length - 1] ?? 0) };
}
