/** Resource "Workflow": a Kadoa workflow is one scraper (its URLs, what to extract, how often). */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { returnAllAndLimit, workflowLocator } from './common';

const show = (operation: string[]) => ({ show: { resource: ['workflow'], operation } });

export const INTERVAL_OPTIONS: INodePropertyOptions[] = [
	{ name: 'Biweekly', value: 'BIWEEKLY' },
	{ name: 'Cron Schedule', value: 'CUSTOM', description: 'Run on the cron expressions given in Schedules' },
	{ name: 'Daily', value: 'DAILY' },
	{ name: 'Every 10 Minutes', value: 'EVERY_10_MINUTES' },
	{ name: 'Every 12 Hours', value: 'TWELVE_HOURLY' },
	{ name: 'Every 18 Hours', value: 'EIGHTEEN_HOURLY' },
	{ name: 'Every 2 Days', value: 'TWO_DAY' },
	{ name: 'Every 2 Hours', value: 'TWO_HOURLY' },
	{ name: 'Every 20 Minutes', value: 'EVERY_20_MINUTES' },
	{ name: 'Every 3 Days', value: 'THREE_DAY' },
	{ name: 'Every 3 Hours', value: 'THREE_HOURLY' },
	{ name: 'Every 30 Minutes', value: 'HALF_HOURLY' },
	{ name: 'Every 4 Hours', value: 'FOUR_HOURLY' },
	{ name: 'Every 4 Weeks', value: 'FOUR_WEEKS' },
	{ name: 'Every 6 Hours', value: 'SIX_HOURLY' },
	{ name: 'Hourly', value: 'HOURLY' },
	{ name: 'Monthly', value: 'MONTHLY' },
	{ name: 'Only Once', value: 'ONLY_ONCE' },
	{ name: 'Triweekly', value: 'TRIWEEKLY' },
	{ name: 'Weekly', value: 'WEEKLY' },
];

const STATE_OPTIONS: INodePropertyOptions[] = ['ACTIVE', 'DRAFT', 'ERROR', 'PAUSED', 'PREVIEW', 'QUEUED', 'SETUP'].map((state) => ({
	name: state.charAt(0) + state.slice(1).toLowerCase(),
	value: state,
}));

const DATA_TYPES: INodePropertyOptions[] = ['BOOLEAN', 'DATE', 'DATETIME', 'IMAGE', 'LINK', 'MONEY', 'NUMBER', 'STRING'].map((type) => ({
	name: type.charAt(0) + type.slice(1).toLowerCase(),
	value: type,
}));

const urls = (operation: string, required: boolean): INodeProperties => ({
	displayName: 'URLs',
	name: 'urls',
	type: 'string',
	default: '',
	required,
	placeholder: 'e.g. https://shop.example/laptops, https://shop.example/monitors',
	description: 'Pages to extract data from, separated by commas or new lines (an expression may also give an array)',
	displayOptions: show([operation]),
});

const scheduleFields = (intervalName: string): INodeProperties[] => [
	{
		displayName: 'Schedules',
		name: 'schedules',
		type: 'string',
		typeOptions: { multipleValues: true },
		default: [],
		placeholder: 'e.g. 0 9 * * 1-5',
		description: 'Cron expressions for when the workflow runs (with the Cron Schedule interval)',
		displayOptions: { show: { [intervalName]: ['CUSTOM'] } },
	},
	{
		displayName: 'Timezone',
		name: 'timezone',
		type: 'string',
		default: '',
		placeholder: 'e.g. Europe/Berlin',
		description: 'IANA timezone of the cron schedules (default UTC)',
		displayOptions: { show: { [intervalName]: ['CUSTOM'] } },
	},
];

const monitoredFields = (operation: string): INodeProperties => ({
	displayName: 'Monitored Fields',
	name: 'monitoredFields',
	type: 'fixedCollection',
	typeOptions: { multipleValues: true },
	default: {},
	placeholder: 'Add Monitored Field',
	description: 'Fields whose changes Kadoa reports as data changes (the Kadoa Trigger\'s "Workflow Data Change" event). None: no monitoring.',
	displayOptions: show([operation]),
	options: [
		{
			displayName: 'Field',
			name: 'field',
			values: [
				{ displayName: 'Field Name', name: 'fieldName', type: 'string', default: '', placeholder: 'e.g. price', description: 'A field of the extracted rows' },
				{
					displayName: 'Report When',
					name: 'operator',
					type: 'options',
					default: 'changed',
					options: [
						{ name: 'A Row Is Added', value: 'added' },
						{ name: 'A Row Is Removed', value: 'removed' },
						{ name: 'The Value Changes', value: 'changed' },
					],
				},
			],
		},
	],
});

