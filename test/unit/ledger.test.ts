/**
 * delivery/ledger.ts on its own, with fake timers: when an event of a shared team connection
 * may be acknowledged (team-wide acks, the hold).
 */
import { AckLedger } from '../../nodes/KadoaTrigger/delivery/ledger';

describe('AckLedger', () => {
	let now = 1_000_000;
	let acked: string[];
	let ledger: AckLedger;

	beforeEach(() => {
		jest.useFakeTimers();
		now = 1_000_000;
		acked = [];
		ledger = new AckLedger({ ack: (id) => acked.push(id), now: () => now });
	});
	afterEach(() => {
		ledger.close();
		jest.useRealTimers();
	});

	const advance = (ms: number) => {
		now += ms;
		jest.advanceTimersByTime(ms);
	};

	it('acknowledges once every accepting trigger settled it, and only then', () => {
		const entry = ledger.open('e1', 'workflow_data_change', 'wf-a', 0);
		ledger.claim('e1', 'A');
		ledger.claim('e1', 'B');
		ledger.review(entry);
		ledger.settle('e1', 'A', true);
		expect(acked).toEqual([]);
		ledger.settle('e1', 'B', true);
		expect(acked).toEqual(['e1']);
		expect(ledger.size).toBe(0);
	});

	it('one trigger leaving it for the next connection blocks the acknowledgement, whatever the others say', () => {
		ledger.open('e1', 't', undefined, 0);
		ledger.claim('e1', 'A');
		ledger.claim('e1', 'B');
		ledger.settle('e1', 'A', false);
		ledger.settle('e1', 'B', true);
		expect(acked).toEqual([]);
		// A new connection: Kadoa redelivers it, so the blocked entry is judged afresh.
		ledger.newConnection();
		expect(ledger.get('e1')).toBeUndefined();
	});

	it('a copy of a blocked event on the same connection is judged afresh', () => {
		ledger.open('e1', 't', undefined, 0);
		ledger.claim('e1', 'A');
		ledger.settle('e1', 'A', false);
		const copy = ledger.open('e1', 't', undefined, 0);
		expect(copy.blocked).toBe(false);
		ledger.claim('e1', 'A');
		ledger.settle('e1', 'A', true);
		expect(acked).toEqual(['e1']);
	});

	it('holds an event nobody claimed until its time, then acknowledges it (one timer for all)', () => {
		const first = ledger.open('e1', 't', undefined, now + 5_000);
		ledger.review(first);
		advance(1_000);
		const second = ledger.open('e2', 't', undefined, now + 5_000);
		ledger.review(second);
		advance(3_999);
		expect(acked).toEqual([]);
		advance(1);
		expect(acked).toEqual(['e1']);
		advance(1_000);
		expect(acked).toEqual(['e1', 'e2']);
		expect(jest.getTimerCount()).toBe(0);
	});

	it('a member claiming a held event within the hold takes it over: acknowledged when it settles', () => {
		const entry = ledger.open('e1', 't', 'wf-b', now + 5_000);
		ledger.review(entry);
		advance(2_000);
		expect(ledger.unacknowledged((e) => e.workflowId === 'wf-b').map((e) => e.id)).toEqual(['e1']);
		ledger.claim('e1', 'B');
		advance(3_000);
		// The hold is over, but B still works on it.
		expect(acked).toEqual([]);
		ledger.settle('e1', 'B', true);
		expect(acked).toEqual(['e1']);
	});

	it('a leaving member settles what it waited on: held ones for its ghost go, with an answer', () => {
		ledger.open('e1', 't', undefined, 0);
		ledger.open('e2', 't', undefined, 0);
		ledger.claim('e1', 'ghost');
		ledger.claim('e2', 'ghost');
		ledger.claim('e2', 'C');
		expect(ledger.waitingFor('ghost').map((e) => e.id)).toEqual(['e1', 'e2']);
		ledger.settleAll('ghost', true);
		expect(acked).toEqual(['e1']);
		ledger.settle('e2', 'C', true);
		expect(acked).toEqual(['e1', 'e2']);
	});

	it('holdUntil (n8n starting): nothing is acknowledged before it, and moving it on keeps them waiting', () => {
		ledger.holdUntil(now + 10_000);
		const settled = ledger.open('e1', 't', 'wf-a', 0);
		ledger.claim('e1', 'A');
		ledger.settle('e1', 'A', true);
		// An unclaimed one whose own hold ends inside the window waits for the window too.
		ledger.review(ledger.open('e2', 't', 'wf-b', now + 2_000));
		advance(8_000);
		ledger.holdUntil(now + 10_000);
		// An earlier time never pulls it back.
		ledger.holdUntil(now - 5_000);
		advance(9_999);
		expect(acked).toEqual([]);
		expect(settled.notBefore).toBe(0);
		advance(1);
		expect(acked).toEqual(['e1', 'e2']);
		// After the window an entry keeps its own time.
		ledger.review(ledger.open('e3', 't', 'wf-b', now + 3_000));
		advance(2_999);
		expect(acked).toEqual(['e1', 'e2']);
		advance(1);
		expect(acked).toEqual(['e1', 'e2', 'e3']);
		expect(jest.getTimerCount()).toBe(0);
	});

	it('awaitMember: a joining member that accepts a held event keeps it unacknowledged past its hold until it settles it', () => {
		ledger.review(ledger.open('e1', 't', 'wf-b', now + 1_000));
		ledger.review(ledger.open('e2', 't', 'wf-c', now + 1_000));
		// e3 is left for the next connection by A: judged afresh there, not awaited.
		ledger.open('e3', 't', 'wf-b', 0);
		ledger.claim('e3', 'A');
		ledger.settle('e3', 'A', false);
		ledger.awaitMember('B', (entry) => entry.workflowId === 'wf-b');
		expect(ledger.waitingFor('B').map((entry) => entry.id)).toEqual(['e1']);
		advance(5_000);
		expect(acked).toEqual(['e2']);
		ledger.settle('e1', 'B', true);
		expect(acked).toEqual(['e2', 'e1']);
	});

	it('close drops what is undecided and leaves no timer', () => {
		ledger.review(ledger.open('e1', 't', undefined, now + 60_000));
		expect(jest.getTimerCount()).toBe(1);
		ledger.close();
		expect(jest.getTimerCount()).toBe(0);
		advance(60_000);
		expect(acked).toEqual([]);
	});
});
