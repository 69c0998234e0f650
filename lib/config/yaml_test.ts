import assert from "node:assert/strict";
import {
  MAX_YAML_DEPTH,
  parseYaml,
  type YamlErrorCode,
  type YamlList,
  type YamlMap,
  type YamlNode,
  YamlSyntaxError,
} from "./yaml.ts";

/** The tree as plain data: scalars as strings, lists as arrays, mappings as [key, value] pairs. */
type Plain = string | Plain[] | { map: [Plain, Plain][] };

function plain(node: YamlNode): Plain {
  if (node.kind === "scalar") return node.value;
  if (node.kind === "list") return node.items.map(plain);
  return { map: node.pairs.map((p) => [plain(p.key), plain(p.value)]) };
}

function reads(text: string): Plain {
  const root = parseYaml(text);
  assert.ok(root !== null, text);
  return plain(root);
}

const map = (...pairs: [Plain, Plain][]): Plain => ({ map: pairs });

/** Asserts that `text` is refused with `code` at line:column, and returns the error. */
function refuses(
  text: string,
  code: YamlErrorCode,
  line: number,
  column: number,
  part: string | RegExp = "",
): YamlSyntaxError {
  let error: unknown;
  try {
    parseYaml(text);
  } catch (e) {
    error = e;
  }
  assert.ok(
    error instanceof YamlSyntaxError,
    `expected a YamlSyntaxError for ${JSON.stringify(text)}`,
  );
  assert.equal(error.code, code, error.message);
  assert.deepEqual([error.mark.line, error.mark.column], [line, column], error.message);
  if (typeof part === "string") assert.ok(error.reason.includes(part), error.message);
  else assert.match(error.reason, part);
  return error;
}

Deno.test("parseYaml() reads a twemproxy pool", () => {
  assert.deepEqual(
    reads(
      "# top\nalpha:  # pool\n  listen: 127.0.0.1:22121\n  hash: fnv1a_64 # hash\n" +
        "  servers:\n    - 127.0.0.1:6379:1 one\n\n    - /tmp/r.sock:1\n",
    ),
    map([
      "alpha",
      map(["listen", "127.0.0.1:22121"], ["hash", "fnv1a_64"], [
        "servers",
        ["127.0.0.1:6379:1 one", "/tmp/r.sock:1"],
      ]),
    ]),
  );
});

Deno.test("parseYaml() gives each node its line and column", () => {
  const root = parseYaml(
    "alpha:\n  listen: 127.0.0.1:22121\n  servers:\n  - a\n  -   b\n",
  ) as YamlMap;
  assert.deepEqual([root.line, root.column, root.offset], [1, 1, 0]);
  const pool = root.pairs[0]!.value as YamlMap;
  assert.deepEqual([pool.line, pool.column], [2, 3]);
  const listen = pool.pairs[0]!;
  assert.deepEqual([listen.key.line, listen.key.column], [2, 3]);
  assert.deepEqual([listen.value.line, listen.value.column], [2, 11]);
  const servers = pool.pairs[1]!.value as YamlList;
  assert.deepEqual([servers.line, servers.column], [4, 3]);
  assert.deepEqual(servers.items.map((i) => [i.line, i.column]), [[4, 5], [5, 7]]);
});

Deno.test("parseYaml() places an empty value after its indicator", () => {
  const root = parseYaml("a:\n  hash:\n  servers:\n    - \n    - x\n") as YamlMap;
  const pool = root.pairs[0]!.value as YamlMap;
  assert.deepEqual(plain(pool), map(["hash", ""], ["servers", ["", "x"]]));
  const hash = pool.pairs[0]!.value;
  assert.deepEqual([hash.line, hash.column], [2, 8]);
  const empty = (pool.pairs[1]!.value as YamlList).items[0]!;
  assert.deepEqual([empty.line, empty.column], [4, 7]);
});

Deno.test("parseYaml() reads nothing from blank lines and comments", () => {
  for (const text of ["", "\n\n", "# c\n  # d\n", "\ufeff", "   "]) {
    assert.equal(parseYaml(text), null, JSON.stringify(text));
  }
});