export const workflowOperations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['workflow'] } },
		options: [
			{ name: 'Create', value: 'create', action: 'Create a workflow', description: 'Create a Kadoa workflow (scraper) for some URLs' },
			{ name: 'Delete', value: 'delete', action: 'Delete a workflow', description: 'Delete a Kadoa workflow for good' },
			{ name: 'Get', value: 'get', action: 'Get a workflow', description: 'Get one Kadoa workflow: its URLs, state, schedule and schema' },
			{ name: 'Get Many', value: 'getAll', action: 'Get many workflows', description: 'List the Kadoa workflows of the account' },
			{
				name: 'Get Run Status',
				value: 'getRunStatus',
				action: 'Get the status of a workflow run',
				description: 'Get the state of one run (job) of a Kadoa workflow: in progress, finished or failed',
			},
			{ name: 'Pause', value: 'pause', action: 'Pause a workflow', description: 'Stop a Kadoa workflow from running on its schedule' },
			{ name: 'Resume', value: 'resume', action: 'Resume a workflow', description: 'Let a paused Kadoa workflow run on its schedule again' },
			{
				name: 'Run and Wait',
				value: 'runAndWait',
				action: 'Run a workflow and wait for it to finish',
				description: 'Start a run of a Kadoa workflow and wait (within a limit) until it finished or failed',
			},
			{ name: 'Run Now', value: 'run', action: 'Run a workflow now', description: 'Start a run of a Kadoa workflow and return at once with its job ID' },
			{ name: 'Update', value: 'update', action: 'Update a workflow', description: "Change a Kadoa workflow's name, URLs, prompt, schedule or monitoring" },
		],
		default: 'get',
	},
];

