// brink's web console: plain JavaScript, no build step. Everything goes
// through GraphQL (/graphql) with the session cookie that POST /v1/session
// sets; the live chart reads /v1/services/{id}/stream as Server-Sent Events
// (an EventSource sends the same cookie: it cannot send headers).
'use strict';

const $ = (sel) => document.querySelector(sel);
let me = null;
let stream = null;

async function gql(query, variables = {}) {
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (res.status === 401) showLogin();
  return body;
}

function say(msg, ok = false) {
  const s = $('#status');
  s.textContent = msg || '';
  s.classList.toggle('ok', ok);
}

// Runs a mutation; reports its first error, refreshes the lists.
async function act(query, variables) {
  const r = await gql(query, variables);
  if (r.errors) say(r.errors[0].message);
  else say('done', true);
  await refresh();
  return r;
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function button(td, label, onClick, danger = false) {
  const b = document.createElement('button');
  b.textContent = label;
  b.className = danger ? 'small danger' : 'small';
  b.dataset.action = label;
  b.addEventListener('click', onClick);
  td.appendChild(b);
}

function fill(tableSel, rows, render) {
  const tbody = $(`${tableSel} tbody`);
  tbody.replaceChildren();
  for (const row of rows || []) {
    const tr = document.createElement('tr');
    tr.dataset.id = row.id;
    render(tr, row);
    tbody.appendChild(tr);
  }
}

const fmt = (x) => (typeof x === 'number' ? Math.round(x * 100) / 100 : x);

function renderServices(services) {
  fill('#services', services, (tr, s) => {
    cell(tr, s.id, 'id');
    cell(tr, s.kind);
    cell(tr, s.state, 'state');
    cell(tr, `${fmt(s.cpuMin)} / ${fmt(s.cpuMax)} / ${fmt(s.cpuAssigned)}`);
    cell(tr, (s.ports || []).join(', '));
    const td = cell(tr, '');
    const id = { id: s.id };
    if (s.state === 'running') {
      button(td, 'stop', () => act('mutation ($id: ID!) { stopService(id: $id) { id } }', id));
      button(td, 'chart', () => openStream(s.id));
    } else {
      button(td, 'start', () => act('mutation ($id: ID!) { startService(id: $id) { id } }', id));
    }
    button(td, 'delete', () => act('mutation ($id: ID!) { deleteService(id: $id) }', id), true);
  });
}

function renderThings(things) {
  fill('#things', things, (tr, t) => {
    cell(tr, t.id, 'id');
    cell(tr, t.name);
    cell(tr, t.info);
    cell(tr, t.vm ? t.vm.name : '');
    cell(tr, t.lastSeen ? new Date(t.lastSeen * 1000).toLocaleString() : 'never');
    const td = cell(tr, '');
    button(td, 'delete', () => act('mutation ($id: ID!) { deleteThing(id: $id) }', { id: t.id }), true);
  });
}

function renderVms(vms) {
  fill('#vms', vms, (tr, v) => {
    cell(tr, v.id, 'id');
    cell(tr, v.name);
    cell(tr, v.base);
    cell(tr, v.state, 'state');
    cell(tr, v.ip);
    cell(tr, v.vcpu);
    cell(tr, v.memory);
    cell(tr, (v.dev || []).map((d) => d.id).join(', '));
    const td = cell(tr, '');
    const id = { id: v.id };
    if (v.state === 'RUNNING') {
      button(td, 'power off', () => act('mutation ($id: ID!) { powerOFF(vmID: $id) { id } }', id));
      button(td, 'force off', () => act('mutation ($id: ID!) { forceOFF(vmID: $id) }', id));
    } else {
      button(td, 'power on', () => act('mutation ($id: ID!) { powerON(vmID: $id) { id } }', id));
    }
    button(td, 'destroy', () => act('mutation ($id: ID!) { forceDestroyVM(vmID: $id) }', id), true);
  });
}

let vmChoices = [];
function renderUsb(devs) {
  fill('#usb', devs, (tr, d) => {
    cell(tr, d.id, 'id');
    cell(tr, d.bus);
    cell(tr, d.device);
    cell(tr, d.info);
    cell(tr, d.vmID || '');
    const td = cell(tr, '');
    if (d.vmID) {
      button(td, 'detach', () => act('mutation ($d: ID!, $v: ID!) { detachDevice(devID: $d, vmID: $v) }', { d: String(d.id), v: d.vmID }));
    } else if (vmChoices.length) {
      const sel = document.createElement('select');
      for (const v of vmChoices) {
        const o = document.createElement('option');
        o.value = v.id;
        o.textContent = v.name;
        sel.appendChild(o);
      }
      td.appendChild(sel);
      button(td, 'attach', () => act('mutation ($d: ID!, $v: ID!) { attachDevice(devID: $d, vmID: $v) }', { d: String(d.id), v: sel.value }));
    }
  });
}

const LISTS = `{
  services { id kind state cpuMin cpuMax cpuAssigned ports }
  things { id name info lastSeen vm { name } }
  getVms { id name base state ip vcpu memory dev { id } }
  getUsb { id bus device info vmID }
}`;

async function refresh() {
  const r = await gql(LISTS);
  if (!r.data) return;
  renderServices(r.data.services);
  renderThings(r.data.things);
  vmChoices = r.data.getVms || [];
  renderVms(r.data.getVms);
  renderUsb(r.data.getUsb);
  // VMs and USB devices are unavailable without libvirt: say so once, quietly
  const vmError = (r.errors || []).find((e) => e.path && (e.path[0] === 'getVms' || e.path[0] === 'getUsb'));
  $('#vms').dataset.unavailable = vmError ? vmError.message : '';
}

// ---- live chart of a service's stream ----

const COLORS = ['#3a6ea5', '#b03a2e', '#1e6b33', '#8e44ad', '#d68910', '#138d90'];
const series = new Map(); // "thing field" -> [[time, value]]

function openStream(id) {
  if (stream) stream.close();
  series.clear();
  $('#chart-service').textContent = id;
  stream = new EventSource(`/v1/services/${encodeURIComponent(id)}/stream`, { withCredentials: true });
  stream.onmessage = (ev) => {
    let r;
    try { r = JSON.parse(ev.data); } catch { return; }
    const t = typeof r.received === 'number' ? r.received : Date.now() / 1000;
    for (const [k, v] of Object.entries(r)) {
      if (k === 'thing' || k === 'received') continue;
      const x = typeof v === 'number' ? v : parseFloat(v);
      if (!Number.isFinite(x)) continue;
      const name = `${r.thing || '?'} ${k}`;
      if (!series.has(name)) series.set(name, []);
      const pts = series.get(name);
      pts.push([t, x]);
      if (pts.length > 300) pts.shift();
    }
    draw();
  };
  stream.onerror = () => say('the stream closed (is the service running?)');
}

function draw() {
  const c = $('#chart');
  const g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  let t0 = Infinity, t1 = -Infinity, y0 = Infinity, y1 = -Infinity, points = 0;
  for (const pts of series.values()) {
    for (const [t, y] of pts) {
      t0 = Math.min(t0, t); t1 = Math.max(t1, t);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      points++;
    }
  }
  c.dataset.points = String(points);
  if (!points) return;
  if (t1 === t0) t1 = t0 + 1;
  if (y1 === y0) { y1 += 1; y0 -= 1; }
  const X = (t) => 40 + ((t - t0) / (t1 - t0)) * (c.width - 50);
  const Y = (y) => c.height - 20 - ((y - y0) / (y1 - y0)) * (c.height - 30);
  g.fillStyle = '#1d2330';
  g.font = '11px sans-serif';
  g.fillText(String(fmt(y1)), 2, 14);
  g.fillText(String(fmt(y0)), 2, c.height - 22);
  const legend = $('#chart-legend');
  legend.replaceChildren();
  let i = 0;
  for (const [name, pts] of series) {
    const color = COLORS[i++ % COLORS.length];
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    pts.forEach(([t, y], j) => (j ? g.lineTo(X(t), Y(y)) : g.moveTo(X(t), Y(y))));
    g.stroke();
    const span = document.createElement('span');
    span.textContent = `${name}: ${fmt(pts[pts.length - 1][1])}`;
    span.style.color = color;
    legend.appendChild(span);
  }
}

// ---- login, tabs, forms ----

function showLogin() {
  me = null;
  if (stream) { stream.close(); stream = null; }
  $('#app-view').classList.add('hidden');
  $('#logout').classList.add('hidden');
  $('#login-view').classList.remove('hidden');
  $('#who').textContent = '';
}

async function showApp() {
  const r = await gql('{ me { id name admin } }');
  if (!r.data || !r.data.me) return showLogin();
  me = r.data.me;
  $('#who').textContent = `${me.name}${me.admin ? ' (admin)' : ''}`;
  $('#login-view').classList.add('hidden');
  $('#app-view').classList.remove('hidden');
  $('#logout').classList.remove('hidden');
  await refresh();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#login-error').textContent = '';
  const res = await fetch('/v1/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: $('#login-name').value, password: $('#login-password').value }),
  });
  if (res.status !== 201) {
    const body = await res.json().catch(() => ({}));
    $('#login-error').textContent = (body.error && body.error.message) || `login failed (${res.status})`;
    return;
  }
  $('#login-password').value = '';
  await showApp();
});

