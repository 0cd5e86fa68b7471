/** Bounded waiting on in-process counters (a few ms of polling; the counters carry exact times). */
export async function until(predicate: () => boolean, timeoutMs: number, what: string, everyMs = 2): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!predicate()) {
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, everyMs));
	}
}
