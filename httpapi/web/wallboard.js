// Switchboard wallboard: renders the "state" and "intervals" server-sent
// events of /api/events/stream, ticks the timers locally between events, and
// sends the supervisor's actions to the API with the bearer token kept in
// sessionStorage. Off loopback the stream needs that token too: the page
// takes it from its address (#access_token=) or asks once. No libraries: the board must work with no internet.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const STATE_LABELS = {
  logged_out: 'logged out', not_ready: 'not ready', ready: 'ready',
  reserved: 'ringing', on_call: 'on call', wrap_up: 'wrap-up',
};

const board = {
  skewMs: 0,        // server clock minus browser clock, from each snapshot
  state: null,      // last "state" event
  charts: null,     // last "intervals" event
  slTarget: 0.8,    // drawn on the service-level chart
  actions: true,    // false when the server has no token: no buttons
};

// Logout reasons are free text; these are only suggestions.
const LOGOUT_REASONS = ['end of shift', 'sick', 'left early', 'system issue'];

const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const serverNow = () => Date.now() + board.skewMs;

function fmtDuration(sec) {
  if (sec === null || sec === undefined || !isFinite(sec)) return '—';
  sec = Math.max(0, Math.floor(sec));
  const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
  const mm = String(m).padStart(h ? 2 : 1, '0'), ss = String(s).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
const fmtPct = (r) => (r === null || r === undefined ? '—' : `${Math.round(r * 100)}%`);

// A ticking element shows the time since data-since (ms, server clock).
function ticking(sinceMs, cls) {
  const e = el('span', { class: `tick ${cls || ''}`, 'data-since': sinceMs });
  e.textContent = fmtDuration((serverNow() - sinceMs) / 1000);
  return e;
}
function tick() {
  const now = serverNow();
  for (const e of document.querySelectorAll('[data-since]')) {
    e.textContent = fmtDuration((now - Number(e.dataset.since)) / 1000);
  }
  $('#clock').textContent = new Date(now).toLocaleTimeString();
}

// ---- rendering -------------------------------------------------------------

function renderTiles(queues, nowMs) {
  const root = $('#tiles');
  if (!queues) return; // the source failed this time: keep what we showed
  if (queues.length === 0) { root.replaceChildren(el('p', { class: 'empty', text: 'No skill groups yet.' })); return; }
  root.replaceChildren(...queues.map((q) => {
    const target = q.service_level_target.percent / 100;
    const slClass = q.service_level_today === null ? '' : (q.service_level_today >= target ? 'sl-good' : 'sl-bad');
    const longest = q.waiting > 0 ? ticking(nowMs - q.longest_wait_seconds * 1000, 'longest') : el('span', { class: 'longest', text: '—' });
    const alert = q.waiting > 0 && q.agents_ready === 0;
    return el('article', { class: `tile${alert ? ' alert' : ''}`, 'data-queue': q.name },
      el('h3', { text: q.name }),
      el('div', { class: 'big waiting', text: String(q.waiting) }),
      el('div', { class: 'big-label', text: 'waiting' }),
      el('dl', {},
        el('dt', { text: 'Longest wait' }), el('dd', {}, longest),
        el('dt', { text: 'Ready agents' }), el('dd', { class: 'ready', text: String(q.agents_ready) }),
        el('dt', { text: `Service level ${q.service_level_target.percent}/${q.service_level_target.threshold_seconds}` }),
        el('dd', { class: `sl ${slClass}`, text: fmtPct(q.service_level_today) }),
        el('dt', { text: 'AHT' }), el('dd', { class: 'aht', text: fmtDuration(q.aht_seconds_today) })),
      el('p', { class: 'today', text: `Today: ${q.offered_today} offered · ${q.answered_today} answered · ${q.abandoned_today} abandoned` }));
  }));
  const targets = queues.map((q) => q.service_level_target.percent / 100).filter((t) => t > 0);
  if (targets.length) board.slTarget = Math.max(...targets);
}

function renderAgents(agents) {
  const body = $('#agents tbody');
  if (!agents) return;
  const counts = {};
  for (const a of agents) counts[a.state] = (counts[a.state] || 0) + 1;
  $('#agent-summary').textContent = Object.entries(counts).map(([s, n]) => `${n} ${STATE_LABELS[s] || s}`).join(' · ');
  if (agents.length === 0) { body.replaceChildren(el('tr', {}, el('td', { colspan: 6, class: 'empty', text: 'No agents.' }))); return; }
  // Rows are reused while their agent is unchanged, so a button the
  // supervisor is about to press is not swapped out under the pointer.
  const old = new Map([...body.querySelectorAll('tr[data-agent]')].map((r) => [r.dataset.agent, r]));
  body.replaceChildren(...agents.map((a) => {
    const key = JSON.stringify([a.name, a.state, a.reason, a.since, a.call_id, a.logout_pending]);
    const prev = old.get(a.id);
    if (prev && prev.dataset.key === key) return prev;
    const actions = el('td', { class: 'actions' });
    if (board.actions && a.state !== 'logged_out') {
      if (a.state !== 'not_ready') {
        actions.append(el('button', { type: 'button', class: 'warn', 'data-action': 'not-ready', text: 'Not ready', onclick: () => supervise(a, 'not-ready') }));
      }
      actions.append(el('button', { type: 'button', class: 'danger', 'data-action': 'logout', text: 'Log out', onclick: () => supervise(a, 'logout') }));
    }
    return el('tr', { 'data-agent': a.id, 'data-key': key },
      el('td', {}, el('strong', { text: a.name || a.id }), el('span', { class: 'muted', text: ` ${a.id}` })),
      el('td', {}, el('span', { class: `badge state st-${a.state}`, 'data-state': a.state, text: STATE_LABELS[a.state] || a.state }),
        a.logout_pending ? el('span', { class: 'pending', text: 'logout pending' }) : null),
      el('td', { class: 'reason', text: a.reason || '' }),
      el('td', { class: 'num' }, ticking(Date.parse(a.since), 'in-state')),
      el('td', { class: 'call', text: a.call_id || '' }),
      actions);
  }));
}

function renderCalls(calls) {
  const body = $('#calls tbody');
  if (!calls) return;
  $('#call-count').textContent = calls.length ? `(${calls.length})` : '';
  if (calls.length === 0) { body.replaceChildren(el('tr', {}, el('td', { colspan: 6, class: 'empty', text: 'No calls.' }))); return; }
  body.replaceChildren(...calls.map((c) => el('tr', { 'data-call': c.id },
    el('td', { text: c.from }),
    el('td', {}, document.createTextNode(c.flow), el('span', { class: 'muted', text: ` · ${c.node}` })),
    el('td', {}, el('span', { class: `badge st-${c.state}`, text: c.state })),
    el('td', { text: c.queue || '' }),
    el('td', { text: c.agent || '' }),
    el('td', { class: 'num' }, ticking(Date.parse(c.started), 'duration')))));
}

function renderState(st) {
  board.state = st;
  const nowMs = Date.parse(st.now);
  board.skewMs = nowMs - Date.now();
  renderTiles(st.queues, nowMs);
  renderAgents(st.agents);
  renderCalls(st.calls);
  if (st.errors && st.errors.length) toast(`Some data could not be read: ${st.errors.join('; ')}`, true);
  tick();
}

// ---- charts ----------------------------------------------------------------

const CH = { w: 480, h: 180, left: 34, right: 6, top: 8, bottom: 20, slots: 48 };

// frame draws the axes of a half-hour chart and returns the x and y mappers.
function frame(root, yMax, yFmt) {
  root.replaceChildren();
  const plotW = CH.w - CH.left - CH.right, plotH = CH.h - CH.top - CH.bottom;
  const x = (slot) => CH.left + (slot * plotW) / CH.slots;
  const y = (v) => CH.top + plotH - (Math.min(v, yMax) / yMax) * plotH;
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    root.append(svg('line', { class: 'grid', x1: CH.left, x2: CH.w - CH.right, y1: y(v), y2: y(v) }));
    root.append(svg('text', { x: CH.left - 4, y: y(v) + 3, 'text-anchor': 'end' }, yFmt(v)));
  }
  for (let hr = 0; hr <= 24; hr += 3) {
    const anchor = hr === 0 ? 'start' : hr === 24 ? 'end' : 'middle';
    root.append(svg('text', { x: x(hr * 2), y: CH.h - 6, 'text-anchor': anchor }, `${String(hr).padStart(2, '0')}h`));
  }
  return { x, y, slotW: plotW / CH.slots, base: CH.top + plotH };
}

