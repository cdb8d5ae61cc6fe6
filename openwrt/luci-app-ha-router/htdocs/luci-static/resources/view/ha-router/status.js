'use strict';
'require view';
'require rpc';
'require poll';
'require ui';

// Status of this node of the ha-router pair, from `ubus call ha-router status` (rpcd plugin
// /usr/libexec/rpcd/ha-router, which runs `ha-router status --json`), refreshed every 5 s.

var callStatus = rpc.declare({ object: 'ha-router', method: 'status', expect: { '': {} } });
var callCheck = rpc.declare({ object: 'ha-router', method: 'check', expect: { '': {} } });
var callApply = rpc.declare({ object: 'ha-router', method: 'apply', expect: { '': {} } });

function rows(obj, prefix) {
	var out = [];
	Object.keys(obj || {}).sort().forEach(function(key) {
		var value = obj[key], name = prefix ? prefix + '.' + key : key;
		if (value !== null && typeof value === 'object' && !Array.isArray(value))
			out = out.concat(rows(value, name));
		else
			out.push([ name, Array.isArray(value) ? value.join(', ') : String(value) ]);
	});
	return out;
}

function renderTable(status) {
	var table = E('table', { 'class': 'table' });
	rows(status).forEach(function(r) {
		table.appendChild(E('tr', { 'class': 'tr' }, [
			E('td', { 'class': 'td left', 'style': 'width:33%' }, r[0]),
			E('td', { 'class': 'td left' }, r[1])
		]));
	});
	return table;
}

// `check --json` answers {valid, errors, warnings}; other commands {ok, ...}; the plugin's
// fallback {ok: false, code, stdout, stderr}.
function failed(reply) {
	return !reply || reply.ok === false || reply.valid === false;
}

function issuesText(reply) {
	var issues = [].concat((reply && reply.errors) || [], (reply && reply.warnings) || [], (reply && reply.issues) || []);
	if (issues.length)
		return issues.map(function(i) {
			return (i.section ? i.section + (i.option ? '.' + i.option : '') + ': ' : '') + (i.message || JSON.stringify(i));
		}).join('\n');
	if (reply && (reply.stderr || reply.stdout))
		return reply.stderr || reply.stdout;
	return failed(reply) ? _('Failed') : _('OK');
}

function runAction(title, call) {
	return call().then(function(reply) {
		ui.addNotification(title, E('pre', {}, issuesText(reply)), failed(reply) ? 'danger' : 'info');
	}).catch(function(err) {
		ui.addNotification(title, E('pre', {}, String(err)), 'danger');
	});
}

return view.extend({
	load: function() {
		return callStatus();
	},

	render: function(status) {
		var box = E('div', { 'id': 'ha-router-status' }, renderTable(status));

		poll.add(function() {
			return callStatus().then(function(s) {
				box.replaceChildren(renderTable(s));
			});
		}, 5);

		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('High Availability')),
			E('div', { 'class': 'cbi-map-descr' },
				_('This router and its peer share the LAN addresses (VRRP), the connection state (conntrackd) and the WAN lease.')),
			E('div', { 'class': 'cbi-section' }, box),
			E('div', { 'class': 'cbi-page-actions' }, [
				E('button', { 'class': 'btn cbi-button', 'click': ui.createHandlerFn(this, runAction, _('Check'), callCheck) }, _('Check configuration')),
				' ',
				E('button', { 'class': 'btn cbi-button cbi-button-apply', 'click': ui.createHandlerFn(this, runAction, _('Apply'), callApply) }, _('Apply configuration'))
			])
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});
