// What the simulator saw on the wire, for assertions. The arrays keep their identity across
// resets (KadoaSimulator exposes these very arrays), so a test may hold on to one.
import type { AckRecord, ClientFrameRecord, ConnectionRecord, SentRecord, SubscribeRecord, TokenRequestRecord } from './types';

export class SimRecords {
	/** Every token request (the key itself is never stored). */
	readonly tokenRequests: TokenRequestRecord[] = [];
	/** Every subscribe frame, valid or not. */
	readonly subscribes: SubscribeRecord[] = [];
	/** Every ack request, including failed ones. */
	readonly acks: AckRecord[] = [];
	/** Every event frame handed to a socket. */
	readonly sent: SentRecord[] = [];
	/** Every accepted socket. */
	readonly connections: ConnectionRecord[] = [];
	/** Every frame received from clients (subscribes, garbage, unknown actions), except on black-holed sockets. */
	readonly clientFrames: ClientFrameRecord[] = [];
	/** Upgrade requests seen, counting rejected and stalled ones. */
	connectionAttempts = 0;
	/** TCP connections accepted since start (HTTP keep-alive reuse shows as few). */
	tcpConnections = 0;

	/** Clears the records; connections still open stay listed (tcpConnections keeps counting). */
	reset(): void {
		this.tokenRequests.length = 0;
		this.subscribes.length = 0;
		this.acks.length = 0;
		this.sent.length = 0;
		this.clientFrames.length = 0;
		const open = this.connections.filter((c) => c.closedAt === undefined);
		this.connections.length = 0;
		this.connections.push(...open);
		this.connectionAttempts = 0;
	}
}
