// The Reelforge dashboard: plain browser JavaScript over the public API (/api/v1) and its
// WebSocket. No build step; the credential stays in this tab (sessionStorage).
const $ = (id) => document.getElementById(id);
const state = {
  credential: sessionStorage.getItem('reelforge.credential'),
  accountId: null,
  ws: null,
  tasks: new Map(),
};

class ApiError extends Error {}

async function api(path, init = {}) {
  const headers = { authorization: `Bearer ${state.credential}`, ...(init.headers ?? {}) };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    ...init,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 204) return null;
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  return body;
}

const say = (id, err) => ($(id).textContent = err ? (err instanceof Error ? err.message : String(err)) : '');
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of children) node.append(c);
  return node;
};
const eta = (s) => (s == null ? '' : s < 60 ? `${Math.round(s)} s left` : `${Math.round(s / 60)} min left`);

// ---- sign in -------------------------------------------------------------------------------
async function signIn(credential) {
  state.credential = credential;
  const { items } = await api('/api/v1/accounts');
  sessionStorage.setItem('reelforge.credential', credential);
  $('sign-in').hidden = true;
  $('workspace').hidden = false;
  $('sign-out').hidden = false;
  await showAccounts(items, items[0]?.id);
  void loadOperator();
}

async function showAccounts(items, selected) {
  $('who').textContent = `${items.length} account(s)`;
  $('account').replaceChildren(...items.map((a) => el('option', { value: a.id, textContent: a.name })));
  // With no account there is nothing to add sources to or generate for: only "New account" shows.
  for (const id of ['source-form', 'generate-form', 'article-form']) $(id).hidden = items.length === 0;
  if (selected) {
    $('account').value = selected;
    await selectAccount(selected);
  }
}

$('account-form').addEventListener('submit', (e) => {
  e.preventDefault();
  say('workspace-error');
  api('/api/v1/accounts', { method: 'POST', body: { name: $('account-name').value.trim() } })
    .then(async (made) => {
      $('account-name').value = '';
      const { items } = await api('/api/v1/accounts');
      await showAccounts(items, made.id);
    })
    .catch((err) => say('workspace-error', err));
});

$('sign-in-form').addEventListener('submit', (e) => {
  e.preventDefault();
  signIn($('credential').value.trim()).catch((err) => {
    state.credential = null;
    say('sign-in-error', err);
  });
});
$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem('reelforge.credential');
  location.reload();
});

// ---- an account: sources, tasks, live status --------------------------------------------------
async function selectAccount(accountId) {
  state.accountId = accountId;
  state.tasks.clear();
  $('tasks').replaceChildren();
  await Promise.all([loadSources(), loadTasks(), loadStats()]);
  watch(accountId);
}
$('account').addEventListener(
  'change',
  (e) => void selectAccount(e.target.value).catch((err) => say('workspace-error', err)),
);

async function loadSources() {
  const { items } = await api(`/api/v1/accounts/${state.accountId}/sources?limit=50`);
  $('sources').replaceChildren(...items.map((s) => el('li', { textContent: `${s.state} · ${s.url}` })));
}

async function loadTasks() {
  const { items } = await api(`/api/v1/tasks?accountId=${state.accountId}&limit=50`);
  for (const t of items.reverse()) upsertTask(t);
}

async function loadStats() {
  const s = await api('/api/v1/tasks/stats');
  const rows = [...Object.entries(s.byStatus), ['done last hour', s.completedLastHour], ['retried', s.retriedTasks]];
  $('stats').replaceChildren(
    ...rows.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: String(v) })]),
  );
}

$('source-form').addEventListener('submit', (e) => {
  e.preventDefault();
  api(`/api/v1/accounts/${state.accountId}/sources`, { method: 'POST', body: { url: $('source-url').value } })
    .then(() => {
      $('source-url').value = '';
      say('workspace-error');
      return loadSources();
    })
    .catch((err) => say('workspace-error', err));
});

