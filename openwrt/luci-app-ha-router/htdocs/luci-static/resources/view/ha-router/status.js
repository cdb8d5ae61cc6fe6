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
var callSwitchover = rpc.declare({ object: 'ha-router', method: 'switchover', params: [ 'back' ], expect: { '': {} } });

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
	if (reply && reply.text)
		return reply.text;
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

// Why a switchover would be refused right now, from the status alone (the CLI's preflight decides).
function switchoverBlocked(status) {
	if (!status || status.role !== 'MASTER')
		return _('Only the MASTER can hand its role over; this router is %s.').format((status && status.role) || _('without a role'));
	if (status.demoted)
		return _('This router is already demoted (%s).').format(status.demoted.reason);
	if (!status.peer || !status.peer.answers)
		return _('The peer does not answer on the peer link.');
	if (status.peer.role !== 'BACKUP')
		return _('The peer is %s, not BACKUP.').format(status.peer.role || _('without a role'));
	return null;
}

function confirmSwitchover(back) {
	var text = back
		? _('This router gets its configured priority back. With preempt it takes the MASTER role back from the peer, keeping every connection.')
		: _('The peer takes over the LAN addresses, the WAN address and every connection; this router stays BACKUP at priority 1 until you restore it. The switchover is refused, changing nothing, if the peer is not ready.');
	ui.showModal(back ? _('Restore priority') : _('Switch over'), [
		E('p', {}, text),
		E('div', { 'class': 'right' }, [
			E('button', { 'class': 'btn', 'click': ui.hideModal }, _('Cancel')),
			' ',
			E('button', { 'class': 'btn cbi-button-action', 'click': function() {
				ui.hideModal();
				return runAction(back ? _('Restore priority') : _('Switch over'), function() { return callSwitchover(back); });
			} }, back ? _('Restore priority') : _('Switch over now'))
		])
	]);
}

function actions(view, status) {
	var blocked = switchoverBlocked(status);
	return [
		E('button', { 'class': 'btn cbi-button', 'click': ui.createHandlerFn(view, runAction, _('Check'), callCheck) }, _('Check configuration')),
		' ',
		E('button', { 'class': 'btn cbi-button cbi-button-apply', 'click': ui.createHandlerFn(view, runAction, _('Apply'), callApply) }, _('Apply configuration')),
		' ',
		status && status.demoted && status.demoted.reason === 'switchover'
			? E('button', { 'class': 'btn cbi-button', 'click': function() { confirmSwitchover(true); } }, _('Restore priority'))
			: E('button', { 'class': 'btn cbi-button cbi-button-action', 'disabled': blocked ? '' : null, 'title': blocked || '',
				'click': function() { confirmSwitchover(false); } }, _('Switch over now')),
		blocked ? E('span', { 'class': 'cbi-value-description' }, ' ' + blocked) : ''
	];
}

return view.extend({
	load: function() {
		return callStatus();
	},

	render: function(status) {
		var box = E('div', { 'id': 'ha-router-status' }, renderTable(status));
		var buttons = E('div', { 'class': 'cbi-page-actions' }, actions(this, status));
		var self = this;

		poll.add(function() {
			return callStatus().then(function(s) {
				box.replaceChildren(renderTable(s));
				buttons.replaceChildren.apply(buttons, actions(self, s));
			});
		}, 5);

		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('High Availability')),
			E('div', { 'class': 'cbi-map-descr' },
				_('This router and its peer share the LAN addresses (VRRP), the connection state (conntrackd) and the WAN lease.')),
			E('div', { 'class': 'cbi-section' }, box),
			buttons
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});
