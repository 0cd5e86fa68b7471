// The simulator's one port: an HTTP server on 127.0.0.1. Requests go to the token and ack
// endpoints, then the REST API, then the control API (/__sim/*), else 404; upgrades go to the
// upgrade gate.
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { parseJson, readBodyOr413, sendJson } from './http-util';
import type { PublicApi } from './public-api';
import type { SimRecords } from './records';
import type { RestApi } from './rest';
import type { UpgradeGate } from './upgrade';

/** Where the server sends what it receives. */
export interface HttpRoutes {
	publicApi: PublicApi;
	rest: RestApi;
	gate: UpgradeGate;
	records: SimRecords;
	/** The control API; `body` is the parsed JSON body of a POST (undefined for GET). */
	control(path: string, method: string, body: unknown, res: http.ServerResponse): void;
	/** Limit of request bodies of the control API (beyond → 413). */
	maxControlBodyBytes: number;
	log(line: string): void;
}

export class SimHttpServer {
	private server?: http.Server;

	constructor(private readonly routes: HttpRoutes) {}

	get listening(): boolean {
		return this.server !== undefined;
	}

	/** Listens on 127.0.0.1:`port` (0: a free one); resolves with the port. */
	async listen(port: number): Promise<number> {
		const server = http.createServer((req, res) => {
			this.onRequest(req, res).catch((err: unknown) => {
				this.routes.log(`request error: ${err instanceof Error ? err.message : String(err)}`);
				sendJson(res, 500, { error: 'Internal simulator error' });
			});
		});
		server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.routes.gate.onUpgrade(req, socket, head));
		server.on('connection', () => this.routes.records.tcpConnections++);
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(port, '127.0.0.1', () => {
				server.off('error', reject);
				resolve();
			});
		});
		this.server = server;
		const addr = server.address();
		return addr && typeof addr === 'object' ? addr.port : port;
	}

	/**
	 * Stops listening: `listening` turns false, then `beforeClose` runs (ending what holds
	 * connections), then every connection is closed. False when it was not listening.
	 */
	async close(beforeClose: () => void): Promise<boolean> {
		const server = this.server;
		if (!server) return false;
		this.server = undefined;
		beforeClose();
		const closed = new Promise<void>((resolve) => server.close(() => resolve()));
		server.closeAllConnections();
		await closed;
		return true;
	}

	private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const { publicApi, rest } = this.routes;
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const path = url.pathname.replace(/\/+$/, '') || '/';
		const method = req.method ?? 'GET';
		if (path === '/v4/oauth2/token' && method === 'POST') return publicApi.handleToken(req, res);
		if (path === '/api/v1/events/ack' && method === 'POST') return publicApi.handleAck(req, res);
		if (await rest.handle(req, res, url, path, method)) return;
		if (path.startsWith('/__sim/')) {
			let body: unknown;
			if (method === 'POST') {
				const raw = await readBodyOr413(req, res, this.routes.maxControlBodyBytes);
				if (!raw) return;
				body = raw.length ? parseJson(raw) : {};
				if (body === undefined) return sendJson(res, 400, { error: 'Body is not valid JSON' });
			}
			return this.routes.control(path, method, body, res);
		}
		req.resume();
		sendJson(res, 404, { error: 'Not found' });
	}
}
