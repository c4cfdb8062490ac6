// The instant board: the whole board held in the page, queried by BoardQuery (board_query.js,
// the same grammar as query.py) and drawn as a real <table> of which only the rows in view
// exist (virtualized), so every matching row can be scrolled to at the cost of ~40 rows.
// A board too large to travel whole (its payload has `remote`) is queried on the server
// instead, and the rows in view are fetched window by window (board_route.py).
// Every text from a file goes in with textContent. Each model name opens its page
// (`?model=&precision=`, built with URLSearchParams); a link to the Hub only beside a
// well-formed Hub id (decided in Python: the payload's `linkable`).
// With the ± toggle (`ci=1` in the URL) a score cell also shows its 95% interval; rows that
// share a rank (overlapping intervals, table/build.py's `interval_ranks`) are drawn as a band.
//
// Runs as gr.HTML's js_on_load: `element`, `props` and `watch` are Gradio's.

const ROW_HEIGHT = 34; // px, fixed: a row's offset is its index times this
const OVERSCAN = 12; // rows drawn above and below the viewport
const CELL_CHARS = 100; // a longer model name is cut in its cell, whole on hover
const TITLE_CHARS = 2000;
const HUB = "https://huggingface.co/";
const CI_SUFFIX = "_ci"; // a score's interval column: `arc` -> `arc_ci` (table/columns.py)
const BANDED_SORTS = new Set(["rank", "average"]); // orders in which tied rows are adjacent