function slotOf(iso, dayStartMs) { return Math.floor((Date.parse(iso) - dayStartMs) / 1800000); }

function renderCharts(c) {
  board.charts = c;
  $('#chart-date').textContent = c.date ? `(${c.date}${c.error ? ` — ${c.error}` : ''})` : '';
  const dayStart = Date.parse(c.day_start); // the server's midnight: hour labels in its time zone
  const rows = (c.intervals || []).map((iv) => ({ ...iv, slot: slotOf(iv.start, dayStart) })).filter((r) => r.slot >= 0 && r.slot < CH.slots);

  // Calls: stacked answered / abandoned / other (timed out, overflowed).
  const maxCalls = Math.max(4, ...rows.map((r) => r.offered));
  const yMax = Math.ceil(maxCalls / 4) * 4;
  const calls = $('#chart-calls');
  let f = frame(calls, yMax, (v) => String(Math.round(v)));
  for (const r of rows) {
    let top = f.base;
    const other = Math.max(0, r.offered - r.answered - r.abandoned);
    for (const [n, cls] of [[r.answered, 'answered'], [r.abandoned, 'abandoned'], [other, 'other']]) {
      if (!n) continue;
      const h = f.base - f.y(n);
      top -= h;
      calls.append(svg('rect', { class: cls, x: f.x(r.slot) + 1, y: top, width: f.slotW - 2, height: h }, undefined));
    }
  }

  const sl = $('#chart-sl');
  f = frame(sl, 1, fmtPct);
  sl.append(svg('line', { class: 'target', x1: CH.left, x2: CH.w - CH.right, y1: f.y(board.slTarget), y2: f.y(board.slTarget) }));
  for (const r of rows) {
    if (r.service_level === null) continue;
    sl.append(svg('rect', { class: r.service_level >= board.slTarget ? 'sl-ok' : 'sl-miss', x: f.x(r.slot) + 1, y: f.y(r.service_level), width: f.slotW - 2, height: Math.max(1, f.base - f.y(r.service_level)) }));
  }

  const ahts = rows.filter((r) => r.aht_seconds !== null);
  const ahtMax = Math.max(60, ...ahts.map((r) => r.aht_seconds));
  const ahtTop = Math.ceil(ahtMax / 240) * 240; // ticks on whole minutes
  const aht = $('#chart-aht');
  f = frame(aht, ahtTop, (v) => fmtDuration(v));
  for (const r of ahts) {
    aht.append(svg('rect', { class: 'aht', x: f.x(r.slot) + 1, y: f.y(r.aht_seconds), width: f.slotW - 2, height: Math.max(1, f.base - f.y(r.aht_seconds)) }));
  }
  // A "now" line on each chart when the chart is today.
  const nowSlot = (serverNow() - dayStart) / 1800000;
  if (nowSlot >= 0 && nowSlot < CH.slots) {
    for (const root of [calls, sl, aht]) {
      const xNow = CH.left + (nowSlot * (CH.w - CH.left - CH.right)) / CH.slots;
      root.append(svg('line', { class: 'now', x1: xNow, x2: xNow, y1: CH.top, y2: CH.h - CH.bottom }));
    }
  }
}