Deno.test("parseYaml() reads plain scalars as libyaml does", () => {
  const value = (text: string) => (reads(`k: ${text}\n`) as { map: [Plain, Plain][] }).map[0]![1];
  assert.equal(value("127.0.0.1:6379:1 name"), "127.0.0.1:6379:1 name");
  assert.equal(value("a#b # comment"), "a#b");
  assert.equal(value("a  b\t c   "), "a  b\t c");
  assert.equal(value("-1"), "-1");
  assert.equal(value("?x"), "?x");
  assert.equal(value(":x"), ":x");
  assert.equal(value("a{b}[c],d"), "a{b}[c],d");
  assert.equal(value("a%b"), "a%b");
  // Continued on more-indented lines: one line break folds to a space, n breaks to n-1 newlines.
  assert.deepEqual(reads("k: a\n  b\n   c\n"), map(["k", "a b c"]));
  assert.deepEqual(reads("k: a\n\n  b\n"), map(["k", "a\nb"]));
  assert.deepEqual(reads("k:\n  a\n  b\nj: c\n"), map(["k", "a b"], ["j", "c"]));
  assert.deepEqual(reads("- a\n  b\n- c\n"), ["a b", "c"]);
  assert.deepEqual(reads("a\nb\n"), "a b");
});

Deno.test("parseYaml() reads quoted scalars with YAML 1.1 escapes", () => {
  const value = (text: string) => (reads(`k: ${text}\n`) as { map: [Plain, Plain][] }).map[0]![1];
  assert.equal(value("'it''s # not a comment'"), "it's # not a comment");
  assert.equal(value('"a: b"'), "a: b");
  assert.equal(value('""'), "");
  assert.equal(value("''"), "");
  assert.equal(
    value('"\\0\\a\\b\\t\\\t\\n\\v\\f\\r\\e\\ \\"\\/\\\\\\N\\_\\L\\P"'),
    '\0\x07\b\t\t\n\v\f\r\x1b "/\\\x85\xa0\u2028\u2029',
  );
  assert.equal(value('"\\x41\\u00e9\\U0001F600"'), "A\u00e9\u{1F600}");
  assert.equal(value('"a\n    b"'), "a b");
  assert.equal(value('"a  \n\n  b"'), "a\nb");
  assert.equal(value('"a\\\n    b"'), "ab");
  assert.equal(value('"a\\\n\n  b"'), "a\nb");
  assert.equal(value("'a\nb'"), "a b", "libyaml does not check a quoted scalar's indentation");
  assert.equal(value('"a" # comment'), "a");
  assert.equal(value('"a"# comment'), "a", "libyaml needs no space before the #");
  assert.deepEqual(reads("'a b': 1\n\"c\"\t: 2\n"), map(["a b", "1"], ["c", "2"]));
});

Deno.test("parseYaml() reads block scalars with chomping and indentation indicators", () => {
  const value = (text: string) =>
    (reads(`k: ${text}j: x\n`) as { map: [Plain, Plain][] }).map[0]![1];
  assert.equal(value("|\n  a\n   b\n\n"), "a\n b\n");
  assert.equal(value("|-\n  a\n\n"), "a");
  assert.equal(value("|+\n  a\n\n"), "a\n\n");
  assert.equal(value(">\n  a\n  b\n\n  c\n"), "a b\nc\n");
  assert.equal(value(">\n  a\n   b\n  c\n"), "a\n b\nc\n");
  assert.equal(value("|1\n   a\n"), "  a\n");
  assert.equal(value("|2-\n   a\n"), " a");
  assert.equal(value("|-2\n   a\n"), " a");
  assert.equal(value("| # comment\n  a\tb\n"), "a\tb\n");
  assert.equal(value("|\n"), "");
  assert.deepEqual(reads("- |\n  a\n- b\n"), ["a\n", "b"]);
  assert.deepEqual(reads("k: |\n  a"), map(["k", "a"]), "no line end at the end of the file");
});

