import { Backoff } from '../../nodes/KadoaTrigger/realtime/backoff';

describe('Backoff (full jitter)', () => {
	it('draws from [0, base * 2^n], capped, and never below the floor', () => {
		const backoff = new Backoff({ baseMs: 1000, capMs: 60_000, floorMs: 100, random: () => 1 });
		expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => backoff.next())).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
		const low = new Backoff({ baseMs: 1000, capMs: 60_000, floorMs: 100, random: () => 0 });
		expect(low.next()).toBe(100);
	});

	it('first retry comes within about a second, and reset starts over', () => {
		const backoff = new Backoff({ baseMs: 1000, capMs: 60_000, random: () => 0.5 });
		expect(backoff.next()).toBe(500);
		backoff.next();
		backoff.next();
		expect(backoff.failures).toBe(3);
		backoff.reset();
		expect(backoff.next()).toBe(500);
	});

	it('stays finite after very many failures', () => {
		const backoff = new Backoff({ baseMs: 1000, capMs: 60_000, random: () => 1 });
		for (let i = 0; i < 2000; i++) backoff.next();
		expect(backoff.next()).toBe(60_000);
	});

	it('spreads clients apart (jitter)', () => {
		const draws = new Set<number>();
		for (let i = 0; i < 50; i++) draws.add(new Backoff({ baseMs: 1000, capMs: 60_000 }).next());
		expect(draws.size).toBeGreaterThan(10);
	});
});
