/*
 * board_query.js: query.py's search, filters and sort, run in the browser over a board
 * payload (leaderboard/ui/board_payload.py), so that the Leaderboard tab answers a click
 * without a round trip. The semantics are query.py's, to the row and to the order; the
 * agreement is tested against Python (tests/test_board_js.py). Everything the grammar reads
 * (search fields, hide options, size buckets, choices, limits, pyarrow's lowercase mapping)
 * comes from the payload, never from this file.
 *
 * No dependencies, no DOM: it computes rows, it never writes markup. Load it as a plain
 * <script>; it defines `window.BoardQuery` (globalThis elsewhere):
 *
 *   parseSearch(payload, text)            -> [[{field, value}, ...], ...] (query.parse_search)
 *   filterRows(payload, query)            -> kept row positions, ascending (query.filter_mask)
 *   sortRows(payload, rows, key, desc)    -> rows ordered by one column, ties and missing
 *                                            values as pandas' stable sort puts them
 *   runQuery(payload, query)              -> {rows, columns} (query.run_query)
 *   fromParams(payload, urlSearchParams)  -> {query, ignored} (query.from_values, lenient)
 *
 * A query is an object with query.Query's fields (search, model_types, precisions,
 * weight_types, params_min, params_max, sizes, hide, columns, sort, descending); a missing
 * field takes Query's default. Errors are BoardQuery.QueryError, with Python's messages.
 */
