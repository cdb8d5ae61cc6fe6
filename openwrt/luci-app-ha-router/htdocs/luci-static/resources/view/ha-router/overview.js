'use strict';
'require view';
'require rpc';
'require poll';
'require ui';

// Status > High Availability: both routers of the pair side by side, from one call,
// `ubus call ha-router status` (rpcd plugin /usr/libexec/rpcd/ha-router, `ha-router status --json`;
// its `peer` part is what the peer's agent answers over the sync link). Refreshed every 5 s.

var callStatus = rpc.declare({ object: 'ha-router', method: 'status', expect: { '': {} } });
var callCheck = rpc.declare({ object: 'ha-router', method: 'check', expect: { '': {} } });
var callSwitchover = rpc.declare({ object: 'ha-router', method: 'switchover', params: [ 'force', 'back', 'wait' ], expect: { '': {} } });
var callDrain = rpc.declare({ object: 'ha-router', method: 'drain', params: [ 'action', 'wait' ], expect: { '': {} } });

var TIMELINE_MAX = 8;

function clock(ms) {
	if (ms == null)
		return '-';
	var d = new Date(ms), p = function(n) { return (n < 10 ? '0' : '') + n; };
	return '%d-%s-%s %s:%s:%s'.format(d.getFullYear(), p(d.getMonth() + 1), p(d.getDate()), p(d.getHours()), p(d.getMinutes()), p(d.getSeconds()));
}

function duration(s) {
	s = Math.max(0, Math.round(s));
	if (s < 120)
		return _('%d s').format(s);
	if (s < 7200)
		return _('%d min').format(Math.floor(s / 60));
	return _('%d h %d min').format(Math.floor(s / 3600), Math.floor((s % 3600) / 60));
}

function ago(ms) {
	return ms == null ? '-' : _('%s (%s ago)').format(clock(ms), duration((Date.now() - ms) / 1000));
}

function badge(role) {
	var cls = { MASTER: 'success', BACKUP: 'notice', FAULT: 'danger', STOP: 'warning' }[role] || '';
	return E('span', { 'class': 'label ' + cls, 'data-role': role || 'none' }, role || _('no role yet'));
}

function yesno(v, yes, no) {
	return v == null ? _('unknown') : (v ? yes : no);
}

function priorityText(prio, effective, demoted) {
	if (prio == null)
		return '-';
	var t = effective != null && effective !== prio ? _('%d (now %d)').format(prio, effective) : String(prio);
	if (demoted)
		t += ' ' + _('demoted: %s').format(demoted.reason || demoted);
	return t;
}

// "a.b.c.d/p" plus when the lease ends: the lease time counted from when this node learnt it.
function leaseText(lease) {
	if (!lease)
		return _('no lease known');
	if (!lease.leaseTime)
		return lease.address;
	var left = lease.leaseTime - lease.ageSeconds;
	return left > 0
		? _('%s, lease ends in %s').format(lease.address, duration(left))
		: _('%s, lease ended %s ago').format(lease.address, duration(-left));
}

function servicesText(map) {
	var names = Object.keys(map || {});
	if (!names.length)
		return _('none');
	return names.map(function(n) {
		return '%s %s'.format(n, map[n] == null ? _('unknown') : (map[n] ? _('running') : _('stopped')));
	}).join(', ');
}

// How much of this node's connections the peer holds: our internal cache against the peer's
// table (its external cache when it keeps one, else its kernel table). The switchover preflight
// asks for at most 1 % or 16 missing.
function syncText(s) {
	var own = s.conntrackd, peer = s.peer && s.peer.conntrack;
	var parts = [];
	if (own)
		parts.push(_('internal cache %s, external cache %s').format(own.internal != null ? own.internal : '-', own.external != null ? own.external : _('off')));
	else
		parts.push(_('conntrackd does not answer'));
	if (peer) {
		var theirs = peer.external != null ? peer.external : peer.kernel;
		if (own && own.internal != null && theirs != null) {
			var missing = Math.max(0, own.internal - theirs);
			parts.push(missing <= Math.max(16, own.internal / 100)
				? _('the peer holds %d of our %d connections').format(Math.min(theirs, own.internal), own.internal)
				: _('the peer lacks %d of our %d connections').format(missing, own.internal));
		}
	}
	var resync = lastResync(s.lastTransition);
	parts.push(resync ? _('last resync %s').format(ago(resync)) : _('no resync recorded'));
	return parts.join('; ');
}

