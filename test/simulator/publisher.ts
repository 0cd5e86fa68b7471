// Making events: one event, a fixture data change, a burst of synthetic events, an oversized
// frame. Each is stored (see EventStore) and handed to `broadcast`, which sends it to every
// subscribed socket; paced publishing builds on `syntheticPublisher` (paced.ts).
import { type ChangePayload, type SimWorkflow, dataChangePayload, fillerText, hexId, sizedDataChangePayload } from './fixtures';
import { isObject } from './http-util';
import { type EventStore, frameOf } from './event-store';
import type { BurstResult, BurstSpec, DataChangeSpec, PublishedEvent, PublishSpec } from './types';

/** What the publisher needs from the simulator. */
export interface PublisherHost {
	store: EventStore;
	/** Sends a stored frame to every subscribed socket. */
	broadcast(frame: Buffer, eventId: string): void;
	workflows(): SimWorkflow[];
	log(line: string): void;
}

export class Publisher {
	constructor(private readonly host: PublisherHost) {}

	/** Stores an event and broadcasts it; a data change is also recorded for /v4/changes. */
	publish(spec: PublishSpec): PublishedEvent {
		const { store } = this.host;
		const ev = store.store(spec);
		this.host.broadcast(store.lastFrame, ev.id);
		if (spec.type === 'workflow_data_change' && isChange(ev.data)) store.changes.push(ev.data);
		return ev;
	}

	/** A `workflow_data_change` built from the fixtures, `partial`'s change fields on top. */
	publishDataChange(partial: DataChangeSpec = {}): PublishedEvent {
		const { payloadKey, eventId, timestamp, fixture, ...fields } = partial;
		const base = dataChangePayload({ workflowId: fields.workflowId ?? this.host.workflows()[0]?.id, ...fixture });
		const payload: ChangePayload = { ...base, ...stripUndefined(fields) };
		this.host.log(`publish workflow_data_change ${payload.workflowId} (+${countDiff(payload, 'added')} -${countDiff(payload, 'removed')} ~${countDiff(payload, 'changed')})`);
		return this.publish({ type: 'workflow_data_change', data: payload, payloadKey, id: eventId, timestamp });
	}

	/** `count` synthetic events back to back (frames serialised once each, sends paced by back-pressure). */
	publishBurst(spec: BurstSpec): BurstResult {
		const t0 = performance.now();
		const publishOne = this.syntheticPublisher(spec);
		let first: string | undefined;
		let last: string | undefined;
		for (let i = 0; i < spec.count; i++) {
			const ev = publishOne();
			this.host.broadcast(this.host.store.lastFrame, ev.id);
			first ??= ev.cursor;
			last = ev.cursor;
		}
		const ms = Math.round(performance.now() - t0);
		this.host.log(`burst of ${spec.count} events published in ${ms} ms`);
		return { count: spec.count, firstCursor: first, lastCursor: last, ms };
	}

	/**
	 * One function that stores (does not send) one `workflow_data_change`-like event of about `rowBytes`
	 * per call, the rows serialised once for all calls (ids, cursors, timestamps and change ids differ).
	 */
	syntheticPublisher(spec: Omit<BurstSpec, 'count'>): (id?: string) => PublishedEvent {
		const { store } = this.host;
		const type = spec.type ?? 'workflow_data_change';
		const workflows = this.host.workflows();
		const workflowIds = workflows.length ? workflows.map((w) => w.id) : [undefined];
		const template = sizedDataChangePayload(spec.rowBytes ?? 2000, { seed: 7, workflowId: workflowIds[0] });
		const payloadKey = spec.payloadKey ?? 'data';
		// The rows are the same in every event: serialise them once and splice the per-event fields
		// around them (same bytes as JSON.stringify of the event, ~3x faster).
		const rowsJson = JSON.stringify(template.data);
		const diffJson = JSON.stringify(template.differences);
		const head = `{"type":${JSON.stringify(type)},"timestamp":`;
		const tail = `,"url":${JSON.stringify(template.url)},"createdAt":`;
		let i = 0;
		return (id?: string): PublishedEvent => {
			// Rows are shared between events: only the frames (serialised once) cost memory.
			const data: ChangePayload = {
				id: hexId(),
				workflowId: workflowIds[i++ % workflowIds.length] ?? template.workflowId,
				data: template.data,
				differences: template.differences,
				url: template.url,
				createdAt: new Date().toISOString(),
			};
			const ev = store.store({ type, data, payloadKey, id }, (e) =>
				Buffer.from(
					`${head}${e.timestamp},"id":${JSON.stringify(e.id)},"_cursor":"${e.cursor}","${payloadKey}":{"id":"${data.id}",` +
						`"workflowId":${JSON.stringify(data.workflowId)},"data":${rowsJson},"differences":${diffJson}${tail}"${data.createdAt}"}}`,
				),
			);
			if (type === 'workflow_data_change') store.changes.push(data);
			return ev;
		};
	}

	/**
	 * One valid-JSON `workflow_data_change` frame of about `bytes` bytes, broadcast. It takes the
	 * next cursor but is not stored (no redelivery; its id can still be acknowledged) unless `store`.
	 */
	sendOversized(bytes: number, opts: { store?: boolean } = {}): PublishedEvent {
		const payload = sizedDataChangePayload(0, { workflowId: this.host.workflows()[0]?.id });
		const row = payload.data[0];
		row.description = '';
		const spec: PublishSpec = { type: 'workflow_data_change', data: payload };
		if (opts.store) {
			// Size the padding against a throwaway frame, then publish for real.
			const probe = frameOf({ id: 'evt-000000-00000000', cursor: 'c-0000000000', type: spec.type, timestamp: Date.now(), payloadKey: 'data', data: payload, bytes: 0 });
			row.description = fillerText(bytes - probe.length);
			this.host.log(`oversized event of ${bytes} bytes (stored)`);
			return this.publish(spec);
		}
		const ev = this.host.store.next(spec);
		row.description = fillerText(bytes - frameOf(ev).length);
		const frame = frameOf(ev);
		ev.bytes = frame.length;
		this.host.store.addKnownId(ev.id);
		this.host.broadcast(frame, ev.id);
		this.host.log(`oversized event of ${frame.length} bytes (not stored)`);
		return ev;
	}
}

function isChange(v: unknown): v is ChangePayload {
	return isObject(v) && typeof v.id === 'string' && typeof v.workflowId === 'string';
}

function countDiff(p: ChangePayload, type: string): number {
	return Array.isArray(p.differences) ? p.differences.filter((d) => d.type === type).length : 0;
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
	const out: Partial<T> = {};
	for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
	return out;
}
