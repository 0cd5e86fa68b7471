// The allow-list of n8n scanner findings, read from README's "Package rules" table, and the
// decision whether a finding is on it. Pure functions: test/scan/run.mjs does the I/O.
//
// Table columns: Rule | Where | Names | Reason. "Where" holds comma-separated source paths
// or globs (`*` within a folder, `**` across folders); "Names" the import, global or error
// class the finding is about (`re-throw` for a caught error thrown again as it is). A finding
// in the packed package (dist/**/*.js) is matched by the source path it was compiled from.

const RULE_PREFIX = '@n8n/community-nodes/';
const HEADING = /^#{2,4}\s+Package rules\s*$/;

/** @typedef {{ rule: string, where: string[], names: string[], reason: string, line: number }} Entry */
/** @typedef {{ leg: string, file: string, line: number, rule: string, message: string, severity: number }} Finding */

/** @param {string} readme @returns {Entry[]} */
export function parseAllowList(readme) {
	const lines = readme.split('\n');
	const start = lines.findIndex((l) => HEADING.test(l));
	if (start === -1) throw new Error('README has no "Package rules" section');
	const entries = [];
	let inTable = false;
	for (let i = start + 1; i < lines.length; i++) {
		const line = lines[i].trim();
		if (/^#{1,4}\s/.test(line)) break;
		if (!line.startsWith('|')) {
			if (inTable) break;
			continue;
		}
		const cells = line.slice(1, line.endsWith('|') ? -1 : undefined).split('|').map((c) => c.trim());
		if (!inTable) {
			// header row, then the |---| row
			const header = cells.map((c) => c.toLowerCase());
			if (header.join(',') !== 'rule,where,names,reason') {
				throw new Error(`README line ${i + 1}: the "Package rules" table needs the columns Rule | Where | Names | Reason`);
			}
			inTable = true;
			i++;
			continue;
		}
		const [rule, where, names, reason] = cells.map(unquote);
		if (!rule || !where || !names || !reason) {
			throw new Error(`README line ${i + 1}: every allow-list row needs a rule, where, names and a reason`);
		}
		entries.push({
			rule: rule.startsWith(RULE_PREFIX) ? rule.slice(RULE_PREFIX.length) : rule,
			where: splitList(where),
			names: splitList(names),
			reason,
			line: i + 1,
		});
	}
	if (entries.length === 0) throw new Error('README "Package rules" has no allow-list table');
	return entries;
}

function unquote(cell) {
	return cell.replace(/`/g, '').trim();
}

function splitList(cell) {
	return cell.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The source path a finding belongs to: packed files dist/X.js are compiled from X.ts.
 * @param {string} file a path relative to the linted folder, with forward slashes
 */
export function sourcePath(file) {
	const m = /^dist\/(.+)\.js$/.exec(file);
	return m ? `${m[1]}.ts` : file;
}

/**
 * What a finding is about, from the rule's message (the rules report no data otherwise).
 * @param {Finding} finding
 * @param {string[]} dependencies the "dependencies" of the linted package.json
 * @returns {string[]} every name must be allowed (several for no-runtime-dependencies)
 */
export function subjects(finding, dependencies) {
	const rule = shortRule(finding.rule);
	const message = finding.message;
	switch (rule) {
		case 'no-restricted-globals':
			return [match(/restricted global '([^']+)'/, message)];
		case 'no-restricted-imports':
			return [match(/(?:Import|Require) of '([^']+)'/, message)];
		case 'require-node-api-error':
			return /re-throwing raw errors/.test(message) ? ['re-throw'] : [match(/instead of `([^`]+)`/, message)];
		case 'no-runtime-dependencies':
			// The rule reports once for the whole field: each dependency must be on the list.
			return dependencies.length > 0 ? dependencies : ['(none)'];
		default:
			return ['(unnamed)'];
	}
}

function match(re, text) {
	return re.exec(text)?.[1] ?? '(unnamed)';
}

export function shortRule(rule) {
	return rule && rule.startsWith(RULE_PREFIX) ? rule.slice(RULE_PREFIX.length) : String(rule);
}

/** `*` matches within a folder, `**` across folders; everything else is literal. */
export function globToRegExp(glob) {
	let re = '';
	for (let i = 0; i < glob.length; i++) {
		const c = glob[i];
		if (c === '*' && glob[i + 1] === '*') {
			re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
			i += glob[i + 2] === '/' ? 2 : 1;
		} else if (c === '*') {
			re += '[^/]*';
		} else {
			re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
		}
	}
	return new RegExp(`^${re}$`);
}

/**
 * The entry that allows a finding, or null.
 * @param {Finding} finding
 * @param {Entry[]} entries
 * @param {string[]} dependencies
 * @returns {Entry | null}
 */
export function allowedBy(finding, entries, dependencies) {
	const rule = shortRule(finding.rule);
	const file = sourcePath(finding.file);
	const names = subjects(finding, dependencies);
	return (
		entries.find(
			(e) =>
				e.rule === rule &&
				e.where.some((w) => globToRegExp(w).test(file)) &&
				names.every((n) => e.names.includes(n)),
		) ?? null
	);
}
