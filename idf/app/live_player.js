// The live player (issue 15): plays back, in the browser, the updates a live run computes on
// the server. Each call brings the frames computed since the last one (one frame = one update:
// `speed` more steps of every chain), the previous call's frames again (queued only when newer
// than those queued: one call the frontend never rendered loses nothing), and a tail of the
// history, used when this element has no history of the run yet (a fresh mount) and when
// updates are still missing (it starts again from the tail: a jump of at most a second or so).
// A timer draws one frame every 1/fps s on two canvases: the MCMC-gallery view (a 2-D toy) or
// chain 0's field (a lattice), and the traces.
// When frames pile up (a slow browser) two are applied per draw, and past 3 s queued it jumps
// ahead, so it stays within about a second of the server. The status line counts the updates drawn per second here.

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const ACCEPTED = "#2ca02c", REJECTED = "#d62728", PATH = "#ff7f0e", TRAIL_COLOUR = "#08306b";
const LIGHT = [[0, [198, 219, 239]], [0.5, [238, 244, 250]], [1, [255, 255, 255]]];
const RDBU = [[0, [33, 102, 172]], [0.25, [146, 197, 222]], [0.5, [247, 247, 247]], [0.75, [244, 165, 130]],
              [1, [178, 24, 43]]];
const TRAIL = 150, PROPOSALS = 40, HISTORY = 4000, DRAWN = 600;

function lerpColour(scale, t) {
  t = Math.min(1, Math.max(0, t));
  for (let i = 1; i < scale.length; i++) {
    if (t <= scale[i][0]) {
      const [t0, c0] = scale[i - 1], [t1, c1] = scale[i];
      const u = (t - t0) / (t1 - t0 || 1);
      return c0.map((v, k) => Math.round(v + u * (c1[k] - v)));
    }
  }
  return scale[scale.length - 1][1];
}

function niceTicks(a, b, n) {
  const lo = Math.min(a, b), hi = Math.max(a, b);
  const span = hi - lo || 1, raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(+v.toPrecision(10));
  out.decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));  // enough to tell neighbours apart
  return out;
}

function fmt(v, decimals) {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return decimals === undefined ? String(+v.toPrecision(3)) : v.toFixed(Math.min(decimals, 6));
}

// A plot box in canvas pixels, with ticks and axis titles; returns the data→pixel maps.
function axes(ctx, box, xr, yr, xTitle, yTitle, xTicks = true) {
  const [x, y, w, h] = box;
  const sx = v => x + (v - xr[0]) / (xr[1] - xr[0] || 1) * w;
  const sy = v => y + h - (v - yr[0]) / (yr[1] - yr[0] || 1) * h;
  ctx.strokeStyle = "#888"; ctx.lineWidth = 1; ctx.strokeRect(x, y, w, h);
  ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  const yt = niceTicks(yr[0], yr[1], 4);
  for (const t of yt) { ctx.fillText(fmt(t, yt.decimals), x - 4, sy(t)); }
  if (xTicks) {
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    const xt = niceTicks(xr[0], xr[1], 6);
    for (const t of xt) { ctx.fillText(fmt(t, xt.decimals), sx(t), y + h + 3); }
    if (xTitle) { ctx.fillText(xTitle, x + w / 2, y + h + 17); }
  }
  ctx.save(); ctx.translate(x - 44, y + h / 2); ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillText(yTitle, 0, 0); ctx.restore();
  return [sx, sy];
}

function image(values, nx, ny, scale, lo, hi, flipY) {
  const off = document.createElement("canvas");
  off.width = nx; off.height = ny;
  const octx = off.getContext("2d"), img = octx.createImageData(nx, ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const v = values[j * nx + i], c = lerpColour(scale, (v - lo) / (hi - lo || 1));
      const k = 4 * ((flipY ? ny - 1 - j : j) * nx + i);
      img.data[k] = c[0]; img.data[k + 1] = c[1]; img.data[k + 2] = c[2]; img.data[k + 3] = 255;
    }
  }
  octx.putImageData(img, 0, 0);
  return off;
}

