/** Drives the n8n-free RealtimeClient against the simulator, recording events and logs. */
import { RealtimeClient, type RealtimeClientOptions } from '../../nodes/KadoaTrigger/realtime/client';
import { resolveEndpoints } from '../../nodes/KadoaTrigger/realtime/endpoints';
import type { KadoaError } from '../../nodes/KadoaTrigger/realtime/errors';
import type { KadoaEvent } from '../../nodes/KadoaTrigger/realtime/protocol';
import type { KadoaSimulator } from '../simulator/simulator';
import { API_KEY } from './setup';
import type { LogLine } from './trigger-harness';

export class ClientHarness {
	readonly events: KadoaEvent[] = [];
	readonly fatal: KadoaError[] = [];
	readonly logs: LogLine[] = [];
	cursor: string | undefined;
	readonly client: RealtimeClient;

	constructor(sim: KadoaSimulator, overrides: Partial<RealtimeClientOptions> = {}) {
		const log = (level: LogLine['level']) => (message: string, meta?: Record<string, unknown>) => {
			this.logs.push({ level, message, meta });
		};
		this.client = new RealtimeClient({
			endpoints: resolveEndpoints(sim.apiUrl, sim.realtimeUrl),
			apiKey: API_KEY,
			logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
			onEvent: (event) => {
				this.events.push(event);
				if (event.cursor) this.cursor = event.cursor;
			},
			onFatal: (error) => this.fatal.push(error),
			getCursor: () => this.cursor,
			heartbeatTimeoutMs: 1_000,
			tokenTimeoutMs: 500,
			handshakeTimeoutMs: 500,
			closeGraceMs: 200,
			backoff: { baseMs: 50, capMs: 400, floorMs: 20 },
			...overrides,
		});
	}

	logText(): string {
		return this.logs.map((line) => `${line.level} ${line.message}`).join('\n');
	}
}
