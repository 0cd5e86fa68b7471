/**
 * Runs a regular node's `execute()` the way n8n runs it: n8n-core's own ExecuteContext over a
 * real n8n-workflow Workflow, so parameters (expressions included), continueOnFail, the
 * cancellation signal and `helpers.httpRequestWithAuthentication` are n8n's code. Only what
 * n8n's server package provides is stood in for, as n8n's CLI does it:
 * - the credentials helper (decrypted data straight from the test; `authenticate` applies a
 *   credential type's generic `authenticate` block by resolving its expressions against
 *   `$credentials`, as n8n's CredentialsHelper does), and
 * - n8n-core's DI singletons it reads at construction (instance settings, logger).
 * Requests really go over HTTP (n8n-core's OutboundHttp) to whatever the credential points at.
 */
import { Container } from '@n8n/di';
import { Logger } from '@n8n/backend-common';
import { ExecuteContext, InstanceSettings, LoadOptionsContext } from 'n8n-core';
import {
	ICredentialsHelper,
	NodeConnectionTypes,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type ICredentialType,
	type IDataObject,
	type IExecuteData,
	type IHttpRequestOptions,
	type INode,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IRequestOptionsSimplified,
	type IRunExecutionData,
	type IVersionedNodeType,
	type IWorkflowExecuteAdditionalData,
	type NodeParameterValueType,
} from 'n8n-workflow';

export interface ExecuteOptions {
	/** The node's parameters, as n8n stores them (values starting with `=` are expressions). */
	parameters: Record<string, NodeParameterValueType | object>;
	/** Input items (default: one empty item, like a manual trigger). */
	items?: INodeExecutionData[];
	/** Decrypted credential data for the node's credential. */
	credentials: ICredentialDataDecryptedObject;
	/** n8n's "On Error: Continue" setting. */
	continueOnFail?: boolean;
	/** n8n's execution cancellation signal (aborted when the user stops the execution). */
	abortSignal?: AbortSignal;
	/** Node name (default "Kadoa"). */
	name?: string;
}

const silentLogger = {
	error: () => undefined,
	warn: () => undefined,
	info: () => undefined,
	debug: () => undefined,
	scoped() {
		return this;
	},
};

let containerReady = false;
/** n8n-core reads these singletons at context construction; n8n's CLI registers the real ones at start-up. */
function prepareContainer(): void {
	if (containerReady) return;
	containerReady = true;
	Container.set(InstanceSettings, { instanceType: 'main', instanceId: 'test-instance', n8nFolder: '/nonexistent' } as unknown as InstanceSettings);
	Container.set(Logger, silentLogger as unknown as Logger);
}

class SingleNodeTypes implements INodeTypes {
	constructor(
		private readonly type: string,
		private readonly nodeType: INodeType,
	) {}

	getByName(name: string): INodeType | IVersionedNodeType {
		return this.getByNameAndVersion(name);
	}

	getByNameAndVersion(name: string): INodeType {
		if (name !== this.type) throw new Error(`unknown node type ${name}`);
		return this.nodeType;
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}

/** n8n's CredentialsHelper, reduced to what a node with a generic-auth credential uses. */
class TestCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly credentialType: ICredentialType,
		private readonly data: ICredentialDataDecryptedObject,
	) {
		super();
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		incoming: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const requestOptions = incoming as IHttpRequestOptions & Record<string, Record<string, unknown>>;
		const { authenticate } = this.credentialType;
		if (typeName !== this.credentialType.name || !authenticate) return requestOptions;
		if (typeof authenticate === 'function') return await authenticate(credentials, requestOptions);
		if (!workflow || !node) throw new Error('Workflow and node are required for declarative credential authentication');
		requestOptions.headers ??= {};
		// As n8n's CredentialsHelper: every key and value may be an expression over $credentials.
		for (const [outerKey, outerValue] of Object.entries(authenticate.properties)) {
			for (const [key, value] of Object.entries(outerValue as Record<string, string>)) {
				const resolve = (raw: string): string =>
					raw.startsWith('=')
						? String(workflow.expression.getSimpleParameterValue(node, raw, 'internal', { $credentials: credentials }, undefined, '') ?? '')
						: raw;
				requestOptions[outerKey] ??= {};
				requestOptions[outerKey][resolve(key)] = resolve(value);
			}
		}
		return requestOptions;
	}

	async preAuthentication(): Promise<undefined> {
		return undefined;
	}

	async runPreAuthentication(): Promise<undefined> {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used by execute()');
	}

	async getDecrypted(): Promise<ICredentialDataDecryptedObject> {
		// A copy: n8n decrypts afresh for every call.
		return { ...this.data };
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(): INodeProperties[] {
		return this.credentialType.properties;
	}
}

