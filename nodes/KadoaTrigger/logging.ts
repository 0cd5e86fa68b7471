/** n8n's logger behind the client's small logging interface, with the node named in each line. */
import type { Logger } from 'n8n-workflow';

import type { ClientLogger } from './realtime/client';

export function nodeLogger(logger: Logger, nodeName: string, workflowId: string | undefined): ClientLogger {
	const meta = (extra?: Record<string, unknown>) => ({ node: nodeName, workflowId, ...extra });
	return {
		debug: (message, extra) => logger.debug(message, meta(extra)),
		info: (message, extra) => logger.info(message, meta(extra)),
		warn: (message, extra) => logger.warn(message, meta(extra)),
		error: (message, extra) => logger.error(message, meta(extra)),
	};
}
