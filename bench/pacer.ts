/**
 * Publishes events at a steady rate through the simulator's control API, from its own process
 * (its HTTP work must not be charged to the client under test). Each event id carries the
 * CLOCK_MONOTONIC time (ns) at which the pacer sent it: `lat-<ns>-<seq>`.
 * Forked by the latency scenario; commands over IPC: {cmd:'run', apiUrl, rate, durationMs, rowBytes}.
 */
import * as http from 'node:http';

import { sizedDataChangePayload } from '../test/simulator/fixtures';

interface RunCommand {
	cmd: 'run';
	apiUrl: string;
	rate: number;
	durationMs: number;
	rowBytes: number;
}

export interface PacerReport {
	sent: number;
	failed: number;
	/** How far behind schedule the pacer itself sent (ms): p99 and max. */
	lagP99Ms: number;
	lagMaxMs: number;
}

function run(command: RunCommand): Promise<PacerReport> {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
	const template = sizedDataChangePayload(command.rowBytes, { seed: 11 });
	const url = `${command.apiUrl}/__sim/publish`;
	const total = Math.round((command.rate * command.durationMs) / 1000);
	const intervalNs = 1e9 / command.rate;
	const lags: number[] = [];
	let sent = 0;
	let failed = 0;
	let answered = 0;
	const start = process.hrtime.bigint();
	return new Promise<PacerReport>((resolve) => {
		const finish = () => {
			agent.destroy();
			lags.sort((a, b) => a - b);
			resolve({
				sent,
				failed,
				lagP99Ms: lags[Math.floor(lags.length * 0.99)] ?? 0,
				lagMaxMs: lags[lags.length - 1] ?? 0,
			});
		};
		const publishOne = (seq: number) => {
			const now = process.hrtime.bigint();
			lags.push(Number(now - start - BigInt(Math.round(seq * intervalNs))) / 1e6);
			const body = JSON.stringify({
				type: 'workflow_data_change',
				id: `lat-${now}-${seq}`,
				data: { ...template, id: `chg${seq}`, createdAt: new Date().toISOString() },
			});
			const request = http.request(url, {
				method: 'POST',
				agent,
				headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
			});
			request.on('response', (response) => {
				response.resume();
				response.on('end', () => {
					if ((response.statusCode ?? 0) >= 300) failed++;
					if (++answered === total) finish();
				});
			});
			request.on('error', () => {
				failed++;
				if (++answered === total) finish();
			});
			request.end(body);
			sent++;
		};
		const tick = () => {
			const elapsedNs = Number(process.hrtime.bigint() - start);
			const due = Math.min(total, Math.floor(elapsedNs / intervalNs) + 1);
			while (sent < due) publishOne(sent);
			if (sent < total) setTimeout(tick, 1);
		};
		tick();
	});
}

process.on('message', (message: RunCommand | { cmd: 'exit' }) => {
	if (message.cmd === 'exit') {
		process.disconnect();
		return;
	}
	void run(message).then((report) => process.send?.({ type: 'done', report }));
});