export const workflowFields: INodeProperties[] = [
	workflowLocator(show(['delete', 'get', 'getRunStatus', 'pause', 'resume', 'run', 'runAndWait', 'update'])),

	// ---------------------------------------------------------------- get many
	...returnAllAndLimit(show(['getAll'])),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: show(['getAll']),
		options: [
			{ displayName: 'Search', name: 'search', type: 'string', default: '', description: 'Only workflows whose name or ID contains this text' },
			{ displayName: 'State', name: 'state', type: 'options', default: 'ACTIVE', options: STATE_OPTIONS, description: 'Only workflows in this state' },
			{ displayName: 'Tags', name: 'tags', type: 'string', default: '', placeholder: 'e.g. pricing, competitors', description: 'Only workflows with one of these tags (comma-separated)' },
		],
	},

	// ---------------------------------------------------------------- create
	urls('create', true),
	{
		displayName: 'What to Extract',
		name: 'extraction',
		type: 'options',
		default: 'prompt',
		displayOptions: show(['create']),
		options: [
			{ name: 'Define Entity and Fields', value: 'fields', description: 'Name the kind of item (e.g. Product) and list its fields' },
			{ name: 'Describe in Words', value: 'prompt', description: 'Tell Kadoa in plain words what to extract' },
			{ name: 'Use a Saved Schema', value: 'schema', description: 'Extract the fields of a schema saved in Kadoa' },
		],
	},
	{
		displayName: 'Prompt',
		name: 'userPrompt',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		placeholder: 'e.g. Extract every laptop with its name, price and product link',
		description: 'What to extract and how to navigate the site, in plain words (10 to 5000 characters)',
		displayOptions: { show: { resource: ['workflow'], operation: ['create'], extraction: ['prompt'] } },
	},
	{
		displayName: 'Schema',
		name: 'schemaId',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'A schema saved in Kadoa',
		displayOptions: { show: { resource: ['workflow'], operation: ['create'], extraction: ['schema'] } },
		modes: [
			{ displayName: 'From List', name: 'list', type: 'list', placeholder: 'Select a schema...', typeOptions: { searchListMethod: 'searchSchemas', searchable: true } },
			{ displayName: 'By ID', name: 'id', type: 'string', placeholder: 'e.g. 65f0c1d2e3a4b5c6d7e8f901' },
		],
	},
	{
		displayName: 'Entity',
		name: 'entity',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. Product',
		description: 'The kind of item each extracted row is',
		displayOptions: { show: { resource: ['workflow'], operation: ['create'], extraction: ['fields'] } },
	},
	{
		displayName: 'Fields',
		name: 'fields',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		required: true,
		placeholder: 'Add Field',
		description: 'The fields of each extracted row',
		displayOptions: { show: { resource: ['workflow'], operation: ['create'], extraction: ['fields'] } },
		options: [
			{
				displayName: 'Field',
				name: 'field',
				values: [
					{ displayName: 'Data Type', name: 'dataType', type: 'options', default: 'STRING', options: DATA_TYPES },
					{ displayName: 'Description', name: 'description', type: 'string', default: '', placeholder: 'e.g. Current price incl. VAT', description: 'What the field holds' },
					{ displayName: 'Example', name: 'example', type: 'string', default: '', description: 'An example value (optional)' },
					{ displayName: 'Is Key', name: 'isKey', type: 'boolean', default: false, description: 'Whether this field identifies a row across runs (a SKU, a URL)' },
					{ displayName: 'Name', name: 'name', type: 'string', default: '', placeholder: 'e.g. price', description: 'Letters, digits and _; starts with a letter' },
				],
			},
		],
	},
	{
		displayName: 'Interval',
		name: 'interval',
		type: 'options',
		default: 'ONLY_ONCE',
		options: INTERVAL_OPTIONS,
		description: 'How often the workflow runs',
		displayOptions: show(['create']),
	},
	...scheduleFields('interval').map((p) => ({ ...p, displayOptions: { show: { resource: ['workflow'], operation: ['create'], interval: ['CUSTOM'] } } })),
	monitoredFields('create'),
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: show(['create']),
		options: [
			{ displayName: 'Country', name: 'country', type: 'string', default: '', placeholder: 'e.g. US', description: 'ISO code of the country to scrape from (default: automatic)' },
			{ displayName: 'Max Records', name: 'maxRecords', type: 'number', typeOptions: { minValue: 1 }, default: 100, description: 'Max number of rows per run' },
			{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'A name for the workflow (default: from the first URL)' },
			{
				displayName: 'Skip Preview',
				name: 'bypassPreview',
				type: 'boolean',
				default: false,
				description: 'Whether to activate the workflow at once, without the preview Kadoa shows for confirmation. Without it the workflow waits in Preview and cannot run yet.',
			},
			{ displayName: 'Tags', name: 'tags', type: 'string', default: '', placeholder: 'e.g. pricing, competitors', description: 'Tags, comma-separated (2 characters or more each)' },
		],
	},

	// ---------------------------------------------------------------- update
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: show(['update']),
		options: [
			{ displayName: 'Interval', name: 'updateInterval', type: 'options', default: 'DAILY', options: INTERVAL_OPTIONS, description: 'How often the workflow runs' },
			{ displayName: 'Max Records', name: 'maxRecords', type: 'number', typeOptions: { minValue: 1 }, default: 100, description: 'Max number of rows per run' },
			{ displayName: 'Name', name: 'name', type: 'string', default: '' },
			{ displayName: 'Prompt', name: 'userPrompt', type: 'string', typeOptions: { rows: 4 }, default: '', description: 'New extraction instructions (10 to 5000 characters)' },
			{
				displayName: 'Schedules',
				name: 'schedules',
				type: 'string',
				typeOptions: { multipleValues: true },
				default: [],
				placeholder: 'e.g. 0 9 * * 1-5',
				description: 'Cron expressions (with the Cron Schedule interval)',
			},
			{ displayName: 'Timezone', name: 'timezone', type: 'string', default: '', placeholder: 'e.g. Europe/Berlin', description: 'IANA timezone of the cron schedules' },
			{ displayName: 'URLs', name: 'urls', type: 'string', default: '', description: 'New pages to extract from, separated by commas or new lines' },
		],
	},
	monitoredFields('update'),

	// ---------------------------------------------------------------- run, run and wait, run status
	{
		displayName: 'Job ID',
		name: 'jobId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. 3f6c2b1a-...',
		description: 'The run to look at: the Job ID that Run Now returned',
		displayOptions: show(['getRunStatus']),
	},
	{
		displayName: 'Max Wait (Seconds)',
		name: 'maxWait',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 600,
		description: 'Longest time to wait for the run to end. When it is still running then, the node fails with the job ID (use Get Run Status to follow it).',
		displayOptions: show(['runAndWait']),
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollInterval',
		type: 'number',
		typeOptions: { minValue: 0.05, numberPrecision: 2 },
		default: 10,
		description: 'How often to ask Kadoa whether the run has ended',
		displayOptions: show(['runAndWait']),
	},
	{
		displayName: 'Options',
		name: 'runOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: show(['run', 'runAndWait']),
		options: [
			{ displayName: 'Max Records', name: 'maxRecords', type: 'number', typeOptions: { minValue: 1 }, default: 100, description: 'Max number of rows for this run' },
			{ displayName: 'Variables', name: 'variables', type: 'json', default: '{}', description: 'Variables for this run, as a JSON object' },
		],
	},
];