Deno.test("parseYaml() reads block collections in their compact and indentless forms", () => {
  assert.deepEqual(reads("k:\n- a\n- b\nj: c\n"), map(["k", ["a", "b"]], ["j", "c"]));
  assert.deepEqual(reads("- - a\n  - b\n- c\n"), [["a", "b"], "c"]);
  assert.deepEqual(reads("- a: 1\n  b: 2\n- c\n"), [map(["a", "1"], ["b", "2"]), "c"]);
  assert.deepEqual(reads("-\n  a\n-\n- # c\n  b\n"), ["a", "", "b"]);
  assert.deepEqual(reads("? k\n: v\n? j\n"), map(["k", "v"], ["j", ""]));
  assert.deepEqual(reads("? k\n:\n  - v\n"), map(["k", ["v"]]));
  assert.deepEqual(reads("? - a\n: v\n"), map([["a"], "v"]));
  assert.deepEqual(reads(": v\n"), map(["", "v"]));
  assert.deepEqual(reads("k: 1\nk: 2\n"), map(["k", "1"], ["k", "2"]), "duplicates are kept");
  assert.deepEqual(reads("  a:\n    b: 1\n  c: 2\n"), map(["a", map(["b", "1"])], ["c", "2"]));
  assert.deepEqual(reads("a   :\tx\n"), map(["a", "x"]));
});

Deno.test("parseYaml() reads CRLF, CR and a BOM", () => {
  const text = "a:\n  b: c d\n  l:\n    - x\n    - 'y\n      z'\n";
  const expected = reads(text);
  assert.deepEqual(reads(text.replaceAll("\n", "\r\n")), expected);
  assert.deepEqual(reads(text.replaceAll("\n", "\r")), expected);
  assert.deepEqual(reads("\ufeff" + text.replaceAll("\n", "\r\n")), expected);
  const root = parseYaml("\ufeffa: b\r\nc: d\r\n") as YamlMap;
  assert.deepEqual([root.pairs[0]!.key.column, root.pairs[1]!.key.line], [1, 2]);
});

Deno.test("parseYaml() allows tabs where libyaml does", () => {
  assert.deepEqual(reads("a:\tb\t# c\nd\t: e\t\n"), map(["a", "b"], ["d", "e"]));
  assert.deepEqual(reads("l:\n  - a\tb\n"), map(["l", ["a\tb"]]));
  assert.deepEqual(reads("k: a\n   \tb\n"), map(["k", "a b"]));
});

Deno.test("parseYaml() refuses tabs where libyaml does", () => {
  refuses("a:\n\tb: c\n", "syntax", 2, 1, "Tabs are not allowed as indentation");
  refuses("a:\n  \tb: c\n", "syntax", 2, 3, "Tabs");
  refuses("a: b\n\t\nc: d\n", "syntax", 2, 1, "Tabs");
  refuses("a: 'b'\n  \t# c\n", "syntax", 2, 3, "Tabs");
  refuses("-\tb\n", "syntax", 1, 2, "a tab after '-'");
  refuses("- \tb\n", "syntax", 1, 3, "a tab after '-'");
  refuses("?\tb\n", "syntax", 1, 2, "a tab after '?'");
  refuses("k: |\n\ta\n", "syntax", 2, 1, "Tabs");
  refuses("a:\n  k: b\n \tc\n", "syntax", 3, 2, "Tabs");
});

Deno.test("parseYaml() refuses what nutcracker refuses, naming the token and the keys around it", () => {
  assert.deepEqual(refuses("a:\n  b: &x c\n", "anchor", 2, 6).path, ["a", "b"]);
  assert.equal(refuses("a:\n  b: &anchor c\n", "anchor", 2, 6).reason, "&anchor");
  assert.deepEqual(refuses("a:\n  &x b: c\n", "anchor", 2, 3).path, ["a"]);
  assert.equal(refuses("a:\n  l:\n    - *s\n", "alias", 3, 7).reason, "*s");
  assert.equal(refuses("a: !!str b\n", "tag", 1, 4).reason, "!!str");
  assert.equal(refuses("a: !x b\n", "tag", 1, 4).reason, "!x");
  assert.deepEqual(refuses("a:\n  l: [b]\n", "flow-list", 2, 6).path, ["a", "l"]);
  assert.deepEqual(refuses("a: {b: c}\n", "flow-map", 1, 4).path, ["a"]);
  refuses("l:\n  - [a]\n", "flow-list", 2, 5);
  refuses("---\na: b\n", "document-start", 1, 1);
  refuses("--- a\n", "document-start", 1, 1);
  refuses("a: b\n...\n", "document-end", 2, 1);
  refuses("a: b\n---\nc: d\n", "documents", 2, 1);
  refuses("a: b\n---\n", "documents", 2, 1);
  refuses("%YAML 1.1\n---\na: b\n", "directive", 1, 1);
  refuses("\ufeff---\n", "document-start", 1, 1);
  refuses("a: 'b\n--- c'\n", "syntax", 2, 1, "document marker inside the quoted value");
  // Not markers: '---' inside a line or followed by text, '%' inside a value.
  assert.deepEqual(
    reads("a: ---\nb: --x\nc: a%b\n---x: 1\n"),
    map(["a", "---"], ["b", "--x"], [
      "c",
      "a%b",
    ], ["---x", "1"]),
  );
});

