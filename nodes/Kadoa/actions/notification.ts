/**
 * Notification operations. Enable Realtime Delivery runs the same set-up as the Kadoa
 * Trigger's onboarding (nodes/KadoaTrigger/api/notifications.ts), here through n8n's
 * authenticated request helper.
 */
import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { setupRealtimeDeliveryWith, type KadoaRest } from '../../KadoaTrigger/api/notifications';
import { collectByOffset, kadoaApiRequest } from '../transport/request';
import { compact, isoTime, splitList } from './params';

type Operation = (this: IExecuteFunctions, itemIndex: number) => Promise<IDataObject | IDataObject[]>;

/** The shared onboarding logic's requests, sent as this node sends every request. */
function nodeRest(context: IExecuteFunctions, itemIndex: number): KadoaRest {
	return async (method, path, body) => await kadoaApiRequest.call(context, method, path, { body: body as IDataObject | undefined, itemIndex });
}

const enableRealtime: Operation = async function (itemIndex) {
	const eventTypes = splitList(this.getNodeParameter('eventTypes', itemIndex, []));
	if (eventTypes.length === 0) throw new NodeOperationError(this.getNode(), 'Choose at least one event type', { itemIndex });
	const workflowIds = splitList(this.getNodeParameter('workflowIds', itemIndex, []));
	const result = await setupRealtimeDeliveryWith(nodeRest(this, itemIndex), eventTypes, workflowIds);
	return { ...result, settings: result.settings as unknown as IDataObject[] };
};

const sendTestEvent: Operation = async function (itemIndex) {
	const eventType = String(this.getNodeParameter('eventType', itemIndex, 'workflow_data_change'));
	const workflowId = String(this.getNodeParameter('workflowId', itemIndex, '') ?? '').trim();
	const answer = (await kadoaApiRequest.call(this, 'POST', '/v5/notifications/test', { body: compact({ eventType, workflowId }), itemIndex })) as IDataObject;
	const data = (answer.data && typeof answer.data === 'object' ? answer.data : answer) as IDataObject;
	return { ...data, message: answer.message ?? 'Test event sent' };
};

const getLog: Operation = async function (itemIndex) {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const max = returnAll ? undefined : (this.getNodeParameter('limit', itemIndex, 50) as number);
	const filters = this.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const qs = compact({
		workflowId: typeof filters.workflowId === 'string' ? filters.workflowId.trim() : undefined,
		eventType: filters.eventType,
		startDate: isoTime(this, filters.startDate, 'Since', itemIndex),
		endDate: isoTime(this, filters.endDate, 'Until', itemIndex),
	});
	return (await collectByOffset.call(this, '/v5/notifications/logs', qs, ['data', 'events'], max, itemIndex)).items;
};

export const notificationOperations: Record<string, Operation> = { enableRealtime, sendTestEvent, getLog };
