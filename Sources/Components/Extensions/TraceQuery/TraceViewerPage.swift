/// The web viewer the `trace_query` extension serves at `/` (`/index.html`), `/viewer.js` and
/// `/viewer.css`: hand-written HTML, CSS and JavaScript with no build step, nothing fetched from
/// outside the binary, and no framework.
///
/// The page calls the extension's Tempo API with relative URLs (so it works behind a path prefix):
/// `api/search` (TraceQL built from the form, or typed), `api/v2/traces/<id>` (falling back to
/// `api/traces/<id>`), and the service tag values (`api/v2/search/tag/resource.service.name/values`,
/// falling back to `api/search/tag/service.name/values`). Span and trace ids are accepted as hex or as
/// base64 (protobuf JSON renders `bytes` as base64); kinds and status codes as numbers or enum names.
///
/// Every string that comes from data is inserted with `textContent` or `setAttribute` — never as
/// markup — because span names and attributes are whatever a client sent.
///
/// The waterfall marks orphan spans (parent span id set but not in the trace) with class `orphan`
/// and the title "orphan: parent <id> not in trace", and spans that start before their parent with
/// class `skew` and the title "starts before its parent …".
enum TraceViewerPage {
    static let html: String = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Swiftlet · traces</title>
<link rel="stylesheet" href="viewer.css">
</head>
<body data-view="search" data-state="idle">
<header class="top">
  <a class="brand" href="#/">Swiftlet</a><span class="sub">traces</span>
  <span id="status" role="status" aria-live="polite"></span>
</header>
<main>
  <form id="search" class="panel" autocomplete="off">
    <div class="fields">
      <label>Service<select id="f-service"><option value="">any</option></select></label>
      <label>Span name<input id="f-name" type="text" placeholder="GET /api/users"></label>
      <label>Min duration<input id="f-min" type="text" class="short" placeholder="150ms"></label>
      <label>Max duration<input id="f-max" type="text" class="short" placeholder="2s"></label>
      <label>Status<select id="f-status">
        <option value="">any</option><option value="ok">ok</option>
        <option value="error">error</option><option value="unset">unset</option>
      </select></label>
      <label>Attribute<input id="f-attr" type="text" placeholder="http.status_code=500"></label>
      <label>Time range<select id="f-range">
        <option value="900">last 15 min</option><option value="3600" selected>last hour</option>
        <option value="21600">last 6 h</option><option value="86400">last 24 h</option>
        <option value="604800">last 7 days</option><option value="0">all stored</option>
      </select></label>
      <label>Limit<input id="f-limit" type="number" class="short" value="20" min="1" max="5000"></label>
    </div>
    <div class="query">
      <label for="f-q">TraceQL</label>
      <textarea id="f-q" rows="1" spellcheck="false">{}</textarea>
      <button type="submit" id="btn-search">Search</button>
    </div>
    <p id="form-error" class="error" hidden></p>
  </form>

  <section id="results" class="panel" hidden>
    <table id="result-table">
      <thead><tr>
        <th>Trace ID</th><th>Root service</th><th>Root span</th><th>Start</th>
        <th class="num">Duration</th><th class="num">Matched</th>
      </tr></thead>
      <tbody id="result-body"></tbody>
    </table>
    <p id="no-results" class="muted" hidden>No traces match.</p>
  </section>

  <section id="trace" class="panel" hidden>
    <div class="trace-head">
      <a href="#/search" id="back">&larr; results</a>
      <h2 id="trace-title"></h2>
      <div id="trace-meta" class="muted"></div>
      <div id="trace-warn"></div>
      <div id="legend"></div>
    </div>
    <div id="waterfall"></div>
  </section>