Deno.test("parseYaml() refuses malformed YAML at the offending character", () => {
  refuses("a: b: c\n", "syntax", 1, 5, "': ' inside a value");
  refuses("a: b:\n", "syntax", 1, 5, "': ' inside a value");
  refuses("a: 'b': c\n", "syntax", 1, 7, "': ' inside a value");
  refuses("a:\n  b: 1\n c: 2\n", "syntax", 3, 2, "indented by 1 space, which lines up with no key");
  refuses("a:\n    b: 1\n  c: 2\n", "syntax", 3, 3, "(those are indented by 0 or 4)");
  refuses("a: b\n  c: d\n", "syntax", 2, 4, "': ' inside a value");
  refuses("a: 'b'\n  c\n", "syntax", 2, 3, "indented by 2 spaces");
  refuses("a:\n  b: 1\n  c\n", "syntax", 3, 3, "a key without ': '");
  refuses("a:\n  b\n  c: 1\n", "syntax", 2, 3, "a key and its ':' must be on one line");
  refuses("a: - b\n", "syntax", 1, 4, "a '- ' list cannot start on the line of its key");
  refuses("a: ? b\n", "syntax", 1, 4, "'? ' key");
  refuses("- a\nb: c\n", "syntax", 2, 1, "a line where a '- ' item of the list is expected");
  refuses("a: 1\n- b\n", "syntax", 2, 1, "a '- ' list item where a key");
  refuses("a: 'b\n", "syntax", 1, 4, "not closed");
  refuses('a: "b\\q"\n', "syntax", 1, 6, "unknown escape '\\q'");
  refuses('a: "\\x4"\n', "syntax", 1, 5, "needs 2 hexadecimal digits");
  refuses('a: "\\ud800"\n', "syntax", 1, 5, "not a Unicode character");
  refuses("a: 'b' c\n", "syntax", 1, 8, "unexpected text after the closing quote");
  refuses("a: |x\n  b\n", "syntax", 1, 5, "after the block scalar indicator");
  refuses("a: |0\n  b\n", "syntax", 1, 5, "cannot be 0");
  refuses(`${"k".repeat(1025)}: v\n`, "syntax", 1, 1, "1025 characters long, over the 1024");
  for (const c of [",", "]", "}", "%", "@", "`"]) {
    refuses(`a: ${c}b\n`, "syntax", 1, 4, `cannot start with '${c}'`);
  }
});

Deno.test("parseYaml() reads 200,000 list items in one pass", () => {
  const lines = ["big:", "  servers:"];
  for (let i = 0; i < 200_000; i++) {
    lines.push(`    - 10.0.${i >> 8 & 255}.${i & 255}:6379:1 s${i}`);
  }
  const root = parseYaml(lines.join("\n") + "\n") as YamlMap;
  const servers = (root.pairs[0]!.value as YamlMap).pairs[0]!.value as YamlList;
  assert.equal(servers.items.length, 200_000);
  const last = servers.items[199_999]!;
  assert.equal(last.kind === "scalar" && last.value, "10.0.13.63:6379:1 s199999");
  assert.equal(last.line, 200_002);
});

Deno.test("parseYaml() refuses nesting over MAX_YAML_DEPTH levels, not with a stack overflow", () => {
  const ok = "- ".repeat(MAX_YAML_DEPTH) + "x\n";
  assert.equal(JSON.stringify(reads(ok)).split("[").length - 1, MAX_YAML_DEPTH);
  refuses("- ".repeat(30_000) + "x\n", "syntax", 1, 2 * MAX_YAML_DEPTH + 1, "nested over");
  const lines = Array.from({ length: 100 }, (_, i) => `${" ".repeat(i)}k${i}:`);
  refuses(lines.join("\n") + "\n", "syntax", MAX_YAML_DEPTH + 1, MAX_YAML_DEPTH + 1, "nested over");
  refuses("? ".repeat(30_000) + "x\n", "syntax", 1, 2 * MAX_YAML_DEPTH + 1, "nested over");
});