(function (global) {
  "use strict";

  const PAYLOAD_VERSION = 1;

  class QueryError extends Error {
    constructor(message) {
      super(message);
      this.name = "QueryError";
    }
  }

  // --- text as Python and pyarrow read it -----------------------------------------------------

  // Python's whitespace (str.isspace, what str.split() and str.strip() use). JavaScript's \s
  // differs: it lacks U+001C-U+001F and U+0085, and adds U+FEFF.
  const SPACES = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029" +
    "\\u202f\\u205f\\u3000";
  const SPACE_RUN = new RegExp(`[${SPACES}]+`);
  const ONE_SPACE = new RegExp(`^[${SPACES}]$`);

  /** Python's `text.split()`: words between runs of whitespace, none empty. */
  function splitWords(text) {
    return text.split(SPACE_RUN).filter((word) => word !== "");
  }

  /** Python's `text.strip()`, by a scan from each end (a regex `\s+$` is quadratic). */
  function strip(text) {
    let start = 0;
    let end = text.length;
    while (start < end && ONE_SPACE.test(text[start])) start += 1;
    while (end > start && ONE_SPACE.test(text[end - 1])) end -= 1;
    return text.slice(start, end);
  }

  /** Python's `len(text)`: code points, not UTF-16 units (an emoji is one character). */
  function codePointLength(text) {
    let count = 0;
    for (const _ of text) count += 1; // eslint-disable-line no-unused-vars
    return count;
  }

  /** Code point order (Python's, and pyarrow's byte order of UTF-8), which `<` on UTF-16
   * units breaks for characters above U+FFFF against U+E000-U+FFFF. */
  function compareText(a, b) {
    const length = Math.min(a.length, b.length);
    for (let i = 0; i < length; i += 1) {
      let x = a.charCodeAt(i);
      let y = b.charCodeAt(i);
      if (x !== y) {
        if (x >= 0xd800 && y >= 0xd800) { // move surrogates (astral characters) to the top
          x += x < 0xe000 ? 0x2000 : -0x800;
          y += y < 0xe000 ? 0x2000 : -0x800;
        }
        return x < y ? -1 : 1;
      }
    }
    return a.length - b.length;
  }

  const ASCII = /^[\x00-\x7f]*$/;

  /** pyarrow's utf8_lower, from the payload's runs [first, count, step, delta]: the simple
   * Unicode lowercase, one character to one. A browser's toLowerCase is the full mapping
   * (`İ` becomes two characters, a final `Σ` becomes `ς`) of another Unicode version. */
  function lowercaseTable(runs) {
    const table = new Map();
    for (const [first, count, step, delta] of runs) {
      for (let i = 0; i < count; i += 1) table.set(first + i * step, first + i * step + delta);
    }
    return table;
  }

  function lowerWith(table, text) {
    if (ASCII.test(text)) return text.toLowerCase(); // the same on ASCII, and native
    let out = "";
    for (const char of text) {
      const lowered = table.get(char.codePointAt(0));
      out += lowered === undefined ? char : String.fromCodePoint(lowered);
    }
    return out;
  }

  // Python's str.isprintable: not a control, format, surrogate, private-use, unassigned or
  // separator character, except the space.
  const UNPRINTABLE = /[\p{C}\p{Z}]/u;

  function isPrintable(char) {
    return char === " " || !UNPRINTABLE.test(char);
  }

  /** `ascii(char)[1:-1]` of an unprintable character: `\t`, `\x1b`, `\u2028`, `\U000e0001`. */
  function escapeChar(char) {
    const named = { "\t": "\\t", "\n": "\\n", "\r": "\\r" }[char];
    if (named) return named;
    const code = char.codePointAt(0);
    const hex = code.toString(16);
    if (code < 0x100) return "\\x" + hex.padStart(2, "0");
    if (code < 0x10000) return "\\u" + hex.padStart(4, "0");
    return "\\U" + hex.padStart(8, "0");
  }

  /** query._quote: at most `limit` characters of user text, unprintable ones escaped. */
  function quote(text, limit) {
    const chars = [];
    for (const char of text) {
      chars.push(char);
      if (chars.length > limit) break; // enough to know it is too long
    }
    const shown = chars.length > limit ? [...chars.slice(0, limit - 1), "…"] : chars;
    return shown.map((char) => (isPrintable(char) ? char : escapeChar(char))).join("");
  }

  /** Python's repr of a str, as `{value!r}` writes it in a message. */
  function pyRepr(text) {
    const mark = text.includes("'") && !text.includes('"') ? '"' : "'";
    let out = mark;
    for (const char of text) {
      if (char === mark || char === "\\") out += "\\" + char;
      else out += isPrintable(char) ? char : escapeChar(char);
    }
    return out + mark;
  }

  /** Python's name for the type of a value a message says it cannot take. */
  function typeName(value) {
    if (value === null || value === undefined) return "NoneType";
    if (typeof value === "boolean") return "bool";
    if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
    return Array.isArray(value) ? "list" : typeof value === "object" ? "dict" : typeof value;
  }

  /** Python's `f"{n:,}"` for an integer. */
  function thousands(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  /** Python's `f"{x:g}"`: 6 significant digits, exponent form below 1e-4 and from 1e6. */
  function formatG(x) {
    if (x === 0 || !Number.isFinite(x)) return String(x);
    const [mantissa, exponentText] = x.toExponential(5).split("e");
    const exponent = Number(exponentText);
    const trim = (digits) => (digits.includes(".") ? digits.replace(/\.?0+$/, "") : digits);
    if (exponent < -4 || exponent >= 6) {
      const sign = exponent < 0 ? "-" : "+";
      return `${trim(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
    }
    return trim(x.toFixed(5 - exponent));
  }

  // --- difflib.get_close_matches, for the "Did you mean" of a message ----------------------

  /** difflib.SequenceMatcher(None, a, b).ratio() over code points, with its autojunk rule
   * (in a `b` of 200 or more, an element found in more than 1% of it is "popular"). */
  function similarity(a, b) {
    const where = new Map(); // b's element -> its positions
    b.forEach((element, j) => {
      if (!where.has(element)) where.set(element, []);
      where.get(element).push(j);
    });
    if (b.length >= 200) {
      const most = Math.floor(b.length / 100) + 1;
      for (const [element, positions] of [...where]) {
        if (positions.length > most) where.delete(element);
      }
    }
    let matches = 0;
    const queue = [[0, a.length, 0, b.length]];
    while (queue.length) {
      const [alo, ahi, blo, bhi] = queue.pop();
      const [i, j, k] = longestMatch(a, b, where, alo, ahi, blo, bhi);
      if (k) {
        matches += k;
        if (alo < i && blo < j) queue.push([alo, i, blo, j]);
        if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
      }
    }
    const length = a.length + b.length;
    return length ? (2.0 * matches) / length : 1.0;
  }

  /** SequenceMatcher.find_longest_match without junk (isjunk is None). */
  function longestMatch(a, b, where, alo, ahi, blo, bhi) {
    let [bestI, bestJ, bestSize] = [alo, blo, 0];
    let lengths = new Map(); // j -> length of the match ending at (i - 1, j)
    for (let i = alo; i < ahi; i += 1) {
      const next = new Map();
      for (const j of where.get(a[i]) || []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (lengths.get(j - 1) || 0) + 1;
        next.set(j, k);
        if (k > bestSize) [bestI, bestJ, bestSize] = [i - k + 1, j - k + 1, k];
      }
      lengths = next;
    }
    while (bestI > alo && bestJ > blo && a[bestI - 1] === b[bestJ - 1]) {
      [bestI, bestJ, bestSize] = [bestI - 1, bestJ - 1, bestSize + 1];
    }
    while (bestI + bestSize < ahi && bestJ + bestSize < bhi &&
      a[bestI + bestSize] === b[bestJ + bestSize]) {
      bestSize += 1;
    }
    return [bestI, bestJ, bestSize];
  }

  /** difflib.get_close_matches(word, possibilities, n=1)[0], or null. */
  function closeMatch(word, possibilities) {
    const b = Array.from(word);
    let best = null;
    for (const candidate of possibilities) {
      const score = similarity(Array.from(candidate), b);
      if (score < 0.6) continue;
      // heapq.nlargest on (score, candidate): a tie goes to the larger candidate
      if (!best || score > best.score ||
        (score === best.score && compareText(candidate, best.candidate) > 0)) {
        best = { score, candidate };
      }
    }
    return best && best.candidate;
  }

  // --- the board --------------------------------------------------------------------------

  /** A payload with the arrays queries derive from it, each made once, when first needed. */
  class Board {
    constructor(payload) {
      if (!payload || payload.version !== PAYLOAD_VERSION) {
        throw new Error(`board_query.js reads payload version ${PAYLOAD_VERSION}`);
      }
      this.payload = payload;
      this.grammar = payload.grammar;
      this.size = payload.rows;
      this.columns = new Map(payload.columns.map((column) => [column.key, column]));
      this.lowercase = lowercaseTable(payload.lowercase);
      this.derived = new Map();
    }

    lower(text) {
      return lowerWith(this.lowercase, text);
    }

    once(name, make) {
      if (!this.derived.has(name)) this.derived.set(name, make());
      return this.derived.get(name);
    }

    column(key) {
      const column = this.columns.get(key);
      if (!column) throw new QueryError(`The board has no column ${pyRepr(key)}.`);
      return column;
    }

    /** A number column's shown (or exact) values as floats, NaN for missing. */
    numbers(key, exact = false) {
      return this.once(`numbers:${key}:${exact}`, () => {
        const column = this.column(key);
        const values = exact && column.exact ? column.exact : column.values;
        return Float64Array.from(values, (v) => (v === null ? NaN : Number(v)));
      });
    }

    /** A text column's lowercased values (a category column: its dictionary's). */
    lowered(key) {
      return this.once(`lowered:${key}`, () => {
        const column = this.column(key);
        const values = column.storage === "category" ? column.dictionary : column.values;
        return values.map((value) => (value === null ? null : this.lower(value)));
      });
    }

    /** Per row, a number that orders like pandas orders the column: NaN for missing. */
    sortKey(key) {
      return this.once(`sort:${key}`, () => {
        const column = this.column(key);
        if (column.storage === "number") return this.numbers(key);
        if (column.storage === "category") {
          return Float64Array.from(column.codes, (code) => (code < 0 ? NaN : code));
        }
        if (column.storage === "bool") return Float64Array.from(column.values);
        return textRanks(column.values);
      });
    }
  }

  /** Dense ranks of text values in code point order (sorted once, not per query). */
  function textRanks(values) {
    const distinct = [...new Set(values.filter((v) => v !== null))].sort(compareText);
    const rank = new Map(distinct.map((value, index) => [value, index]));
    return Float64Array.from(values, (v) => (v === null ? NaN : rank.get(v)));
  }

  const boards = new WeakMap(); // payload -> Board: derived arrays live as long as it does

  function prepare(payload) {
    if (payload instanceof Board) return payload;
    if (!boards.has(payload)) boards.set(payload, new Board(payload));
    return boards.get(payload);
  }

  /** The query's fields, Query's default for each one missing (or undefined). */
  function withDefaults(board, query) {
    const q = { ...board.grammar.default_query };
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined) q[name] = value;
    }
    return q;
  }

  // --- search (query.parse_search and query._search_mask) ----------------------------------

  function parseSearch(payload, text) {
    const board = prepare(payload);
    const { search_max_chars: maxChars, search_max_terms: maxTerms } = board.grammar;
    if (typeof text !== "string") {
      throw new QueryError(`The search must be text, not ${typeName(text)}.`);
    }
    const length = text.length > maxChars ? codePointLength(text) : text.length;
    if (length > maxChars) { // before anything else reads it
      throw new QueryError(
        `The search is ${thousands(length)} characters long; a search can be at most ` +
        `${maxChars} characters. Shorten it, or narrow the board with the filters.`);
    }
    checkIsText(text);
    const alternatives = [];
    const seenAlternatives = new Set();
    for (const chunk of text.split(";")) {
      const terms = [];
      const seenTerms = new Set();
      for (const word of splitWords(chunk)) {
        const term = parseTerm(board, word);
        // matching compares lowercased text: terms with one key match the same rows
        const key = JSON.stringify([term.field, board.lower(term.value)]);
        if (!seenTerms.has(key)) {
          seenTerms.add(key);
          terms.push(term);
        }
      }
      const alternativeKey = JSON.stringify([...seenTerms].sort()); // order-blind, as a set
      if (terms.length && !seenAlternatives.has(alternativeKey)) {
        seenAlternatives.add(alternativeKey);
        alternatives.push(terms);
      }
    }
    const count = alternatives.reduce((sum, terms) => sum + terms.length, 0);
    if (count > maxTerms) {
      throw new QueryError(
        `The search has ${count} terms; a search can have at most ${maxTerms} (words and ` +
        "`@field:value` filters, over all `;` alternatives together; repeats count once). " +
        "Remove some, or narrow the board with the filters.");
    }
    return alternatives;
  }

  function parseTerm(board, word) {
    if (!word.startsWith("@")) return { field: null, value: word };
    const limit = board.grammar.quote_chars;
    const rest = word.slice(1);
    const colon = rest.indexOf(":");
    if (colon < 0) {
      throw new QueryError(`\`${quote(word, limit)}\` needs a value, as in \`@license:mit\`.`);
    }
    const name = rest.slice(0, colon);
    const value = rest.slice(colon + 1);
    const field = name.toLowerCase(); // Python's str.lower here, which toLowerCase matches
    const fields = board.grammar.search_fields;
    if (!fields.some((f) => f.name === field)) {
      const known = fields.map((f) => `@${f.name}:`).join(", ");
      throw new QueryError(
        `\`@${quote(name, limit)}:\` is not a field you can search; use ${known}.`);
    }
    if (!value) { // `name` is a known field here: short, safe to quote
      throw new QueryError(`\`@${name}:\` needs a value, as in \`@${field}:...\`.`);
    }
    return { field, value };
  }

  /** Refuse lone surrogates, as Python does (they cannot be UTF-8, so no value holds one). */
  function checkIsText(text) {
    let position = 0;
    for (const char of text) {
      position += 1;
      const code = char.codePointAt(0);
      if (code >= 0xd800 && code <= 0xdfff) {
        const hex = code.toString(16).toUpperCase().padStart(4, "0");
        throw new QueryError(
          `The search holds U+${hex} at character ${position}, which is not a character ` +
          "(a lone surrogate); remove it.");
      }
    }
  }

  /** A test of one term on a row position. */
  function termTest(board, term) {
    const field = board.grammar.search_fields.find((f) => f.name === term.field);
    const [key, exact] = field ? [field.key, field.exact] : [board.grammar.keys.name, false];
    const needle = board.lower(term.value);
    const matches = (value) =>
      value !== null && (exact ? value === needle : value.includes(needle));
    const lowered = board.lowered(key);
    const column = board.column(key);
    if (column.storage === "category") { // test the few categories once, then read codes
      const hits = Uint8Array.from(lowered, (value) => (matches(value) ? 1 : 0));
      const codes = column.codes;
      return (row) => codes[row] >= 0 && hits[codes[row]] === 1;
    }
    return (row) => matches(lowered[row]);
  }

  /** Field terms first (they only read codes), then longer (rarer) words, as query.py. */
  function evaluationOrder(a, b) {
    const field = (a.field === null) - (b.field === null);
    return field || codePointLength(b.value) - codePointLength(a.value);
  }

  /** Which rows the search keeps (1) or null for no search. An alternative reads only the
   * rows the earlier ones left; a term only the rows its alternative still holds. */
  function searchMask(board, text) {
    const alternatives = parseSearch(board, text);
    if (!alternatives.length) return null;
    const mask = new Uint8Array(board.size);
    let unmatched = Array.from({ length: board.size }, (_, row) => row);
    for (const terms of alternatives) {
      let rows = unmatched;
      for (const term of [...terms].sort(evaluationOrder)) {
        rows = rows.filter(termTest(board, term));
        if (!rows.length) break;
      }
      if (rows.length) {
        for (const row of rows) mask[row] = 1;
        unmatched = unmatched.filter((row) => !mask[row]);
        if (!unmatched.length) break;
      }
    }
    return mask;
  }

  // --- filters (query.filter_mask) -----------------------------------------------------------

  /** Rows whose value of a text column is one of `values` (pandas' isin). */
  function inMask(board, key, values) {
    const wanted = new Set(values);
    const column = board.column(key);
    const mask = new Uint8Array(board.size);
    if (column.storage === "category") {
      const hits = column.dictionary.map((value) => wanted.has(value));
      column.codes.forEach((code, row) => { mask[row] = code >= 0 && hits[code] ? 1 : 0; });
    } else {
      column.values.forEach((value, row) => { mask[row] = wanted.has(value) ? 1 : 0; });
    }
    return mask;
  }

  function modelTypeLabels(board, shorts) {
    const types = board.grammar.model_types;
    return shorts.map((short) => {
      const type = types.find((t) => t.short === short);
      if (!type) { // ModelType.from_short's ValueError
        const known = types.map((t) => t.short).join(", ");
        throw new QueryError(`unknown model type ${pyRepr(short)}; known: ${known}`);
      }
      return type.label;
    });
  }

  /** query._size_mask: bounds inclusive; a bucket is (above, up_to]; missing sizes fail. */
  function sizeMask(board, query) {
    const { params_min: min, params_max: max, sizes } = query;
    const ranged = min !== null || max !== null; // a 0 bound is a bound here, as in Python
    if (!ranged && !sizes.length) return null;
    const values = board.numbers(board.grammar.keys.size, true); // bounds compare exact values
    const low = min === null ? -Infinity : min;
    const high = max === null ? Infinity : max;
    const buckets = board.grammar.size_buckets.filter((bucket) => sizes.includes(bucket.key));
    const mask = new Uint8Array(board.size);
    values.forEach((value, row) => {
      const inRange = !ranged || (value >= low && value <= high);
      const inBucket = !sizes.length || buckets.some((bucket) =>
        value > (bucket.above === null ? -Infinity : bucket.above) &&
        value <= (bucket.up_to === null ? Infinity : bucket.up_to));
      mask[row] = inRange && inBucket ? 1 : 0;
    });
    return mask;
  }

  /** Row positions (ascending) the query keeps. */
  function filterRows(payload, query) {
    const board = prepare(payload);
    const q = withDefaults(board, query);
    const keys = board.grammar.keys;
    const masks = [searchMask(board, q.search)];
    if (q.model_types !== null) {
      masks.push(inMask(board, keys.model_type, modelTypeLabels(board, q.model_types)));
    }
    if (q.precisions !== null) masks.push(inMask(board, keys.precision, q.precisions));
    if (q.weight_types !== null) masks.push(inMask(board, keys.weight_type, q.weight_types));
    masks.push(sizeMask(board, q));
    for (const name of q.hide) { // an unknown option hides nothing, as in Python
      const option = board.grammar.hide_options.find((o) => o.name === name);
      if (option) {
        const values = board.column(option.key).values;
        masks.push(Uint8Array.from(values, (value) => (Boolean(value) !== option.when ? 1 : 0)));
      }
    }
    const applied = masks.filter((mask) => mask !== null);
    const rows = [];
    for (let row = 0; row < board.size; row += 1) {
      if (applied.every((mask) => mask[row])) rows.push(row);
    }
    return rows;
  }

  // --- order (run_query's stable sort) ---------------------------------------------------------

  /** `rows` ordered by one column as pandas' `sort_values(kind="stable",
   * na_position="last")`: equal values keep their order in `rows`, in both directions, and
   * missing values come last, in their order. A rounded number column is ordered by (shown
   * value, tie), which is the order of its exact values (see board_payload._ties). */
  function sortRows(payload, rows, key, descending) {
    const board = prepare(payload);
    const values = board.sortKey(key);
    const column = board.column(key);
    const ties = column.ties || null;
    const kept = [];
    const missing = [];
    for (const row of rows) (Number.isNaN(values[row]) ? missing : kept).push(row);
    const sign = descending ? -1 : 1;
    kept.sort((a, b) => sign * (compareNumbers(values[a], values[b]) ||
      (ties ? ties[a] - ties[b] : 0))); // Array sort is stable (ES2019)
    return kept.concat(missing);
  }

  function compareNumbers(a, b) {
    return a < b ? -1 : a > b ? 1 : 0; // not a - b: Infinity - Infinity is NaN
  }

  // --- the whole query (query.run_query) -----------------------------------------------------

  /** Pinned columns, then the chosen ones (default: the visible ones), in the board's order. */
  function visibleColumns(payload, query) {
    const board = prepare(payload);
    const q = withDefaults(board, query);
    const all = board.payload.columns;
    const chosen = new Set(q.columns === null ? all.filter((c) => c.visible).map((c) => c.key)
      : q.columns);
    return all.filter((c) => c.pinned || chosen.has(c.key)).map((c) => c.key);
  }

  function choicesOf(board) {
    const g = board.grammar;
    return {
      type: g.model_types.map((t) => t.short),
      precision: g.precisions,
      weight_type: g.weight_types,
      size: g.size_buckets.map((b) => b.key),
      hide: g.hide_options.map((o) => o.name),
      columns: board.payload.columns.map((c) => c.key),
    };
  }

  /** query.check_choices: refuse filter values no control offers (errors.UnknownNameError). */
  function checkChoices(board, q) {
    const allowed = choicesOf(board);
    const checks = [
      ["model type", q.model_types, allowed.type],
      ["precision", q.precisions, allowed.precision],
      ["weight type", q.weight_types, allowed.weight_type],
      ["size", q.sizes, allowed.size],
      ["hide option", q.hide, allowed.hide],
    ];
    for (const [kind, values, known] of checks) {
      for (const value of values || []) {
        if (!known.includes(value)) {
          const sorted = [...known].sort(compareText);
          const close = closeMatch(value, sorted);
          const hint = close ? ` Did you mean ${pyRepr(close)}?` : "";
          throw new QueryError(
            `Unknown ${kind} ${pyRepr(value)}.${hint} Known: ${sorted.join(", ")}.`);
        }
      }
    }
  }

  /** The rows the query shows, in order (board positions), and its columns' keys. */
  function runQuery(payload, query) {
    const board = prepare(payload);
    const q = withDefaults(board, query);
    if (!board.columns.has(q.sort)) {
      throw new QueryError(
        `Cannot sort by ${pyRepr(String(q.sort))}; choose one of the board's columns.`);
    }
    checkChoices(board, q);
    let rows = filterRows(board, q);
    const initial = board.grammar.default_query;
    if (!(q.sort === initial.sort && q.descending === initial.descending)) {
      rows = sortRows(board, rows, q.sort, q.descending); // boards come sorted the default way
    }
    return { rows, columns: visibleColumns(board, q) };
  }

  // --- URL parameters (query.from_values, strict=False) -------------------------------------

  const PARAMS_HELP = "`params` takes `MIN-MAX` in billions, as in `3-7`, `7-` or `-3`";

  /** Name -> value, the last value of a repeated name at its first place, as Python's
   * `dict(request.query_params)` reads a query string. */
  function paramMap(params) {
    const map = new Map();
    const entries = typeof params === "string" ? new URLSearchParams(params).entries()
      : typeof params.entries === "function" ? params.entries() : Object.entries(params);
    for (const [name, value] of entries) map.set(String(name), value);
    return map;
  }

  /** The Query a shared link describes: its good values kept, the others listed in
   * `ignored` with the reason Python gives. */
  function fromParams(payload, params) {
    const board = prepare(payload);
    const g = board.grammar;
    const limit = g.quote_chars;
    const values = paramMap(params || {});
    const ignored = [];
    for (const name of values.keys()) {
      if (!g.query_names.includes(name) && !g.other_names.includes(name) &&
        !name.startsWith("__")) {
        ignored.push(
          `\`${quote(name, limit)}\` is not a query parameter; use ${g.query_names.join(", ")}.`);
      }
    }
    const allowed = choicesOf(board);
    const choices = (name) => readChoices(name, values.get(name), allowed[name], ignored, limit);
    const query = { ...g.default_query };
    query.model_types = allIsNone(choices("type"), allowed.type);
    query.precisions = allIsNone(choices("precision"), allowed.precision);
    query.weight_types = allIsNone(choices("weight_type"), allowed.weight_type);
    [query.params_min, query.params_max] = readParams(values.get("params"), ignored, limit);
    query.columns = readColumns(board, values.get("columns"), ignored, limit);
    [query.sort, query.descending] = readSort(board, values.get("sort"), ignored, limit);
    query.search = strip(text(values.get("search")) || "");
    try {
      parseSearch(board, query.search); // a search that cannot run is left out, as the rest
    } catch (error) {
      ignored.push(error.message);
      query.search = "";
    }
    query.sizes = choices("size") || [];
    query.hide = choices("hide") || [];
    return { query, ignored };
  }

  /** A parameter's value as text (a list reads as its comma-separated items). */
  function text(value) {
    return value === null || value === undefined ? null : String(value);
  }

  /** Comma-separated items, stripped, empty ones dropped (null: not given). */
  function items(raw) {
    const value = text(raw);
    return value === null ? null : value.split(",").map(strip).filter((item) => item !== "");
  }

  function notAccepted(name, value, accepted, limit, note = "") {
    const close = closeMatch(value.replace(/^-+/, ""), accepted);
    const hint = close ? ` Did you mean \`${close}\`?` : "";
    return `\`${name}\` cannot be \`${quote(value, limit)}\`; accepted: ` +
      `${accepted.join(", ")}${note}.${hint}`;
  }

  function readChoices(name, raw, allowed, ignored, limit) {
    const given = items(raw);
    if (given === null) return null;
    for (const item of given) {
      if (!allowed.includes(item)) ignored.push(notAccepted(name, item, allowed, limit));
    }
    return allowed.filter((value) => given.includes(value)); // in the controls' order
  }

  function allIsNone(chosen, allowed) {
    return chosen !== null && chosen.length === allowed.length ? null : chosen;
  }

  function readParams(raw, ignored, limit) {
    const value = text(raw);
    if (value === null || value === "") return [null, null];
    const dash = value.indexOf("-");
    if (dash < 0) {
      ignored.push(`${PARAMS_HELP}, not \`${quote(value, limit)}\`.`);
      return [null, null];
    }
    const bounds = [strip(value.slice(0, dash)), strip(value.slice(dash + 1))];
    const read = [];
    for (const bound of bounds) {
      const number = readBound(bound);
      if (number === undefined) {
        ignored.push(`${PARAMS_HELP}: \`${quote(bound, limit)}\` is not a size.`);
        return [null, null];
      }
      read.push(number);
    }
    const [low, high] = read;
    if (low !== null && high !== null && low > high) {
      ignored.push(
        `${PARAMS_HELP}: the minimum ${formatG(low)} is above the maximum ${formatG(high)}.`);
      return [null, null];
    }
    return read;
  }

  // Python's float() of text: digits with single underscores between them, an optional
  // point and exponent; or inf, infinity, nan (refused below as not finite).
  const DIGITS = "\\d(?:_?\\d)*";
  const FLOAT = new RegExp(
    `^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);
  const NOT_FINITE = /^[+-]?(?:inf|infinity|nan)$/i;

  /** query._bound: null for no bound (empty or 0), undefined for what is not a finite size
   * from 0 up, else the number. */
  function readBound(bound) {
    if (bound === "") return null;
    const ascii = asciiDigits(bound);
    if (NOT_FINITE.test(ascii) || !FLOAT.test(ascii)) return undefined;
    const value = Number(ascii.replaceAll("_", ""));
    if (!Number.isFinite(value) || value < 0) return undefined;
    return value === 0 ? null : value;
  }

  /** Python's float() reads any decimal digit (`٣` is 3). Unicode encodes each decimal
   * digit set as a run of ten, 0 to 9, so a digit's value is its place in its run. */
  function asciiDigits(bound) {
    return bound.replace(/\p{Nd}/gu, (digit) => {
      let code = digit.codePointAt(0);
      let place = 0;
      while (/\p{Nd}/u.test(String.fromCodePoint(code - 1))) {
        code -= 1;
        place += 1;
      }
      return String(place % 10);
    });
  }

  function readColumns(board, raw, ignored, limit) {
    const given = items(raw);
    if (given === null) return null;
    const all = board.payload.columns;
    const byName = new Map();
    for (const column of all) { // str.lower, which toLowerCase matches
      byName.set(column.key.toLowerCase(), column.key);
      byName.set(column.label.toLowerCase(), column.key);
    }
    const chosen = new Set();
    for (const item of given) {
      const key = byName.get(item.toLowerCase());
      if (key === undefined) {
        ignored.push(notAccepted("columns", item, all.map((c) => c.key), limit));
      } else {
        chosen.add(key);
      }
    }
    const keys = all.filter((c) => chosen.has(c.key) && !c.pinned).map((c) => c.key);
    const defaults = all.filter((c) => c.visible && !c.pinned).map((c) => c.key);
    return keys.join("\n") === defaults.join("\n") ? null : keys;
  }

  function readSort(board, raw, ignored, limit) {
    const initial = board.grammar.default_query;
    const value = text(raw);
    if (value === null || value === "") return [initial.sort, initial.descending];
    const descending = value.startsWith("-");
    const name = strip(value.replace(/^-+/, "")).toLowerCase();
    for (const column of board.payload.columns) {
      if (name === column.key.toLowerCase() || name === column.label.toLowerCase()) {
        return [column.key, descending];
      }
    }
    const known = board.payload.columns.map((c) => c.key);
    ignored.push(notAccepted("sort", value.replace(/^-+/, ""), known, limit,
      " (`-` before one: descending)"));
    return [initial.sort, initial.descending];
  }

  global.BoardQuery = {
    parseSearch,
    filterRows,
    sortRows,
    runQuery,
    fromParams,
    visibleColumns,
    prepare,
    QueryError,
    // what the agreement test compares with Python, character by character
    text: {
      lower: (payload, value) => prepare(payload).lower(value),
      splitWords,
      strip,
      quote,
      repr: pyRepr,
      formatG,
      closeMatch,
    },
  };
})(typeof window !== "undefined" ? window : globalThis);