$('generate-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const options = { clipCount: Number($('clip-count').value) || 1 };
  if ($('draft').checked) Object.assign(options, { width: 360, preset: 'ultrafast' });
  api(`/api/v1/accounts/${state.accountId}/generations`, {
    method: 'POST',
    headers: { 'idempotency-key': crypto.randomUUID() },
    body: { type: 'shorts', count: 1, options },
  })
    .then(async ({ generation }) => {
      say('workspace-error');
      showStarted(generation);
      await loadSources();
    })
    .catch((err) => say('workspace-error', err));
});

$('article-form').addEventListener('submit', (e) => {
  e.preventDefault();
  api(`/api/v1/accounts/${state.accountId}/articles`, {
    method: 'POST',
    headers: { 'idempotency-key': crypto.randomUUID() },
    body: { url: $('article-url').value },
  })
    .then(({ generation }) => {
      say('workspace-error');
      showStarted(generation);
    })
    .catch((err) => say('workspace-error', err));
});

// ---- tasks ----------------------------------------------------------------------------------
// A started generation's tasks show at once as queued; the repurposer creates their rows when it
// takes the render jobs, and the WebSocket says so.
function showStarted(generation) {
  for (const id of generation.taskIds)
    if (!state.tasks.has(id))
      upsertTask({
        id,
        kind: generation.contentType === 'article' ? 'article' : 'clips',
        status: 'queued',
        stage: 'queued',
        percent: 0,
      });
}

/** A task's current view, when the repurposer has it yet. */
const refreshTask = (id) =>
  api(`/api/v1/tasks/${id}`).then(upsertTask, (err) => {
    if (!String(err.message).startsWith('NOT_FOUND')) say('workspace-error', err);
  });

function upsertTask(task) {
  let view = state.tasks.get(task.id);
  if (!view) {
    const bar = el('progress', { max: 100, value: 0 });
    bar.setAttribute('aria-label', `progress of task ${task.id}`);
    view = {
      task,
      node: el('li', { className: 'task' }),
      bar,
      label: el('span', { className: 'meta' }),
      failure: el('p', { className: 'failure' }),
      actions: el('span'),
      clips: el('div'),
      attempts: el('details', {}, el('summary', { textContent: 'attempts' })),
    };
    view.node.dataset.taskId = task.id;
    view.node.append(
      el('header', {}, el('strong', { textContent: `${task.kind ?? 'clips'} ${task.id.slice(-8)}` }), view.actions),
      view.bar,
      view.label,
      view.failure,
      view.attempts,
      view.clips,
    );
    state.tasks.set(task.id, view);
    $('tasks').prepend(view.node);
  }
  view.task = { ...view.task, ...task };
  render(view);
}

function render(view, live = {}) {
  const t = view.task;
  const percent = t.status === 'completed' ? 100 : Math.round(live.percent ?? t.percent ?? 0);
  view.bar.value = percent;
  view.node.dataset.status = t.status;
  view.label.textContent = `${t.status} · ${live.stage ?? t.stage} · ${percent} %${live.eta ? ` · ${live.eta}` : ''}`;
  view.failure.textContent = t.error ? `${t.error.code}: ${t.error.message}` : '';
  const open = ['queued', 'processing'].includes(t.status);
  const button = (text, action) => {
    const b = el('button', { type: 'button', textContent: text });
    b.addEventListener('click', () => void action().catch((err) => say('workspace-error', err)));
    return b;
  };
  view.actions.replaceChildren(
    ...(open ? [button('Cancel', () => api(`/api/v1/tasks/${t.id}/cancel`, { method: 'POST' }).then(upsertTask))] : []),
    ...(['failed', 'cancelled'].includes(t.status)
      ? [button('Retry', () => api(`/api/v1/tasks/${t.id}/retry`, { method: 'POST' }).then(upsertTask))]
      : []),
  );
  const attempts = (t.attempts ?? []).map((a) =>
    el('li', { textContent: `#${a.attempt} ${a.startedAt}${a.error ? ` — ${a.error.code}: ${a.error.message}` : ''}` }),
  );
  view.attempts.replaceChildren(
    el('summary', { textContent: `attempts (${attempts.length})` }),
    el('ul', {}, ...attempts),
  );
  if (t.status === 'completed' && !view.clipsLoaded) {
    view.clipsLoaded = true;
    void showClips(view).catch((err) => say('workspace-error', err));
  }
}