function lastResync(t) {
	if (!t || !t.steps)
		return null;
	return t.steps.some(function(x) { return /^conntrackd-(resync-kernel|request-resync|bulk-send)$/.test(x.kind) && x.status === 'ok'; }) ? t.started : null;
}

function vrrpText(groups) {
	return (groups || []).map(function(g) {
		return _('%s: VRID %d, VRRPv%d every %s s on %s, VIPs %s').format(g.name, g.vrid, g.version, g.advertIntMs / 1000, g.device, g.vips.join(' '));
	}).join('\n') || _('none');
}

function row(label, mine, theirs, key) {
	return E('tr', { 'class': 'tr', 'data-row': key }, [
		E('td', { 'class': 'td left', 'style': 'width:22%' }, E('strong', {}, label)),
		E('td', { 'class': 'td left', 'data-node': 'this', 'style': 'white-space:pre-line' }, mine),
		E('td', { 'class': 'td left', 'data-node': 'peer', 'style': 'white-space:pre-line' }, theirs)
	]);
}

function nodesTable(s) {
	var p = s.peer, up = p && p.answers;
	var peerName = !p ? _('no peer link configured') : (up ? p.node : _('%s does not answer').format(p.address));
	var wan = s.wan;
	var wanMine = !wan ? _('no shared WAN') : (wan.up ? _('up, %s via %s').format(wan.address || '-', wan.gateway || '-') : (wan.up === false ? _('down (standby)') : _('unknown')));
	return E('table', { 'class': 'table', 'id': 'ha-nodes' }, [
		E('tr', { 'class': 'tr table-titles' }, [
			E('th', { 'class': 'th' }, ''),
			E('th', { 'class': 'th' }, _('This router: %s').format(s.node.name)),
			E('th', { 'class': 'th' }, _('Peer: %s').format(peerName))
		]),
		row(_('Role'), [ badge(s.role), ' ', s.since ? _('since %s').format(ago(s.since)) : '' ],
			up ? [ badge(p.role), ' ', p.since ? _('since %s').format(ago(p.since)) : '' ] : '-', 'role'),
		row(_('Priority'), priorityText(s.node.priority, s.node.effectivePriority, s.demoted), up ? priorityText(p.priority, null, p.demoted) : '-', 'priority'),
		row(_('VRRP'), vrrpText(s.vrrp), up ? _('same instances (one configuration for the pair)') : '-', 'vrrp'),
		row(_('WAN'), wanMine + '\n' + leaseText(s.lease), up ? (p.wanHeld == null ? _('no shared WAN') : (p.wanHeld ? _('holds the WAN') : _('does not hold the WAN'))) + (p.lease ? '\n' + p.lease : '') : '-', 'wan'),
		row(_('SNAT address'), s.snat || _('none'), '-', 'snat'),
		row(_('Role services'), servicesText(s.services), '-', 'services'),
		row(_('Daemons'), Object.keys(s.daemons || {}).map(function(n) {
			var d = s.daemons[n];
			return '%s %s'.format(n, d == null ? _('unknown') : (d.running ? _('running') : _('stopped')));
		}).join(', ') || '-', '-', 'daemons'),
		row(_('Connection sync'), syncText(s), up && p.conntrack ? _('kernel table %s').format(p.conntrack.kernel != null ? p.conntrack.kernel : '-') : '-', 'sync')
	]);
}

function transitionBox(t) {
	if (!t)
		return E('p', { 'id': 'ha-transition' }, _('No state change handled yet.'));
	return E('div', { 'id': 'ha-transition' }, [
		E('p', {}, _('%s at %s, %d ms%s').format(t.state, clock(t.started), Math.round(t.ms), t.ok ? '' : ' ' + _('WITH ERRORS'))),
		E('table', { 'class': 'table' }, [ E('tr', { 'class': 'tr table-titles' }, [
			E('th', { 'class': 'th' }, _('Step')), E('th', { 'class': 'th' }, _('Result')), E('th', { 'class': 'th right' }, _('Time'))
		]) ].concat(t.steps.map(function(x) {
			return E('tr', { 'class': 'tr' }, [
				E('td', { 'class': 'td' }, x.kind + (x.target ? ' (' + x.target + ')' : '')),
				E('td', { 'class': 'td' }, x.status + (x.error ? ': ' + x.error : '')),
				E('td', { 'class': 'td right' }, x.ms != null ? _('%s ms').format(x.ms.toFixed(1)) : '-')
			]);
		})))
	]);
}