// ---- live updates ------------------------------------------------------------

function fillList(id, values) {
  $(id).replaceChildren(...values.map((v) => el('option', { value: v })));
}

function applyConfig(cfg) {
  fillList('#reasons-not-ready', cfg.not_ready_reasons || []);
  if (board.actions !== cfg.actions_enabled) {
    board.actions = cfg.actions_enabled;
    $('#supervisor').classList.toggle('hidden', !board.actions);
    $('#agents tbody').replaceChildren(); // rebuild rows with or without buttons
    if (board.state) renderAgents(board.state.agents);
  }
}

// The stream needs the token when the server is off loopback (it answers
// 401 then). EventSource sends no headers, so the token goes in the query
// (?access_token=, RFC 6750 §2.3). A stream refused with an HTTP error is
// closed for good by the browser: find out why and, for a 401, ask for the
// token once, then connect again.
let stream = null;
let retryTimer = 0;

function connect() {
  const conn = $('#conn');
  clearTimeout(retryTimer);
  if (stream) stream.close();
  const url = creds.token ? `/api/events/stream?access_token=${encodeURIComponent(creds.token)}` : '/api/events/stream';
  const es = new EventSource(url);
  stream = es;
  es.addEventListener('open', () => { conn.textContent = 'live'; conn.className = 'conn conn-up'; });
  es.addEventListener('error', () => {
    conn.textContent = 'reconnecting…'; conn.className = 'conn conn-down';
    if (es.readyState === EventSource.CLOSED && stream === es) streamRefused();
  });
  es.addEventListener('config', (e) => applyConfig(JSON.parse(e.data)));
  es.addEventListener('state', (e) => renderState(JSON.parse(e.data)));
  es.addEventListener('intervals', (e) => renderCharts(JSON.parse(e.data)));
}