  <p id="error" class="error" hidden></p>
</main>
<script src="viewer.js"></script>
</body>
</html>
"""#

    static let css: String = #"""
:root {
  --bg: #f5f6f8; --panel: #fff; --fg: #1c2230; --muted: #667085; --line: #e2e5ea;
  --hover: #f0f4fb; --accent: #2f6fde; --err: #c8322d; --warn: #a86b00; --row: 22px;
  color-scheme: light dark;
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171c; --panel: #1b1f26; --fg: #e3e6eb; --muted: #98a2b3; --line: #2b313b;
          --hover: #222a36; --accent: #6ea0ff; --err: #ff6b66; --warn: #f0b429; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
code, .mono, textarea, .id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
[hidden] { display: none !important; }
.muted { color: var(--muted); }
.error { color: var(--err); margin: 8px 0; white-space: pre-wrap; }

.top { display: flex; align-items: baseline; gap: 8px; padding: 8px 16px; background: var(--panel);
       border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; font-size: 15px; color: var(--fg); }
.sub { color: var(--muted); }
#status { margin-left: auto; color: var(--muted); }
main { padding: 12px 16px; max-width: 1600px; margin: 0 auto; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
         margin-bottom: 12px; }

.fields { display: flex; flex-wrap: wrap; gap: 8px 12px; }
.fields label, .query label { display: flex; flex-direction: column; gap: 2px; color: var(--muted); font-size: 12px; }
input, select, textarea, button { font: inherit; color: var(--fg); background: var(--panel);
  border: 1px solid var(--line); border-radius: 4px; padding: 4px 6px; }
input.short { width: 7em; }
input.invalid { border-color: var(--err); }
input:focus, select:focus, textarea:focus, button:focus { outline: 2px solid var(--accent); outline-offset: -1px; }
.query { display: flex; align-items: flex-end; gap: 8px; margin-top: 8px; }
.query label { align-self: center; }
.query textarea { flex: 1; resize: vertical; min-height: 30px; }
button { cursor: pointer; background: #2f6fde; border-color: #2f6fde; color: #fff; padding: 5px 14px; }
button:hover { background: #255bb8; }

table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.name { white-space: normal; word-break: break-word; }
.num { text-align: right; }
tr.result { cursor: pointer; }
tr.result:hover, tr.result:focus { background: var(--hover); outline: none; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 5px; vertical-align: 0; }

.trace-head h2 { margin: 4px 0 2px; font-size: 16px; font-weight: 600; word-break: break-all; }
#back { font-size: 12px; }
#trace-warn { margin: 6px 0 0; }
.warn-line { color: var(--warn); }
#legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0 2px; font-size: 12px; }

#waterfall { margin-top: 8px; border-top: 1px solid var(--line); }
.ruler, .span-row { display: grid; grid-template-columns: minmax(260px, 36%) 1fr; align-items: center; }
.ruler { height: 22px; border-bottom: 1px solid var(--line); color: var(--muted); font-size: 11px; }
.ruler .track { position: relative; height: 100%; }
.tick { position: absolute; top: 0; bottom: 0; border-left: 1px solid var(--line); padding: 4px 0 0 3px; white-space: nowrap; }
.tick.last { border-left: 0; border-right: 1px solid var(--line); padding: 4px 3px 0 0; transform: translateX(-100%); }
.span-row { min-height: var(--row); border-bottom: 1px solid var(--line); cursor: pointer; }
.span-row:hover, .span-row:focus { background: var(--hover); outline: none; }
.span-row.open { background: var(--hover); }
.span-label { display: flex; align-items: center; gap: 4px; overflow: hidden; white-space: nowrap; padding-right: 8px; min-width: 0; }
.toggle { width: 16px; height: 16px; padding: 0; border: 0; background: transparent; color: var(--muted);
          font-size: 10px; line-height: 16px; flex: none; }
.toggle.none { visibility: hidden; }
.svc { color: var(--muted); flex: none; }
.span-name { overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.span-row.error .span-name { color: var(--err); }
.span-row.matched .span-name { font-weight: 600; }
.badge { flex: none; font-size: 10px; line-height: 14px; padding: 0 5px; border-radius: 7px; border: 1px solid; }
.badge.orphan { color: var(--warn); border-color: var(--warn); }
.badge.skew { color: #8a3ffc; border-color: #8a3ffc; }
.badge.err { color: var(--err); border-color: var(--err); }
.span-track { position: relative; height: var(--row); }
.bar { position: absolute; top: 5px; height: 12px; min-width: 2px; border-radius: 2px; opacity: .9; }
.span-row.error .bar { outline: 1px solid var(--err); }
.span-row.orphan .bar { background-image: repeating-linear-gradient(45deg, transparent 0 4px, rgba(255,255,255,.45) 4px 7px); }
.dur { position: absolute; top: 3px; font-size: 11px; color: var(--muted); white-space: nowrap; }
.dur.inside { color: #fff; text-shadow: 0 0 2px rgba(0,0,0,.6); }

.span-details { border-bottom: 1px solid var(--line); padding: 8px 12px 10px 28px; background: var(--bg); }
.span-details h4 { margin: 10px 0 4px; font-size: 12px; color: var(--muted); font-weight: 600; }
.span-details h4 .none { font-weight: 400; }
.span-details h4:first-child { margin-top: 0; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 1px 14px; margin: 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; word-break: break-all; white-space: pre-wrap; }
.span-details table td { white-space: normal; word-break: break-all; vertical-align: top; padding: 2px 8px; }
.span-details table td:first-child { color: var(--muted); width: 1%; white-space: nowrap; }
.span-details .note { margin: 4px 0; }
.event { margin: 2px 0 6px; }
.event .when { color: var(--muted); margin-right: 6px; }
"""#

    static let javascript: String = #"""
(function () {
  'use strict';

  // ---------------------------------------------------------------- DOM helpers (no markup)
  var $ = function (id) { return document.getElementById(id); };

  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = String(v);
        else if (k === 'on') Object.keys(v).forEach(function (e) { el.addEventListener(e, v[e]); });
        else if (k === 'style') Object.keys(v).forEach(function (s) { el.style.setProperty(s, v[s]); });
        else if (k === 'dataset') Object.keys(v).forEach(function (d) { el.dataset[d] = String(v[d]); });
        else el.setAttribute(k, String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { add(el, x); }); return; }
    if (typeof c === 'object' && c.nodeType) { el.appendChild(c); return; }
    el.appendChild(document.createTextNode(String(c)));
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function traceHref(id) { return '#/trace/' + encodeURIComponent(id); }

  function setStatus(text) { $('status').textContent = text || ''; }
  function showError(text) {
    var e = $('error');
    e.textContent = text || '';
    e.hidden = !text;
    if (text) document.body.dataset.state = 'error';
  }

  // ---------------------------------------------------------------- values and formatting
  var HEX = /^[0-9a-fA-F]+$/;

  // Span and trace ids: hex as sent, or base64 as protobuf JSON renders bytes.
  function idHex(v) {
    if (v === undefined || v === null) return '';
    var s = String(v).trim();
    if (!s) return '';
    if (HEX.test(s) && (s.length === 16 || s.length === 32)) return s.toLowerCase();
    try {
      var bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
      var out = '';
      for (var i = 0; i < bin.length; i++) out += ('0' + bin.charCodeAt(i).toString(16)).slice(-2);
      if (out) return out;
    } catch (e) { /* not base64 */ }
    return HEX.test(s) ? s.toLowerCase() : s;
  }
  function isZeroId(hex) { return !hex || /^0+$/.test(hex); }

  function big(v) {
    if (v === undefined || v === null || v === '') return 0n;
    try { return BigInt(typeof v === 'number' ? Math.round(v) : String(v)); } catch (e) { return 0n; }
  }

  function trimNum(x) {
    var s = x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
    return s.indexOf('.') >= 0 ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  }
  function fmtDur(ns) {
    ns = Number(ns);
    var neg = ns < 0 ? '-' : '';
    ns = Math.abs(ns);
    if (ns < 1e3) return neg + ns + ' ns';
    if (ns < 1e6) return neg + trimNum(ns / 1e3) + ' \u00b5s';
    if (ns < 1e9) return neg + trimNum(ns / 1e6) + ' ms';
    if (ns < 60e9) return neg + trimNum(ns / 1e9) + ' s';
    var m = Math.floor(ns / 60e9);
    return neg + m + ' min ' + trimNum((ns - m * 60e9) / 1e9) + ' s';
  }
  function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = '0' + n; return n; }
  function fmtTime(nsBig) {
    if (!nsBig) return '';
    var ms = Number(nsBig / 1000000n);
    var d = new Date(ms);
    if (isNaN(d.getTime())) return '';
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }

  var KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
  function kindName(k) {
    if (typeof k === 'number') return KINDS[k] || String(k);
    if (!k) return 'unspecified';
    return String(k).replace(/^SPAN_KIND_/, '').toLowerCase();
  }
  var STATUSES = ['unset', 'ok', 'error'];
  function statusName(st) {
    var c = st ? st.code : undefined;
    if (typeof c === 'number') return STATUSES[c] || String(c);
    if (!c) return 'unset';
    return String(c).replace(/^STATUS_CODE_/, '').toLowerCase();
  }

  // An OTLP JSON AnyValue as text.
  function anyText(v, nested) {
    if (v === undefined || v === null) return '';
    if (typeof v !== 'object') return String(v);
    if ('stringValue' in v) return nested ? JSON.stringify(String(v.stringValue)) : String(v.stringValue);
    if ('intValue' in v) return String(v.intValue);
    if ('doubleValue' in v) return String(v.doubleValue);
    if ('boolValue' in v) return String(v.boolValue);
    if ('bytesValue' in v) return String(v.bytesValue) + ' (bytes, base64)';
    if ('arrayValue' in v) {
      var vals = (v.arrayValue && v.arrayValue.values) || [];
      return '[' + vals.map(function (x) { return anyText(x, true); }).join(', ') + ']';
    }
    if ('kvlistValue' in v) {
      var kvs = (v.kvlistValue && v.kvlistValue.values) || [];
      return '{' + kvs.map(function (kv) { return kv.key + ': ' + anyText(kv.value, true); }).join(', ') + '}';
    }
    return '';
  }
  function attrList(attrs) {
    return (attrs || []).map(function (kv) { return [String(kv.key), anyText(kv.value)]; });
  }
  function attrValue(attrs, key) {
    for (var i = 0; attrs && i < attrs.length; i++) if (attrs[i].key === key) return anyText(attrs[i].value);
    return '';
  }

  // ---------------------------------------------------------------- service colours
  var PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1',
                 '#ff9da7', '#9c755f', '#3f9fcf', '#8cd17d', '#d37295', '#a0cbe8', '#86bcb6'];
  var colours = new Map();
  function colour(service) {
    if (!colours.has(service)) colours.set(service, PALETTE[colours.size % PALETTE.length]);
    return colours.get(service);
  }
  function dot(service) { return h('span', { class: 'dot', style: { background: colour(service) } }); }

  // ---------------------------------------------------------------- HTTP
  function getJSON(url) {
    return fetch(url, { headers: { Accept: 'application/json' } }).then(function (res) {
      if (res.ok) return res.json();
      return res.text().then(function (body) {
        var err = new Error(res.status + ' ' + res.statusText + (body ? ': ' + body.slice(0, 500) : ''));
        err.status = res.status;
        throw err;
      });
    });
  }

  // ---------------------------------------------------------------- the search form
  var DUR = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|\u00b5s|ms|s|m|h)?\s*$/;
  function durLiteral(text) {
    var m = DUR.exec(text);
    if (!m) return null;
    var unit = m[2] || 'ms';
    return m[1] + (unit === '\u00b5s' ? 'us' : unit);
  }
  function qstr(s) { return '"' + String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"'; }

  var ATTR = /^\s*([^\s=!<>~]+)\s*(!=|=~|!~|>=|<=|=|>|<)\s*(.*?)\s*$/;
  function attrClause(text) {
    var m = ATTR.exec(text);
    if (!m) return null;
    var key = m[1], op = m[2], val = m[3];
    var scoped = /^(span|resource|event|link|instrumentation)\./.test(key) || key.charAt(0) === '.';
    if (!scoped) key = 'span.' + key;
    var name = key.replace(/^(span|resource|event|link|instrumentation)?\./, '');
    if (!/^[A-Za-z0-9_.\-\/:]+$/.test(name)) key = key.slice(0, key.length - name.length) + qstr(name);
    var lit;
    if (/^-?\d+(\.\d+)?$/.test(val) || /^(true|false|nil)$/.test(val)) lit = val;
    else if (val.length >= 2 && val.charAt(0) === '"' && val.charAt(val.length - 1) === '"') lit = qstr(val.slice(1, -1));
    else lit = qstr(val);
    return key + op + lit;
  }

  // Builds the TraceQL from the form fields; returns null (and marks the field) when one is invalid.
  function buildQuery() {
    var parts = [], bad = [];
    var svc = $('f-service').value, name = $('f-name').value.trim();
    var min = $('f-min').value.trim(), max = $('f-max').value.trim();
    var status = $('f-status').value, attr = $('f-attr').value.trim();
    if (svc) parts.push('resource.service.name=' + qstr(svc));
    if (name) parts.push('name=' + qstr(name));
    [['f-min', min, '>'], ['f-max', max, '<']].forEach(function (f) {
      var el = $(f[0]);
      el.classList.remove('invalid');
      if (!f[1]) return;
      var lit = durLiteral(f[1]);
      if (lit) parts.push('duration' + f[2] + lit);
      else { el.classList.add('invalid'); bad.push(f[1] + ' is not a duration (150ms, 2s, 500us)'); }
    });
    if (status) parts.push('status=' + status);
    $('f-attr').classList.remove('invalid');
    if (attr) {
      var c = attrClause(attr);
      if (c) parts.push(c);
      else { $('f-attr').classList.add('invalid'); bad.push(attr + ' is not key=value'); }
    }
    var fe = $('form-error');
    fe.textContent = bad.join('\n');
    fe.hidden = bad.length === 0;
    return parts.length ? '{ ' + parts.join(' && ') + ' }' : '{}';
  }

  var FORM_FIELDS = { svc: 'f-service', name: 'f-name', min: 'f-min', max: 'f-max', status: 'f-status',
                      attr: 'f-attr', range: 'f-range', limit: 'f-limit' };

  function formState() {
    var p = new URLSearchParams();
    p.set('q', $('f-q').value.trim() || '{}');
    Object.keys(FORM_FIELDS).forEach(function (k) {
      var v = $(FORM_FIELDS[k]).value.trim();
      if (v) p.set(k, v);
    });
    return p;
  }
  var FORM_DEFAULTS = { range: '3600', limit: '20' };
  function fillForm(p) {
    Object.keys(FORM_FIELDS).forEach(function (k) {
      var el = $(FORM_FIELDS[k]), v = p.has(k) ? p.get(k) : (FORM_DEFAULTS[k] || '');
      el.classList.remove('invalid');
      if (el.tagName === 'SELECT' && !Array.from(el.options).some(function (o) { return o.value === v; })) {
        el.appendChild(h('option', { value: v, text: v }));
      }
      el.value = v;
    });
    if (p.has('q')) $('f-q').value = p.get('q');
  }

  function onFieldChange() { $('f-q').value = buildQuery(); }

  function loadServices() {
    function fill(values) {
      var sel = $('f-service'), current = sel.value;
      var names = (values || []).map(function (v) { return typeof v === 'object' && v ? String(v.value) : String(v); })
        .filter(function (v) { return v; });
      names = Array.from(new Set(names)).sort();
      clear(sel);
      sel.appendChild(h('option', { value: '', text: 'any' }));
      names.forEach(function (n) { sel.appendChild(h('option', { value: n, text: n })); });
      if (current && names.indexOf(current) < 0) sel.appendChild(h('option', { value: current, text: current }));
      sel.value = current;
    }
    return getJSON('api/v2/search/tag/resource.service.name/values')
      .catch(function () { return getJSON('api/search/tag/service.name/values'); })
      .then(function (d) { fill(d && d.tagValues); })
      .catch(function (e) { setStatus('services: ' + e.message); });
  }

  // ---------------------------------------------------------------- search and results
  var matchedSpans = new Map();  // trace id -> Set of span ids (hex) from the last search
  var lastSearchHash = '#/search';

  function runSearch(p) {
    var q = p.get('q') || '{}';
    var params = new URLSearchParams();
    params.set('q', q);
    params.set('limit', p.get('limit') || '20');
    params.set('spss', '20');
    var range = parseInt(p.get('range') || '3600', 10);
    if (range > 0) {
      var now = Math.ceil(Date.now() / 1000);
      params.set('start', String(now - range));
      params.set('end', String(now + 60));
    }
    document.body.dataset.view = 'search';
    document.body.dataset.state = 'loading';
    $('trace').hidden = true;
    showError('');
    setStatus('Searching\u2026');
    return getJSON('api/search?' + params.toString()).then(function (data) {
      renderResults((data && data.traces) || []);
      document.body.dataset.state = 'ready';
    }).catch(function (e) {
      $('results').hidden = true;
      setStatus('');
      showError('Search failed: ' + e.message);
    });
  }

  function spanSetsOf(t) {
    if (Array.isArray(t.spanSets)) return t.spanSets;
    return t.spanSet ? [t.spanSet] : [];
  }

  function renderResults(traces) {
    var body = $('result-body');
    clear(body);
    matchedSpans.clear();
    traces = traces.slice().sort(function (a, b) {
      var x = big(a.startTimeUnixNano), y = big(b.startTimeUnixNano);
      return x < y ? 1 : x > y ? -1 : 0;
    });
    traces.forEach(function (t) {
      var id = String(t.traceID || '');
      var sets = spanSetsOf(t), matched = 0, ids = new Set();
      sets.forEach(function (s) {
        matched += Number(s.matched || (s.spans || []).length || 0);
        (s.spans || []).forEach(function (sp) { ids.add(idHex(sp.spanID || sp.spanId)); });
      });
      matchedSpans.set(id, ids);
      var svc = t.rootServiceName || '';
      var open = function () { location.hash = traceHref(id); };
      body.appendChild(h('tr', {
        class: 'result', tabindex: 0, dataset: { traceId: id },
        on: { click: open, keydown: function (e) { if (e.key === 'Enter') open(); } }
      },
        h('td', null, h('a', { class: 'id', href: traceHref(id), text: id })),
        h('td', null, svc ? [dot(svc), svc] : h('span', { class: 'muted', text: '<root span not received>' })),
        h('td', { class: 'name', text: t.rootTraceName || '' }),
        h('td', { text: fmtTime(big(t.startTimeUnixNano)) }),
        h('td', { class: 'num', text: Number(t.durationMs || 0) > 0 ? fmtDur(Number(t.durationMs) * 1e6) : '<1 ms' }),
        h('td', { class: 'num', text: sets.length ? String(matched) : '' })));
    });
    $('results').hidden = false;
    $('no-results').hidden = traces.length > 0;
    setStatus(traces.length + (traces.length === 1 ? ' trace' : ' traces'));
  }

  // ---------------------------------------------------------------- the trace
  function parseTrace(data) {
    var root = (data && data.trace) || data || {};
    var batches = root.resourceSpans || root.batches || [];
    var spans = [];
    batches.forEach(function (rs) {
      var resAttrs = (rs.resource && rs.resource.attributes) || [];
      var service = attrValue(resAttrs, 'service.name') || 'unknown service';
      (rs.scopeSpans || rs.instrumentationLibrarySpans || []).forEach(function (ss) {
        var scope = ss.scope || ss.instrumentationLibrary || {};
        (ss.spans || []).forEach(function (sp) {
          var start = big(sp.startTimeUnixNano), end = big(sp.endTimeUnixNano);
          if (end < start) end = start;
          var parent = idHex(sp.parentSpanId);
          spans.push({
            raw: sp, id: idHex(sp.spanId), traceId: idHex(sp.traceId),
            parentId: isZeroId(parent) ? '' : parent, name: String(sp.name || ''),
            service: service, resource: resAttrs, scope: scope,
            kind: kindName(sp.kind), status: statusName(sp.status),
            statusMessage: (sp.status && sp.status.message) || '',
            start: start, end: end, children: [], depth: 0
          });
        });
      });
    });
    return spans;
  }

  // Orders spans as a tree by parent span id. Orphans (parent not in the trace) are roots of
  // their own; spans caught in a parent cycle are shown at the top level too.
  function buildTree(spans) {
    var byId = new Map();
    spans.forEach(function (s) { if (s.id && !byId.has(s.id)) byId.set(s.id, s); });
    var roots = [];
    spans.forEach(function (s) {
      var p = s.parentId ? byId.get(s.parentId) : undefined;
      if (s.parentId && (!p || p === s)) s.orphan = true;
      if (p && p !== s) { s.parent = p; p.children.push(s); } else roots.push(s);
      if (s.parent && s.start < s.parent.start) s.skew = s.parent.start - s.start;
    });
    var byStart = function (a, b) { return a.start < b.start ? -1 : a.start > b.start ? 1 : 0; };
    // Real roots first, then orphans, each by start time.
    roots.sort(function (a, b) { return (a.orphan ? 1 : 0) - (b.orphan ? 1 : 0) || byStart(a, b); });
    var order = [], seen = new Set();
    function walk(s, depth) {
      if (seen.has(s)) return;
      seen.add(s);
      s.depth = depth;
      order.push(s);
      s.children.sort(byStart);
      s.children.forEach(function (c) { walk(c, depth + 1); });
    }
    roots.forEach(function (r) { walk(r, 0); });
    spans.forEach(function (s) {
      if (!seen.has(s)) { s.cycle = true; if (s.parent) { s.parent.children = s.parent.children.filter(function (c) { return c !== s; }); } s.parent = undefined; walk(s, 0); }
    });
    return order;
  }

  function orphanText(s) { return 'orphan: parent ' + s.parentId + ' not in trace'; }
  function skewText(s) {
    return 'starts before its parent by ' + fmtDur(Number(s.skew)) + ' (parent ' + s.parent.name + ' ' + s.parent.id +
      '; clock skew between hosts?)';
  }

  function kvTable(pairs) {
    return h('table', null, h('tbody', null, pairs.map(function (p) {
      return h('tr', null, h('td', { text: p[0] }), h('td', { text: p[1] }));
    })));
  }

  // A heading with the count ("Events (2)", "Links: none"), then `render(items)` if given.
  function section(out, title, items, render) {
    if (!items.length) { out.push(h('h4', null, title + ': ', h('span', { class: 'none', text: 'none' }))); return; }
    out.push(h('h4', { text: title + ' (' + items.length + ')' }));
    if (render) out.push(render(items));
  }

  function spanDetails(s, t0) {
    var sp = s.raw, out = [];
    var dl = h('dl', { class: 'kv' });
    function row(k, v) { dl.appendChild(h('dt', { text: k })); dl.appendChild(h('dd', null, v)); }
    row('Service', [dot(s.service), s.service]);
    row('Span ID', h('span', { class: 'id', text: s.id }));
    if (s.parentId) row('Parent ID', [h('span', { class: 'id', text: s.parentId }), s.orphan ? ' (not in this trace)' : '']);
    row('Trace ID', h('span', { class: 'id', text: s.traceId }));
    row('Kind', s.kind);
    row('Status', s.status + (s.statusMessage ? ': ' + s.statusMessage : ''));
    row('Start', fmtTime(s.start) + '  (+' + fmtDur(Number(s.start - t0)) + ' into the trace)');
    row('Duration', fmtDur(Number(s.end - s.start)));
    if (s.scope && (s.scope.name || s.scope.version)) row('Scope', [s.scope.name || '', s.scope.version ? ' ' + s.scope.version : '']);
    if (sp.traceState) row('Trace state', sp.traceState);
    var dropped = [['attributes', sp.droppedAttributesCount], ['events', sp.droppedEventsCount], ['links', sp.droppedLinksCount]]
      .filter(function (d) { return Number(d[1] || 0) > 0; }).map(function (d) { return d[1] + ' ' + d[0]; });
    if (dropped.length) row('Dropped', dropped.join(', '));
    out.push(dl);
    if (s.orphan) out.push(h('p', { class: 'warn-line note', text: orphanText(s) }));
    if (s.skew) out.push(h('p', { class: 'warn-line note', text: skewText(s) }));
    if (s.cycle) out.push(h('p', { class: 'warn-line note', text: 'its parent chain loops back to itself' }));

    section(out, 'Span attributes', attrList(sp.attributes), kvTable);

    var events = (sp.events || []).slice().sort(function (a, b) {
      var x = big(a.timeUnixNano), y = big(b.timeUnixNano); return x < y ? -1 : x > y ? 1 : 0;
    });
    section(out, 'Events', events, null);
    events.forEach(function (ev) {
      var at = big(ev.timeUnixNano);
      out.push(h('div', { class: 'event' },
        h('span', { class: 'when', text: '+' + fmtDur(Number(at - s.start)), title: fmtTime(at) }),
        h('strong', { text: ev.name || '' }),
        (ev.attributes && ev.attributes.length) ? kvTable(attrList(ev.attributes)) : null));
    });

    var links = sp.links || [];
    section(out, 'Links', links, null);
    links.forEach(function (l) {
      var tid = idHex(l.traceId), sid = idHex(l.spanId);
      var target = HEX.test(tid) ? h('a', { class: 'id', href: traceHref(tid), text: tid }) : h('span', { class: 'id', text: tid });
      out.push(h('div', { class: 'event' }, 'trace ', target, ' span ', h('span', { class: 'id', text: sid }),
        l.traceState ? ' state ' + l.traceState : '',
        (l.attributes && l.attributes.length) ? kvTable(attrList(l.attributes)) : null));
    });

    section(out, 'Resource attributes', attrList(s.resource), kvTable);
    if (s.scope && s.scope.attributes && s.scope.attributes.length) {
      section(out, 'Scope attributes', attrList(s.scope.attributes), kvTable);
    }
    return out;
  }

  function renderTrace(id, spans) {
    clear($('waterfall'));
    clear($('trace-warn'));
    clear($('legend'));
    clear($('trace-meta'));
    if (!spans.length) {
      $('trace-title').textContent = 'Trace ' + id;
      $('trace-meta').textContent = 'no spans';
      return;
    }
    var order = buildTree(spans);
    var t0 = order[0].start, t1 = order[0].end;
    spans.forEach(function (s) { if (s.start < t0) t0 = s.start; if (s.end > t1) t1 = s.end; });
    var total = Number(t1 - t0) || 1;
    var root = order.filter(function (s) { return !s.parentId; })[0] || order[0];
    var services = [];
    order.forEach(function (s) { if (services.indexOf(s.service) < 0) services.push(s.service); colour(s.service); });

    $('trace-title').textContent = root.service + ': ' + root.name;
    add($('trace-meta'), [h('span', { class: 'id', text: id }), '  \u00b7  ' + spans.length + (spans.length === 1 ? ' span' : ' spans') +
      '  \u00b7  ' + services.length + (services.length === 1 ? ' service' : ' services') +
      '  \u00b7  ' + fmtDur(total) + '  \u00b7  started ' + fmtTime(t0) + '  \u00b7  ',
      h('a', { href: 'api/v2/traces/' + encodeURIComponent(id), target: '_blank', rel: 'noopener', text: 'JSON' })]);
    var orphans = order.filter(function (s) { return s.orphan; }).length;
    var skewed = order.filter(function (s) { return s.skew; }).length;
    var errors = order.filter(function (s) { return s.status === 'error'; }).length;
    if (!order.some(function (s) { return !s.parentId; })) {
      $('trace-warn').appendChild(h('div', { class: 'warn-line', text: 'No root span: the trace\u2019s first span has not arrived, or its parent id was set by a proxy that does not report spans.' }));
    }
    if (orphans) $('trace-warn').appendChild(h('div', { class: 'warn-line', text: orphans + (orphans === 1 ? ' orphan span' : ' orphan spans') + ': parent span id set but not in the trace (broken context propagation, or a span that was dropped or not yet received).' }));
    if (skewed) $('trace-warn').appendChild(h('div', { class: 'warn-line', text: skewed + (skewed === 1 ? ' span starts' : ' spans start') + ' before its parent (clock skew between hosts).' }));
    if (errors) $('trace-warn').appendChild(h('div', { class: 'warn-line', text: errors + (errors === 1 ? ' span' : ' spans') + ' with status error.' }));
    services.forEach(function (svc) { $('legend').appendChild(h('span', null, dot(svc), svc)); });

    var wf = $('waterfall');
    var ticks = h('div', { class: 'track' });
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
      ticks.appendChild(h('span', { class: 'tick' + (f === 1 ? ' last' : ''), style: { left: (f * 100) + '%' }, text: fmtDur(Math.round(total * f)) }));
    });
    wf.appendChild(h('div', { class: 'ruler' }, h('div', { class: 'span-label muted', text: 'Service \u00b7 span' }), ticks));

    var matched = matchedSpans.get(id) || matchedSpans.get(id.replace(/^0+/, '')) || new Set();
    order.forEach(function (s) {
      var left = Number(s.start - t0) / total * 100;
      var width = Math.max(Number(s.end - s.start) / total * 100, 0.15);
      var cls = ['span-row'];
      if (s.orphan) cls.push('orphan');
      if (s.skew) cls.push('skew');
      if (s.status === 'error') cls.push('error');
      if (matched.has(s.id)) cls.push('matched');
      var toggle = h('button', { type: 'button', class: 'toggle' + (s.children.length ? '' : ' none'), text: '\u25be',
        title: s.children.length ? 'collapse or expand the ' + s.children.length + ' child spans' : null, 'aria-label': 'toggle children' });
      var badges = [];
      if (s.orphan) badges.push(h('span', { class: 'badge orphan', text: 'orphan', title: orphanText(s) }));
      if (s.skew) badges.push(h('span', { class: 'badge skew', text: 'skew', title: skewText(s) }));
      if (s.status === 'error') badges.push(h('span', { class: 'badge err', text: 'error', title: 'status error' + (s.statusMessage ? ': ' + s.statusMessage : '') }));
      var durLabel = h('span', { class: 'dur', text: fmtDur(Number(s.end - s.start)) });
      if (left + width <= 80) durLabel.style.left = (left + width + 0.5) + '%';
      else if (left >= 12) durLabel.style.right = (100 - left + 0.5) + '%';
      else { durLabel.classList.add('inside'); durLabel.style.right = (100 - left - width + 0.5) + '%'; }
      var row = h('div', { class: cls.join(' '), tabindex: 0, role: 'button', 'aria-expanded': 'false',
        dataset: { spanId: s.id, parentId: s.parentId, service: s.service },
        title: [s.orphan ? orphanText(s) : '', s.skew ? skewText(s) : ''].filter(Boolean).join('\n') || null },
        h('div', { class: 'span-label', style: { 'padding-left': (4 + s.depth * 14) + 'px' } },
          toggle, h('span', { class: 'dot', style: { background: colour(s.service) } }),
          h('span', { class: 'svc', text: s.service }), h('span', { class: 'span-name', text: s.name }), badges),
        h('div', { class: 'span-track' },
          h('div', { class: 'bar', style: { left: left + '%', width: width + '%', background: colour(s.service) } }),
          durLabel));
      var details = h('div', { class: 'span-details', hidden: 'hidden', dataset: { spanId: s.id } });
      s.row = row; s.details = details; s.collapsed = false; s.open = false;
      function toggleDetails() {
        s.open = !s.open;
        if (s.open && !details.firstChild) add(details, spanDetails(s, t0));
        details.hidden = !s.open;
        row.classList.toggle('open', s.open);
        row.setAttribute('aria-expanded', String(s.open));
      }
      row.addEventListener('click', toggleDetails);
      row.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggleDetails(); } });
      toggle.addEventListener('click', function (e) {
        e.stopPropagation();
        if (!s.children.length) return;
        s.collapsed = !s.collapsed;
        toggle.textContent = s.collapsed ? '\u25b8' : '\u25be';
        showChildren(s, !s.collapsed);
      });
      wf.appendChild(row);
      wf.appendChild(details);
    });
  }

