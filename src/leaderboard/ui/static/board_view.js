// The instant board: the whole board held in the page, queried by BoardQuery (board_query.js,
// the same grammar as query.py) and drawn as a real <table> of which only the rows in view
// exist (virtualized), so every matching row can be scrolled to at the cost of ~40 rows.
// Every text from a file goes in with textContent; a link only for a well-formed Hub id
// (decided in Python: the payload's `linkable`).
//
// Runs as gr.HTML's js_on_load: `element`, `props` and `watch` are Gradio's.

const ROW_HEIGHT = 34; // px, fixed: a row's offset is its index times this
const OVERSCAN = 12; // rows drawn above and below the viewport
const CELL_CHARS = 100; // a longer model name is cut in its cell, whole on hover
const TITLE_CHARS = 2000;
const HUB = "https://huggingface.co/";

// What the view reads of the payload (the engine reads the rest).
function shownValue(payload, column, row) {
  if (column.storage === "category") {
    const code = column.codes[row];
    return code < 0 ? null : column.dictionary[code];
  }
  return column.values[row];
}

function defaultQuery(payload) {
  return { ...payload.grammar.default_query };
}

function number(value) {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

// query.py's to_params: the query as URL parameters, defaults left out.
function toParams(query) {
  const params = new URLSearchParams();
  if (query.search) params.set("search", query.search);
  for (const [name, values] of [
    ["type", query.model_types],
    ["precision", query.precisions],
    ["weight_type", query.weight_types],
  ]) {
    if (values !== null && values !== undefined) params.set(name, values.join(","));
  }
  if (query.params_min !== null || query.params_max !== null) {
    const low = query.params_min === null ? "" : number(query.params_min);
    const high = query.params_max === null ? "" : number(query.params_max);
    params.set("params", `${low}-${high}`);
  }
  if (query.sizes && query.sizes.length) params.set("size", query.sizes.join(","));
  if (query.hide && query.hide.length) params.set("hide", query.hide.join(","));
  if (query.columns !== null && query.columns !== undefined) {
    params.set("columns", query.columns.join(","));
  }
  if (query.sort !== "average" || !query.descending) {
    params.set("sort", (query.descending ? "-" : "") + query.sort);
  }
  return params;
}

function cut(text, limit) {
  return text.length <= limit ? text : text.slice(0, limit - 1) + "…";
}

function makeView(root, payload) {
  const scroller = root.querySelector(".lb-scroll");
  const table = root.querySelector("table");
  const head = table.querySelector("thead");
  const body = table.querySelector("tbody");
  const count = root.querySelector(".lb-count");
  const message = root.querySelector(".lb-message");
  const byKey = new Map(payload.columns.map((column) => [column.key, column]));
  const state = {
    query: defaultQuery(payload),
    rows: [],
    columns: [],
  };

  function cellText(column, row) {
    const value = shownValue(payload, column, row);
    if (value === null || value === undefined) return "";
    if (column.kind === "bool") return value ? "✓" : "";
    if (typeof value === "number" && column.decimals !== null && column.decimals !== undefined) {
      return value.toFixed(column.decimals);
    }
    return String(value);
  }

  function modelCell(td, row) {
    const name = shownValue(payload, byKey.get("model"), row) ?? "";
    const title = cut(name, TITLE_CHARS);
    if (payload.linkable[row]) {
      const link = document.createElement("a");
      link.href = HUB + name; // a well-formed id: letters, digits, `-_.` and one `/`
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.title = title;
      link.textContent = cut(name, CELL_CHARS);
      td.appendChild(link);
    } else {
      const span = document.createElement("span");
      span.title = title;
      span.textContent = cut(name, CELL_CHARS);
      td.appendChild(span);
    }
  }

  function drawHead() {
    head.replaceChildren();
    const tr = document.createElement("tr");
    for (const column of state.columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.dataset.key = column.key;
      th.title = column.description || "";
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = column.label;
      const sorted = state.query.sort === column.key;
      th.setAttribute(
        "aria-sort",
        sorted ? (state.query.descending ? "descending" : "ascending") : "none"
      );
      button.addEventListener("click", () => sortBy(column.key));
      th.appendChild(button);
      if (column.pinned) th.classList.add("lb-pinned");
      tr.appendChild(th);
    }
    head.appendChild(tr);
    pinOffsets();
  }

  function pinOffsets() {
    // Sticky first columns: each pinned cell sticks at the width of the pinned ones before it.
    let left = 0;
    const cells = head.querySelectorAll("th");
    state.pinnedLeft = [];
    state.columns.forEach((column, index) => {
      if (!column.pinned) return;
      state.pinnedLeft[index] = left;
      cells[index].style.left = left + "px";
      left += cells[index].getBoundingClientRect().width;
    });
  }

  function spacer(height) {
    const tr = document.createElement("tr");
    tr.className = "lb-spacer";
    tr.setAttribute("aria-hidden", "true");
    tr.style.height = height + "px";
    return tr;
  }

  function drawRows() {
    const total = state.rows.length;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const visible = Math.ceil(scroller.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
    const last = Math.min(total, first + visible);
    const fragment = document.createDocumentFragment();
    fragment.appendChild(spacer(first * ROW_HEIGHT));
    for (let position = first; position < last; position++) {
      const row = state.rows[position];
      const tr = document.createElement("tr");
      tr.className = "lb-row";
      tr.setAttribute("aria-rowindex", String(position + 2)); // the header is row 1
      state.columns.forEach((column, index) => {
        const td = document.createElement("td");
        if (column.key === "model") modelCell(td, row);
        else td.textContent = cellText(column, row);
        if (column.kind === "number") td.classList.add("lb-number");
        if (column.pinned) {
          td.classList.add("lb-pinned");
          td.style.left = (state.pinnedLeft[index] ?? 0) + "px";
        }
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    }
    fragment.appendChild(spacer((total - last) * ROW_HEIGHT));
    body.replaceChildren(fragment);
    table.setAttribute("aria-rowcount", String(total + 1));
  }

  function sortBy(key) {
    // A header click sorts here; the tab's Sort controls keep their value, and the next
    // control change keeps this sort unless the Sort controls themselves changed.
    const same = state.query.sort === key;
    apply({ ...state.query, sort: key, descending: same ? !state.query.descending : true });
  }

  function pushUrl() {
    const shown = toParams(state.query);
    if (state.board && state.board !== payload.default_board) shown.set("board", state.board);
    const url = new URL(window.location.href);
    url.search = shown.toString() ? "?" + shown.toString() : "";
    window.history.replaceState(null, "", url.toString());
  }

  function apply(query) {
    let result;
    try {
      result = BoardQuery.runQuery(payload, query);
    } catch (error) {
      message.textContent = error.message; // the query stays as it was, as on the server
      message.hidden = false;
      return false;
    }
    message.hidden = true;
    message.textContent = "";
    state.query = query;
    state.rows = result.rows;
    state.columns = result.columns.map((key) => byKey.get(key));
    const shown = result.rows.length.toLocaleString("en-US");
    count.textContent = `Showing ${shown} of ${payload.rows.toLocaleString("en-US")} models`;
    drawHead();
    scroller.scrollTop = 0;
    drawRows();
    if (state.started) pushUrl(); // the link that opened the page stays as it was given
    state.started = true;
    return true;
  }

  let pending = false;
  scroller.addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      drawRows();
    });
  });
  state.board = payload.suite;
  return { apply, state, payload };
}