// Clips play from signed links (a <video> cannot send the bearer header): the browser streams
// them with Range requests, seeks without downloading the whole file, and the link expires.
async function showClips(view) {
  const { items } = await api(`/api/v1/tasks/${view.task.id}/clips`);
  for (const clip of items) {
    const links = await api(`/api/v1/content/${clip.id}/links`, { method: 'POST' });
    const video = el('video', {
      controls: true,
      src: links.videoUrl,
      poster: links.thumbnailUrl ?? '',
      preload: 'metadata',
      playsInline: true,
    });
    video.dataset.contentId = clip.id;
    const download = el('a', {
      href: links.videoUrl,
      download: `${clip.id}.mp4`,
      textContent: `download (${clip.width}×${clip.height})`,
    });
    view.clips.append(video, download);
  }
}

// ---- live status over the WebSocket -----------------------------------------------------------
function watch(accountId) {
  state.ws?.close();
  const url = `${location.origin.replace(/^http/, 'ws')}/api/v1/ws?token=${encodeURIComponent(state.credential)}`;
  const ws = new WebSocket(url);
  state.ws = ws;
  ws.addEventListener('message', (e) => {
    const m = JSON.parse(e.data);
    if (m.type === 'connection') ws.send(JSON.stringify({ subscribe_account: accountId }));
    if (m.type === 'job_progress') {
      const view = state.tasks.get(m.job_id);
      if (view) render(view, { percent: m.progress, stage: m.stage, eta: eta(m.eta_seconds) });
      else void refreshTask(m.job_id);
    }
    if (m.type === 'job_status' && m.kind === 'task') {
      void refreshTask(m.job_id);
      void loadStats();
      void loadSources();
    }
  });
  // Reconnect after a drop, unless another account took over.
  ws.addEventListener('close', () => {
    if (state.ws === ws) setTimeout(() => state.ws === ws && watch(accountId), 2000);
  });
}

// ---- operators ------------------------------------------------------------------------------
async function loadOperator() {
  let letters;
  try {
    letters = await api('/api/v1/admin/dead-letters?limit=20');
  } catch {
    return; // not an operator
  }
  $('operator').hidden = false;
  $('dead-letters').replaceChildren(
    ...letters.items.map((d) => {
      const redrive = el('button', { type: 'button', textContent: 'Redrive' });
      redrive.addEventListener('click', () => {
        redrive.disabled = true;
        api(`/api/v1/admin/dead-letters/${d.id}/redrive`, { method: 'POST' })
          .then((r) => {
            $('operator-status').textContent =
              `Dead letter ${d.id} redriven to ${r.subject} (${r.stream} #${r.sequence}${r.duplicate ? ', already there' : ''}).`;
            return loadOperator();
          })
          .catch((err) => say('operator-status', err))
          .finally(() => (redrive.disabled = false));
      });
      return el(
        'li',
        { textContent: `#${d.id} ${d.consumer} · ${d.reason} · ${d.error.code}: ${d.error.message} ` },
        redrive,
      );
    }),
  );
  const runs = await api('/api/v1/jobs/runs?limit=20').catch(() => ({ items: [] }));
  $('job-runs').replaceChildren(
    ...runs.items.map((r) =>
      el('li', { textContent: `${r.job} · ${r.status} · ${r.startedAt}${r.error ? ` — ${r.error}` : ''}` }),
    ),
  );
}

if (state.credential) signIn(state.credential).catch(() => sessionStorage.removeItem('reelforge.credential'));
