/**
 * Text from outside (a server's error body, a close reason) made fit for an error message or
 * a log line: no API key or token, no control characters, and short.
 */

export type Secrets = ReadonlyArray<string | undefined>;

/**
 * `name=value` and `"name": "value"` for names that carry credentials; the value is replaced.
 * No word boundary before the name: text glued to it (`[2Jaccess_token=`) must not hide it.
 */
const NAMED_SECRET =
	/((?:access|refresh|id)_token|token|api[_-]?key|x-api-key|client_secret|secret|password|authorization)(["']?\s*[:=]\s*["']?)(bearer\s+)?(?!\[redacted\])[^\s"'&,;}\]]+/gi;
const BEARER = /\b(bearer\s+)(?!\[redacted\])[\w.~+/=-]+/gi;
/** A JSON Web Token: header.payload.signature, the header starting `{"` in base64url. */
const JWT = /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;

/** A secret as written, and as it appears in a URL or in JSON text. */
function forms(secret: string): Set<string> {
	const all = new Set([secret, JSON.stringify(secret).slice(1, -1)]);
	try {
		all.add(encodeURIComponent(secret));
	} catch {
		// A lone surrogate cannot be URL-encoded, so it cannot appear so either.
	}
	return all;
}

/** Removes tokens and keys from a text: the given secrets, and what looks like one. */
export function redact(text: string, secrets: Secrets = []): string {
	let out = text;
	for (const secret of secrets) {
		if (!secret || secret.length < 4) continue;
		for (const form of forms(secret)) out = out.split(form).join('[redacted]');
	}
	return out.replace(NAMED_SECRET, '$1$2$3[redacted]').replace(BEARER, '$1[redacted]').replace(JWT, '[redacted]');
}

/** What is read of a text at most: error bodies can be megabytes, messages are one line. */
const MAX_READ = 64 * 1024;

/**
 * Control characters (C0, C1), invisible and direction-changing format characters (they
 * reorder or hide text in a UI), and lone surrogates (not text). Each becomes a space, not
 * nothing: removing one could join two halves into a secret that was never sent whole.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Drops the start of a secret that a cut left at the end of the text. */
function dropCutSecret(text: string, secrets: Secrets): string {
	for (const secret of secrets) {
		if (!secret || secret.length < 4) continue;
		for (let length = Math.min(secret.length - 1, text.length); length >= 4; length--) {
			if (text.endsWith(secret.slice(0, length))) return text.slice(0, text.length - length);
		}
	}
	return text;
}

/** `text` on one printable line of at most `max` characters, secrets redacted. */
export function safeText(text: string, secrets: Secrets = [], max = 200): string {
	let out = text.length > MAX_READ ? dropCutSecret(text.slice(0, MAX_READ), secrets) : text;
	out = out.replace(UNPRINTABLE, ' ').replace(LONE_SURROGATE, '\ufffd').replace(/\s+/g, ' ').trim();
	out = redact(out, secrets);
	if (out.length <= max) return out;
	let end = max - 1;
	// Never half of a surrogate pair.
	const last = out.charCodeAt(end - 1);
	if (last >= 0xd800 && last <= 0xdbff) end--;
	return `${out.slice(0, end)}…`;
}
