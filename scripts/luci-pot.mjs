// Writes the translation template of luci-app-ha-router (po/templates/ha-router.pot) from every
// _('...') in its views, as LuCI's i18n-scan does for its own apps: one msgid per string, with the
// places it is used. `--check` only compares and exits 1 if the template is out of date.
// Usage: node scripts/luci-pot.mjs [--check]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const APP = path.resolve(import.meta.dirname, '../openwrt/luci-app-ha-router');
const VIEWS = path.join(APP, 'htdocs/luci-static/resources/view/ha-router');
const POT = path.join(APP, 'po/templates/ha-router.pot');

/** The strings of _('...') and _("...") calls with their line numbers (JS escapes resolved). */
export function scan(src) {
	const out = [];
	const re = /\b_\(\s*('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")\s*\)/g;
	for (const m of src.matchAll(re)) {
		const lit = m[1];
		const body = lit.slice(1, -1).replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t' })[c] ?? c);
		out.push({ msgid: body, line: src.slice(0, m.index).split('\n').length });
	}
	return out;
}

function poString(s) {
	return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

export function pot() {
	const where = new Map();
	for (const f of readdirSync(VIEWS).filter((n) => n.endsWith('.js')).sort()) {
		for (const { msgid, line } of scan(readFileSync(path.join(VIEWS, f), 'utf8'))) {
			if (!where.has(msgid)) where.set(msgid, []);
			where.get(msgid).push(`htdocs/luci-static/resources/view/ha-router/${f}:${line}`);
		}
	}
	const head = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8"\n';
	const entries = [...where.keys()].sort().map((id) => `\n#: ${where.get(id).join(' ')}\nmsgid ${poString(id)}\nmsgstr ""\n`);
	return head + entries.join('');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
	const text = pot();
	if (process.argv.includes('--check')) {
		let old = '';
		try {
			old = readFileSync(POT, 'utf8');
		} catch {}
		if (old !== text) {
			console.error(`${POT} is out of date: run node scripts/luci-pot.mjs`);
			process.exit(1);
		}
	} else {
		writeFileSync(POT, text);
		console.log(`${POT}: ${text.split('\nmsgid ').length - 2} strings`);
	}
}
