/**
 * The Kadoa simulator as its own process (build/test/simulator/cli.js), so that its work is
 * never charged to the client being measured, plus a small client of its /__sim control API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import * as readline from 'node:readline';

export const SIM_CLI = path.resolve(__dirname, '../../test/simulator/cli.js');
/** The same CLI with K workflows (team-sim.ts). */
const TEAM_SIM_CLI = path.resolve(__dirname, 'team-sim.js');
export const BENCH_API_KEY = 'bench-api-key';

export interface SimSubscribe {
	connectionId: number;
	channel: string;
	lastCursor?: string;
	at: number;
}

export interface SimConnection {
	id: number;
	openedAt: number;
	closedAt?: number;
	closeCode?: number;
	blackholed?: boolean;
}

/** The part of `GET /__sim/state` the benchmarks read. */
export interface SimState {
	events: number;
	acks: number;
	ackedIds: number;
	duplicateAcks: number;
	failedAcks: number;
	unacked: number;
	subscribes: SimSubscribe[];
	openSockets: number;
	connections: number;
	tokenRequests: number;
	sent: number;
}

export interface SimProcessOptions {
	/** 0 picks a free port; a fixed port lets a restarted simulator take the old one's place. */
	port?: number;
	heartbeatMs?: number;
	/** K workflows in /v4/workflows instead of the sample ones (bursts spread over them). */
	workflows?: number;
}

/** A small JSON client over one keep-alive agent (the control API is called in loops). */
export class SimControl {
	private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

	constructor(readonly apiUrl: string) {}

	request<T>(method: 'GET' | 'POST', urlPath: string, body?: unknown, timeoutMs = 60_000): Promise<T> {
		const payload = body === undefined ? undefined : JSON.stringify(body);
		return new Promise<T>((resolve, reject) => {
			const req = http.request(
				`${this.apiUrl}${urlPath}`,
				{
					method,
					agent: this.agent,
					headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
					timeout: timeoutMs,
				},
				(res) => {
					const chunks: Buffer[] = [];
					res.on('data', (chunk: Buffer) => chunks.push(chunk));
					res.on('end', () => {
						const text = Buffer.concat(chunks).toString('utf8');
						if ((res.statusCode ?? 0) >= 400) {
							reject(new Error(`${method} ${urlPath} → ${res.statusCode}: ${text.slice(0, 200)}`));
							return;
						}
						try {
							resolve((text ? JSON.parse(text) : undefined) as T);
						} catch (error) {
							reject(error instanceof Error ? error : new Error(String(error)));
						}
					});
				},
			);
			req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
			req.on('error', reject);
			req.end(payload);
		});
	}

	state(): Promise<SimState> {
		return this.request<SimState>('GET', '/__sim/state');
	}

	publish<T = unknown>(body: Record<string, unknown>): Promise<T> {
		return this.request<T>('POST', '/__sim/publish', body);
	}

	fault(body: Record<string, unknown>): Promise<unknown> {
		return this.request('POST', '/__sim/fault', body);
	}

	resetRecords(events: boolean): Promise<unknown> {
		return this.request('POST', '/__sim/reset-records', { events });
	}

	/** Polls the state (bounded: `timeoutMs`) until `predicate` holds. */
	async waitForState(predicate: (state: SimState) => boolean, timeoutMs: number, what: string, everyMs = 20): Promise<SimState> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const state = await this.state();
			if (predicate(state)) return state;
			if (Date.now() > deadline) throw new Error(`simulator: timed out after ${timeoutMs} ms waiting for ${what}`);
			await sleep(everyMs);
		}
	}

	close(): void {
		this.agent.destroy();
	}
}

export class SimProcess {
	readonly control: SimControl;
	private exited: Promise<void>;

	private constructor(
		private readonly child: ChildProcess,
		readonly port: number,
		readonly apiUrl: string,
		readonly realtimeUrl: string,
	) {
		this.control = new SimControl(apiUrl);
		this.exited = new Promise<void>((resolve) => {
			if (child.exitCode !== null || child.signalCode !== null) resolve();
			else child.once('exit', () => resolve());
		});
	}

	static async start(options: SimProcessOptions = {}): Promise<SimProcess> {
		const args = [options.workflows ? TEAM_SIM_CLI : SIM_CLI, '--port', String(options.port ?? 0), '--api-key', BENCH_API_KEY];
		if (options.heartbeatMs !== undefined) args.push('--heartbeat-ms', String(options.heartbeatMs));
		const env = options.workflows ? { ...process.env, BENCH_SIM_WORKFLOWS: String(options.workflows) } : process.env;
		const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
		let stderr = '';
		child.stderr?.on('data', (chunk: Buffer) => {
			// Keep only the tail, for an error message.
			stderr = (stderr + chunk.toString('utf8')).slice(-4000);
		});
		const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
		const ready = await new Promise<{ port: number; apiUrl: string; realtimeUrl: string }>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`simulator did not start within 15 s\n${stderr}`)), 15_000);
			child.once('exit', (code) => {
				clearTimeout(timer);
				reject(new Error(`simulator exited with ${code}\n${stderr}`));
			});
			lines.once('line', (line) => {
				clearTimeout(timer);
				try {
					resolve(JSON.parse(line) as { port: number; apiUrl: string; realtimeUrl: string });
				} catch {
					reject(new Error(`unexpected simulator output: ${line}`));
				}
			});
		});
		child.removeAllListeners('exit');
		lines.close();
		return new SimProcess(child, ready.port, ready.apiUrl, ready.realtimeUrl);
	}

	get pid(): number | undefined {
		return this.child.pid;
	}

	credentials(): { apiKey: string; apiUrl: string; realtimeUrl: string } {
		return { apiKey: BENCH_API_KEY, apiUrl: this.apiUrl, realtimeUrl: this.realtimeUrl };
	}

	/** SIGTERM (the simulator stops its sockets and exits 0), SIGKILL after 5 s. */
	async stop(): Promise<void> {
		this.control.close();
		if (this.child.exitCode !== null || this.child.signalCode !== null) return;
		this.child.kill('SIGTERM');
		const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
		await this.exited;
		clearTimeout(killer);
	}
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
