import { MAX_TIMER_SECONDS, MAX_FRAME_MB, readSettings, SettingsError, type RawParameters } from '../../nodes/KadoaTrigger/settings';

const credentials = { apiKey: 'key-1234' };

function settings(options: RawParameters['options'] = {}) {
	return readSettings(credentials, { events: ['workflow_data_change'], workflowIds: [], acknowledge: 'executionFinished', output: 'event', options });
}

function refusal(options: RawParameters['options']): SettingsError {
	try {
		settings(options);
	} catch (error) {
		if (error instanceof SettingsError) return error;
		throw error;
	}
	throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('readSettings: options that become timers', () => {
	it('the largest accepted value still fits setTimeout (2^31-1 ms; above it Node fires at once)', () => {
		expect(MAX_TIMER_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
		expect(MAX_TIMER_SECONDS).toBe(2_073_600);
	});

	it('rejects an Execution Timeout above 24 days, naming the field and the maximum', () => {
		expect(settings({ executionTimeout: MAX_TIMER_SECONDS }).executionTimeoutMs).toBe(MAX_TIMER_SECONDS * 1000);
		for (const value of [MAX_TIMER_SECONDS + 1, 2_147_484, 3e6, 1e12]) {
			const error = refusal({ executionTimeout: value });
			expect(error.message).toMatch(/^Execution Timeout must be at most 2,073,600 seconds \(24 days\), got "/);
		}
	});

	it('rejects a Heartbeat Timeout above 24 days the same way', () => {
		expect(settings({ heartbeatTimeout: MAX_TIMER_SECONDS }).heartbeatTimeoutMs).toBe(MAX_TIMER_SECONDS * 1000);
		expect(refusal({ heartbeatTimeout: 2_200_000 }).message).toMatch(/^Heartbeat Timeout must be at most 2,073,600 seconds \(24 days\)/);
	});

	it('still rejects what is not a positive number', () => {
		for (const value of [0, -1, 'soon', Infinity, NaN]) {
			expect(refusal({ executionTimeout: value }).message).toMatch(/^Execution Timeout must be a positive number/);
		}
	});
});

describe('readSettings: warnings', () => {
	it('none for the defaults', () => {
		const defaults = settings();
		expect(defaults).toMatchObject({ heartbeatTimeoutMs: 30_000, executionTimeoutMs: 600_000, maxFrameBytes: 100 * 1048576 });
		expect(defaults.warnings).toEqual([]);
		expect(settings({ heartbeatTimeout: 16 }).warnings).toEqual([]);
	});

	it('a Heartbeat Timeout not above Kadoa\'s 15 s heartbeat is accepted, with a warning that says what will happen', () => {
		const short = settings({ heartbeatTimeout: 5 });
		expect(short.heartbeatTimeoutMs).toBe(5_000);
		expect(short.warnings).toEqual([
			"Heartbeat Timeout of 5 s is below Kadoa's 15 s heartbeat: on a quiet channel the connection will be dropped and reopened every 5 s. Use 30 s (the default) unless frames are known to come more often.",
		]);
		expect(settings({ heartbeatTimeout: 15 }).warnings?.[0]).toMatch(/^Heartbeat Timeout of 15 s is not above Kadoa's 15 s heartbeat/);
		expect(settings({ heartbeatTimeout: 0.5 }).warnings?.[0]).toMatch(/^Heartbeat Timeout of 0\.5 s /);
	});
});

describe('readSettings: Max Frame Size', () => {
	it('accepts up to 1024 MB and rejects more, naming the field and the maximum', () => {
		expect(MAX_FRAME_MB).toBe(1024);
		expect(settings({ maxFrameSize: 1024 }).maxFrameBytes).toBe(1024 * 1048576);
		expect(settings({ maxFrameSize: 0.5 }).maxFrameBytes).toBe(524_288);
		expect(refusal({ maxFrameSize: 1025 }).message).toMatch(/^Max Frame Size must be at most 1024 MB, got "1025"/);
		expect(refusal({ maxFrameSize: 1e9 }).message).toMatch(/^Max Frame Size must be at most 1024 MB/);
	});
});

describe('readSettings: credential', () => {
	it('names an invalid URL in the credential', () => {
		expect(() => readSettings({ apiKey: 'k', apiUrl: 'http://api.example.com' }, { events: ['x'], workflowIds: [], acknowledge: 'emitted', output: 'event', options: {} })).toThrow(
			/^The Kadoa API credential has an invalid URL: API URL must use https:\/\//,
		);
	});
});
