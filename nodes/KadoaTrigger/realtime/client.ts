/**
 * Kadoa realtime client: token → socket → subscribe, a liveness watchdog, reconnects with
 * backoff, and draining. It knows nothing of n8n: events go to `onEvent`, unrecoverable
 * errors to `onFatal`, and the resume cursor comes from `getCursor` at each subscribe.
 *
 * Delivery is at-least-once by design: after a reconnect or during a drain overlap the
 * server may send an event twice. De-duplication is the caller's job (it owns the ids).
 */
import WebSocket from 'ws';
import type { IncomingMessage } from 'http';

import { Backoff, RECONNECT_BACKOFF, type BackoffOptions } from './backoff';
import { socketUrlWithToken, type KadoaEndpoints } from './endpoints';
import { HINTS, KadoaError, isConfigNetworkCode, upgradeRefusal } from './errors';
import { describeNetworkCode } from './http';
import { safeText } from './redact';
import { PEEK_MIN_BYTES, peekEventHeader, type EventHeader } from './peek';
import { parseFrame, subscribeMessage, type KadoaEvent } from './protocol';
import { fetchRealtimeToken } from './token';

export interface ClientLogger {
	debug(message: string, meta?: Record<string, unknown>): void;
	info(message: string, meta?: Record<string, unknown>): void;
	warn(message: string, meta?: Record<string, unknown>): void;
	error(message: string, meta?: Record<string, unknown>): void;
}

/** 1 GiB: above what Node can turn into one string (~512 MiB), so nothing legitimate hits it. */
export const HARD_FRAME_CAP_BYTES = 1024 * 1024 * 1024;

export const CLIENT_DEFAULTS = {
	heartbeatTimeoutMs: 30_000,
	tokenTimeoutMs: 15_000,
	handshakeTimeoutMs: 15_000,
	/**
	 * The socket's hard safety cap. A frame above it cannot be read at all (its id neither), so
	 * it would come back on every reconnect: keep it far above any real snapshot, and apply the
	 * users' limits after the header was read (`skipEvent`).
	 */
	maxFrameBytes: HARD_FRAME_CAP_BYTES,
	/** A connection must hold this long before the reconnect backoff starts over. */
	stableAfterMs: 60_000,
	/** Longest wait honoured from a draining notice. */
	maxDrainDelayMs: 30_000,
	/** How long an old socket may stay open after its replacement subscribed. */
	drainGraceMs: 30_000,
	/** How long close() waits for a polite close handshake before cutting sockets. */
	closeGraceMs: 1_000,
	/** Consecutive 401s on the socket upgrade (with fresh tokens) before giving up. */
	maxUpgradeRejections: 3,
};

export interface RealtimeClientOptions {
	endpoints: KadoaEndpoints;
	apiKey: string;
	logger: ClientLogger;
	onEvent: (event: KadoaEvent) => void;
	/**
	 * For large frames: whether an event is not wanted, judged from its header alone. Such an
	 * event reaches onEvent unparsed (`partial`, payload holding only its workflowId).
	 */
	skipEvent?: (header: EventHeader, bytes: number) => boolean;
	/** Called once, after start() resolved, when the client cannot go on (key revoked). */
	onFatal: (error: KadoaError) => void;
	/**
	 * The replay cursor, asked at every subscribe (connect, reconnect, drain, refresh), with the
	 * serial of the connection that subscribes; its events carry that serial.
	 */
	getCursor: (connection: number) => string | undefined;
	heartbeatTimeoutMs?: number;
	tokenTimeoutMs?: number;
	handshakeTimeoutMs?: number;
	maxFrameBytes?: number;
	stableAfterMs?: number;
	maxDrainDelayMs?: number;
	drainGraceMs?: number;
	closeGraceMs?: number;
	maxUpgradeRejections?: number;
	backoff?: BackoffOptions;
}

export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

interface Connection {
	readonly serial: number;
	readonly socket: WebSocket;
	openedAt?: number;
	lastFrameAt: number;
	draining: boolean;
	/** Replaced on request (refresh): closed as soon as the replacement subscribed. */
	replaced?: boolean;
	/** Set when ws refused a frame over maxPayload (the close code then reads 1006). */
	frameTooLarge?: boolean;
	watchdog?: NodeJS.Timeout;
	drainCutoff?: NodeJS.Timeout;
}