  function showChildren(s, visible) {
    s.children.forEach(function (c) {
      c.row.hidden = !visible;
      c.details.hidden = !(visible && c.open);
      showChildren(c, visible && !c.collapsed);
    });
  }

  function showTrace(id) {
    document.body.dataset.view = 'trace';
    document.body.dataset.state = 'loading';
    showError('');
    $('results').hidden = true;
    $('back').setAttribute('href', lastSearchHash);
    if (!/^[0-9a-fA-F]{1,32}$/.test(id)) {
      $('trace').hidden = true;
      showError('Not a trace id: ' + id);
      return Promise.resolve();
    }
    setStatus('Loading trace\u2026');
    var enc = encodeURIComponent(id);
    return getJSON('api/v2/traces/' + enc)
      .catch(function (e) { if (e.status === 404) throw e; return getJSON('api/traces/' + enc); })
      .then(function (data) {
        renderTrace(id, parseTrace(data));
        $('trace').hidden = false;
        $('trace').dataset.traceId = id;
        setStatus('');
        document.body.dataset.state = 'ready';
      })
      .catch(function (e) {
        $('trace').hidden = true;
        setStatus('');
        showError(e.status === 404 ? 'Trace ' + id + ' not found (not received, or evicted from the store).' : 'Loading trace failed: ' + e.message);
      });
  }

