// Runs the Kadoa simulator as its own process (benchmarks, demo, end-to-end test).
// Usage: node build/test/simulator/cli.js --port 4010 [--heartbeat-ms 15000] [--api-key KEY]...
//          [--team-id T] [--token-ttl-ms MS] [--realtime-disabled] [--demo [--demo-interval-ms 5000]]
// Prints one JSON "ready" line on stdout, short log lines on stderr; exits on SIGTERM/SIGINT.
import { DEMO_FEED_KINDS, DEMO_WORKFLOWS, DemoFeed } from './fixtures';
import { KadoaSimulator, type SimulatorOptions } from './simulator';

interface CliArgs {
	sim: SimulatorOptions;
	demo: boolean;
	demoIntervalMs: number;
}

function usage(msg: string, code = 2): never {
	process.stderr.write(
		`${msg ? `kadoa-sim: ${msg}\n` : ''}usage: cli.js --port N [--heartbeat-ms MS] [--api-key KEY]... [--team-id T] [--token-ttl-ms MS] [--realtime-disabled] [--demo [--demo-interval-ms MS]]\n`,
	);
	process.exit(code);
}

function parseArgs(argv: string[]): CliArgs {
	const out: CliArgs = { sim: {}, demo: false, demoIntervalMs: 5000 };
	const keys: string[] = [];
	const intArg = (name: string, v: string | undefined): number => {
		const n = Number(v);
		if (v === undefined || !Number.isInteger(n) || n < 0) usage(`${name} needs a non-negative integer`);
		return n;
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const value = (): string | undefined => argv[++i];
		switch (a) {
			case '--port':
				out.sim.port = intArg(a, value());
				break;
			case '--heartbeat-ms':
				out.sim.heartbeatMs = intArg(a, value());
				break;
			case '--token-ttl-ms':
				out.sim.tokenTtlMs = intArg(a, value());
				break;
			case '--api-key': {
				const k = value();
				if (!k) usage('--api-key needs a value');
				keys.push(k);
				break;
			}
			case '--team-id': {
				const t = value();
				if (!t) usage('--team-id needs a value');
				out.sim.teamId = t;
				break;
			}
			case '--realtime-disabled':
				out.sim.realtimeEnabled = false;
				break;
			case '--demo':
				out.demo = true;
				break;
			case '--demo-interval-ms':
				out.demoIntervalMs = Math.max(50, intArg(a, value()));
				break;
			case '--help':
			case '-h':
				usage('', 0);
				break;
			default:
				usage(`unknown argument ${a}`);
		}
	}
	if (keys.length) out.sim.apiKeys = keys;
	return out;
}

/** stderr logger capped at 50 lines/s: a 20,000-event benchmark must not drown in logs. */
function makeLogger(): { log: (line: string) => void; stop: () => void } {
	let windowStart = Date.now();
	let lines = 0;
	let suppressed = 0;
	const write = (line: string): void => {
		process.stderr.write(`[kadoa-sim ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
	};
	const flush = (): void => {
		if (suppressed) write(`(${suppressed} more line(s) suppressed)`);
		suppressed = 0;
	};
	const timer = setInterval(flush, 1000);
	return {
		log: (line) => {
			const now = Date.now();
			if (now - windowStart >= 1000) {
				windowStart = now;
				lines = 0;
			}
			if (++lines > 50) suppressed++;
			else write(line);
		},
		stop: () => {
			clearInterval(timer);
			flush();
		},
	};
}

async function main(): Promise<void> {
	const args = parseArgs(process.argv.slice(2));
	const logger = makeLogger();
	let sim: KadoaSimulator;
	try {
		sim = await KadoaSimulator.start({ ...args.sim, log: logger.log });
	} catch (err) {
		logger.stop();
		process.stderr.write(`kadoa-sim: cannot listen: ${err instanceof Error ? err.message : String(err)}\n`);
		process.exit(1);
	}

	let demoTimer: NodeJS.Timeout | undefined;
	if (args.demo) {
		const feeds = DEMO_WORKFLOWS.map((w, i) => new DemoFeed(w, DEMO_FEED_KINDS[i % DEMO_FEED_KINDS.length], 1000 + i));
		let next = 0;
		demoTimer = setInterval(() => {
			// One workflow per tick, round robin, so the stream stays readable in n8n.
			const feed = feeds[next++ % feeds.length];
			const change = feed.next();
			const ev = sim.publish({ type: 'workflow_data_change', data: change });
			logger.log(`demo: ${feed.workflow.name}: ${change.summary ?? ''} (${ev.id})`);
		}, args.demoIntervalMs);
		logger.log(`demo: publishing a change every ${args.demoIntervalMs} ms for ${feeds.length} workflows`);
	}

	process.stdout.write(`${JSON.stringify({ ready: true, port: sim.port, apiUrl: sim.apiUrl, realtimeUrl: sim.realtimeUrl })}\n`);

	let stopping = false;
	const shutdown = (signal: string): void => {
		if (stopping) return;
		stopping = true;
		if (demoTimer) clearInterval(demoTimer);
		logger.log(`${signal}: stopping`);
		sim
			.stop()
			.catch((err: unknown) => logger.log(`stop failed: ${err instanceof Error ? err.message : String(err)}`))
			.finally(() => {
				logger.stop();
				process.exit(0);
			});
	};
	process.on('SIGTERM', () => shutdown('SIGTERM'));
	process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
