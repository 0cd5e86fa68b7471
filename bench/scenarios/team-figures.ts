/**
 * Scenario 8's figures (team.ts): each K against K = 1 of the same run. Kept apart from the
 * scenario so that run.ts does not load the node and n8n-core to print a table.
 */
import { mb, median, round, type Figure } from '../lib/stats';
import type { SnapshotSample, TeamResult } from './team';

/** The K that the others are compared with, and the one the target is set for (issue 10). */
const REFERENCE_K = 1;
const TARGET_K = 20;
const TARGET_RATIO = 1.2;

/** One row per K for each figure, each compared with K = 1 of the same run. */
export function teamFigures(results: TeamResult[]): Figure[] {
	const sorted = [...results].sort((a, b) => a.k - b.k);
	const reference = sorted.find((r) => r.k === REFERENCE_K);
	const scenario = `8 team: K triggers, one credential`;
	const figures: Figure[] = [];
	const firstRss = (r: TeamResult) => r.snapshot[0]?.rssPeakMb ?? NaN;
	const medianOf = (r: TeamResult, key: keyof SnapshotSample) => median(r.snapshot.map((s) => s[key]));
	const frameMb = reference ? mb(reference.snapshot[0]?.frameBytes ?? 0) : NaN;
	const rows: Array<{ name: string; unit: string; digits: number; value: (r: TeamResult) => number; note?: (r: TeamResult) => string | undefined }> = [
		{ name: 'sockets to Kadoa', unit: 'sockets', digits: 0, value: (r) => r.sockets, note: (r) => `${r.members} triggers on ${r.teamConnections} team connection(s); ${r.openSockets} open at the end` },
		{ name: 'token requests', unit: 'requests', digits: 0, value: (r) => r.tokenRequests },
		{
			name: 'acknowledgement requests per event',
			unit: 'acks/event',
			digits: 3,
			value: (r) => r.ackRequests / r.events,
			note: (r) => `${r.events} events, ${r.ackedIds} acknowledged ids, ${r.duplicateAcks} duplicate, ${r.failedAcks} failed, ${r.unackedAtEnd} unacknowledged at the end`,
		},
		{
			name: `peak heap for one ${round(frameMb, 1)} MB snapshot of one of the K workflows`,
			unit: 'MB',
			digits: 1,
			value: (r) => medianOf(r, 'heapPeakMb'),
			note: (r) => `median of ${r.snapshot.length}; frame → emit ${round(medianOf(r, 'toEmitMs'), 1)} ms`,
		},
		{
			name: `peak RSS for the first ${round(frameMb, 1)} MB snapshot in the process`,
			unit: 'MB',
			digits: 1,
			value: firstRss,
			note: (r) => `later ones: ${r.snapshot.slice(1).map((s) => round(s.rssPeakMb, 1)).join(', ')} MB`,
		},
		{
			name: 'process CPU per event (bursts spread over the K workflows, acknowledge: emitted)',
			unit: 'µs',
			digits: 1,
			value: (r) => median(r.cpuUsPerEvent),
			note: (r) => `median of ${r.cpuUsPerEvent.length} bursts of ${r.events / Math.max(1, r.cpuUsPerEvent.length)}: ${r.cpuUsPerEvent.map((v) => round(v, 0)).join(', ')}`,
		},
	];
	for (const row of rows) {
		for (const r of sorted) {
			const value = row.value(r);
			const base = reference && r !== reference ? row.value(reference) : undefined;
			const ratio = base !== undefined && base !== 0 ? value / base : undefined;
			figures.push({
				scenario,
				name: `K = ${r.k}: ${row.name}`,
				value: round(value, row.digits),
				unit: row.unit,
				baseline: base !== undefined ? { name: `K = ${REFERENCE_K}`, value: round(base, row.digits), unit: row.unit } : undefined,
				ratio,
				target: r.k === TARGET_K ? `≤ ${TARGET_RATIO} × K = ${REFERENCE_K}` : undefined,
				met: r.k === TARGET_K && ratio !== undefined ? ratio <= TARGET_RATIO : undefined,
				note: row.note?.(r),
			});
		}
	}
	for (const r of sorted) {
		figures.push({
			scenario,
			name: `K = ${r.k}: activating the K triggers one after another; heap per active trigger`,
			value: round(r.activateMs, 0),
			unit: 'ms',
			note: `${round(r.heapPerTriggerKb, 1)} KB heap per trigger (the shared connection included)`,
		});
	}
	return figures;
}