$('#logout').addEventListener('click', async () => {
  await fetch('/v1/session', { method: 'DELETE', credentials: 'same-origin' });
  showLogin();
});

for (const b of document.querySelectorAll('#tabs button')) {
  b.addEventListener('click', () => {
    for (const o of document.querySelectorAll('#tabs button')) o.classList.toggle('active', o === b);
    for (const t of document.querySelectorAll('.tab')) t.classList.toggle('hidden', t.id !== `tab-${b.dataset.tab}`);
    say('');
  });
}

$('#service-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  act('mutation ($s: ServiceInput!) { createService(service: $s) { id } }', {
    s: { kind: $('#service-kind').value, cpuMin: Number($('#service-min').value), cpuMax: Number($('#service-max').value) },
  });
});

$('#thing-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await act('mutation ($t: ThingInput!) { createThing(thing: $t) { id name key } }', {
    t: { name: $('#thing-name').value, info: $('#thing-info').value, server: '' },
  });
  const t = r.data && r.data.createThing;
  $('#thing-key').textContent = t ? `key of ${t.name} (shown once): ${t.key}` : '';
});

$('#vm-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  act('mutation ($vm: VmInput!) { createVm(vm: $vm) { id } }', {
    vm: { name: $('#vm-name').value, base: $('#vm-base').value, vcpu: Number($('#vm-vcpu').value), memory: Number($('#vm-memory').value) },
  });
});

async function runEditor() {
  let vars = {};
  try { vars = JSON.parse($('#gql-vars').value || '{}'); } catch (e) {
    $('#gql-result').textContent = `variables: ${e.message}`;
    return;
  }
  const r = await gql($('#gql-query').value, vars);
  $('#gql-result').textContent = JSON.stringify(r, null, 2);
}
$('#gql-run').addEventListener('click', runEditor);
$('#gql-query').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); runEditor(); }
});

showApp();
