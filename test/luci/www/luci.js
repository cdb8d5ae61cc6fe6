'use strict';
// A stand-in for LuCI's client (luci-base htdocs/luci-static/resources: luci.js, rpc.js, uci.js,
// form.js, ui.js), written from their documented behaviour, holding exactly what our views use:
//   globals   L, E(tag, attrs, children), _(), String.prototype.format (%s %d)
//   L         L.bind, L.env, L.url, L.ui, L.hasViewPermission (env.nodespec), the view loader (a view's 'require x' lines name its modules;
//             its source is the body of a function of them that returns the view class)
//   view      view.extend({load, render, handleSave, handleSaveApply, handleReset}); a handler set to
//             null hides its footer button; the default handleSaveApply = handleSave, then
//             ui.changes.apply(true)
//   rpc       rpc.declare({object, method, params, expect, filter, reject}): JSON-RPC `call` to
//             L.env.ubuspath; expect {key: default} picks reply[key] ('' = the whole reply), a
//             non-zero ubus status resolves to the status number unless reject is set
//   uci       load (reject on error, as uci.js's callLoad), sections, get, set, unset, add, remove,
//             save (uci add/set/delete through rpc)
//   form      Map (render, parse, save, lookupOption), TypedSection (anonymous, addremove),
//             Value (datatype, placeholder, password, rmempty, default, depends, validate,
//             renderWidget, getUIElement, cfgvalue, formvalue), Flag, ListValue (value()), DynamicList
//   ui        showModal, hideModal, addNotification, createHandlerFn, changes.apply(checked) (POSTs
//             admin/uci/apply_rollback, then admin/uci/confirm with the token until the rollback
//             deadline; says "rolled back" when it cannot confirm); widgets getValue, setValue,
//             triggerValidation, isValid
//   poll      poll.add(fn, seconds) (runs fn every interval, never two at once)
(function() {
	var env = window.LUCI_ENV || {};

	String.prototype.format = function() {
		var args = arguments, i = 0;
		return this.replace(/%([sd%])/g, function(m, c) {
			if (c === '%')
				return '%';
			var v = args[i++];
			return c === 'd' ? String(Math.floor(+v)) : String(v == null ? '' : v);
		});
	};

	function E(tag, attrs, children) {
		var el = document.createElement(tag);
		if (Array.isArray(attrs) || typeof attrs === 'string' || attrs instanceof Node) {
			children = attrs;
			attrs = null;
		}
		Object.keys(attrs || {}).forEach(function(k) {
			var v = attrs[k];
			if (v == null)
				return;
			if (typeof v === 'function')
				el.addEventListener(k, v);
			else
				el.setAttribute(k, v);
		});
		append(el, children);
		return el;
	}

	function append(el, children) {
		if (children == null)
			return;
		(Array.isArray(children) ? children : [ children ]).forEach(function(c) {
			if (c == null)
				return;
			el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
		});
	}

	function extend(Base, props) {
		function Class() {
			if (this.__init__)
				this.__init__.apply(this, arguments);
		}
		Class.prototype = Object.create(Base.prototype);
		Object.keys(props || {}).forEach(function(k) { Class.prototype[k] = props[k]; });
		Class.prototype.constructor = Class;
		Class.extend = function(p) { return extend(Class, p); };
		return Class;
	}
	function BaseClass() {}

	var L = {
		env: env,
		bind: function(fn, self) {
			var args = Array.prototype.slice.call(arguments, 2);
			return function() { return fn.apply(self, args.concat(Array.prototype.slice.call(arguments))); };
		},
		url: function() { return '/cgi-bin/luci/' + Array.prototype.join.call(arguments, '/'); },
		// null when the view's ACL is unknown, else whether the session may write (not read-only).
		hasViewPermission: function() {
			if (!env.nodespec || !env.nodespec.satisfied)
				return null;
			return !env.nodespec.readonly;
		}
	};

	/* rpc */
	var rpcId = 1;
	function ubusCall(object, method, args) {
		return fetch(env.ubuspath || '/ubus/', {
			method: 'POST', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ jsonrpc: '2.0', id: rpcId++, method: 'call', params: [ env.sessionid, object, method, args || {} ] })
		}).then(function(r) { return r.json(); }).then(function(reply) { return reply.result; });
	}

	var rpc = {
		declare: function(d) {
			return function() {
				var args = {}, pos = arguments;
				(d.params || []).forEach(function(p, i) { if (pos[i] !== undefined) args[p] = pos[i]; });
				return ubusCall(d.object, d.method, args).then(function(result) {
					var code = result[0], data = result[1];
					if (code !== 0) {
						if (d.reject)
							throw new Error('RPCError: %s/%s: ubus code %d'.format(d.object, d.method, code));
						return code;
					}
					var key = d.expect ? Object.keys(d.expect)[0] : null;
					if (key !== null && key !== undefined) {
						var want = d.expect[key], got = key === '' ? data : (data || {})[key];
						if (got == null || (want !== null && typeof want === 'object' && (typeof got !== 'object' || Array.isArray(got) !== Array.isArray(want))))
							got = want;
						data = got;
					}
					return d.filter ? d.filter(data, args) : data;
				});
			};
		}
	};

	/* uci */
	var callLoad = rpc.declare({ object: 'uci', method: 'get', params: [ 'config' ], expect: { values: {} }, reject: true });
	var callAdd = rpc.declare({ object: 'uci', method: 'add', params: [ 'config', 'type', 'name', 'values' ], expect: { section: '' }, reject: true });
	var callSet = rpc.declare({ object: 'uci', method: 'set', params: [ 'config', 'section', 'values' ], reject: true });
	var callDelete = rpc.declare({ object: 'uci', method: 'delete', params: [ 'config', 'section', 'options' ], reject: true });
	var uci = {
		state: { values: {}, creates: {}, changes: {}, deletes: {} },
		load: function(conf) {
			var self = this;
			return callLoad(conf).then(function(values) { self.state.values[conf] = values; return values; });
		},
		unload: function(conf) {
			delete this.state.values[conf];
			delete this.state.creates[conf];
			delete this.state.changes[conf];
			delete this.state.deletes[conf];
		},
		merged: function(conf) {
			var st = this.state, out = {};
			Object.keys(st.values[conf] || {}).forEach(function(sid) { out[sid] = Object.assign({}, st.values[conf][sid]); });
			Object.keys(st.creates[conf] || {}).forEach(function(sid) { out[sid] = Object.assign({}, st.creates[conf][sid]); });
			Object.keys(st.changes[conf] || {}).forEach(function(sid) { if (out[sid]) Object.assign(out[sid], st.changes[conf][sid]); });
			Object.keys(st.deletes[conf] || {}).forEach(function(sid) {
				var d = st.deletes[conf][sid];
				if (d === true)
					delete out[sid];
				else if (out[sid])
					Object.keys(d).forEach(function(o) { delete out[sid][o]; });
			});
			return out;
		},
		sections: function(conf, type) {
			var m = this.merged(conf);
			return Object.keys(m).map(function(k) { return m[k]; }).filter(function(s) { return !type || s['.type'] === type; })
				.sort(function(a, b) { return a['.index'] - b['.index']; });
		},
		get: function(conf, sid, opt) {
			var s = this.merged(conf)[sid];
			return s == null ? null : (opt == null ? s : s[opt]);
		},
		set: function(conf, sid, opt, val) {
			var st = this.state;
			if (val == null || val === '' || (Array.isArray(val) && !val.length))
				return this.unset(conf, sid, opt);
			var c = st.creates[conf] && st.creates[conf][sid];
			if (c) {
				c[opt] = val;
				return;
			}
			(st.changes[conf] = st.changes[conf] || {})[sid] = st.changes[conf][sid] || {};
			st.changes[conf][sid][opt] = val;
			if (st.deletes[conf] && st.deletes[conf][sid] && st.deletes[conf][sid] !== true)
				delete st.deletes[conf][sid][opt];
		},
		unset: function(conf, sid, opt) {
			var st = this.state, c = st.creates[conf] && st.creates[conf][sid];
			if (c) {
				delete c[opt];
				return;
			}
			if (st.changes[conf] && st.changes[conf][sid])
				delete st.changes[conf][sid][opt];
			if (this.get(conf, sid, opt) == null && !(st.values[conf] && st.values[conf][sid] && opt in st.values[conf][sid]))
				return;
			(st.deletes[conf] = st.deletes[conf] || {})[sid] = st.deletes[conf][sid] || {};
			if (st.deletes[conf][sid] !== true)
				st.deletes[conf][sid][opt] = true;
		},
		add: function(conf, type, name) {
			var sid = name || 'new' + Math.random().toString(16).slice(2, 8);
			(this.state.creates[conf] = this.state.creates[conf] || {})[sid] = { '.type': type, '.name': sid, '.anonymous': !name, '.index': 1000 + Object.keys(this.state.creates[conf]).length };
			return sid;
		},
		remove: function(conf, sid) {
			if (this.state.creates[conf] && this.state.creates[conf][sid])
				delete this.state.creates[conf][sid];
			else
				(this.state.deletes[conf] = this.state.deletes[conf] || {})[sid] = true;
		},
		save: function() {
			var st = this.state, tasks = [], self = this;
			Object.keys(st.values).forEach(function(conf) {
				Object.keys(st.creates[conf] || {}).forEach(function(sid) {
					var s = st.creates[conf][sid], values = {};
					Object.keys(s).forEach(function(k) { if (k.charAt(0) !== '.') values[k] = s[k]; });
					tasks.push(callAdd(conf, s['.type'], s['.anonymous'] ? undefined : sid, values));
				});
				Object.keys(st.changes[conf] || {}).forEach(function(sid) {
					if (Object.keys(st.changes[conf][sid]).length)
						tasks.push(callSet(conf, sid, st.changes[conf][sid]));
				});
				Object.keys(st.deletes[conf] || {}).forEach(function(sid) {
					var d = st.deletes[conf][sid];
					tasks.push(callDelete(conf, sid, d === true ? undefined : Object.keys(d)));
				});
			});
			var confs = Object.keys(st.values);
			return Promise.all(tasks).then(function() {
				confs.forEach(function(c) { self.unload(c); });
				return Promise.all(confs.map(function(c) { return self.load(c); }));
			});
		}
	};

	/* ui */
	function notificationArea() {
		return document.getElementById('maincontent');
	}
	var ui = {
		showModal: function(title, children) {
			ui.hideModal();
			var box = E('div', { 'class': 'modal', 'id': 'modal' }, [ title ? E('h4', {}, title) : '' ].concat(children || []));
			document.body.appendChild(E('div', { 'class': 'modal-overlay', 'id': 'modal_overlay' }, box));
			return box;
		},
		hideModal: function() {
			var o = document.getElementById('modal_overlay');
			if (o)
				o.remove();
		},
		addNotification: function(title, children, cls) {
			var n = E('div', { 'class': 'alert-message notification ' + (cls || '') }, [
				title ? E('h4', {}, title) : '', E('div', {}, children),
				E('button', { 'class': 'btn', 'click': function() { n.remove(); } }, _('Dismiss'))
			]);
			notificationArea().insertBefore(n, notificationArea().firstChild);
			return n;
		},
		createHandlerFn: function(ctx, fn) {
			var args = Array.prototype.slice.call(arguments, 2);
			if (typeof fn === 'string')
				fn = ctx[fn];
			return function(ev) {
				var btn = ev && ev.currentTarget;
				if (btn)
					btn.disabled = true;
				return Promise.resolve(fn.apply(ctx, args.concat([ ev ]))).catch(function(e) {
					ui.addNotification(null, E('p', {}, e.message || String(e)), 'danger');
				}).finally(function() { if (btn) btn.disabled = false; });
			};
		},
		changes: {
			status: function(text, cls) {
				var el = document.getElementById('applyreboot-status');
				if (!el) {
					el = E('div', { 'id': 'applyreboot-status', 'class': 'alert-message' });
					notificationArea().insertBefore(el, notificationArea().firstChild);
				}
				el.className = 'alert-message ' + (cls || '');
				el.textContent = text;
			},
			apply: function(checked) {
				var self = this, started = Date.now(), rollback = env.apply_rollback || 90;
				self.status(_('Starting configuration apply…'), 'notice');
				return fetch(L.url('admin/uci', checked ? 'apply_rollback' : 'apply_unchecked') + '?sid=' + env.sessionid, { method: 'POST' }).then(function(r) {
					if (r.status !== 200)
						throw new Error(_('Apply request failed with status %s').format(r.status));
					return r.json();
				}).then(function(reply) {
					function confirm() {
						var left = Math.ceil(rollback - (Date.now() - started) / 1000);
						if (left <= 0) {
							self.status(_('The device could not be reached within %d seconds after applying the pending changes, which caused the configuration to be rolled back for safety reasons.').format(rollback), 'danger rolled-back');
							return;
						}
						self.status(_('Applying configuration changes… %ds').format(left), 'notice');
						return fetch(L.url('admin/uci/confirm'), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=' + reply.token }).then(function(r) {
							if (r.status !== 200 && r.status !== 204)
								throw new Error('confirm ' + r.status);
							self.status(_('Configuration changes applied.'), 'success applied');
							window.setTimeout(function() { renderView(); }, 500);
						}).catch(function() {
							return new Promise(function(resolve) { window.setTimeout(resolve, 1000); }).then(confirm);
						});
					}
					return confirm();
				}).catch(function(e) {
					self.status(e.message, 'danger');
				});
			}
		}
	};
	L.ui = ui;

	function Widget(opts) {
		this.opts = opts;
	}
	Widget.prototype = {
		isValid: function() { return this.error == null; },
		triggerValidation: function() {
			var v = this.getValue(), err = null;
			if (this.opts.datatype && v !== '' && v != null && !Array.isArray(v))
				err = checkDatatype(this.opts.datatype, v);
			if (err == null && this.opts.validate) {
				var r = this.opts.validate(v);
				if (r !== true && r != null)
					err = r;
			}
			this.error = err;
			this.inputs().forEach(function(i) {
				i.classList.toggle('cbi-input-invalid', err != null);
				i.title = err || '';
			});
			var msg = this.node.querySelector('.cbi-value-error');
			if (msg)
				msg.remove();
			if (err != null)
				this.node.appendChild(E('div', { 'class': 'cbi-value-error' }, err));
			return err == null;
		},
		inputs: function() { return Array.prototype.slice.call(this.node.querySelectorAll('input,select')); }
	};

	function checkDatatype(dt, v) {
		var m = /^range\((-?\d+),(-?\d+)\)$/.exec(dt);
		if (m)
			return (/^-?\d+$/.test(v) && +v >= +m[1] && +v <= +m[2]) ? null : _('Expecting: value between %s and %s').format(m[1], m[2]);
		if (dt === 'port')
			return (/^\d+$/.test(v) && +v <= 65535) ? null : _('Expecting: valid port value');
		if (dt === 'ip4addr')
			return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(v) && v.split('.').every(function(x) { return +x < 256; }) ? null : _('Expecting: valid IPv4 address');
		return null;
	}

	/* form */
	var CBIAbstractElement = extend(BaseClass, {
		__init__: function(title, description) {
			this.title = title || '';
			this.description = description || '';
			this.children = [];
		},
		append: function(obj) { this.children.push(obj); }
	});

	var CBIMap = CBIAbstractElement.extend({
		__init__: function(config, title, description) {
			CBIAbstractElement.prototype.__init__.call(this, title, description);
			this.config = config;
		},
		section: function(cls) {
			var args = Array.prototype.slice.call(arguments, 1), s = Object.create(cls.prototype);
			cls.apply(s, [ this ].concat(args));
			this.append(s);
			return s;
		},
		load: function() { return uci.state.values[this.config] ? Promise.resolve() : uci.load(this.config); },
		render: function() {
			var self = this;
			return this.load().then(function() {
				var node = E('div', { 'class': 'cbi-map', 'id': 'cbi-' + self.config }, [
					self.title ? E('h2', {}, self.title) : '',
					self.description ? E('div', { 'class': 'cbi-map-descr' }, self.description) : ''
				]);
				self.children.forEach(function(s) { node.appendChild(s.render()); });
				if (self.root)
					self.root.replaceWith(node);
				self.root = node;
				self.checkDepends();
				return node;
			});
		},
		checkDepends: function() {
			this.children.forEach(function(s) { s.cfgsections().forEach(function(sid) { s.checkDepends(sid); }); });
		},
		lookupOption: function(name, sid) {
			for (var i = 0; i < this.children.length; i++) {
				var s = this.children[i];
				if (s.cfgsections().indexOf(sid) < 0)
					continue;
				for (var j = 0; j < s.children.length; j++)
					if (s.children[j].option === name)
						return [ s.children[j], sid ];
			}
			return null;
		},
		parse: function() {
			var self = this, bad = [];
			this.children.forEach(function(s) {
				s.cfgsections().forEach(function(sid) {
					s.children.forEach(function(o) {
						if (!o.isActive(sid))
							return;
						var w = o.getUIElement(sid);
						if (w && !w.triggerValidation())
							bad.push(o.title || o.option);
						else
							o.parse(sid);
					});
				});
			});
			if (bad.length)
				return Promise.reject(new Error(_('Some fields are invalid, cannot save values!') + ' (' + bad.join(', ') + ')'));
			return Promise.resolve();
		},
		save: function(cb, silent) {
			var self = this;
			return this.parse().then(function() { return uci.save(); }).then(function() { return self.render(); });
		}
	});

	var CBITypedSection = CBIAbstractElement.extend({
		__init__: function(map, sectiontype, title, description) {
			CBIAbstractElement.prototype.__init__.call(this, title, description);
			this.map = map;
			this.sectiontype = sectiontype;
			this.anonymous = false;
			this.addremove = false;
		},
		option: function(cls, name, title, description) {
			var o = Object.create(cls.prototype);
			cls.call(o, this.map, this, name, title, description);
			this.append(o);
			return o;
		},
		cfgsections: function() {
			return uci.sections(this.map.config, this.sectiontype).map(function(s) { return s['.name']; });
		},
		checkDepends: function(sid) {
			this.children.forEach(function(o) {
				var row = document.getElementById('cbi-%s-%s-%s'.format(o.map.config, sid, o.option));
				if (row)
					row.style.display = o.isActive(sid) ? '' : 'none';
			});
		},
		render: function() {
			var self = this, map = this.map;
			var node = E('div', { 'class': 'cbi-section', 'id': 'cbi-%s-%s'.format(map.config, this.sectiontype) }, [
				E('h3', {}, this.title), this.description ? E('div', { 'class': 'cbi-section-descr' }, this.description) : ''
			]);
			this.cfgsections().forEach(function(sid) {
				var box = E('div', { 'class': 'cbi-section-node', 'id': 'cbi-%s-%s'.format(map.config, sid), 'data-section-id': sid },
					self.anonymous ? [] : [ E('h4', {}, sid) ]);
				self.children.forEach(function(o, i) { box.appendChild(o.render(sid, i)); });
				box.addEventListener('change', function() { self.checkDepends(sid); });
				if (self.addremove)
					box.appendChild(E('button', { 'class': 'btn cbi-button-remove', 'click': function(ev) {
						ev.preventDefault();
						uci.remove(map.config, sid);
						map.render();
					} }, _('Delete')));
				node.appendChild(box);
			});
			if (this.addremove) {
				var name = self.anonymous ? null : E('input', { 'class': 'cbi-section-create-name', 'placeholder': _('name') });
				node.appendChild(E('div', { 'class': 'cbi-section-create' }, [ name || '', E('button', { 'class': 'btn cbi-button-add', 'click': function(ev) {
					ev.preventDefault();
					if (name && !/^[A-Za-z0-9_]+$/.test(name.value))
						return;
					map.parse().catch(function() {}).then(function() {
						uci.add(map.config, self.sectiontype, name ? name.value : null);
						return map.render();
					});
				} }, _('Add')) ]));
			}
			return node;
		}
	});

	var CBIValue = CBIAbstractElement.extend({
		__init__: function(map, section, option, title, description) {
			CBIAbstractElement.prototype.__init__.call(this, title, description);
			this.map = map;
			this.section = section;
			this.option = option;
			this.rmempty = true;
			this.deps = [];
			this.keylist = [];
			this.vallist = [];
			this.widgets = {};
		},
		depends: function(field, value) {
			var d = {};
			if (typeof field === 'object')
				d = field;
			else
				d[field] = value;
			this.deps.push(d);
		},
		value: function(k, l) {
			this.keylist.push(String(k));
			this.vallist.push(l != null ? l : k);
		},
		validate: function(sid, value) { return true; },
		isActive: function(sid) {
			var self = this;
			if (!this.deps.length)
				return true;
			return this.deps.some(function(d) {
				return Object.keys(d).every(function(f) {
					var found = self.map.lookupOption(f, sid);
					var v = found ? found[0].formvalue(sid) : uci.get(self.map.config, sid, f);
					return String(v == null ? '' : v) === String(d[f]);
				});
			});
		},
		cfgvalue: function(sid) {
			var v = uci.get(this.map.config, sid, this.option);
			return v == null ? this.default : v;
		},
		formvalue: function(sid) {
			var w = this.widgets[sid];
			return w ? w.getValue() : this.cfgvalue(sid);
		},
		getUIElement: function(sid) { return this.widgets[sid] || null; },
		parse: function(sid) {
			var v = this.formvalue(sid), empty = v == null || v === '' || (Array.isArray(v) && !v.length);
			if (empty && this.rmempty)
				uci.unset(this.map.config, sid, this.option);
			else if (!empty || !this.rmempty)
				uci.set(this.map.config, sid, this.option, v);
		},
		widgetOpts: function(sid) {
			return { datatype: this.datatype, validate: L.bind(this.validate, this, sid) };
		},
		renderWidget: function(sid, idx, cfgvalue) {
			var id = 'widget.cbid.%s.%s.%s'.format(this.map.config, sid, this.option);
			var input = E('input', { 'type': this.password ? 'password' : 'text', 'id': id, 'class': 'cbi-input-text', 'placeholder': this.placeholder || null });
			input.value = cfgvalue == null ? '' : cfgvalue;
			var w = new Widget(this.widgetOpts(sid));
			w.getValue = function() { return input.value.trim(); };
			w.setValue = function(v) { input.value = v; w.triggerValidation(); };
			w.node = E('div', { 'class': 'cbi-value-field-widget' }, input);
			input.addEventListener('input', function() { w.triggerValidation(); });
			this.widgets[sid] = w;
			return w.node;
		},
		render: function(sid, idx) {
			var field = this.renderWidget(sid, idx, this.cfgvalue(sid));
			var row = E('div', { 'class': 'cbi-value', 'id': 'cbi-%s-%s-%s'.format(this.map.config, sid, this.option), 'data-name': this.option }, [
				E('label', { 'class': 'cbi-value-title' }, this.title),
				E('div', { 'class': 'cbi-value-field' }, [ field, this.description ? E('div', { 'class': 'cbi-value-description' }, this.description) : '' ])
			]);
			var w = this.widgets[sid];
			if (w)
				w.triggerValidation();
			return row;
		}
	});

	var CBIFlag = CBIValue.extend({
		renderWidget: function(sid, idx, cfgvalue) {
			var input = E('input', { 'type': 'checkbox', 'id': 'widget.cbid.%s.%s.%s'.format(this.map.config, sid, this.option) });
			input.checked = [ '1', 'yes', 'on', 'true', 'enabled' ].indexOf(String(cfgvalue)) >= 0;
			var w = new Widget(this.widgetOpts(sid));
			w.getValue = function() { return input.checked ? '1' : '0'; };
			w.setValue = function(v) { input.checked = v === '1'; };
			w.node = E('div', {}, input);
			this.widgets[sid] = w;
			return w.node;
		},
		parse: function(sid) {
			var v = this.formvalue(sid);
			if (this.rmempty && v === String(this.default || '0') && uci.get(this.map.config, sid, this.option) == null)
				return;
			uci.set(this.map.config, sid, this.option, v);
		}
	});

	var CBIListValue = CBIValue.extend({
		renderWidget: function(sid, idx, cfgvalue) {
			var self = this, sel = E('select', { 'id': 'widget.cbid.%s.%s.%s'.format(this.map.config, sid, this.option) },
				this.keylist.map(function(k, i) { return E('option', { 'value': k }, self.vallist[i]); }));
			sel.value = cfgvalue == null ? (this.keylist[0] || '') : cfgvalue;
			var w = new Widget(this.widgetOpts(sid));
			w.getValue = function() { return sel.value; };
			w.setValue = function(v) { sel.value = v; };
			w.node = E('div', {}, sel);
			this.widgets[sid] = w;
			return w.node;
		}
	});

	var CBIDynamicList = CBIValue.extend({
		renderWidget: function(sid, idx, cfgvalue) {
			var self = this, list = E('div', { 'class': 'cbi-dynlist', 'id': 'widget.cbid.%s.%s.%s'.format(this.map.config, sid, this.option) });
			var w = new Widget(this.widgetOpts(sid));
			function item(v) {
				var input = E('input', { 'type': 'text', 'class': 'cbi-input-text', 'placeholder': self.placeholder || null });
				input.value = v;
				list.insertBefore(E('div', { 'class': 'item' }, input), adder);
			}
			var adder = E('button', { 'class': 'btn cbi-button-add', 'click': function(ev) { ev.preventDefault(); item(''); } }, '+');
			list.appendChild(adder);
			(Array.isArray(cfgvalue) ? cfgvalue : (cfgvalue ? [ cfgvalue ] : [])).forEach(item);
			w.getValue = function() {
				return Array.prototype.map.call(list.querySelectorAll('input'), function(i) { return i.value.trim(); }).filter(function(v) { return v !== ''; });
			};
			w.setValue = function(vs) {
				Array.prototype.forEach.call(list.querySelectorAll('.item'), function(n) { n.remove(); });
				(vs || []).forEach(item);
			};
			w.node = list;
			this.widgets[sid] = w;
			return list;
		}
	});

	var form = { Map: CBIMap, TypedSection: CBITypedSection, Value: CBIValue, Flag: CBIFlag, ListValue: CBIListValue, DynamicList: CBIDynamicList };

	/* poll */
	var poll = {
		add: function(fn, interval) {
			var busy = false;
			window.setInterval(function() {
				if (busy)
					return;
				busy = true;
				Promise.resolve().then(fn).catch(function() {}).finally(function() { busy = false; });
			}, (interval || 5) * 1000);
		}
	};

	/* view */
	var View = extend(BaseClass, {
		load: function() {},
		render: function() {},
		handleSave: function() { return Promise.resolve(); },
		handleSaveApply: function(ev, mode) {
			// The footer's Save & Apply is mode '0' (apply with rollback); '1' is LuCI's "Apply unchecked".
			return this.handleSave(ev).then(function() { return ui.changes.apply(mode == '0'); });
		},
		handleReset: function() { return Promise.resolve(renderView()); }
	});
	var view = { extend: function(p) { return View.extend(p); } };

	var modules = { view: view, form: form, rpc: rpc, uci: uci, ui: ui, poll: poll };
	window.L = L;
	window.E = E;
	window._ = function(s) { return s; };

	function footer(v) {
		var buttons = [];
		if (v.handleSaveApply)
			buttons.push(E('button', { 'class': 'btn cbi-button-apply', 'id': 'btn-save-apply', 'click': ui.createHandlerFn(v, function(ev) { return v.handleSaveApply(ev, '0'); }) }, _('Save & Apply')));
		if (v.handleSave)
			buttons.push(E('button', { 'class': 'btn cbi-button-save', 'id': 'btn-save', 'click': ui.createHandlerFn(v, 'handleSave') }, _('Save')));
		if (v.handleReset)
			buttons.push(E('button', { 'class': 'btn cbi-button-reset', 'id': 'btn-reset', 'click': ui.createHandlerFn(v, 'handleReset') }, _('Reset')));
		return buttons.length ? E('div', { 'class': 'cbi-page-actions', 'id': 'page-actions' }, buttons) : '';
	}

	var source = null;
	function renderView() {
		var main = document.getElementById('maincontent');
		var t0 = performance.now();
		return (source ? Promise.resolve(source) : fetch('/luci-static/resources/view/' + env.view + '.js').then(function(r) { return r.text(); })).then(function(src) {
			source = src;
			var names = [], re = /^\s*'require ([a-z]+)';/mg, m;
			while ((m = re.exec(src)) !== null)
				names.push(m[1]);
			var Cls = new Function(names.join(','), src).apply(null, names.map(function(n) { return modules[n]; }));
			Object.keys(uci.state.values).forEach(function(c) { uci.unload(c); });
			var v = new Cls();
			return Promise.resolve(v.load()).then(function(data) { return v.render(data); }).then(function(node) {
				main.replaceChildren(E('div', { 'id': 'view' }, node), footer(v));
				window.LUCI_RENDER_MS = performance.now() - t0;
				document.body.setAttribute('data-rendered', String(Date.now()));
			});
		}).catch(function(e) {
			main.replaceChildren(E('div', { 'class': 'alert-message danger', 'id': 'view-error' }, String(e && e.message || e)));
			document.body.setAttribute('data-rendered', String(Date.now()));
		});
	}

	document.addEventListener('DOMContentLoaded', function() {
		var menu = document.getElementById('menu');
		(env.menu || []).forEach(function(e) { menu.appendChild(E('a', { 'href': '/cgi-bin/luci/' + e.path }, e.path.split('/')[1] + ' › ' + e.title)); });
		menu.appendChild(E('span', {}, ' ' + (env.user || '')));
		renderView();
	});
})();