function warningsBox(list) {
	if (!list || !list.length)
		return E('p', { 'id': 'ha-warnings', 'class': 'ha-ok' }, _('No warnings.'));
	return E('ul', { 'id': 'ha-warnings' }, list.map(function(w) { return E('li', { 'class': 'alert-message warning' }, w); }));
}

// Role changes: this node's last ten transitions and its demotions from status, plus every role
// change of the peer this page saw while polling.
function remember(history, s) {
	function add(ms, text) {
		if (ms != null && !history.some(function(h) { return h.ms === ms && h.text === text; }))
			history.push({ ms: ms, text: text });
	}
	(s.roleChanges || []).forEach(function(c) {
		add(c.at, (c.ok ? _('%s became %s') : _('%s became %s (a step failed)')).format(s.node.name, c.role));
	});
	if (!(s.roleChanges || []).length && s.lastTransition)
		add(s.lastTransition.started, _('%s became %s').format(s.node.name, s.lastTransition.state));
	if (s.demoted)
		add(s.demoted.since, _('%s demoted (%s)').format(s.node.name, s.demoted.reason));
	if (s.splitBrain && s.splitBrain.last)
		add(s.splitBrain.last, _('split brain resolved by stepping down'));
	if (s.peer && s.peer.answers) {
		var last = history.peerRole;
		if (last !== undefined && last !== s.peer.role)
			add(Date.now(), _('%s became %s').format(s.peer.node, s.peer.role || _('no role')));
		history.peerRole = s.peer.role;
	}
	history.sort(function(a, b) { return b.ms - a.ms; });
	history.splice(TIMELINE_MAX);
}

function timelineBox(history) {
	return E('ul', { 'id': 'ha-timeline' }, history.length ? history.map(function(h) {
		return E('li', {}, '%s  %s'.format(clock(h.ms), h.text));
	}) : E('li', {}, _('No role change seen yet.')));
}

// Why the CLI's preflight would refuse a switchover now (it checks more: the numbers it
// refuses with are shown after a try).
function switchoverBlocked(s) {
	if (!s || s.role !== 'MASTER')
		return _('Only the MASTER can hand its role over; this router is %s.').format((s && s.role) || _('without a role'));
	if (s.demoted)
		return _('This router is already demoted (%s).').format(s.demoted.reason);
	if (s.daemons && s.daemons.keepalived && !s.daemons.keepalived.running)
		return _('keepalived is not running here.');
	if (!s.peer || !s.peer.answers)
		return _('The peer does not answer on the peer link.');
	if (s.peer.role !== 'BACKUP')
		return _('The peer is %s, not BACKUP.').format(s.peer.role || _('without a role'));
	if (s.peer.demoted)
		return _('The peer is demoted (%s).').format(s.peer.demoted);
	return null;
}

function replyText(reply) {
	if (!reply || typeof reply !== 'object')
		return _('No answer (error %s).').format(reply);
	if (reply.refused && reply.refused.length)
		return _('Refused, nothing changed:') + '\n' + reply.refused.join('\n');
	var issues = [].concat(reply.errors || [], reply.warnings || []);
	if (issues.length)
		return issues.map(function(i) { return '%s %s: %s [%s]'.format(i.section, i.option || '', i.message, i.code); }).join('\n');
	return reply.text || reply.error || reply.stderr || (reply.valid === true ? _('The configuration is valid.') : (reply.ok === false ? _('Failed.') : _('Done.')));
}

function failed(reply) {
	return !reply || typeof reply !== 'object' || reply.ok === false || reply.valid === false;
}

function notify(title, reply) {
	ui.addNotification(title, E('pre', { 'class': 'ha-reply' }, replyText(reply)), failed(reply) ? 'danger' : 'info');
}

