// Type-checks every ```ts / ```typescript block of README.md and docs/**/*.md under the project's strict
// settings, with `tokenwarden` and its subpaths resolved to the sources (the `tokenwarden-source`
// condition). Each block becomes its own module in .doc-snippets/ and all of them form one program.
// Two info-string words change that: ```ts continued adds the block to the module of the page's
// previous checked block (one program shown in parts), and ```ts ignore leaves a block out (a
// fragment that cannot be made complete, said so in the text beside it).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.doc-snippets');

/** One module to check: a block, and the blocks marked `continued` after it. */
interface Snippet {
  /** The Markdown file, relative to the repository root. */
  source: string;
  /** 1-based line of the first block's first code line in the Markdown file. */
  firstLine: number;
  /** Where each block starts: its 0-based line in the module and its 1-based line in the Markdown file. */
  parts: { moduleLine: number; markdownLine: number }[];
  lines: string[];
  blocks: number;
}

function markdownLineOf(snippet: Snippet, moduleLine: number): number {
  const part = snippet.parts.findLast((candidate) => candidate.moduleLine <= moduleLine);
  return (part?.markdownLine ?? snippet.firstLine) + moduleLine - (part?.moduleLine ?? 0);
}

function markdownFiles(): string[] {
  const files = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  return files.sort();
}

const fence = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;

function snippetsOf(source: string): Snippet[] {
  const lines = readFileSync(join(root, source), 'utf8').split(/\r?\n/);
  const snippets: Snippet[] = [];
  let open: { marker: string; checked: boolean; continued: boolean; start: number } | undefined;
  for (const [index, line] of lines.entries()) {
    const match = fence.exec(line);
    if (open === undefined) {
      if (match === null) continue;
      const [, marker = '', language = '', rest = ''] = match;
      const checked = (language === 'ts' || language === 'typescript') && !/\bignore\b/.test(rest);
      open = { marker, checked, continued: /\bcontinued\b/.test(rest), start: index + 1 };
    } else if (match?.[1]?.startsWith(open.marker) && match[2] === '' && match[3] === '') {
      if (open.checked) {
        const code = lines.slice(open.start, index);
        const previous = snippets.at(-1);
        if (open.continued && previous !== undefined) {
          previous.parts.push({ moduleLine: previous.lines.length, markdownLine: open.start + 1 });
          previous.lines.push(...code);
          previous.blocks += 1;
        } else {
          const parts = [{ moduleLine: 0, markdownLine: open.start + 1 }];
          snippets.push({ source, firstLine: open.start + 1, parts, lines: code, blocks: 1 });
        }
      }
      open = undefined;
    }
  }
  return snippets;
}

const started = performance.now();
const snippets = markdownFiles().flatMap(snippetsOf);
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const bySnippetFile = new Map<string, Snippet>();
for (const snippet of snippets) {
  const name = `${snippet.source.replace(/\.md$/, '').replaceAll('/', '__')}.L${snippet.firstLine}.ts`;
  const file = join(outDir, name);
  // `export {}` makes every block a module of its own: its names do not clash with other blocks',
  // and top-level await is allowed.
  writeFileSync(file, `${snippet.lines.join('\n')}\nexport {};\n`);
  bySnippetFile.set(file, snippet);
}

const configPath = join(root, 'tsconfig.json');
const config = ts.readConfigFile(configPath, ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, { noEmit: true }, configPath);
const program = ts.createProgram({ rootNames: [...bySnippetFile.keys()], options: parsed.options });

const reports: { source: string; line: number; text: string }[] = [];
for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const file = diagnostic.file;
  const snippet = file === undefined ? undefined : bySnippetFile.get(resolve(file.fileName));
  if (file === undefined || diagnostic.start === undefined) {
    reports.push({ source: '', line: 0, text: `error TS${diagnostic.code}: ${message}` });
    continue;
  }
  const { line, character } = file.getLineAndCharacterOfPosition(diagnostic.start);
  // An error inside the sources a block imports is reported where it is.
  const source = snippet === undefined ? relative(root, file.fileName) : snippet.source;
  const markdownLine = snippet === undefined ? line + 1 : markdownLineOf(snippet, line);
  reports.push({
    source,
    line: markdownLine,
    text: `${source}:${markdownLine}:${character + 1} - error TS${diagnostic.code}: ${message}`,
  });
}
reports.sort((a, b) => a.source.localeCompare(b.source) || a.line - b.line);
for (const report of reports) console.error(report.text);
const failures = reports.length;

const seconds = ((performance.now() - started) / 1000).toFixed(1);
const files = new Set(snippets.map((snippet) => snippet.source)).size;
const blocks = snippets.reduce((sum, snippet) => sum + snippet.blocks, 0);
console.log(
  `doc snippets: ${blocks} blocks (${snippets.length} modules) in ${files} files, ${failures} error${failures === 1 ? '' : 's'} (${seconds} s)`,
);
if (failures > 0) process.exitCode = 1;
