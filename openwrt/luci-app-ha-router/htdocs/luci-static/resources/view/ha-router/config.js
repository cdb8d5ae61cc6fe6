'use strict';
'require view';
'require form';
'require rpc';
'require uci';
'require ui';

// Network > High Availability: /etc/config/ha-router (docs/config.md). Before anything is saved,
// the form's content goes to `ubus call ha-router check '{"config": TEXT}'` (`ha-router check
// --json` on that text, with this router's /etc/config/network): its errors and warnings are the
// messages shown, on the field they name and in a list, in the CLI's words. Only a valid
// configuration is saved; Save & Apply commits it through LuCI's apply with rollback, and the
// procd reload trigger of /etc/init.d/ha-router runs `ha-router apply`.

var CONFIG = 'ha-router';

var callCheck = rpc.declare({ object: 'ha-router', method: 'check', params: [ 'config' ], expect: { '': {} } });
var callApplyPreview = rpc.declare({ object: 'ha-router', method: 'apply', params: [ 'dry_run' ], expect: { '': {} } });

function quote(v) {
	return "'" + String(v).replace(/'/g, "'\\''") + "'";
}

// The form's sections as UCI text, in uci.js's order; anonymous sections stay anonymous, so the
// CLI names them @type[i] exactly as it does for the file.
function uciText() {
	return uci.sections(CONFIG).map(function(s) {
		var lines = [ 'config ' + s['.type'] + (s['.anonymous'] ? '' : ' ' + quote(s['.name'])) ];
		Object.keys(s).filter(function(k) { return k.charAt(0) !== '.'; }).forEach(function(k) {
			if (Array.isArray(s[k]))
				s[k].forEach(function(v) { lines.push('\tlist ' + k + ' ' + quote(v)); });
			else
				lines.push('\toption ' + k + ' ' + quote(s[k]));
		});
		return lines.join('\n') + '\n';
	}).join('\n');
}

// The CLI's section id ('name' or '@type[i]') as uci.js's section id.
function sectionId(id) {
	var m = /^@([^\[]+)\[(-?\d+)\]$/.exec(id || '');
	if (!m)
		return id;
	var list = uci.sections(CONFIG, m[1]), i = +m[2];
	var s = list[i < 0 ? list.length + i : i];
	return s ? s['.name'] : id;
}

// A locally administered unicast MAC (first octet xxxxxx10): never a vendor's address.
function randomMac() {
	var b = [];
	for (var i = 0; i < 6; i++)
		b.push(Math.floor(Math.random() * 256));
	b[0] = (b[0] & 0xfc) | 0x02;
	return b.map(function(x) { return (x < 16 ? '0' : '') + x.toString(16); }).join(':');
}

return view.extend({
	// issues[sid + '.' + option] = {message, value}: what the last check said of a field.
	issues: {},

	load: function() {
		// A read-only login may not read /etc/config/ha-router (it holds the VRRP password).
		return uci.load(CONFIG).then(function() { return true; }, function() { return false; });
	},

	// Every option shows the CLI's message for its value until that value changes.
	option: function(s, cls, name, title, descr) {
		var o = s.option(cls, name, title, descr), issues = this.issues;
		o.validate = function(sid, value) {
			var i = issues[sid + '.' + name];
			return (i && String(i.value) === String(value)) ? i.message : true;
		};
		return o;
	},

	showIssues: function(reply) {
		var self = this, list = [].concat(reply.errors || [], reply.warnings || []);
		var box = document.getElementById('ha-issues'), marked = Object.keys(this.issues);
		marked.forEach(function(key) { delete self.issues[key]; });
		list.forEach(function(i) {
			var sid = sectionId(i.section);
			var text = '%s [%s]'.format(i.message, i.code);
			if (i.option && (reply.errors || []).indexOf(i) >= 0)
				self.issues[sid + '.' + i.option] = { message: text, value: uci.get(CONFIG, sid, i.option) };
		});
		box.replaceChildren.apply(box, list.map(function(i) {
			var error = (reply.errors || []).indexOf(i) >= 0;
			return E('li', { 'class': 'alert-message ' + (error ? 'danger' : 'warning'), 'data-code': i.code, 'data-section': i.section, 'data-option': i.option || '' },
				"%s '%s'%s: %s%s [%s]".format(i.type || 'section', i.section, i.option ? " option '" + i.option + "'" : '', error ? '' : _('warning') + ': ', i.message, i.code));
		}));
		if (reply.valid === false && !list.length)
			box.replaceChildren(E('li', { 'class': 'alert-message danger' }, reply.error || reply.stderr || _('The check failed.')));
		// Mark the fields (the same messages, on the field they are about).
		marked.concat(Object.keys(this.issues)).forEach(function(key) {
			var at = key.lastIndexOf('.'), found = self.map.lookupOption(key.slice(at + 1), key.slice(0, at));
			var el = found && found[0].getUIElement(found[1]);
			if (el)
				el.triggerValidation();
		});
	},

	// Checks the form as the CLI would check the file, and saves only a valid configuration.
	handleSave: function(ev) {
		var self = this, m = this.map;
		return m.parse().then(function() {
			return callCheck(uciText());
		}).then(function(reply) {
			self.showIssues(reply || {});
			if (!reply || reply.valid !== true)
				return Promise.reject(new Error(_('The configuration is invalid; nothing was saved.')));
			return m.save(null, true);
		});
	},

	handlePreview: function() {
		return callApplyPreview(true).then(function(r) {
			var text = r && r.diffs ? r.diffs.map(function(d) { return d.diff; }).join('') : '';
			ui.showModal(_('What apply would change now'), [
				E('pre', { 'id': 'ha-preview' }, r && r.ok === false ? (r.error || r.stderr || _('Failed.')) : (text || _('Nothing: this router runs the saved configuration.'))),
				E('div', { 'class': 'right' }, E('button', { 'class': 'btn', 'click': ui.hideModal }, _('Close')))
			]);
		});
	},

	render: function(readable) {
		if (!readable)
			return E('div', { 'class': 'cbi-map' }, [
				E('h2', {}, _('High Availability')),
				E('p', { 'class': 'alert-message', 'id': 'ha-no-access' },
					_('Your login may see the status only: the configuration holds the VRRP password.'))
			]);

		var m, s, o, self = this;
		m = new form.Map(CONFIG, _('High Availability'),
			_('Two routers as one: the same configuration on both, except the node name, its priority and the peer addresses. Save checks the whole configuration as "ha-router check" does; Save & Apply runs "ha-router apply" with LuCI\'s rollback.'));
		this.map = m;

		s = m.section(form.TypedSection, 'node', _('This router'));
		s.anonymous = true;
		o = this.option(s, form.Flag, 'enabled', _('Enabled'), _('Off takes this router out of the pair: keepalived and conntrackd stop.'));
		o.default = '1';
		o.rmempty = false;
		o = this.option(s, form.Value, 'name', _('Node name'), _('Unique in the pair; keepalived\'s router_id.'));
		o.rmempty = false;
		o = this.option(s, form.Value, 'priority', _('Priority'), _('1 to 254; the higher one is MASTER.'));
		o.datatype = 'range(1,254)';
		o.placeholder = '100';
		o = this.option(s, form.ListValue, 'state', _('Initial state'));
		o.value('backup', _('BACKUP'));
		o.value('master', _('MASTER'));
		o.default = 'backup';
		o = this.option(s, form.Flag, 'nopreempt', _('No preemption'), _('A higher priority router does not take the role back.'));
		o = this.option(s, form.Value, 'preempt_delay', _('Preemption delay'), _('Seconds, 0 to 1000.'));
		o.datatype = 'range(0,1000)';
		o.placeholder = '0';
		o = this.option(s, form.DynamicList, 'service', _('Role services'), _('Init scripts that run on the MASTER only, started in this order.'));
		o.placeholder = 'dnsmasq';
		o = this.option(s, form.Value, 'split_brain_damping', _('Split-brain damping'), _('Seconds a router that stepped down stays down once VRRP is heard again.'));
		o.placeholder = '30';
		o = this.option(s, form.ListValue, 'platform', _('Platform'));
		o.value('auto', _('automatic'));
		o.value('openwrt', 'OpenWrt');
		o.value('linux', 'Linux');
		o.default = 'auto';

		s = m.section(form.TypedSection, 'vrrp', _('VRRP instances'), _('The section name is keepalived\'s instance name.'));
		s.addremove = true;
		s.anonymous = false;
		o = this.option(s, form.Value, 'interface', _('Interface'), _('A logical interface of /etc/config/network with a static address.'));
		o.rmempty = false;
		o = this.option(s, form.Value, 'vrid', _('VRID'), _('1 to 255; the same on both routers.'));
		o.rmempty = false;
		o = this.option(s, form.ListValue, 'version', _('VRRP version'));
		o.value('3', 'VRRPv3');
		o.value('2', 'VRRPv2');
		o.default = '3';
		o = this.option(s, form.Value, 'advert_int', _('Advert interval'), _('Seconds: 0.01 to 40.95 (v3), whole seconds (v2).'));
		o.placeholder = '0.03';
		o = this.option(s, form.DynamicList, 'vip', _('Virtual addresses'), _('address[/prefix][ dev device], keepalived style.'));
		o = this.option(s, form.DynamicList, 'unicast_peer', _('Unicast peers'), _('The other router\'s address on this interface; empty: multicast.'));
		o = this.option(s, form.ListValue, 'auth_type', _('Authentication'));
		o.value('none', _('none'));
		o.value('pass', _('password (VRRPv2 only)'));
		o.value('ah', _('AH (VRRPv2 only)'));
		o.default = 'none';
		o = this.option(s, form.Value, 'auth_pass', _('Password'), _('1 to 8 characters.'));
		o.password = true;
		o.depends('auth_type', 'pass');
		o.depends('auth_type', 'ah');
		o = this.option(s, form.DynamicList, 'track_interface', _('Tracked interfaces'));

		s = m.section(form.TypedSection, 'wan', _('Shared WAN'), _('One WAN identity for the pair: a macvlan with the same MAC on both routers, so both get the same DHCP lease.'));
		s.anonymous = true;
		s.addremove = true;
		o = this.option(s, form.Flag, 'enabled', _('Enabled'));
		o.default = '1';
		o.rmempty = false;
		o = this.option(s, form.Value, 'interface', _('Interface'));
		o.placeholder = 'wan';
		o = this.option(s, form.Value, 'parent', _('WAN port'), _('The physical port, e.g. eth1.'));
		o.rmempty = false;
		o = this.option(s, form.Value, 'device', _('macvlan device'));
		o.placeholder = 'hawan';
		o = this.option(s, form.Value, 'macaddr', _('Shared MAC'), _('Set the same address on both routers.'));
		o.rmempty = false;
		o.renderWidget = function(section_id, option_index, cfgvalue) {
			var field = form.Value.prototype.renderWidget.apply(this, arguments), opt = this;
			return E('div', { 'class': 'control-group' }, [
				field,
				E('button', { 'class': 'btn cbi-button', 'id': 'ha-gen-mac', 'click': function(ev) {
					ev.preventDefault();
					opt.getUIElement(section_id).setValue(randomMac());
				} }, _('Generate'))
			]);
		};
		o = this.option(s, form.ListValue, 'mode', _('macvlan mode'));
		[ 'private', 'vepa', 'bridge', 'passthru' ].forEach(function(v) { o.value(v, v); });
		o.default = 'private';
		o = this.option(s, form.Value, 'request_address', _('Address to request'), _('IPv4 address asked for at takeover; empty: the known lease.'));
		o.datatype = 'ip4addr';
		o = this.option(s, form.DynamicList, 'snat_source', _('SNAT sources'), _('IPv4 prefixes; empty: every IPv4 VRRP subnet.'));

		s = m.section(form.TypedSection, 'sync', _('Sync link'), _('Connection state (conntrackd) and the peer agents\' heartbeats.'));
		s.anonymous = true;
		s.addremove = true;
		o = this.option(s, form.Flag, 'enabled', _('Enabled'));
		o.default = '1';
		o.rmempty = false;
		o = this.option(s, form.Value, 'interface', _('Interface'), _('A logical interface with a static IPv4 address (dedicated link or the LAN).'));
		o.rmempty = false;
		o = this.option(s, form.Value, 'peer', _('Peer address'), _('The other router\'s address on it.'));
		o.datatype = 'ip4addr';
		o = this.option(s, form.ListValue, 'transport', _('Transport'));
		o.value('udp', 'UDP');
		o.value('multicast', _('multicast'));
		o.default = 'udp';
		o = this.option(s, form.Value, 'port', _('Port'));
		o.datatype = 'port';
		o.placeholder = '3780';
		o = this.option(s, form.Flag, 'external_cache', _('External cache'), _('Off: synced connections go straight into the kernel table.'));

		return m.render().then(function(node) {
			return E('div', {}, [
				E('ul', { 'id': 'ha-issues' }),
				node,
				E('div', { 'class': 'cbi-section' }, E('button', { 'class': 'btn cbi-button', 'id': 'ha-preview-btn',
					'click': ui.createHandlerFn(self, 'handlePreview') }, _('Show what apply would change')))
			]);
		});
	}
});