return view.extend({
	load: function() {
		return callStatus();
	},

	pollStatus: function() {
		return callStatus().then(L.bind(this.update, this));
	},

	update: function(s) {
		if (!s || !s.node) {
			this.box.replaceChildren(E('p', { 'class': 'alert-message danger' }, replyText(s)));
			return;
		}
		remember(this.history, s);
		this.box.replaceChildren(
			nodesTable(s),
			E('h3', {}, _('Warnings')), warningsBox(s.warnings),
			E('h3', {}, _('Last transition')), transitionBox(s.lastTransition),
			E('h3', {}, _('Role changes')), timelineBox(this.history));
		this.buttons.replaceChildren.apply(this.buttons, this.actions(s));
	},

	// A confirmation that says what will happen; `call` runs once confirmed, its reply is shown.
	confirm: function(title, text, label, call) {
		var self = this;
		ui.showModal(title, [
			E('p', {}, text),
			E('div', { 'class': 'right' }, [
				E('button', { 'class': 'btn', 'click': ui.hideModal }, _('Cancel')),
				' ',
				E('button', { 'class': 'btn cbi-button-action', 'id': 'ha-confirm', 'click': function() {
					ui.hideModal();
					return call().then(function(reply) {
						notify(title, reply);
						return self.pollStatus();
					}).catch(function(err) {
						ui.addNotification(title, E('pre', {}, String(err)), 'danger');
					});
				} }, label)
			])
		]);
	},

	confirmSwitchover: function(s, back) {
		var peer = (s.peer && s.peer.node) || _('the peer');
		var text = back
			? _('This router gets its configured priority %d back. With preempt it takes the MASTER role back from %s, keeping every connection.').format(s.node.priority, peer)
			: _('%s takes over the LAN addresses (%s), the WAN address and every connection, within about a second. This router stays BACKUP at priority 1 until you restore its priority. If %s is not ready, nothing changes.').format(peer, (s.vrrp || []).map(function(g) { return g.vips.join(' '); }).join(' '), peer);
		this.confirm(back ? _('Restore priority') : _('Switch over to %s').format(peer), text,
			back ? _('Restore priority') : _('Switch over now'), function() { return callSwitchover(false, back, 10); });
	},

	confirmDrain: function(s, on) {
		var peer = (s.peer && s.peer.node) || _('the peer');
		var text = on
			? _('New connections from the LAN go to %s, which serves them through its own uplink; the connections open here finish here. Nothing changes if %s is not BACKUP or has no uplink of its own.').format(peer, peer)
			: _('New connections from the LAN are served by this router again.');
		this.confirm(on ? _('Drain to %s').format(peer) : _('End the drain'), text,
			on ? _('Drain') : _('End the drain'), function() { return callDrain(on ? 'on' : 'off', 0); });
	},

	actions: function(s) {
		var self = this, blocked = switchoverBlocked(s);
		var restore = s.demoted && s.demoted.reason === 'switchover';
		var check = E('button', { 'class': 'btn cbi-button', 'id': 'ha-check', 'click': ui.createHandlerFn(this, function() {
			return callCheck().then(function(r) { notify(_('Check configuration'), r); });
		}) }, _('Check configuration'));
		// A read-only login (the ACL's read part) may look and check, not act: no buttons it cannot use.
		if (L.hasViewPermission() === false)
			return [ check, ' ', E('span', { 'class': 'cbi-value-description', 'id': 'ha-readonly' }, _('Read-only access: switching over and draining need write access.')) ];
		return [
			check,
			' ',
			restore
				? E('button', { 'class': 'btn cbi-button', 'id': 'ha-restore', 'click': function() { self.confirmSwitchover(s, true); } }, _('Restore priority'))
				: E('button', { 'class': 'btn cbi-button cbi-button-action', 'id': 'ha-switchover', 'disabled': blocked ? '' : null, 'title': blocked || '',
					'click': function() { self.confirmSwitchover(s, false); } }, _('Switch over now')),
			' ',
			s.drain
				? E('button', { 'class': 'btn cbi-button', 'id': 'ha-drain-off', 'click': function() { self.confirmDrain(s, false); } }, _('End the drain'))
				: E('button', { 'class': 'btn cbi-button', 'id': 'ha-drain', 'disabled': blocked ? '' : null, 'title': blocked || '',
					'click': function() { self.confirmDrain(s, true); } }, _('Drain to the peer')),
			blocked && !restore ? E('span', { 'class': 'cbi-value-description', 'id': 'ha-blocked' }, ' ' + blocked) : ''
		];
	},

	render: function(status) {
		this.history = [];
		this.box = E('div', { 'id': 'ha-router-status' });
		this.buttons = E('div', { 'class': 'cbi-page-actions' });
		this.update(status);
		poll.add(L.bind(this.pollStatus, this), 5);

		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('High Availability')),
			E('div', { 'class': 'cbi-map-descr' },
				_('This router and its peer share the LAN addresses (VRRP), the connection state (conntrackd) and the WAN lease.')),
			E('div', { 'class': 'cbi-section' }, this.box),
			this.buttons
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});