function freshState(data) {
  const h = data.history, meta = data.meta;
  const s = {run: data.run, meta, update: h.update, step: h.step, trail: h.trail.slice(-TRAIL),
             proposals: h.proposals.slice(-PROPOSALS), accepted: h.accepted.slice(-PROPOSALS),
             current: h.current, path: h.path, field: h.field, steps: h.steps.slice(), traces: {}, queue: [],
             drawnAt: [], background: null};
  for (const name of meta.names) s.traces[name] = h.traces[name].map(c => c.slice());
  if (meta.kind === "toy") {
    const g = meta.grid, bytes = atob(g.phi8), phi = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) phi[i] = bytes.charCodeAt(i) / 255;  // (φ − φ_min)/(12 kT), clipped
    s.background = image(phi, g.nx, g.ny, LIGHT, 0, 1, true);
  }
  return s;
}

function apply(s, f) {
  s.update = f.update; s.step = f.step; s.current = f.current; s.path = f.path; s.field = f.field;
  if (f.trail) { s.trail = s.trail.concat(f.trail).slice(-TRAIL); }
  if (f.proposals) {
    s.proposals = s.proposals.concat(f.proposals).slice(-PROPOSALS);
    s.accepted = s.accepted.concat(f.accepted).slice(-PROPOSALS);
  }
  s.steps = s.steps.concat(f.steps);
  const drop = Math.max(0, s.steps.length - HISTORY);
  s.steps = s.steps.slice(drop);
  for (const name of s.meta.names) {
    s.traces[name] = s.traces[name].map((c, i) => c.concat(f.traces[name][i]).slice(drop));
  }
}

function drawGallery(ctx, s, W, H) {
  const m = s.meta, g = m.grid, box = [58, 30, W - 78, H - 95];
  ctx.fillStyle = "#222"; ctx.font = "13px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "top";
  ctx.fillText(m.title, 8, 6);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(s.background, box[0], box[1], box[2], box[3]);
  const [sx, sy] = axes(ctx, box, g.bounds[0], g.bounds[1], "x₁ (arbitrary units)", "x₂ (arbitrary units)");
  ctx.save(); ctx.beginPath(); ctx.rect(...box); ctx.clip();
  const line = (pts, colour, width) => {
    ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(sx(p[0]), sy(p[1])) : ctx.moveTo(sx(p[0]), sy(p[1]))));
    ctx.stroke();
  };
  line(s.trail, TRAIL_COLOUR, 1.2);
  if (s.path && s.path.length > 2) {
    line(s.path, PATH, 2);
    ctx.fillStyle = PATH;
    for (const p of s.path) { ctx.beginPath(); ctx.arc(sx(p[0]), sy(p[1]), 2.5, 0, 7); ctx.fill(); }
  }
  s.proposals.forEach((p, i) => {
    const x = sx(p[0]), y = sy(p[1]);
    if (s.accepted[i]) { ctx.fillStyle = ACCEPTED; ctx.beginPath(); ctx.arc(x, y, 3.5, 0, 7); ctx.fill(); }
    else {
      ctx.strokeStyle = REJECTED; ctx.lineWidth = 2; ctx.beginPath();
      ctx.moveTo(x - 4, y - 4); ctx.lineTo(x + 4, y + 4); ctx.moveTo(x + 4, y - 4); ctx.lineTo(x - 4, y + 4); ctx.stroke();
    }
  });
  const last = s.proposals.length - 1;
  if (last >= 0) {
    ctx.strokeStyle = s.accepted[last] ? ACCEPTED : REJECTED; ctx.lineWidth = 3; ctx.beginPath();
    ctx.arc(sx(s.proposals[last][0]), sy(s.proposals[last][1]), 8, 0, 7); ctx.stroke();
  }
  s.current.forEach((p, i) => {
    ctx.fillStyle = PALETTE[i % PALETTE.length]; ctx.strokeStyle = "#000"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.arc(sx(p[0]), sy(p[1]), 5, 0, 7); ctx.fill(); ctx.stroke();
  });
  ctx.restore();
  const legend = [["chain 0 (last steps)", TRAIL_COLOUR, "line"], ["accepted proposal", ACCEPTED, "dot"],
                  ["rejected proposal", REJECTED, "x"], ["chains now", "#1f77b4", "dot"]];
  if (m.sampler === "hmc") legend.splice(1, 0, ["leapfrog path", PATH, "line"]);
  let lx = box[0], ly = H - 30;
  ctx.font = "11px sans-serif"; ctx.textBaseline = "middle"; ctx.textAlign = "left";
  for (const [name, colour, mark] of legend) {
    const width = 26 + ctx.measureText(name).width;
    if (lx + width > W && lx > box[0]) { lx = box[0]; ly += 15; }  // wrap to a second row
    ctx.strokeStyle = colour; ctx.fillStyle = colour; ctx.lineWidth = 2; ctx.beginPath();
    if (mark === "line") { ctx.moveTo(lx, ly); ctx.lineTo(lx + 14, ly); ctx.stroke(); }
    else if (mark === "x") { ctx.moveTo(lx + 3, ly - 4); ctx.lineTo(lx + 11, ly + 4); ctx.moveTo(lx + 11, ly - 4);
                             ctx.lineTo(lx + 3, ly + 4); ctx.stroke(); }
    else { ctx.arc(lx + 7, ly, 4, 0, 7); ctx.fill(); }
    ctx.fillStyle = "#333"; ctx.fillText(name, lx + 18, ly);
    lx += width;
  }
}

