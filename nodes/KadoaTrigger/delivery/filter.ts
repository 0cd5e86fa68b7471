/** Which events the user asked for: event types, and (for events about one) Kadoa workflows. */
import type { KadoaEvent } from '../realtime/protocol';

export interface EventFilter {
	/** Empty = every type. */
	eventTypes: ReadonlySet<string>;
	/** Empty = every workflow. Events that concern no workflow (credits, maintenance) pass. */
	workflowIds: ReadonlySet<string>;
}

export function createFilter(eventTypes: string[], workflowIds: string[]): EventFilter {
	const clean = (values: string[]) => new Set(values.map((value) => value.trim()).filter((value) => value !== ''));
	return { eventTypes: clean(eventTypes), workflowIds: clean(workflowIds) };
}

export function matches(filter: EventFilter, event: KadoaEvent): boolean {
	return accepts(filter, event.type, event.payload.workflowId);
}

/** The same decision from the two fields it needs (a frame's header is enough). */
export function accepts(filter: EventFilter, type: string, workflowId: unknown): boolean {
	if (filter.eventTypes.size > 0 && !filter.eventTypes.has(type)) return false;
	if (filter.workflowIds.size === 0) return true;
	// A number is an id too (odd but possible on the wire), not "no workflow".
	if (typeof workflowId === 'number') return filter.workflowIds.has(String(workflowId));
	return typeof workflowId !== 'string' || filter.workflowIds.has(workflowId);
}
