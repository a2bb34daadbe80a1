// The Tether operators' console (docs/OPERATIONS.md "Console"). Plain JavaScript, no library, no build step.
//
// The API key is kept in this tab's memory only and sent as "Authorization: Bearer" on every call, the event stream
// included: EventSource cannot send headers, so the stream is read with fetch() and parsed here. The key never goes
// into a URL (URLs end up in logs and histories).
//
// Every value shown is written with textContent, never as HTML: presence attrs are whatever clients sent.
'use strict';

(() => {
  const STATES = ['ONLINE', 'SUSPECT', 'DETACHED', 'CLOSED'];
  const MAX_RETRY_MS = 30000;

  let key = null;
  let stream = null;
  let retryMs = 1000;
  let retryTimer = null;
  let counts = {};
  // The visible page: clientIds in order, and clientId -> {rec, tr}.
  const view = { page: 0, size: 100, state: '', pages: 0, total: 0, order: [], rows: new Map() };
  let outside = 0;
  // Events that arrive while a page is being fetched; applied once it is shown.
  let pending = null;

  const $ = (id) => document.getElementById(id);

  function el(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (className) e.className = className;
    return e;
  }

  function api(path, options = {}) {
    const headers = Object.assign({ Authorization: 'Bearer ' + key }, options.headers || {});
    return fetch(path, Object.assign({}, options, { headers, cache: 'no-store', credentials: 'omit' }));
  }

  async function call(path, options) {
    const r = await api(path, options);
    const text = await r.text();
    let body = null;
    try { body = JSON.parse(text); } catch (e) { body = { error: text }; }
    if (r.status === 401) loggedOut('the node refused the key');
    return { status: r.status, body, text };
  }

  // -- key ---------------------------------------------------------------------------------------------------

  async function connect(ev) {
    ev.preventDefault();
    const input = $('key');
    key = input.value;
    input.value = '';
    $('login-error').textContent = '';
    let r;
    try {
      r = await call('/admin/console/stats');
    } catch (e) {
      key = null;
      $('login-error').textContent = 'cannot reach the node: ' + e.message;
      return;
    }
    if (r.status !== 200) {
      key = null;
      $('login-error').textContent = r.status === 401 ? 'wrong key' : (r.body.error || ('HTTP ' + r.status));
      return;
    }
    $('login').hidden = true;
    $('app').hidden = false;
    renderStats(r.body);
    openStream();
  }

  function loggedOut(why) {
    key = null;
    if (stream) stream.abort();
    stream = null;
    clearTimeout(retryTimer);
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = why;
    setLive('off', 'not connected');
  }

  function setLive(state, text) {
    const b = $('live');
    b.className = 'badge ' + state;
    b.dataset.state = state;
    b.textContent = text;
  }

  // -- event stream ------------------------------------------------------------------------------------------

  async function openStream() {
    const ctl = new AbortController();
    stream = ctl;
    setLive('off', 'connecting');
    try {
      const r = await api('/admin/console/events', { signal: ctl.signal, headers: { Accept: 'text/event-stream' } });
      if (r.status === 401) {
        loggedOut('the node refused the key');
        return;
      }
      if (r.status !== 200) {
        const why = await r.text();
        setLive('bad', 'stream refused (' + r.status + '): ' + why.slice(0, 200));
      } else {
        const reader = r.body.getReader();
        const decoder = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            onEvent(block);
          }
        }
        if ($('live').dataset.state === 'live') setLive('bad', 'stream ended');
      }
    } catch (e) {
      if (ctl.signal.aborted) return;
      setLive('bad', 'stream failed: ' + e.message);
    }
    if (stream === ctl && key !== null) {
      retryTimer = setTimeout(openStream, retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
  }

  function onEvent(block) {
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    let body;
    try { body = JSON.parse(data.join('\n')); } catch (e) { return; }
    if (name === 'ready') {
      retryMs = 1000;
      $('node').textContent = 'node ' + body.node;
      setLive('live', 'live');
      // Listed only now: every change after this point reaches the page as an event.
      loadPage();
    } else if (name === 'presence') {
      if (pending) pending.push(body); else applyPresence(body);
    } else if (name === 'stats') {
      renderStats(body);
    } else if (name === 'closing') {
      setLive('bad', 'closed by the node: ' + (body.message || body.reason));
    }
  }

  // -- the session table -------------------------------------------------------------------------------------

  async function loadPage() {
    pending = pending || [];
    const q = new URLSearchParams({ page: String(view.page), size: String(view.size) });
    if (view.state) q.set('state', view.state);
    let r;
    try {
      r = await call('/admin/sessions?' + q.toString());
    } catch (e) {
      pending = null;
      $('page-info').textContent = 'listing failed: ' + e.message;
      return;
    }
    if (r.status !== 200) {
      pending = null;
      $('page-info').textContent = 'listing failed: ' + (r.body.error || r.status);
      return;
    }
    const p = r.body;
    if (p.pages > 0 && view.page >= p.pages) {
      view.page = p.pages - 1;
      pending = null;
      loadPage();
      return;
    }
    view.pages = p.pages;
    view.total = p.total;
    view.order = [];
    view.rows.clear();
    const body = $('sessions').tBodies[0];
    body.replaceChildren();
    for (const rec of p.items) {
      const tr = row(rec);
      view.order.push(rec.clientId);
      view.rows.set(rec.clientId, { rec, tr });
      body.appendChild(tr);
    }
    counts = p.counts || counts;
    renderCounts();
    outside = 0;
    renderPaging();
    const late = pending;
    pending = null;
    late.forEach(applyPresence);
  }

  function row(rec) {
    const tr = el('tr');
    tr.dataset.clientId = rec.clientId;
    tr.append(el('td', rec.clientId, 'client'), el('td', '', 'state'), el('td', '', 'node'), el('td', '', 'attrs'),
      el('td', '', 'seen'));
    fill(tr, rec);
    return tr;
  }

  function fill(tr, rec) {
    const state = tr.querySelector('td.state');
    state.textContent = rec.state;
    state.className = 'state state-' + rec.state;
    tr.querySelector('td.node').textContent = rec.node || '';
    const attrs = JSON.stringify(rec.attrs || {});
    const a = tr.querySelector('td.attrs');
    a.textContent = attrs;
    a.title = attrs;
    tr.querySelector('td.seen').textContent = seen(rec.lastSeen);
  }

  function seen(at) {
    if (!at) return '';
    const age = Math.max(0, Math.round((Date.now() - at) / 1000));
    return new Date(at).toLocaleTimeString() + ' (' + age + ' s ago)';
  }

  function matchesFilter(state) {
    return !view.state || view.state === state;
  }

  /** A client not on the page belongs here if the page is the last one, has room and the clientId sorts into it. */
  function fitsHere(clientId) {
    const last = view.pages === 0 || view.page === view.pages - 1;
    return last && view.order.length < view.size && (view.page === 0 || clientId > view.order[0]);
  }

  function applyPresence(ev) {
    const known = view.rows.get(ev.clientId);
    if (known) {
      // An event older than what the listing showed is stale (the listing read the store after it).
      if (ev.at < known.rec.lastSeen) return;
      const before = known.rec.state;
      const newSession = ev.sessionId && ev.sessionId !== known.rec.sessionId;
      known.rec.state = ev.state;
      known.rec.node = ev.node || known.rec.node;
      known.rec.lastSeen = ev.at;
      known.rec.sessionId = ev.sessionId || known.rec.sessionId;
      fill(known.tr, known.rec);
      flash(known.tr);
      if (before !== ev.state) {
        counts[before] = Math.max(0, (counts[before] || 0) - 1);
        counts[ev.state] = (counts[ev.state] || 0) + 1;
        renderCounts();
      }
      if (newSession) refreshRecord(ev.clientId);
    } else if (matchesFilter(ev.state) && fitsHere(ev.clientId)) {
      const rec = { clientId: ev.clientId, sessionId: ev.sessionId, state: ev.state, node: ev.node, lastSeen: ev.at,
        attrs: {} };
      const tr = row(rec);
      let i = 0;
      while (i < view.order.length && view.order[i] < ev.clientId) i++;
      const body = $('sessions').tBodies[0];
      body.insertBefore(tr, body.rows[i] || null);
      view.order.splice(i, 0, ev.clientId);
      view.rows.set(ev.clientId, { rec, tr });
      view.total++;
      pageInfo();
      flash(tr);
      refreshRecord(ev.clientId);
    } else {
      outside++;
      $('outside').textContent = outside + ' change' + (outside === 1 ? '' : 's') + ' outside this page';
    }
  }

  /** The full presence record (attrs are not in events) of a row on the page. */
  async function refreshRecord(clientId) {
    const r = await call('/admin/clients/' + encodeURIComponent(clientId));
    const known = view.rows.get(clientId);
    if (r.status !== 200 || !known) return;
    // The record may be older than the event that put the row here (an event is published after its write):
    // then only its attrs are news.
    if (r.body.lastSeen > known.rec.lastSeen) known.rec = r.body;
    else if (r.body.sessionId === known.rec.sessionId) known.rec.attrs = r.body.attrs;
    fill(known.tr, known.rec);
  }

  function flash(tr) {
    tr.classList.remove('changed');
    void tr.offsetWidth;
    tr.classList.add('changed');
  }

  function renderPaging() {
    pageInfo();
    $('prev').disabled = view.page === 0;
    $('next').disabled = view.page >= view.pages - 1;
    $('outside').textContent = '';
  }

  function pageInfo() {
    const pages = Math.max(1, view.pages);
    $('page-info').textContent = 'page ' + (view.page + 1) + ' of ' + pages + ' (' + view.total + ' sessions'
      + (view.state ? ' ' + view.state : '') + ')';
  }

  // -- stats -------------------------------------------------------------------------------------------------

  function kv(table, pairs) {
    const rows = pairs.map(([k, v, cls]) => {
      const tr = el('tr');
      tr.append(el('td', k, cls), el('td', v));
      return tr;
    });
    $(table).replaceChildren(...rows);
  }

  function renderCounts() {
    kv('counts', STATES.map((s) => [s, counts[s] || 0, 'state state-' + s]));
  }

  function bytes(n) {
    if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + ' GiB';
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MiB';
    if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + ' KiB';
    return n + ' B';
  }

  function renderStats(s) {
    if (s.counts) {
      counts = s.counts;
      renderCounts();
      $('counts-at').textContent = 'as of ' + new Date(s.at).toLocaleTimeString();
    } else if (s.countsError) {
      $('counts-at').textContent = s.countsError;
    }
    const m = s.meters || {};
    const resumes = m.resumes || {};
    const failed = Object.keys(resumes).filter((k) => k !== 'ok').sort();
    kv('resumes', [['ok', resumes.ok || 0]].concat(failed.map((k) => ['failed: ' + k, resumes[k]])));
    const here = m.sessionsHere || {};
    const limited = m.limited || {};
    kv('meters', [
      ['buffered', bytes(m.bufferedBytes || 0) + ' of ' + bytes(m.bufferBudgetBytes || 0)],
      ['sockets', m.connections || 0],
      ['sessions ONLINE here', here.ONLINE || 0],
      ['sessions SUSPECT here', here.SUSPECT || 0]]
      .concat(Object.keys(limited).sort().map((k) => ['limit hit: ' + k, limited[k]])));
    const body = $('members').tBodies[0];
    body.replaceChildren(...(s.members || []).map((mem) => {
      const tr = el('tr');
      tr.append(el('td', mem.instance + (mem.local ? ' (this node)' : '')), el('td', mem.role || ''),
        el('td', mem.status, 'state state-' + mem.status), el('td', mem.sessions === undefined ? '' : mem.sessions),
        el('td', mem.clusterSafe === undefined ? '' : String(mem.clusterSafe)));
      return tr;
    }));
  }

  // -- publish and push --------------------------------------------------------------------------------------

  async function post(path, payload, out) {
    out.textContent = '…';
    try {
      const r = await call(path, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(payload) });
      out.textContent = r.status + ' ' + r.text;
      out.className = 'result' + (r.status === 200 ? '' : ' error');
    } catch (e) {
      out.textContent = 'failed: ' + e.message;
      out.className = 'result error';
    }
  }

  function parsed(text, out) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (e) {
      out.textContent = 'the body is not JSON: ' + e.message;
      out.className = 'result error';
      return { ok: false };
    }
  }

  function publish(ev) {
    ev.preventDefault();
    const out = $('publish-result');
    const body = parsed($('publish-body').value, out);
    if (body.ok) post('/api/publish', { topic: $('publish-topic').value, body: body.value }, out);
  }

  function push(ev) {
    ev.preventDefault();
    const out = $('push-result');
    const body = parsed($('push-body').value, out);
    if (body.ok) {
      post('/api/send', { clientId: $('push-client').value, body: body.value, qos: $('push-volatile').checked ? 0 : 1 },
        out);
    }
  }

  // -- wiring ------------------------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('key-form').addEventListener('submit', connect);
    $('publish-form').addEventListener('submit', publish);
    $('push-form').addEventListener('submit', push);
    $('prev').addEventListener('click', () => { view.page = Math.max(0, view.page - 1); loadPage(); });
    $('next').addEventListener('click', () => { view.page++; loadPage(); });
    $('refresh').addEventListener('click', () => loadPage());
    $('state-filter').addEventListener('change', (e) => { view.state = e.target.value; view.page = 0; loadPage(); });
    $('page-size').addEventListener('change', (e) => {
      view.size = Number(e.target.value);
      view.page = 0;
      loadPage();
    });
    setInterval(() => view.rows.forEach(({ rec, tr }) => {
      tr.querySelector('td.seen').textContent = seen(rec.lastSeen);
    }), 1000);
  });
})();
