// GET /v4/changes (skip + limit, newest first) and GET /v4/changes/{id}: the changes the
// simulator published or was given (`sim.storedChanges`).
import type { ServerResponse } from 'node:http';
import type { ChangePayload } from '../fixtures';
import { intParam, sendJson } from '../http-util';
import { pagination, sendError } from './respond';

export function listChanges(changes: readonly ChangePayload[], res: ServerResponse, url: URL): void {
	const limit = intParam(url.searchParams.get('limit'), 25, 1, 100);
	const skip = intParam(url.searchParams.get('skip'), 0, 0, Number.MAX_SAFE_INTEGER);
	const ids = new Set(
		(url.searchParams.get('workflowIds') ?? '')
			.split(',')
			.map((s) => s.trim())
			.filter(Boolean),
	);
	const start = Date.parse(url.searchParams.get('startDate') ?? '');
	const end = Date.parse(url.searchParams.get('endDate') ?? '');
	const exclude = new Set((url.searchParams.get('exclude') ?? '').split(',').map((s) => s.trim()));
	const matching = changes
		.map((c, i) => ({ c, i, t: Date.parse(c.createdAt) }))
		.filter(({ c, t }) => (ids.size === 0 || ids.has(c.workflowId)) && !(t < start) && !(t > end))
		// Newest first; ties (same millisecond) by insertion, latest first.
		.sort((a, b) => b.t - a.t || b.i - a.i)
		.map(({ c }) => c);
	const page = matching.slice(skip, skip + limit).map((c) => {
		const copy: Record<string, unknown> = { ...c };
		for (const k of exclude) if (k) delete copy[k];
		return copy;
	});
	sendJson(res, 200, { timestamp: new Date().toISOString(), changes: page, changesCount: matching.length, pagination: pagination(matching.length, skip, limit) });
}

export function getChange(changes: readonly ChangePayload[], res: ServerResponse, id: string): void {
	for (let i = changes.length - 1; i >= 0; i--) {
		if (changes[i].id === id) return sendJson(res, 200, changes[i]);
	}
	sendError(res, 404, 'job', 'Change not found');
}