export class RealtimeClient {
	private readonly settings: typeof CLIENT_DEFAULTS;
	private readonly backoff: Backoff;
	private readonly connections = new Set<Connection>();
	/** The connection events are expected on; during a drain the old one still delivers. */
	private current?: Connection;
	private state: ClientState = 'idle';
	private serial = 0;
	private reconnectTimer?: NodeJS.Timeout;
	private attemptAbort?: AbortController;
	private attemptInFlight = false;
	private upgradeRejections = 0;
	private paused = false;
	private token?: string;
	private closing?: Promise<void>;
	private startWaiter?: { resolve: () => void; reject: (error: KadoaError) => void; failOnTransient: boolean };
	private lastFailure?: KadoaError;

	constructor(private readonly options: RealtimeClientOptions) {
		this.settings = { ...CLIENT_DEFAULTS };
		for (const key of Object.keys(CLIENT_DEFAULTS) as Array<keyof typeof CLIENT_DEFAULTS>) {
			const value = options[key];
			if (typeof value === 'number' && Number.isFinite(value) && value >= 0) this.settings[key] = value;
		}
		this.backoff = new Backoff(options.backoff ?? RECONNECT_BACKOFF);
	}

	get connectionState(): ClientState {
		return this.state;
	}

	/** Why the last connection attempt failed (cleared when one succeeds). */
	get lastError(): KadoaError | undefined {
		return this.lastFailure;
	}

	/** Liveness timeout for the connections from now on (the shortest a trigger asked for). */
	setHeartbeatTimeout(ms: number): void {
		if (Number.isFinite(ms) && ms > 0) this.settings.heartbeatTimeoutMs = ms;
	}

	/**
	 * Opens a replacement socket now and retires the current one once the replacement has
	 * subscribed: Kadoa redelivers unacknowledged events to a new connection and replays from
	 * the cursor asked for then. Used when a trigger joins a shared connection and needs events
	 * that were held or are behind the connection's position.
	 */
	refresh(reason: string): void {
		const current = this.current;
		if (this.state !== 'connected' || !current || this.attemptInFlight) return;
		current.draining = true;
		current.replaced = true;
		clearTimeout(this.reconnectTimer);
		this.reconnectTimer = undefined;
		this.log('info', `Kadoa realtime: opening a replacement connection (${reason})`);
		void this.attempt();
	}

	/** A method, not a field test: close() may run while an attempt awaits. */
	private isClosed(): boolean {
		return this.state === 'closed';
	}

	/** Open sockets, counting a draining one and a replacement. */
	get openSockets(): number {
		return this.connections.size;
	}

	/**
	 * Connects and subscribes once. Rejects on a refused key, missing realtime access or a
	 * wrong endpoint. A transient failure rejects only with `failOnTransient`; otherwise the
	 * client resolves and keeps retrying in the background.
	 */
	start(failOnTransient: boolean): Promise<void> {
		if (this.state !== 'idle') return Promise.reject(new Error('RealtimeClient.start() called twice'));
		return new Promise<void>((resolve, reject) => {
			this.startWaiter = { resolve, reject, failOnTransient };
			void this.attempt();
		});
	}

	/** Stops reading frames (back-pressure); liveness is not judged while paused. */
	pause(): void {
		if (this.paused) return;
		this.paused = true;
		for (const connection of this.connections) connection.socket.pause();
	}

	resume(): void {
		if (!this.paused) return;
		this.paused = false;
		const now = Date.now();
		for (const connection of this.connections) {
			connection.lastFrameAt = now;
			connection.socket.resume();
		}
	}

	get isPaused(): boolean {
		return this.paused;
	}

	/** Idempotent and bounded by `closeGraceMs`; leaves no socket and no timer. */
	close(): Promise<void> {
		this.closing ??= (async () => {
			this.state = 'closed';
			clearTimeout(this.reconnectTimer);
			this.reconnectTimer = undefined;
			this.attemptAbort?.abort();
			this.settleStart(new KadoaError('transient', 'closed before the first connection'));
			await Promise.all([...this.connections].map((connection) => this.closeConnection(connection)));
		})();
		return this.closing;
	}