// streamRefused asks the server why (the live calls are guarded exactly as
// the stream is, and answer at once) and asks for the token on a 401;
// anything else (too many boards, a restart) is retried after a pause.
async function streamRefused() {
  const conn = $('#conn');
  let status = 0, error = '';
  try {
    const res = await fetch('/api/calls', { headers: creds.token ? { Authorization: `Bearer ${creds.token}` } : {} });
    status = res.status;
    if (!res.ok) error = (await res.json().catch(() => ({}))).error || res.statusText;
  } catch (e) { error = String(e); }
  if (status === 401) {
    conn.textContent = 'token needed';
    if (await signIn(creds.token ? error : '', { readOnly: true })) connect();
    return;
  }
  if (status === 403) { conn.textContent = 'disabled'; toast(`The board cannot read: ${error}`, true); return; }
  retryTimer = setTimeout(connect, 5000);
}

// ---- supervisor actions ------------------------------------------------------

const creds = {
  get token() { return sessionStorage.getItem('switchboard.token') || ''; },
  get name() { return sessionStorage.getItem('switchboard.supervisor') || ''; },
  save(name, token) {
    if (name) sessionStorage.setItem('switchboard.supervisor', name);
    sessionStorage.setItem('switchboard.token', token);
    updateSupervisorButton();
  },
  // fromAddress takes a token given in the page's address as
  // #access_token=TOKEN (a bookmark for a remote board): kept for the tab,
  // then removed from the address bar. A fragment never reaches the server.
  fromAddress() {
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get('access_token');
    if (!token) return;
    this.save('', token);
    history.replaceState(null, '', location.pathname + location.search);
  },
  clear() {
    sessionStorage.removeItem('switchboard.token');
    updateSupervisorButton();
  },
};

function updateSupervisorButton() {
  $('#supervisor').textContent = creds.token && creds.name ? `Supervisor: ${creds.name} (sign out)` : 'Supervisor sign-in';
}

