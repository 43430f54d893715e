// Globals of a lambda sandbox, evaluated before the user's script. Native helpers are
// installed by the host as __gc_* functions; this file wraps them in the script API.
(function () {
  "use strict";
  const g = globalThis;
  const resolvers = Object.create(null);
  const webhooks = Object.create(null);
  const listeners = Object.create(null);

  g.self = g;

  function register(map, multi) {
    if (map === null || typeof map !== "object") {
      throw new TypeError("expected an object of resolver functions");
    }
    for (const name of Object.keys(map)) {
      if (typeof map[name] !== "function") {
        throw new TypeError("resolver " + name + " is not a function");
      }
      resolvers[name] = { fn: map[name], multi: multi };
    }
  }
  g.addGraphQLResolvers = function (map) { register(map, false); };
  g.addMultiParentGraphQLResolvers = function (map) { register(map, true); };
  g.addWebHookResolvers = function (map) {
    if (map === null || typeof map !== "object") {
      throw new TypeError("expected an object of webhook functions");
    }
    for (const name of Object.keys(map)) {
      if (typeof map[name] !== "function") {
        throw new TypeError("webhook " + name + " is not a function");
      }
      webhooks[name] = map[name];
    }
  };
  g.addEventListener = function (type, fn) {
    (listeners[type] = listeners[type] || []).push(fn);
  };
  g.removeEventListener = function (type, fn) {
    const l = listeners[type];
    if (l) listeners[type] = l.filter(function (f) { return f !== fn; });
  };

  // console.* goes to the deployment's log ring.
  function fmt(args) {
    const out = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (typeof a === "string") out.push(a);
      else if (a instanceof Error) out.push(String(a) + (a.stack ? "\n" + a.stack : ""));
      else if (typeof a === "object" && a !== null) {
        try { out.push(JSON.stringify(a)); } catch (e) { out.push(String(a)); }
      } else out.push(String(a));
    }
    return out.join(" ");
  }
  const log = __gc_log;
  g.console = {
    log: function () { log("info", fmt(arguments)); },
    info: function () { log("info", fmt(arguments)); },
    debug: function () { log("debug", fmt(arguments)); },
    warn: function () { log("warn", fmt(arguments)); },
    error: function () { log("error", fmt(arguments)); },
  };

  // Timers: run by the host's event loop between job batches.
  let timerSeq = 1;
  const timers = new Map();
  function addTimer(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeError("timer callback is not a function");
    const id = timerSeq++;
    const delay = Math.max(0, Number(ms) || 0);
    timers.set(id, { fn: fn, at: __gc_now() + delay, every: repeat ? Math.max(1, delay) : 0, args: args });
    return id;
  }
  g.setTimeout = function (fn, ms) { return addTimer(fn, ms, Array.prototype.slice.call(arguments, 2), false); };
  g.setInterval = function (fn, ms) { return addTimer(fn, ms, Array.prototype.slice.call(arguments, 2), true); };
  g.clearTimeout = g.clearInterval = function (id) { timers.delete(id); };
  // Fires due timers; returns ms until the next one, or -1 when none is left.
  g.__gc_timers = function () {
    const now = __gc_now();
    for (const [id, t] of Array.from(timers)) {
      if (t.at <= now) {
        if (t.every) t.at = now + t.every; else timers.delete(id);
        t.fn.apply(undefined, t.args);
      }
    }
    let next = -1;
    for (const t of timers.values()) {
      const d = Math.max(0, t.at - __gc_now());
      if (next < 0 || d < next) next = d;
    }
    return next;
  };
  g.__gc_clear_timers = function () { timers.clear(); };

  // base64
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  g.btoa = function (s) {
    s = String(s);
    let out = "";
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
      if (a > 255 || b > 255 || c > 255) throw new Error("btoa: character out of range");
      const n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] +
        (i + 1 < s.length ? B64[(n >> 6) & 63] : "=") + (i + 2 < s.length ? B64[n & 63] : "=");
    }
    return out;
  };
  g.atob = function (s) {
    s = String(s).replace(/[\s=]+/g, "");
    let out = "", bits = 0, acc = 0;
    for (let i = 0; i < s.length; i++) {
      const v = B64.indexOf(s[i]);
      if (v < 0) throw new Error("atob: invalid base64");
      acc = (acc << 6) | v; bits += 6;
      if (bits >= 8) { bits -= 8; out += String.fromCharCode((acc >> bits) & 255); }
    }
    return out;
  };

  // fetch: one blocking request through the host (timeout, allow-list, no private ranges).
  function Headers(init) {
    this._h = Object.create(null);
    if (init) {
      if (init instanceof Headers) init = init._h;
      for (const k of Object.keys(init)) this._h[k.toLowerCase()] = String(init[k]);
    }
  }
  Headers.prototype.get = function (k) { const v = this._h[String(k).toLowerCase()]; return v === undefined ? null : v; };
  Headers.prototype.set = function (k, v) { this._h[String(k).toLowerCase()] = String(v); };
  Headers.prototype.append = Headers.prototype.set;
  Headers.prototype.has = function (k) { return String(k).toLowerCase() in this._h; };
  Headers.prototype.delete = function (k) { delete this._h[String(k).toLowerCase()]; };
  Headers.prototype.forEach = function (fn) { for (const k of Object.keys(this._h)) fn(this._h[k], k, this); };
  g.Headers = Headers;

  function Response(body, init) {
    init = init || {};
    this._body = body === undefined || body === null ? "" : String(body);
    this.status = init.status === undefined ? 200 : init.status;
    this.statusText = init.statusText || "";
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = new Headers(init.headers);
    this.url = init.url || "";
  }
  Response.prototype.text = function () { return Promise.resolve(this._body); };
  Response.prototype.json = function () {
    const b = this._body;
    return new Promise(function (res) { res(JSON.parse(b)); });
  };
  g.Response = Response;

  g.fetch = function (input, init) {
    return new Promise(function (resolve) {
      init = init || {};
      const url = typeof input === "string" ? input : input && input.url;
      const headers = new Headers(init.headers);
      const r = JSON.parse(__gc_fetch(String(url), String(init.method || "GET").toUpperCase(),
        JSON.stringify(headers._h), init.body === undefined || init.body === null ? null : String(init.body)));
      resolve(new Response(r.body, { status: r.status, statusText: r.statusText, headers: r.headers, url: String(url) }));
    });
  };

  // Helpers handed to every resolver.
  function graphql(query, variables, authHeader) {
    return new Promise(function (resolve) {
      resolve(JSON.parse(__gc_graphql(String(query), JSON.stringify(variables || {}),
        authHeader === undefined || authHeader === null ? null : JSON.stringify(authHeader))));
    });
  }
  function dqlUnsupported(what) {
    return function () {
      return Promise.reject(new Error("dql." + what + " is not available: this backend does not serve DQL yet"));
    };
  }
  const dql = { query: dqlUnsupported("query"), mutate: dqlUnsupported("mutate"), commit: dqlUnsupported("commit") };

  // Dispatch of one call (the body the host would POST to a lambda server).
  g.__gc_dispatch = async function (reqJson) {
    const req = JSON.parse(reqJson);
    const authHeader = req.authHeader || { key: "", value: "" };
    const base = {
      type: req.resolver,
      args: req.args || {},
      authHeader: authHeader,
      accessJWT: req["X-Dgraph-AccessToken"] || "",
      info: null,
      graphql: graphql,
      dql: dql,
    };
    if (req.resolver === "$webhook") {
      const ev = req.event || {};
      const fn = webhooks[ev.__typename + "." + ev.operation];
      if (!fn) return null;
      base.event = ev;
      await fn(base);
      return null;
    }
    const r = resolvers[req.resolver];
    const parents = req.parents === undefined ? null : req.parents;
    if (!r) {
      // Low-level form: addEventListener("graphql", e => e.respondWith(value)).
      const ls = listeners["graphql"] || [];
      let responded = false, out;
      const ev = Object.assign({}, base, {
        parents: parents,
        respondWith: function (v) { responded = true; out = v; },
      });
      for (let i = 0; i < ls.length && !responded; i++) ls[i](ev);
      if (responded) return await out;
      throw new Error("no resolver is registered for " + req.resolver);
    }
    if (r.multi) {
      base.parents = parents === null ? [null] : parents;
      const out = await r.fn(base);
      if (!Array.isArray(out) || out.length !== base.parents.length) {
        throw new Error("__gc_shape:" + req.resolver + " returned " +
          (Array.isArray(out) ? "an array of " + out.length : typeof out) +
          " results for " + base.parents.length + " parents (a multi-parent resolver must return one result per parent)");
      }
      return parents === null ? out[0] : out;
    }
    if (parents === null) {
      base.parent = null;
      base.parents = null;
      return await r.fn(base);
    }
    return await Promise.all(parents.map(function (p) {
      const e = Object.assign({}, base);
      e.parent = p;
      e.parents = parents;
      return r.fn(e);
    }));
  };
  g.__gc_has = function (name) { return name in resolvers; };
})();
