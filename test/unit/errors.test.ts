/**
 * What of a server's answer reaches an error message: redacted of the API key and tokens,
 * printable, short; and Retry-After on a refused socket upgrade. The token and REST requests
 * are checked against a real HTTP server on 127.0.0.1 that echoes what it was sent.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

import { getJson } from '../../nodes/KadoaTrigger/api/workflows';
import { resolveEndpoints } from '../../nodes/KadoaTrigger/realtime/endpoints';
import { upgradeRefusal } from '../../nodes/KadoaTrigger/realtime/errors';
import { errorDetail } from '../../nodes/KadoaTrigger/realtime/http';
import { fetchRealtimeToken } from '../../nodes/KadoaTrigger/realtime/token';

const API_KEY = 'kadoa-key-0123456789abcdef';
const TOKEN = 'rt-token-fedcba9876543210';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJ0ZWFtIjoidGVhbS0xIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

/** The error a promise rejects with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
	try {
		await promise;
	} catch (error) {
		return error as Error;
	}
	throw new Error('expected a rejection');
}

/** Fails when any form of a secret is in the text. */
function expectNoSecret(text: string): void {
	for (const secret of [API_KEY, TOKEN, JWT, 'sk-live-abc123456', 'hunter2-password']) expect(text).not.toContain(secret);
}

describe('errorDetail', () => {
	it('redacts the known secrets, and tokens it recognises by their form, wherever they are', () => {
		const bodies = [
			JSON.stringify({ message: `API key ${API_KEY} is not valid` }),
			JSON.stringify({ error: `token ${TOKEN} expired` }),
			`plain text: wss://realtime.kadoa.com/?access_token=${TOKEN}&x=1`,
			`<html>bad request access_token=${TOKEN}</html>`,
			JSON.stringify({ detail: { access_token: TOKEN, api_key: 'sk-live-abc123456' } }),
			`{"message": "Authorization: Bearer ${JWT}"}`,
			`refused ${JWT}`,
			`x-api-key: ${API_KEY}`,
			`password=hunter2-password; token: ${TOKEN}`,
			`escaped ${encodeURIComponent(API_KEY + '/+')}`,
		];
		for (const body of bodies) {
			const detail = errorDetail(body, [API_KEY, TOKEN]);
			expectNoSecret(detail);
			expect(detail).toContain('[redacted]');
		}
		expect(errorDetail(JSON.stringify({ message: `API key ${API_KEY} is not valid` }), [API_KEY])).toBe('API key [redacted] is not valid');
	});

	it('strips control and direction characters, so a body cannot forge log lines or reorder text', () => {
		const detail = errorDetail('line one\r\nFAKE LOG LINE \u001b[31mred\u001b[0m \u202egnp.exe\u0000 \u200bend', []);
		expect(detail).toBe('line one FAKE LOG LINE [31mred [0m gnp.exe end');
		expect(detail).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e]/);
		// A lone surrogate is replaced, not passed on.
		expect(errorDetail(JSON.stringify({ message: 'bad \ud800 id' }), [])).toBe('bad \ufffd id');
	});

	it('is at most 200 characters, without cutting a character in two', () => {
		const detail = errorDetail(JSON.stringify({ message: `${'x'.repeat(198)}😀${'y'.repeat(5000)}` }), []);
		expect(detail.length).toBeLessThanOrEqual(200);
		expect(detail.endsWith('…')).toBe(true);
		expect(detail).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
		expect(errorDetail('z'.repeat(300), [])).toHaveLength(200);
	});

	it('never shows the start of a secret cut off at the end of what it reads', () => {
		const body = ' '.repeat(64 * 1024 - 6) + API_KEY;
		expect(errorDetail(body, [API_KEY])).not.toContain(API_KEY.slice(0, 6));
	});
});

describe('upgradeRefusal', () => {
	it('puts a redacted, bounded detail of the body into the message', () => {
		const error = upgradeRefusal(403, JSON.stringify({ error: `token ${TOKEN} may not use realtime ${'!'.repeat(1000)}` }), false, { secrets: [API_KEY, TOKEN] });
		expect(error.kind).toBe('access');
		expectNoSecret(error.message);
		expect(error.message.length).toBeLessThan(260);
		const generic = upgradeRefusal(401, `rejected access_token=${TOKEN}`, false);
		expectNoSecret(generic.message);
	});

	it('honours Retry-After on 429 and 503, as seconds or as an HTTP date', () => {
		expect(upgradeRefusal(429, '', false, { headers: { 'retry-after': '7' } })).toMatchObject({ kind: 'transient', retryAfterMs: 7000 });
		expect(upgradeRefusal(503, '', false, { headers: { 'retry-after': '2' } }).retryAfterMs).toBe(2000);
		const inAMinute = new Date(Date.now() + 60_000).toUTCString();
		const fromDate = upgradeRefusal(429, '', false, { headers: { 'retry-after': inAMinute } }).retryAfterMs;
		expect(fromDate).toBeGreaterThan(50_000);
		expect(fromDate).toBeLessThanOrEqual(60_000);
		expect(upgradeRefusal(429, '', false).retryAfterMs).toBeUndefined();
		expect(upgradeRefusal(429, '', false, { headers: { 'retry-after': 'soon' } }).retryAfterMs).toBeUndefined();
	});
});

describe('server error bodies through the token and REST requests', () => {
	let server: http.Server;
	let base: string;
	/** Answers every request with `status` and a body that echoes the request's key. */
	let status = 401;
	beforeAll(async () => {
		server = http.createServer((request, response) => {
			const key = String(request.headers['x-api-key'] ?? '');
			response.writeHead(status, { 'content-type': 'application/json' });
			response.end(JSON.stringify({ message: `key ${key} refused\r\n\u001b[2Jaccess_token=${TOKEN} ${'.'.repeat(500)}` }));
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

	it('the token request: a refused key is named redacted, short and printable', async () => {
		status = 401;
		const error = await rejection(fetchRealtimeToken(resolveEndpoints(base, 'ws://127.0.0.1:1'), API_KEY, 5_000));
		expect(error).toMatchObject({ kind: 'auth' });
		expectNoSecret(error.message);
		expect(error.message).toMatch(/^Kadoa refused the API key \(HTTP 401: key \[redacted\] refused/);
		expect(error.message).not.toMatch(/[\u0000-\u001f]/);
		expect(error.message.length).toBeLessThan(260);
	});

	it('the REST API: refused and failed requests alike', async () => {
		for (const code of [403, 500]) {
			status = code;
			const error = await rejection(getJson(resolveEndpoints(base, 'ws://127.0.0.1:1'), API_KEY, '/v4/workflows'));
			expectNoSecret(error.message);
			expect(error.message).toContain(`HTTP ${code}`);
			expect(error.message).not.toMatch(/[\u0000-\u001f]/);
			expect(error.message.length).toBeLessThan(260);
		}
	});
});