function additionalDataFor(helper: ICredentialsHelper): IWorkflowExecuteAdditionalData {
	const unused = async (): Promise<never> => {
		throw new Error('not available in the test harness');
	};
	return {
		credentialsHelper: helper,
		executeWorkflow: unused,
		getRunExecutionData: unused,
		getRuntimeCredential: unused,
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678',
		formBaseUrl: '',
		formWaitingBaseUrl: '',
		formTestBaseUrl: '',
		webhookBaseUrl: '',
		webhookWaitingBaseUrl: '',
		webhookTestBaseUrl: '',
		mcpBaseUrl: '',
		mcpTestBaseUrl: '',
		variables: {},
		logAiEvent: () => undefined,
	} as unknown as IWorkflowExecuteAdditionalData;
}

interface OneNodeWorkflow {
	workflow: Workflow;
	node: INode;
	additionalData: IWorkflowExecuteAdditionalData;
}

/** A real n8n Workflow holding one node of `nodeType` with the test's parameters and credential. */
function oneNodeWorkflow(nodeType: INodeType, credentialType: ICredentialType, options: Omit<ExecuteOptions, 'items' | 'abortSignal'>): OneNodeWorkflow {
	prepareContainer();
	const type = `n8n-nodes-kadoa.${nodeType.description.name}`;
	const credentialName = nodeType.description.credentials?.[0]?.name ?? credentialType.name;
	const node: INode = {
		id: 'node-under-test',
		name: options.name ?? 'Kadoa',
		type,
		typeVersion: Array.isArray(nodeType.description.version) ? nodeType.description.version[0] : nodeType.description.version,
		position: [0, 0],
		parameters: options.parameters as INode['parameters'],
		credentials: { [credentialName]: { id: 'cred-1', name: 'Kadoa account' } },
		...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	};
	const workflow = new Workflow({
		id: 'wf-test',
		name: 'test',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: new SingleNodeTypes(type, nodeType),
	});
	return { workflow, node, additionalData: additionalDataFor(new TestCredentialsHelper(credentialType, options.credentials)) };
}

/** The ExecuteContext n8n would give the node's execute() for these input items. */
export function executeContext(nodeType: INodeType, credentialType: ICredentialType, options: ExecuteOptions): ExecuteContext {
	const { workflow, node, additionalData } = oneNodeWorkflow(nodeType, credentialType, options);
	const items = options.items ?? [{ json: {} }];
	const inputData = { [NodeConnectionTypes.Main]: [items] };
	const executeData: IExecuteData = { node, data: inputData, source: null };
	const runExecutionData = {
		startData: {},
		resultData: { runData: {} },
		executionData: { contextData: {}, nodeExecutionStack: [], metadata: {}, waitingExecution: {}, waitingExecutionSource: {} },
	} as unknown as IRunExecutionData;
	return new ExecuteContext(workflow, node, additionalData, 'manual', runExecutionData, 0, items, inputData, executeData, [], options.abortSignal);
}

/** The context n8n gives a node's listSearch and loadOptions methods (the editor's pickers). */
export function loadOptionsContext(nodeType: INodeType, credentialType: ICredentialType, options: Omit<ExecuteOptions, 'items' | 'abortSignal'>): LoadOptionsContext {
	const { workflow, node, additionalData } = oneNodeWorkflow(nodeType, credentialType, options);
	additionalData.currentNodeParameters = node.parameters;
	return new LoadOptionsContext(workflow, node, additionalData, 'parameters.workflowId');
}

/** Runs the node's execute() once, as n8n does for one node run; returns its outputs. */
export async function executeNode(nodeType: INodeType, credentialType: ICredentialType, options: ExecuteOptions): Promise<INodeExecutionData[][]> {
	const context = executeContext(nodeType, credentialType, options);
	if (!nodeType.execute) throw new Error(`${nodeType.description.name} has no execute()`);
	const result = await nodeType.execute.call(context);
	return (result ?? []) as INodeExecutionData[][];
}