function drawField(ctx, s, W, H) {
  const n = s.meta.size, side = Math.min(W - 130, H - 80), box = [58, 30, side, side];
  ctx.fillStyle = "#222"; ctx.font = "13px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "top";
  ctx.fillText(`${s.meta.fieldTitle || "chain 0 at step"} ${s.step}`, 8, 6);
  // a fixed colour range that follows the field slowly (no flicker): ±max|x|, decaying 2 % per update
  let r = 0;
  for (const v of s.field) if (Number.isFinite(v)) r = Math.max(r, Math.abs(v));
  s.range = Math.max(r || 1, 0.98 * (s.range || 0));
  const range = s.range;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(image(s.field, n, n, RDBU, -range, range, false), box[0], box[1], side, side);
  axes(ctx, box, [-0.5, n - 0.5], [n - 0.5, -0.5], "site x₂ (lattice units)", "site x₁ (lattice units)");
  const bar = [box[0] + side + 18, box[1], 14, side];
  for (let k = 0; k < side; k++) {
    const c = lerpColour(RDBU, 1 - k / side);
    ctx.fillStyle = `rgb(${c})`; ctx.fillRect(bar[0], bar[1] + k, bar[2], 1);
  }
  ctx.fillStyle = "#333"; ctx.font = "11px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "middle";
  for (const t of niceTicks(-range, range, 4)) {
    ctx.fillText(fmt(t), bar[0] + 18, bar[1] + side * (range - t) / (2 * range));
  }
  ctx.textBaseline = "top"; ctx.fillText("x (field units)", bar[0] - 8, bar[1] + side + 6);
}

