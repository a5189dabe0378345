// The live board: draws each snapshot the server pushes on /events (server-sent events).
// Every text from the server is set with textContent or as an attribute value, never as markup.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const ROW = 34, LABEL = 200, BAR = 520, STATUS = 260;

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function palette(colours) {
    for (const [name, colour] of Object.entries(colours || {})) {
      document.documentElement.style.setProperty('--' + name, colour);
    }
  }

  function freshness(clusters, windowAt) {
    const root = document.getElementById('freshness');
    const height = 40 + ROW * Math.max(1, clusters.length);
    root.setAttribute('width', LABEL + BAR + STATUS);
    root.setAttribute('height', height);
    root.replaceChildren();
    const windowX = LABEL + Math.round(BAR * windowAt);
    root.appendChild(svg('text', {x: windowX, y: 16, 'text-anchor': 'middle', class: 'caption'}, 'freshness window'));
    if (clusters.length === 0) {
      root.appendChild(svg('text', {x: 0, y: 44}, 'no clusters known: pass --clusters FILE, or wait for a first backup'));
    }
    let y = 28;
    for (const c of clusters) {
      const g = svg('g', {class: 'cluster', 'data-cluster': c.clusterId, 'data-status': c.status});
      g.appendChild(svg('title', {}, c.clusterId + ': ' + c.status + ' (' + (c.lastBackupId || 'no verified backup') + ')'));
      g.appendChild(svg('text', {x: 0, y: y + 16, class: 'name'}, c.clusterId));
      g.appendChild(svg('rect', {x: LABEL, y: y, width: BAR, height: 22, class: 'track'}));
      // At least a sliver, so a backup finished a moment ago still shows its colour.
      g.appendChild(svg('rect', {x: LABEL, y: y, width: Math.max(3, Math.round(BAR * c.bar)), height: 22, fill: c.colour, class: 'age'}));
      const age = c.status === 'NEVER' ? c.age : c.age + ' / ' + c.window;
      g.appendChild(svg('text', {x: LABEL + BAR + 10, y: y + 16, class: 'status'}, c.status + ' ' + age));
      root.appendChild(g);
      y += ROW;
    }
    root.appendChild(svg('line', {x1: windowX, y1: 22, x2: windowX, y2: height - 4, class: 'window'}));
  }

  function bar(stage) {
    const b = el('div', 'bar');
    b.setAttribute('role', 'progressbar');
    b.setAttribute('data-stage', stage.stage);
    b.setAttribute('data-state', stage.state);
    b.setAttribute('aria-label', stage.stage);
    b.setAttribute('aria-valuemin', '0');
    b.setAttribute('aria-valuemax', '100');
    const fill = el('div', 'fill');
    if (stage.percent === null || stage.percent === undefined) {
      b.classList.add('indeterminate'); // running, total unknown: no value to claim
    } else {
      b.setAttribute('aria-valuenow', String(stage.percent));
      fill.style.width = stage.percent + '%';
    }
    b.appendChild(fill);
    b.appendChild(el('span', 'label', stage.text));
    return b;
  }

  function backup(b) {
    const card = el('div', 'backup');
    card.setAttribute('data-backup', b.backupId);
    card.setAttribute('data-phase', b.phase);
    const title = el('div', 'title');
    title.appendChild(el('span', 'id', b.backupId));
    title.appendChild(el('span', 'cluster', b.clusterId || '-'));
    title.appendChild(el('span', 'phase', b.phase));
    title.appendChild(el('span', 'muted', b.endedAt ? 'ended ' + b.endedAt : 'since ' + (b.startedAt || '-')));
    card.appendChild(title);
    if (b.outcome) card.appendChild(el('div', 'outcome', b.outcome));
    if (b.artifacts.length > 0) {
      const grid = el('div', 'artifacts');
      for (const h of ['artifact', 'phase', 'staging', 'encrypting', 'verifying']) grid.appendChild(el('span', 'head', h));
      for (const a of b.artifacts) {
        const name = el('span', 'kind', a.kind);
        grid.appendChild(name);
        grid.appendChild(el('span', 'artifact-phase', a.phase));
        for (const s of a.stages) {
          const cell = bar(s);
          cell.setAttribute('data-kind', a.kind);
          grid.appendChild(cell);
        }
        if (a.detail) {
          grid.appendChild(el('span'));
          grid.appendChild(el('span'));
          grid.appendChild(el('span', 'detail', a.detail));
        }
      }
      card.appendChild(grid);
    }
    return card;
  }

  function backups(id, list, emptyText) {
    const root = document.getElementById(id);
    root.replaceChildren(...(list.length ? list.map(backup) : [el('p', 'empty', emptyText)]));
    document.getElementById(id + '-count').textContent = '(' + list.length + ')';
  }

  function failures(list) {
    const root = document.getElementById('failures');
    root.replaceChildren();
    for (const f of list) {
      const li = el('li', 'failure');
      li.setAttribute('data-backup', f.backupId);
      li.appendChild(el('span', 'muted', f.at + ' '));
      li.appendChild(el('span', 'cluster', f.clusterId || '-'));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', 'phase', f.phase));
      li.appendChild(document.createTextNode(' at '));
      li.appendChild(el('span', 'stage', f.failedStage || '-'));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', 'id muted', f.backupId));
      li.appendChild(el('span', 'reason', f.reason));
      root.appendChild(li);
    }
    if (list.length === 0) root.appendChild(el('p', 'empty', 'none'));
    document.getElementById('failures-count').textContent = '(' + list.length + ')';
  }

  function draw(s) {
    palette(s.palette);
    document.getElementById('updated').textContent = 'updated ' + s.generatedAt;
    document.getElementById('sources').textContent = s.sources
      .map(src => src.topic + ': ' + src.state + (src.detail ? ' (' + src.detail + ')' : '')).join(' · ');
    freshness(s.clusters, s.windowAt);
    backups('in-flight', s.inFlight, 'no backup running');
    backups('finished', s.finished, 'none yet');
    failures(s.failures);
    document.body.setAttribute('data-ready', String(s.ready));
  }

  function connection(state, text) {
    const c = document.getElementById('connection');
    c.setAttribute('data-state', state);
    c.textContent = text;
  }

  function connect() {
    const source = new EventSource('events');
    source.addEventListener('open', () => connection('live', 'live'));
    source.addEventListener('snapshot', e => draw(JSON.parse(e.data)));
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        // The server answered, but not with a stream (401 without the token): EventSource gives up.
        connection('refused', 'not connected: reload (with ?token=... if the board has one)');
      } else {
        connection('reconnecting', 'reconnecting…');
      }
    });
  }

  connect();
})();
