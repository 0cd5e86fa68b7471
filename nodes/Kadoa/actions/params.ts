/** Reading parameters the way both the editor and an AI agent fill them in. */
import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

/** A list from a multi-select (array) or from text (comma, semicolon or new line separated). */
export function splitList(value: unknown): string[] {
	const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\n,;]+/) : [];
	return [...new Set(parts.map((part) => String(part).trim()).filter((part) => part !== ''))];
}

/** The workflow ID of the `workflowId` resource locator (list, ID or URL mode). */
export function workflowIdOf(context: IExecuteFunctions, itemIndex: number): string {
	const id = String(context.getNodeParameter('workflowId', itemIndex, '', { extractValue: true }) ?? '').trim();
	if (id === '') throw new NodeOperationError(context.getNode(), 'Choose a Kadoa workflow', { itemIndex });
	return id;
}

/** A JSON parameter given as text or as an already parsed value. */
export function jsonParameter<T>(context: IExecuteFunctions, value: unknown, name: string, itemIndex: number): T | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value !== 'string') return value as T;
	try {
		return JSON.parse(value) as T;
	} catch (error) {
		throw new NodeOperationError(context.getNode(), `${name} is not valid JSON: ${(error as Error).message}`, { itemIndex });
	}
}

/** An ISO time from n8n's dateTime parameter (or any text Date understands); undefined when empty. */
export function isoTime(context: IExecuteFunctions, value: unknown, name: string, itemIndex: number): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const time = new Date(String(value));
	if (Number.isNaN(time.getTime())) {
		throw new NodeOperationError(context.getNode(), `${name} "${String(value)}" is not a date`, { itemIndex });
	}
	return time.toISOString();
}

/** Drops undefined, empty-string and empty-array values (Kadoa reads "absent" as "keep"). */
export function compact(body: IDataObject): IDataObject {
	const out: IDataObject = {};
	for (const [key, value] of Object.entries(body)) {
		if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) continue;
		out[key] = value;
	}
	return out;
}
