// Pending faults of the "the next n requests fail" kind (tokens, upgrades, acks). Each part of
// the simulator keeps its own, next to the code that consults it; they live as long as the
// simulator, so they survive `restart()`.

/** The next `n` requests get `fault`; arming again replaces what is left. */
export class PendingFaults<T> {
	private remaining = 0;
	private fault?: T;

	arm(n: number, fault: T): void {
		this.remaining = n;
		this.fault = fault;
	}

	/** The fault for this request, used up; undefined when none is pending. */
	take(): T | undefined {
		if (!(this.remaining > 0)) return undefined;
		this.remaining--;
		return this.fault;
	}
}