	private closeConnection(connection: Connection): Promise<void> {
		this.clearConnectionTimers(connection);
		const { socket } = connection;
		if (socket.readyState === WebSocket.CLOSED) {
			this.connections.delete(connection);
			return Promise.resolve();
		}
		return new Promise<void>((resolve) => {
			const cut = setTimeout(() => socket.terminate(), this.settings.closeGraceMs);
			socket.once('close', () => {
				clearTimeout(cut);
				this.connections.delete(connection);
				resolve();
			});
			if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'client closing');
			else socket.terminate();
		});
	}

	private settleStart(error?: KadoaError): void {
		const waiter = this.startWaiter;
		if (!waiter) return;
		this.startWaiter = undefined;
		if (error) waiter.reject(error);
		else waiter.resolve();
	}

	private log(level: keyof ClientLogger, message: string, meta?: Record<string, unknown>): void {
		// Parts of log lines come from the wire (close reasons, cursors): printable and bounded.
		this.options.logger[level](safeText(message, [this.options.apiKey, this.token], 1000), meta);
	}

	/** One connection attempt: fresh token, socket, subscribe. Failures schedule the next one. */
	private async attempt(): Promise<void> {
		if (this.state === 'closed' || this.attemptInFlight) return;
		this.attemptInFlight = true;
		this.state = this.state === 'idle' ? 'connecting' : 'reconnecting';
		const abort = new AbortController();
		this.attemptAbort = abort;
		let failure: KadoaError | undefined;
		try {
			const { accessToken, teamId } = await fetchRealtimeToken(
				this.options.endpoints,
				this.options.apiKey,
				this.settings.tokenTimeoutMs,
				abort.signal,
			);
			if (!this.isClosed()) {
				this.token = accessToken;
				await this.openSocket(accessToken, teamId);
			}
		} catch (error) {
			failure = toKadoaError(error, [this.options.apiKey, this.token]);
			this.lastFailure = failure;
		} finally {
			this.attemptInFlight = false;
			if (this.attemptAbort === abort) this.attemptAbort = undefined;
		}
		// Judged after the attempt is over, so that the retry it schedules is not refused.
		if (failure && !this.isClosed()) this.onAttemptFailed(failure);
	}

	private onAttemptFailed(error: KadoaError): void {
		const starting = this.startWaiter !== undefined;
		const fatal = error.kind === 'auth' || error.kind === 'access' || (starting && error.kind === 'config');
		if (starting && (fatal || this.startWaiter?.failOnTransient)) {
			this.settleStart(error);
			void this.close();
			return;
		}
		if (fatal) {
			this.log('error', `Kadoa realtime stopped: ${error.message}`);
			void this.close();
			try {
				this.options.onFatal(error);
			} catch (failure) {
				this.log('error', `Kadoa realtime: reporting the stop failed: ${failure instanceof Error ? failure.message : String(failure)}`);
			}
			return;
		}
		if (starting) {
			// Activation goes on; the first connection comes when Kadoa is reachable again.
			this.log('warn', `Kadoa is not reachable yet (${error.message}); retrying in the background`);
			this.settleStart();
		}
		this.scheduleReconnect(error.message, error.retryAfterMs);
	}

	private scheduleReconnect(reason: string, atLeastMs = 0): void {
		if (this.state === 'closed' || this.reconnectTimer || this.attemptInFlight) return;
		this.state = 'reconnecting';
		const delay = Math.max(this.backoff.next(), Math.min(atLeastMs, 5 * 60_000));
		this.log('info', `Kadoa realtime connection lost (${reason}); reconnecting in ${(delay / 1000).toFixed(1)} s`, {
			attempt: this.backoff.failures,
		});
		this.reconnectTimer = setTimeout(() => {
			this.reconnectTimer = undefined;
			void this.attempt();
		}, delay);
	}

	/** Resolves once subscribed; rejects if the socket cannot be opened. */
	private openSocket(token: string, teamId: string): Promise<void> {
		const socket = new WebSocket(socketUrlWithToken(this.options.endpoints, token), {
			handshakeTimeout: this.settings.handshakeTimeoutMs,
			maxPayload: this.settings.maxFrameBytes,
			followRedirects: false,
		});
		const connection: Connection = {
			serial: ++this.serial,
			socket,
			lastFrameAt: Date.now(),
			draining: false,
		};
		this.connections.add(connection);

		return new Promise<void>((resolve, reject) => {
			let opened = false;
			socket.on('unexpected-response', (_request, response: IncomingMessage) => {
				const chunks: Buffer[] = [];
				let size = 0;
				response.on('data', (chunk: Buffer) => {
					size += chunk.length;
					if (size <= 16 * 1024) chunks.push(chunk);
				});
				response.on('end', () => {
					socket.terminate();
					reject(this.upgradeError(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), response.headers));
				});
				response.on('error', () => {
					socket.terminate();
					reject(new KadoaError('transient', 'the socket upgrade answer broke off'));
				});
			});
			socket.on('open', () => {
				opened = true;
				if (this.state === 'closed') return;
				connection.openedAt = Date.now();
				connection.lastFrameAt = connection.openedAt;
				if (this.paused) socket.pause();
				let cursor: string | undefined;
				try {
					cursor = this.options.getCursor(connection.serial);
				} catch (error) {
					// Replaying from the start is safe (duplicates are recognised); a thrown error here
					// would leave the attempt unsettled and the client never reconnecting.
					this.log('error', `Kadoa realtime: could not compute the resume cursor (${error instanceof Error ? error.message : String(error)}); subscribing without one`);
				}
				socket.send(subscribeMessage(teamId, cursor));
				this.upgradeRejections = 0;
				this.lastFailure = undefined;
				const previous = this.current;
				this.current = connection;
				this.state = 'connected';
				this.armWatchdog(connection);
				if (previous && previous !== connection) this.retireDrained(previous);
				this.log(
					'info',
					cursor
						? `Kadoa realtime connected and subscribed, resuming after cursor ${cursor}`
						: 'Kadoa realtime connected and subscribed',
					{ connection: connection.serial },
				);
				this.settleStart();
				resolve();
			});
			socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
				// Nothing a frame holds may escape a socket listener: an exception here would be an
				// uncaught exception in n8n, and a frame that throws would do it on every replay.
				try {
					this.onMessage(connection, data, isBinary);
				} catch (error) {
					this.log('error', `Kadoa realtime: a frame could not be handled (${error instanceof Error ? error.message : String(error)}); skipped`, { connection: connection.serial });
				}
			});
			socket.on('error', (error: Error) => {
				if (!opened) {
					// 'close' follows; the attempt is judged by the rejection below.
					reject(socketError(error));
					return;
				}
				if ((error as NodeJS.ErrnoException).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
					connection.frameTooLarge = true;
					return;
				}
				this.log('warn', `Kadoa realtime socket error: ${error.message}`, { connection: connection.serial });
			});
			socket.on('close', (code: number, reason: Buffer) => {
				this.clearConnectionTimers(connection);
				this.connections.delete(connection);
				if (!opened) {
					reject(new KadoaError('transient', `the socket closed during the handshake (code ${code})`));
					return;
				}
				this.onConnectionClosed(connection, code, reason.toString('utf8').slice(0, 200));
			});
		});
	}

	private upgradeError(status: number, body: string, headers: IncomingMessage['headers']): KadoaError {
		// A fresh token was just issued, so a 401 is odd; a few in a row mean the key lost access.
		this.upgradeRejections = status === 401 ? this.upgradeRejections + 1 : 0;
		const giveUp = this.upgradeRejections >= this.settings.maxUpgradeRejections;
		return upgradeRefusal(status, body, giveUp, { headers, secrets: [this.options.apiKey, this.token] });
	}

	private onConnectionClosed(connection: Connection, code: number, reason: string): void {
		if (this.state === 'closed') return;
		if (connection !== this.current) {
			this.log('info', 'Kadoa realtime: drained connection closed', { connection: connection.serial, code });
			return;
		}
		this.current = undefined;
		const heldFor = Date.now() - (connection.openedAt ?? Date.now());
		if (heldFor >= this.settings.stableAfterMs) this.backoff.reset();
		if (connection.draining && this.reconnectTimer) {
			// The replacement is already scheduled by the draining notice.
			this.log('info', 'Kadoa realtime: draining connection closed; replacement pending', { code });
			return;
		}
		const tooLarge = code === 1009 || connection.frameTooLarge === true;
		const why = tooLarge ? `a frame was larger than the ${formatBytes(this.settings.maxFrameBytes)} safety cap` : `closed with code ${code}${reason ? ` "${reason}"` : ''}`;
		if (tooLarge) this.log('error', `Kadoa realtime: ${why}; such a frame cannot be read, so it cannot be acknowledged either: ask Kadoa to remove the event`);
		this.scheduleReconnect(why);
	}

	private onMessage(connection: Connection, data: WebSocket.RawData, isBinary: boolean): void {
		connection.lastFrameAt = Date.now();
		if (this.state === 'closed') return;
		if (isBinary) {
			this.log('warn', 'Kadoa realtime: ignored a binary frame', { connection: connection.serial });
			return;
		}
		const bytes = Buffer.isBuffer(data) ? data.length : Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength;
		if (this.options.skipEvent && Buffer.isBuffer(data) && data.length >= PEEK_MIN_BYTES && this.skipped(data, this.options.skipEvent, connection.serial)) return;
		const frame = parseFrame(data.toString());
		switch (frame.kind) {
			case 'heartbeat':
				return;
			case 'event':
				frame.event.bytes = bytes;
				frame.event.connection = connection.serial;
				this.options.onEvent(frame.event);
				return;
			case 'draining':
				this.onDraining(connection, frame.retryAfterMs);
				return;
			case 'control':
				this.log('debug', `Kadoa realtime: ignored control frame ${frame.type}`);
				return;
			case 'invalid':
				this.log('warn', `Kadoa realtime: ignored a malformed frame (${frame.reason})`, { connection: connection.serial });
				return;
		}
	}

	/** A large event nobody wants: handed on from its header, never parsed. */
	private skipped(data: Buffer, skipEvent: (header: EventHeader, bytes: number) => boolean, serial: number): boolean {
		const header = peekEventHeader(data);
		if (!header || header.type === 'heartbeat' || header.type.startsWith('control.') || !skipEvent(header, data.length)) return false;
		const { id, type, timestamp, cursor, workflowId } = header;
		this.options.onEvent({ id, type, timestamp, cursor, payload: workflowId === undefined ? {} : { workflowId }, partial: true, bytes: data.length, connection: serial });
		return true;
	}

	/**
	 * The server will retire this socket: open a replacement after the advised delay, keep
	 * reading the old one meanwhile, and cut it if the server never closes it.
	 */
	private onDraining(connection: Connection, retryAfterMs: number | undefined): void {
		if (connection.draining || connection !== this.current) return;
		connection.draining = true;
		const delay = Math.min(Math.max(retryAfterMs ?? 1_000, 0), this.settings.maxDrainDelayMs);
		this.log('info', `Kadoa realtime: server is draining this connection; opening a replacement in ${(delay / 1000).toFixed(1)} s`);
		clearTimeout(this.reconnectTimer);
		this.reconnectTimer = setTimeout(() => {
			this.reconnectTimer = undefined;
			void this.attempt();
		}, delay);
		// Bound the overlap even if the replacement keeps failing.
		connection.drainCutoff = setTimeout(() => this.retireNow(connection), delay + this.settings.drainGraceMs);
	}

	/** The replacement subscribed: give the old socket a grace period to be closed by the server. */
	private retireDrained(previous: Connection): void {
		if (!this.connections.has(previous)) return;
		if (previous.replaced) {
			// Our own replacement: the old socket's events come again on the new one.
			void this.closeConnection(previous);
			return;
		}
		clearTimeout(previous.drainCutoff);
		previous.drainCutoff = setTimeout(() => this.retireNow(previous), this.settings.drainGraceMs);
	}

	private retireNow(connection: Connection): void {
		if (!this.connections.has(connection)) return;
		this.log('info', 'Kadoa realtime: closing the drained connection ourselves', { connection: connection.serial });
		void this.closeConnection(connection);
	}

	/**
	 * Liveness: any frame counts. One timer per connection, re-armed lazily for the time
	 * left, so a busy stream costs one timestamp per frame and an idle one a wake-up per
	 * timeout period.
	 */
	private armWatchdog(connection: Connection): void {
		const timeout = this.settings.heartbeatTimeoutMs;
		const check = () => {
			connection.watchdog = undefined;
			if (!this.connections.has(connection) || this.state === 'closed') return;
			if (this.paused) connection.lastFrameAt = Date.now();
			const silentFor = Date.now() - connection.lastFrameAt;
			if (silentFor >= timeout) {
				this.log('warn', `Kadoa realtime: no frame for ${(silentFor / 1000).toFixed(1)} s; dropping the connection`, {
					connection: connection.serial,
				});
				// terminate, not close: a graceful close would wait on a peer that is gone.
				connection.socket.terminate();
				return;
			}
			connection.watchdog = setTimeout(check, timeout - silentFor);
		};
		connection.watchdog = setTimeout(check, timeout);
	}

	private clearConnectionTimers(connection: Connection): void {
		clearTimeout(connection.watchdog);
		clearTimeout(connection.drainCutoff);
		connection.watchdog = undefined;
		connection.drainCutoff = undefined;
	}
}

function formatBytes(bytes: number): string {
	return bytes >= 1048576 ? `${Math.round(bytes / 1048576)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

function socketError(error: Error): KadoaError {
	const code = (error as NodeJS.ErrnoException).code ?? '';
	if (isConfigNetworkCode(code)) {
		return new KadoaError('config', `cannot open the realtime socket: ${describeNetworkCode(code, code)}`, HINTS.config);
	}
	if (/Opening handshake has timed out/i.test(error.message)) {
		return new KadoaError('transient', 'the socket handshake timed out');
	}
	return new KadoaError('transient', `cannot open the realtime socket: ${describeNetworkCode(code, error.message)}`);
}

function toKadoaError(error: unknown, secrets: Array<string | undefined>): KadoaError {
	if (error instanceof KadoaError) return error;
	// An unexpected error may quote the socket URL, and with it the token.
	const message = error instanceof Error ? error.message : String(error);
	return new KadoaError('transient', safeText(message, secrets));
}