let toastTimer = 0;
function toast(msg, bad = false) {
  const t = $('#toast');
  t.textContent = msg;
  t.className = `toast show${bad ? ' bad' : ''}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.className = 'toast'; }, 5000);
}

// ask opens the dialog with the rows it needs and resolves with the values,
// or null when cancelled. askCreds shows the name and token rows.
function ask({ title, text, askCreds, askName = askCreds, askReason, reasonRequired, reasonList, error }) {
  const dlg = $('#dialog');
  $('#dialog-title').textContent = title;
  $('#dialog-text').textContent = text || '';
  $('#dialog-error').textContent = error || '';
  $('#row-name').classList.toggle('hidden', !askName);
  $('#row-token').classList.toggle('hidden', !askCreds);
  $('#row-reason').classList.toggle('hidden', !askReason);
  $('#in-name').value = creds.name;
  $('#in-name').required = !!askName;
  $('#in-token').value = '';
  $('#in-token').required = !!askCreds;
  $('#in-reason').value = '';
  $('#in-reason').setAttribute('list', reasonList || 'reasons-not-ready');
  $('#in-reason').required = !!(askReason && reasonRequired);
  return new Promise((resolve) => {
    const done = (v) => { dlg.removeEventListener('close', onClose); $('#dialog-cancel').onclick = null; resolve(v); };
    const onClose = () => done(dlg.returnValue === 'ok' ? {
      name: $('#in-name').value.trim(), token: $('#in-token').value.trim(), reason: $('#in-reason').value.trim(),
    } : null);
    dlg.addEventListener('close', onClose);
    $('#dialog-cancel').onclick = () => dlg.close('cancel');
    dlg.showModal();
    (askCreds ? (creds.name || !askName ? $('#in-token') : $('#in-name')) : $('#in-reason')).focus();
  });
}

// signIn asks for the token (and, for supervisor actions, a name). The
// readOnly form is the board's own: this server shows calls only with it.
async function signIn(error, { readOnly = false } = {}) {
  const v = await ask({
    title: readOnly ? 'Token needed' : 'Supervisor sign-in',
    text: readOnly ? 'This server shows the board only with its API token. It is kept in this browser tab only.'
      : 'The token is kept in this browser tab only.',
    askCreds: true, askName: !readOnly, error,
  });
  if (!v) return false;
  creds.save(v.name, v.token);
  return true;
}

async function supervise(agent, action) {
  if (!(creds.token && creds.name) && !(await signIn())) return;
  const label = action === 'logout' ? 'Log out' : 'Set not ready';
  const v = await ask({
    title: `${label}: ${agent.name || agent.id}`,
    text: action === 'logout' ? 'A logout during a call takes effect after wrap-up.' : 'Pick or type a reason code.',
    askReason: true, reasonRequired: true,
    reasonList: action === 'logout' ? 'reasons-logout' : 'reasons-not-ready',
  });
  if (!v) return;
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await fetch(`/api/agents/${encodeURIComponent(agent.id)}/${action}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${creds.token}` },
      body: JSON.stringify({ by: creds.name, reason: v.reason }),
    });
    const body = await res.json().catch(() => ({ error: res.statusText }));
    if (res.ok) { toast(`${agent.id}: ${STATE_LABELS[body.state] || body.state}`); return; }
    if (res.status === 401 && attempt === 0) {
      creds.clear();
      if (await signIn(body.error)) continue;
      return;
    }
    toast(`${label} ${agent.id} failed: ${body.error}`, true);
    return;
  }
}

function init() {
  $('#dialog-form').addEventListener('submit', (e) => { e.preventDefault(); $('#dialog').close('ok'); });
  $('#supervisor').addEventListener('click', async () => {
    if (creds.token && creds.name) { creds.clear(); toast('Signed out.'); } else if (await signIn()) toast(`Signed in as ${creds.name}.`);
  });
  fillList('#reasons-logout', LOGOUT_REASONS);
  creds.fromAddress();
  updateSupervisorButton();
  connect();
  setInterval(tick, 1000);
  // Redraw the charts' "now" line as the day moves on.
  setInterval(() => { if (board.charts) renderCharts(board.charts); }, 60000);
}

document.addEventListener('DOMContentLoaded', init);
