/** Change operations: the data changes Kadoa detected in monitored workflows. */
import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { collectBySkip, kadoaApiRequest } from '../transport/request';
import { compact, isoTime, splitList } from './params';

type Operation = (this: IExecuteFunctions, itemIndex: number) => Promise<IDataObject | IDataObject[]>;

const getAll: Operation = async function (itemIndex) {
	const workflowIds = splitList(this.getNodeParameter('workflowIds', itemIndex, []));
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const max = returnAll ? undefined : (this.getNodeParameter('limit', itemIndex, 50) as number);
	const filters = this.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const qs = compact({
		workflowIds: workflowIds.join(','),
		startDate: isoTime(this, filters.startDate, 'Since', itemIndex),
		endDate: isoTime(this, filters.endDate, 'Until', itemIndex),
		exclude: filters.excludeData === true ? 'data,differences' : undefined,
	});
	return (await collectBySkip.call(this, '/v4/changes', qs, 'changes', max, itemIndex)).items;
};

const get: Operation = async function (itemIndex) {
	const changeId = String(this.getNodeParameter('changeId', itemIndex, '')).trim();
	if (changeId === '') throw new NodeOperationError(this.getNode(), 'Enter the Change ID', { itemIndex });
	const body = (await kadoaApiRequest.call(this, 'GET', `/v4/changes/${encodeURIComponent(changeId)}`, { itemIndex })) as IDataObject;
	// Accept a bare change and one wrapped as { change } (its `data` is the row snapshot, not a wrapper).
	const wrapped = body.change;
	return wrapped && typeof wrapped === 'object' && !Array.isArray(wrapped) ? (wrapped as IDataObject) : body;
};

export const changeOperations: Record<string, Operation> = { getAll, get };
