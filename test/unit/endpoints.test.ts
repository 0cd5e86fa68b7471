import { redact, resolveEndpoints, socketUrlWithToken } from '../../nodes/KadoaTrigger/realtime/endpoints';

describe('resolveEndpoints', () => {
	it('derives every endpoint from Kadoa defaults', () => {
		expect(resolveEndpoints('', '')).toEqual({
			apiBase: 'https://api.kadoa.com',
			tokenUrl: 'https://api.kadoa.com/v4/oauth2/token',
			socketUrl: 'wss://realtime.kadoa.com/',
			ackUrl: 'https://realtime.kadoa.com/api/v1/events/ack',
		});
	});

	it('keeps a gateway path and drops trailing slashes', () => {
		const endpoints = resolveEndpoints('https://gw.example.com/kadoa/', 'wss://gw.example.com/rt/');
		expect(endpoints.tokenUrl).toBe('https://gw.example.com/kadoa/v4/oauth2/token');
		expect(endpoints.socketUrl).toBe('wss://gw.example.com/rt');
		expect(endpoints.ackUrl).toBe('https://gw.example.com/rt/api/v1/events/ack');
	});

	it('allows plain http and ws only for loopback hosts', () => {
		expect(resolveEndpoints('http://127.0.0.1:4010', 'ws://localhost:4010').ackUrl).toBe('http://localhost:4010/api/v1/events/ack');
		expect(resolveEndpoints('http://[::1]:1', 'ws://127.0.0.2:2').socketUrl).toBe('ws://127.0.0.2:2/');
		expect(() => resolveEndpoints('http://api.kadoa.com', '')).toThrow(/must use https/);
		expect(() => resolveEndpoints('', 'ws://realtime.kadoa.com')).toThrow(/must use wss/);
		expect(() => resolveEndpoints('', 'http://realtime.kadoa.com')).toThrow(/must use wss/);
	});

	it('maps an https realtime URL to wss', () => {
		expect(resolveEndpoints('', 'https://realtime.kadoa.com').socketUrl).toBe('wss://realtime.kadoa.com/');
	});

	it('rejects malformed URLs, other schemes, credentials and query strings in URLs', () => {
		expect(() => resolveEndpoints('not a url', '')).toThrow(/not a valid URL/);
		expect(() => resolveEndpoints('', 'ftp://realtime.kadoa.com')).toThrow(/must start with wss/);
		expect(() => resolveEndpoints('https://user:pw@api.kadoa.com', '')).toThrow(/user name or password/);
		expect(() => resolveEndpoints('', 'wss://realtime.kadoa.com/?access_token=x')).toThrow(/query string/);
	});
});

describe('redaction', () => {
	it('puts the token in the query string and redacts it again', () => {
		const url = socketUrlWithToken(resolveEndpoints('', ''), 'tok-secret-123');
		expect(url).toBe('wss://realtime.kadoa.com/?access_token=tok-secret-123');
		expect(redact(`failed to open ${url}`)).toBe('failed to open wss://realtime.kadoa.com/?access_token=[redacted]');
	});

	it('removes known secrets anywhere in a text', () => {
		expect(redact('key my-api-key-42 leaked', ['my-api-key-42'])).toBe('key [redacted] leaked');
	});
});
