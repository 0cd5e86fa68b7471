/** Data operation: the rows of a workflow's latest run, or of a given run, over Kadoa's pages. */
import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { collectByPage } from '../transport/request';
import { compact, jsonParameter, workflowIdOf } from './params';

type Operation = (this: IExecuteFunctions, itemIndex: number) => Promise<IDataObject | IDataObject[]>;

const get: Operation = async function (itemIndex) {
	const workflowId = workflowIdOf(this, itemIndex);
	const run = this.getNodeParameter('run', itemIndex, 'latest') as string;
	const runId = run === 'runId' ? String(this.getNodeParameter('runId', itemIndex, '')).trim() : '';
	if (run === 'runId' && runId === '') throw new NodeOperationError(this.getNode(), 'Enter the Run ID', { itemIndex });
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const max = returnAll ? undefined : (this.getNodeParameter('limit', itemIndex, 50) as number);
	const simplify = this.getNodeParameter('simplify', itemIndex, true) as boolean;
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const filters = jsonParameter<unknown[]>(this, options.filters, 'Filters (JSON)', itemIndex);
	const qs = compact({
		runId: runId || undefined,
		sortBy: options.sortBy,
		order: options.sortBy ? options.order : undefined,
		filters: Array.isArray(filters) && filters.length ? JSON.stringify(filters) : undefined,
	});
	// Later pages must come from the same run even if a new run finishes meanwhile.
	const pinRun = (first: IDataObject): IDataObject => (typeof first.runId === 'string' && first.runId ? { runId: first.runId } : {});
	const { items, first } = await collectByPage.call(this, `/v4/workflows/${encodeURIComponent(workflowId)}/data`, qs, 'data', max, itemIndex, pinRun);
	const rows = items.map((row) => (row !== null && typeof row === 'object' && !Array.isArray(row) ? row : { value: row as unknown as IDataObject }));
	if (simplify) return rows;
	const pagination = (first.pagination ?? {}) as IDataObject;
	return {
		workflowId: first.workflowId ?? workflowId,
		runId: first.runId ?? null,
		executedAt: first.executedAt ?? null,
		totalCount: pagination.totalCount ?? rows.length,
		data: rows,
	};
};

export const dataOperations: Record<string, Operation> = { get };