function fetchBoard(url) {
  return fetch(url, { credentials: "same-origin" }).then((response) =>
    response.ok ? response.json() : Promise.reject(response.status)
  );
}

const root = element.querySelector(".lb-board");
let view = null;
function start(value) {
  // JSON text, parsed once here (Gradio may hand it over JSON-encoded once more).
  let payload = value;
  for (let depth = 0; depth < 2 && typeof payload === "string" && payload; depth++) {
    payload = JSON.parse(payload);
  }
  if (payload && payload.url) {
    // The board is fetched (gzip, cached by URL: board_route.py), not carried in the page;
    // the page's head began fetching the page's first board (PREFETCH_HEAD in board_view.py).
    const early = window.leaderboardPrefetch;
    const fetched =
      early && early.url === payload.url ? early.payload : fetchBoard(payload.url);
    fetched
      .then(start)
      .catch((status) => {
        root.querySelector(".lb-message").textContent = `The board could not be loaded (${status}).`;
        root.querySelector(".lb-message").hidden = false;
      });
    return;
  }
  if (!payload || !payload.columns) return;
  view = makeView(root, payload);
  const read = BoardQuery.fromParams(payload, new URLSearchParams(window.location.search));
  view.apply(read.query);
  // The Sort controls show the link's sort (the server sets them from the same link).
  view.lastControls = (read.query.descending ? "-" : "") + read.query.sort;
  // What the page spent on the board after Gradio mounted it (benchmarks/browser_speed.py).
  performance.mark("leaderboard:drawn");
  root.dataset.ready = String(Date.now());
  window.leaderboardBoard = view;
  window.leaderboardToParams = toParams;
}
performance.mark("leaderboard:mounted");
start(props.value);
watch("value", () => start(props.value));
