/** Parameters several resources share: the workflow picker, Return All / Limit, event types. */
import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

export { EVENT_TYPES } from '../../KadoaTrigger/description';

/** A Kadoa workflow: from the list (searchable), by ID, or by its dashboard URL. */
export function workflowLocator(displayOptions: IDisplayOptions, description = 'The Kadoa workflow (scraper)'): INodeProperties {
	return {
		displayName: 'Workflow',
		name: 'workflowId',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description,
		displayOptions,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a workflow...',
				typeOptions: { searchListMethod: 'searchWorkflows', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 6650a1f2c3d4e5f60718293a',
				validation: [{ type: 'regex', properties: { regex: '^[A-Za-z0-9_-]+$', errorMessage: 'Not a valid Kadoa workflow ID' } }],
			},
			{
				displayName: 'By URL',
				name: 'url',
				type: 'string',
				placeholder: 'e.g. https://www.kadoa.com/workflow/6650a1f2c3d4e5f60718293a',
				extractValue: { type: 'regex', regex: 'kadoa\\.com/workflow/([A-Za-z0-9_-]+)' },
				validation: [
					{ type: 'regex', properties: { regex: '.*kadoa\\.com/workflow/[A-Za-z0-9_-]+.*', errorMessage: 'Not a Kadoa workflow URL' } },
				],
			},
		],
	};
}

/** Return All + Limit, as n8n's own nodes show them (Limit 1 = one row, change or workflow). */
export function returnAllAndLimit(displayOptions: IDisplayOptions): INodeProperties[] {
	const show = displayOptions.show ?? {};
	return [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
			displayOptions,
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			default: 50,
			typeOptions: { minValue: 1 },
			description: 'Max number of results to return',
			displayOptions: { ...displayOptions, show: { ...show, returnAll: [false] } },
		},
	];
}
