/**
 * Observes every WebSocket 'message' event in this process (the node's client and the
 * baselines use the same `ws` module): when a frame was handed to listeners and its size.
 */
import WebSocket from 'ws';

import { nowNs } from './stats';

export interface WsProbe {
	messages: number;
	bytes: number;
	lastMessageNs: bigint;
	lastMessageBytes: number;
	reset(): void;
}

let probe: WsProbe | undefined;

function sizeOf(data: unknown): number {
	if (Buffer.isBuffer(data)) return data.length;
	if (Array.isArray(data)) return data.reduce((sum: number, part: Buffer) => sum + part.length, 0);
	if (data instanceof ArrayBuffer) return data.byteLength;
	return 0;
}

export function wsProbe(): WsProbe {
	if (probe) return probe;
	const state: WsProbe = {
		messages: 0,
		bytes: 0,
		lastMessageNs: 0n,
		lastMessageBytes: 0,
		reset() {
			state.messages = 0;
			state.bytes = 0;
			state.lastMessageNs = 0n;
			state.lastMessageBytes = 0;
		},
	};
	type Emit = (this: WebSocket, event: string | symbol, ...args: unknown[]) => boolean;
	const proto = WebSocket.prototype as unknown as { emit: Emit };
	const original = proto.emit;
	proto.emit = function emit(this: WebSocket, event: string | symbol, ...args: unknown[]): boolean {
		if (event === 'message') {
			state.messages++;
			state.lastMessageNs = nowNs();
			state.lastMessageBytes = sizeOf(args[0]);
			state.bytes += state.lastMessageBytes;
		}
		return original.call(this, event, ...args);
	};
	probe = state;
	return state;
}