// What the view reads of a payload's column (the engine reads the rest).
function shownValue(column, row) {
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
  const downloads = root.querySelector(".lb-export");
  const byKey = new Map(payload.columns.map((column) => [column.key, column]));
  const state = {
    query: defaultQuery(payload),
    source: null, // what the rows in view are read from: localRows or remoteRows
    columns: [],
    ticket: 0, // the latest remote query: answers to older ones are dropped
    asked: null, // that query, as URL parameters
    intervals: false, // the ± toggle: scores with their 95% interval
  };

  // The query's rows, from the board held in the page.
  function localRows(query) {
    const result = BoardQuery.runQuery(payload, query); // throws on a query it refuses
    return {
      keys: result.columns,
      total: result.rows.length,
      value: (position, column) => shownValue(column, result.rows[position]),
      linkable: (position) => payload.linkable[result.rows[position]],
      precision: (position) => shownValue(byKey.get("precision"), result.rows[position]),
      interval: (position, column) => shownValue(column, result.rows[position]),
      need: () => {},
    };
  }

  // The query's rows, from the server, one window at a time (the first one fetched).
  function remoteRows(query, first) {
    const size = payload.remote.rows;
    const windows = new Map([[0, windowOf(first)]]);
    const asked = new Set([0]);
    const at = (position) => windows.get(position - (position % size));
    return {
      keys: first.keys,
      total: first.total,
      value(position, column) {
        const rows = at(position);
        return rows ? shownValue(rows.byKey.get(column.key), position - rows.offset) : undefined;
      },
      linkable(position) {
        const rows = at(position);
        return rows.linkable[position - rows.offset];
      },
      precision(position) {
        const rows = at(position);
        return rows.precision[position - rows.offset];
      },
      interval(position, column) {
        const rows = at(position);
        const values = rows && rows.byKey.get(column.key);
        return values ? shownValue(values, position - rows.offset) : null;
      },
      need(firstRow, lastRow) {
        for (let start = firstRow - (firstRow % size); start < lastRow; start += size) {
          if (asked.has(start)) continue;
          asked.add(start);
          fetchWindow(query, start).then(
            (answer) => {
              windows.set(start, windowOf(answer));
              if (state.source === this) drawRows();
            },
            () => asked.delete(start) // asked again when scrolled to
          );
        }
      },
    };
  }

  function windowOf(answer) {
    return { ...answer, byKey: new Map(answer.columns.map((column) => [column.key, column])) };
  }

  function fetchWindow(query, offset) {
    const params = toParams(query);
    params.set("offset", String(offset));
    params.set("limit", String(payload.remote.rows));
    if (state.intervals) params.set("ci", "1"); // the window then carries the ± columns
    const url = payload.remote.url + "&" + params.toString();
    return fetch(url, { credentials: "same-origin" }).then((response) =>
      response.text().then((text) => {
        let answer = null;
        try {
          answer = JSON.parse(text);
        } catch (error) {
          // not JSON: a proxy's or a limit's answer; the status says enough
        }
        if (response.ok && answer) return answer;
        throw new Error((answer && answer.error) || `The server answered ${response.status}.`);
      })
    );
  }

  function cellText(column, value) {
    if (value === null || value === undefined) return "";
    if (column.kind === "bool") return value ? "✓" : "";
    if (typeof value === "number" && column.decimals !== null && column.decimals !== undefined) {
      return value.toFixed(column.decimals);
    }
    return String(value);
  }

  function modelCell(td, name, linkable, precision) {
    const page = document.createElement("a");
    page.className = "lb-page";
    page.href = "?" + new URLSearchParams({ model: name, precision: precision ?? "" });
    page.title = cut(name, TITLE_CHARS);
    page.textContent = cut(name, CELL_CHARS);
    td.appendChild(page);
    if (linkable) {
      const hub = document.createElement("a");
      hub.className = "lb-hub";
      hub.href = HUB + name; // a well-formed id: letters, digits, `-_.` and one `/`
      hub.target = "_blank";
      hub.rel = "noopener noreferrer";
      hub.title = "On the Hub";
      hub.setAttribute("aria-label", "on the Hub");
      hub.textContent = "↗";
      td.appendChild(hub);
    }
  }

  function scoreText(column, value, position) {
    const text = cellText(column, value);
    const interval = state.intervals && byKey.get(column.key + CI_SUFFIX);
    if (!interval || text === "") return text;
    const width = state.source.interval(position, interval);
    return width === null || width === undefined ? text : `${text} ± ${cellText(interval, width)}`;
  }

  // Rows sharing a rank with a neighbour are one band; a band starts where the rank changes.
  function bandOf(position) {
    if (!BANDED_SORTS.has(state.query.sort)) return "";
    const rank = byKey.get("rank");
    const source = state.source;
    const mine = source.value(position, rank);
    const before = position > 0 ? source.value(position - 1, rank) : undefined;
    const after = position + 1 < source.total ? source.value(position + 1, rank) : undefined;
    if (mine === null || (mine !== before && mine !== after)) return "";
    return mine === before ? " lb-tied" : " lb-tied lb-band-start";
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
    const source = state.source;
    const total = source.total;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const visible = Math.ceil(scroller.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
    const last = Math.min(total, first + visible);
    const fragment = document.createDocumentFragment();
    fragment.appendChild(spacer(first * ROW_HEIGHT));
    for (let position = first; position < last; position++) {
      const tr = document.createElement("tr");
      tr.setAttribute("aria-rowindex", String(position + 2)); // the header is row 1
      const loaded = source.value(position, state.columns[0]) !== undefined;
      tr.className = loaded ? "lb-row" + bandOf(position) : "lb-row lb-loading";
      state.columns.forEach((column, index) => {
        const td = document.createElement("td");
        const value = loaded ? source.value(position, column) : null;
        if (column.key === "model" && loaded) {
          modelCell(td, value ?? "", source.linkable(position), source.precision(position));
        } else if (column.kind === "number" && loaded) {
          td.textContent = scoreText(column, value, position);
        } else td.textContent = cellText(column, value);
        if (column.key === "rank" && tr.classList.contains("lb-tied")) {
          td.title = `Tied at rank ${td.textContent}: the 95% intervals of this band overlap.`;
        }
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
    source.need(first, last); // a remote board fetches the windows these rows are in
  }

  // The download links fetch the view shown, as a file (export_route.py reads the same
  // parameters strictly; the view's query is always one it accepts).
  function linkDownloads(params) {
    const query = params.toString();
    for (const link of downloads.querySelectorAll("a[data-format]")) {
      const file = `gradio_api/board-export/${state.board}.${link.dataset.format}`;
      link.href = query ? `${file}?${query}` : file;
    }
    downloads.hidden = false;
  }

  function sortBy(key) {
    // A header click sorts here; the tab's Sort controls keep their value, and the next
    // control change keeps this sort unless the Sort controls themselves changed.
    const same = state.query.sort === key;
    apply({ ...state.query, sort: key, descending: same ? !state.query.descending : true });
  }

  function pushUrl(params) {
    const shown = new URLSearchParams(params); // a copy: the links keep the view's own
    if (state.board && state.board !== payload.default_board) shown.set("board", state.board);
    if (state.intervals) shown.set("ci", "1");
    const url = new URL(window.location.href);
    url.search = shown.toString() ? "?" + shown.toString() : "";
    window.history.replaceState(null, "", url.toString());
  }

  // `intervals`: the ± toggle's value (undefined: as it is).
  function apply(query, intervals) {
    if (intervals !== undefined) state.intervals = Boolean(intervals);
    if (!payload.remote) {
      let source;
      try {
        source = localRows(query);
      } catch (error) {
        return refuse(error);
      }
      show(query, source);
      return true;
    }
    // The view's query from now on, though its rows are still on their way: the next change
    // of the controls builds on it (APPLY_JS reads it), and answers to older ones are dropped.
    const asked = toParams(query).toString() + (state.intervals ? "&ci=1" : "");
    if (asked === state.asked) return true; // Gradio may send one change twice
    const before = { query: state.query, asked: state.asked };
    state.asked = asked;
    state.query = query;
    const ticket = ++state.ticket;
    fetchWindow(query, 0).then(
      (first) => ticket === state.ticket && show(query, remoteRows(query, first)),
      (error) => {
        if (ticket !== state.ticket) return;
        Object.assign(state, before); // the view stays what it shows
        refuse(error);
      }
    );
    return true;
  }

  function refuse(error) {
    message.textContent = error.message; // the query stays as it was, as on the server
    message.hidden = false;
    return false;
  }

  function show(query, source) {
    message.hidden = true;
    message.textContent = "";
    state.query = query;
    state.source = source;
    state.columns = source.keys.map((key) => byKey.get(key));
    const shown = source.total.toLocaleString("en-US");
    count.textContent = `Showing ${shown} of ${payload.rows.toLocaleString("en-US")} models`;
    drawHead();
    scroller.scrollTop = 0;
    drawRows();
    const params = toParams(state.query);
    linkDownloads(params);
    if (state.started) pushUrl(params); // the link that opened the page stays as it was given
    state.started = true;
  }

  // A plain click on a model name opens its page in this page (links.py's OPEN_MODEL_HEAD);
  // a click with a modifier, or a page without it, follows the link.
  body.addEventListener("click", (event) => {
    const link = event.target.closest("a.lb-page");
    const plain = event.button === 0 && !(event.metaKey || event.ctrlKey || event.shiftKey);
    if (!link || !plain || event.altKey || !window.leaderboardOpenModel) return;
    event.preventDefault();
    const params = new URLSearchParams(link.getAttribute("href").slice(1));
    window.leaderboardOpenModel(params.get("model"), params.get("precision"), link.href);
  });

  let pending = false;
  scroller.addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (state.source) drawRows();
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
  const params = new URLSearchParams(window.location.search);
  // A model page's link (`?model=&precision=`) names the model's precision, not a filter.
  if (params.has("model")) params.delete("precision");
  const read = BoardQuery.fromParams(payload, params);
  view.apply(read.query, params.get("ci") === "1");
  // The Sort controls show the link's sort (the server sets them from the same link).
  view.lastControls = (read.query.descending ? "-" : "") + read.query.sort;
  // What the page spent on the board after Gradio mounted it (benchmarks/browser_speed.py).
  performance.mark("leaderboard:drawn");
  root.dataset.ready = String(Date.now());
  window.leaderboardBoard = view;
}
performance.mark("leaderboard:mounted");
start(props.value);
watch("value", () => start(props.value));