  // ---------------------------------------------------------------- routing (state in the hash)
  function route() {
    var hash = location.hash.replace(/^#/, '');
    if (hash.indexOf('/trace/') === 0) {
      var id = hash.slice('/trace/'.length);
      try { id = decodeURIComponent(id); } catch (e) { /* keep as is */ }
      return showTrace(id);
    }
    var p = new URLSearchParams(hash.indexOf('?') >= 0 ? hash.slice(hash.indexOf('?') + 1) : '');
    fillForm(p);
    if (!p.has('q')) p.set('q', $('f-q').value.trim() || '{}');
    lastSearchHash = '#/search?' + formState().toString();
    return runSearch(p);
  }

  function submit(e) {
    if (e) e.preventDefault();
    var target = '#/search?' + formState().toString();
    if (location.hash === target) route(); else location.hash = target;
  }

  function init() {
    ['f-service', 'f-status'].forEach(function (id) { $(id).addEventListener('change', onFieldChange); });
    ['f-name', 'f-min', 'f-max', 'f-attr'].forEach(function (id) { $(id).addEventListener('input', onFieldChange); });
    $('search').addEventListener('submit', submit);
    $('f-q').addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); submit(); }
    });
    window.addEventListener('hashchange', route);
    loadServices().then(route);
  }

  init();
})();
"""#
}
