// One socket's outgoing frames, paced by back-pressure: at most HIGH_WATER_BYTES are handed to
// the socket and not yet written; the rest wait here as references to the stored frames, so a
// slow client never makes the simulator buffer copies.
import { WebSocket } from 'ws';

/** Bytes handed to a socket but not yet written; beyond it frames wait in the queue (references only). */
const HIGH_WATER_BYTES = 1024 * 1024;

/** Outgoing frame waiting for socket capacity. */
export interface OutFrame {
	data: Buffer | string;
	binary: boolean;
	bytes: number;
	/** Set for event frames (reported through `onEventSent`). */
	eventId?: string;
}

export class SendQueue {
	private queue: OutFrame[] = [];
	private head = 0;
	private inFlight = 0;

	/**
	 * @param silenced true once the socket is black-holed: nothing more is sent.
	 * @param onEventSent called when an event frame is handed to the socket.
	 */
	constructor(
		private readonly ws: WebSocket,
		private readonly silenced: () => boolean,
		private readonly onEventSent: (eventId: string) => void,
	) {}

	/** Queues a frame (dropped if the socket is silenced or not open) and sends what capacity allows. */
	push(f: OutFrame): void {
		if (this.silenced() || this.ws.readyState !== WebSocket.OPEN) return;
		this.queue.push(f);
		this.pump();
	}

	/** Drops every waiting frame. */
	clear(): void {
		this.queue = [];
		this.head = 0;
	}

	/** Hands queued frames to the socket while less than HIGH_WATER_BYTES are unwritten. */
	private pump(): void {
		while (this.head < this.queue.length && this.inFlight < HIGH_WATER_BYTES) {
			if (this.silenced() || this.ws.readyState !== WebSocket.OPEN) {
				this.clear();
				return;
			}
			const f = this.queue[this.head++];
			this.inFlight += f.bytes;
			if (f.eventId !== undefined) this.onEventSent(f.eventId);
			this.ws.send(f.data, { binary: f.binary }, () => {
				this.inFlight -= f.bytes;
				this.pump();
			});
		}
		if (this.head === this.queue.length) {
			this.clear();
		} else if (this.head > 4096) {
			this.queue = this.queue.slice(this.head);
			this.head = 0;
		}
	}
}
