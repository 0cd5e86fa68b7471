// The simulator's public types: start options, publish specs and results, and the records
// tests assert on. simulator.ts re-exports them all (importers keep using './simulator').
import type { ChangePayload, DataChangeOptions, SimWorkflow } from './fixtures';

export type PayloadKey = 'data' | 'message';

/** Options of `KadoaSimulator.start`. */
export interface SimulatorOptions {
	/** Port to listen on; 0 (default) picks a free one. */
	port?: number;
	/** Valid API keys (default ['test-api-key']). */
	apiKeys?: string[];
	/** Team id = the only valid channel (default 'team-1'). */
	teamId?: string;
	/** Heartbeat period per subscribed socket (default 15000; 0 disables heartbeats). */
	heartbeatMs?: number;
	/** False models an account without the Enterprise realtime feature (upgrades get 403). */
	realtimeEnabled?: boolean;
	/** Lifetime of access tokens (default 1 h). */
	tokenTtlMs?: number;
	/** Workflows of `GET /v4/workflows` (default `sampleWorkflows()`). */
	workflows?: SimWorkflow[];
	/** Limit of request bodies of the Kadoa API (default 1 MB; beyond → 413). */
	maxBodyBytes?: number;
	/** Limit of request bodies of the /__sim control API (default 64 MB). */
	maxControlBodyBytes?: number;
	/** One short line per notable thing (never secrets in full). Silent by default. */
	log?: (line: string) => void;
	/**
	 * What a subscribe with `lastCursor` replays, besides every unacknowledged event (Kadoa does
	 * not document which): 'all' (default) every later event, 'unacked' only unacknowledged ones.
	 */
	replay?: ReplayBehaviour;
}

export type ReplayBehaviour = 'all' | 'unacked';

/** What `publish` accepts. */
export interface PublishSpec {
	type: string;
	/** Payload; omitted from the frame when undefined. */
	data?: unknown;
	/** Put the payload under `data` (default, documentation) or `message` (SDK types). */
	payloadKey?: PayloadKey;
	/** Event id (default `evt-000001-<random>`); reusing an id is allowed (ack state is per id). */
	id?: string;
	timestamp?: number;
}

/** A stored event. */
export interface PublishedEvent {
	id: string;
	cursor: string;
	type: string;
	timestamp: number;
	payloadKey: PayloadKey;
	data: unknown;
	/** Size of the serialised frame. */
	bytes: number;
}

/** What `publishDataChange` accepts: change fields override the fixture payload. */
export interface DataChangeSpec extends Partial<ChangePayload> {
	payloadKey?: PayloadKey;
	/** Event id (not the change id, which is `id`). */
	eventId?: string;
	timestamp?: number;
	/** Options of the generated fixture payload (rows, added, removed, changed, seed...). */
	fixture?: DataChangeOptions;
}

/** What `publishBurst` accepts. */
export interface BurstSpec {
	count: number;
	/** Approximate size of each event payload in bytes (default 2000). */
	rowBytes?: number;
	payloadKey?: PayloadKey;
	/** Event type (default workflow_data_change, also recorded as changes). */
	type?: string;
}

export interface BurstResult {
	count: number;
	firstCursor?: string;
	lastCursor?: string;
	ms: number;
}

/** What `publishPaced` accepts: a burst's events, one every 1/ratePerSec s. */
export interface PacedSpec extends BurstSpec {
	ratePerSec: number;
	/**
	 * Give each event the id `lat-<ns>-<seq>`, `<ns>` being `process.hrtime.bigint()` (CLOCK_MONOTONIC,
	 * comparable across processes on one machine; zero-padded to 20 digits) read after the frame is built
	 * and written into its bytes just before it is handed to the socket(s). Raw frames and the trigger's
	 * items both show the id.
	 */
	stamp?: boolean;
	/**
	 * How close to its due time the loop stops sleeping on setTimeout (~1 ms resolution) and spins on
	 * setImmediate (default 0: never). Spinning paces precisely but keeps a core busy at ≥ ~500/s and
	 * churns the young generation (a scavenge every ~30 ms): on a small machine it slows the client.
	 */
	spinMs?: number;
}

/** Spread of a set of durations (ms). */
export interface Spread {
	p50Ms: number;
	p99Ms: number;
	maxMs: number;
}

export interface PacedResult extends BurstResult {
	ratePerSec: number;
	/** Events published (less than `count` only when the simulator stopped first). */
	sent: number;
	/** Scheduled (start + i / rate) → actual send time. A late tick sends the overdue events back to back. */
	lateness: Spread;
	/**
	 * Stamp → `ws.send` returned for every subscriber: an upper bound of how early the stamp is. It also
	 * counts time after the bytes reached the kernel (a write that wakes the client may let it run first).
	 */
	stampToSent: Spread;
}

export interface TokenRequestRecord {
	apiKeyOk: boolean;
	/** 0 while the request is stalled and unanswered. */
	status: number;
	at: number;
}
export interface SubscribeRecord {
	connectionId: number;
	channel: string;
	lastCursor?: string;
	at: number;
}
export interface AckRecord {
	id: string;
	status: number;
	duplicate: boolean;
	at: number;
}
export interface SentRecord {
	connectionId: number;
	eventId: string;
	at: number;
}
export interface ConnectionRecord {
	id: number;
	openedAt: number;
	closedAt?: number;
	closeCode?: number;
	closeReason?: string;
	/** Set when the socket was black-holed. */
	blackholed?: boolean;
}
export interface ClientFrameRecord {
	connectionId: number;
	raw: string;
	binary: boolean;
}

/** Counts for `GET /__sim/state`. */
export interface SimState {
	running: boolean;
	port: number;
	events: number;
	lastCursor?: string;
	acks: number;
	ackedIds: number;
	duplicateAcks: number;
	failedAcks: number;
	unacked: number;
	subscribes: SubscribeRecord[];
	openSockets: number;
	connections: number;
	connectionAttempts: number;
	tokenRequests: number;
	tokenRequestsOk: number;
	sent: number;
	clientFrames: number;
	changes: number;
	blackhole: boolean;
	realtimeEnabled: boolean;
}