function drawTraces(ctx, s, W, H) {
  const names = s.meta.names, rows = names.length, top = 30, gap = 18, bottom = 40;
  const h = (H - top - bottom - gap * (rows - 1)) / rows, steps = s.steps;
  ctx.fillStyle = "#222"; ctx.font = "13px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "top";
  ctx.fillText(s.meta.tracesTitle || "traces (every chain)", 8, 6);
  if (!steps.length) return;
  const stride = Math.max(1, Math.ceil(steps.length / DRAWN));
  const xr = [steps[0], Math.max(steps[steps.length - 1], steps[0] + 1)];
  names.forEach((name, r) => {
    const chains = s.traces[name];
    let lo = Infinity, hi = -Infinity;
    for (const c of chains) for (const v of c) { if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
    if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
    const pad = 0.05 * (hi - lo || 1);
    const box = [62, top + r * (h + gap), W - 76, h];
    const [sx, sy] = axes(ctx, box, xr, [lo - pad, hi + pad], s.meta.stepTitle || "step", name, r === rows - 1);
    ctx.save(); ctx.beginPath(); ctx.rect(...box); ctx.clip();
    chains.forEach((c, i) => {
      ctx.strokeStyle = PALETTE[i % PALETTE.length]; ctx.lineWidth = 1; ctx.beginPath();
      let started = false;
      for (let k = 0; k < c.length; k += stride) {
        if (!Number.isFinite(c[k])) { started = false; continue; }
        const x = sx(steps[k]), y = sy(c[k]);
        if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
      }
      ctx.stroke();
    });
    if (s.meta.warmup >= xr[0] && s.meta.warmup <= xr[1]) {
      ctx.strokeStyle = "#888"; ctx.setLineDash([2, 3]); ctx.beginPath();
      ctx.moveTo(sx(s.meta.warmup), box[1]); ctx.lineTo(sx(s.meta.warmup), box[1] + h); ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.restore();
  });
}

function draw(root, s) {
  for (const [sel, fn] of [[".idf-live-left", s.meta.kind === "toy" ? drawGallery : drawField],
                           [".idf-live-right", drawTraces]]) {
    const canvas = root.querySelector(sel), W = canvas.clientWidth || 600, H = canvas.clientHeight || 480;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(W * dpr)) { canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr); }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0); ctx.clearRect(0, 0, W, H);
    fn(ctx, s, W, H);
  }
  const now = performance.now();
  s.drawnAt = s.drawnAt.filter(t => now - t < 3000).concat([now]);
  const span = (s.drawnAt[s.drawnAt.length - 1] - s.drawnAt[0]) / 1000;
  const rate = s.drawnAt.length > 2 && span > 0 ? ` · ${((s.drawnAt.length - 1) / span).toFixed(1)} updates/s` : "";
  const status = root.querySelector(".idf-live-status");
  const behind = (s.queue.length / s.meta.fps).toFixed(1);
  status.textContent = `live: step ${s.step} · update ${s.update}${rate} drawn in this browser, ` +
    `${behind} s behind the server · ${s.meta.label}`;
  root.setAttribute("data-step", String(s.step));
  root.setAttribute("data-update", String(s.update));
  s.draws = (s.draws || 0) + 1;
  root.setAttribute("data-draws", String(s.draws));
}

function stopWhenGone(root) {
  if (root.isConnected || !root.__idfTimer) return false;
  clearInterval(root.__idfTimer);
  root.__idfTimer = null;
  return true;
}

function tick(root) {
  if (stopWhenGone(root)) return;
  const s = root.__idfLive;
  if (!s || !s.queue.length) return;
  // one frame per tick; two (a gentle fast-forward) past 1.2 s queued; past 3 s jump to 1.2 s
  const q = s.queue.length, fps = s.meta.fps;
  const n = q > 3 * fps ? q - Math.ceil(1.2 * fps) : q > 1.2 * fps ? 2 : 1;
  for (const f of s.queue.splice(0, n)) apply(s, f);
  draw(root, s);
}

export default function (component) {
  const { data, parentElement } = component;
  let root = parentElement.querySelector(".idf-live");
  if (!root) {
    root = document.createElement("div");
    root.className = "idf-live";
    root.setAttribute("data-testid", "idf-live-player");
    root.innerHTML = '<div class="idf-live-status"></div><div class="idf-live-row">' +
      '<canvas class="idf-live-left"></canvas><canvas class="idf-live-right"></canvas></div>';
    parentElement.appendChild(root);
  }
  if (!data) return;
  let s = root.__idfLive;
  if (!s || s.run !== data.run) {
    s = root.__idfLive = freshState(data);
    draw(root, s);
  }
  const lastQueued = s.queue.length ? s.queue[s.queue.length - 1].update : s.update;
  const fresh = data.frames.filter(f => f.update > lastQueued);
  if (fresh.length && fresh[0].update > lastQueued + 1 && data.history.update >= lastQueued) {
    // Updates are missing (more than one call went unrendered): start again from the tail,
    // which holds every step before these frames, rather than draw a straight line over the gap.
    const draws = s.draws;
    s = root.__idfLive = freshState(data);
    s.draws = draws;
  }
  for (const f of fresh) if (f.update > s.update) s.queue.push(f);
  if (!root.__idfTimer) {
    root.__idfTimer = setInterval(() => tick(root), 1000 / data.meta.fps);
  }
  // Streamlit also runs the cleanup of a call whose data was replaced before it finished, and
  // can run it after the next call has started: clearing the timer there left frames queued and
  // undrawn once the data stopped changing (a chain stalled at step 325 of 400). The one timer
  // stops only when this element has left the page.
  return () => { setTimeout(() => stopWhenGone(root), 0); };
}
