import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { MicroResult } from './micro.js';

/**
 * The cold-path chart shown in the README: every verifier's tokens per second as a share of raw
 * node:crypto `verify` (the bars are the micro table's last column), per algorithm and concurrency.
 * `npm run bench` draws it from the results it writes; `npx tsx bench/chart.ts` redraws it from the
 * newest results file in bench/results/ that has micro results. Nothing in it is typed by hand.
 */

/** The subjects drawn, in order, with their bar colours. */
const SERIES: readonly { readonly subject: string; readonly colour: string }[] = [
  { subject: 'tokenwarden verify(), cold (cache off)', colour: '#1f6feb' },
  { subject: 'aws-jwt-verify (cached JWKS)', colour: '#f0883e' },
  { subject: 'fast-jwt (cache off)', colour: '#8957e5' },
  { subject: 'jose.jwtVerify (local JWKS)', colour: '#3fb950' },
  { subject: 'crypto.subtle.verify', colour: '#8b949e' },
];

const WIDTH = 760;
const LABEL_WIDTH = 150;
const BAR_HEIGHT = 11;
const GROUP_GAP = 14;
const TOP = 58;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The chart as SVG text, from one run's micro results; `caption` says when and where it ran. */
export function drawChart(micro: readonly MicroResult[], caption: string): string {
  const groups = [...new Set(micro.map((r) => `${r.alg}\u0000${r.concurrency}`))].map((key) => {
    const [alg, concurrency] = key.split('\u0000') as [string, string];
    return micro.filter((r) => r.alg === alg && String(r.concurrency) === concurrency);
  });
  const largest = Math.max(1.2, ...micro.filter(isDrawn).map((r) => r.ratioToFloor));
  const scale = (WIDTH - LABEL_WIDTH - 60) / largest;
  const groupHeight = SERIES.length * BAR_HEIGHT + GROUP_GAP;
  const height = TOP + groups.length * groupHeight + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">Cold path: distinct tokens, tokens/s as a share of raw node:crypto verify (higher is better)</text>`,
    `<text x="10" y="34" fill="#57606a">${escapeXml(caption)}</text>`,
  ];
  const legend = SERIES.map(({ subject, colour }, index) => {
    const x = LABEL_WIDTH + (index % 3) * 200;
    const y = height - 26 + Math.floor(index / 3) * 14;
    return `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${colour}"/><text x="${x + 14}" y="${y}">${escapeXml(subject)}</text>`;
  });
  const floorX = LABEL_WIDTH + scale;
  groups.forEach((group, index) => {
    const y = TOP + index * groupHeight;
    const first = group[0] as MicroResult;
    parts.push(
      `<text x="10" y="${y + (SERIES.length * BAR_HEIGHT) / 2 + 4}" font-weight="bold">${first.alg}, ${first.concurrency} in flight</text>`,
    );
    SERIES.forEach(({ subject, colour }, row) => {
      const result = group.find((r) => r.subject === subject);
      if (result === undefined) return;
      const barY = y + row * BAR_HEIGHT;
      const width = Math.max(1, result.ratioToFloor * scale);
      parts.push(
        `<rect x="${LABEL_WIDTH}" y="${barY}" width="${width.toFixed(1)}" height="${BAR_HEIGHT - 2}" fill="${colour}"/>`,
        `<text x="${(LABEL_WIDTH + width + 4).toFixed(1)}" y="${barY + BAR_HEIGHT - 3}">${result.ratioToFloor.toFixed(2)}</text>`,
      );
    });
  });
  parts.push(
    `<line x1="${floorX.toFixed(1)}" y1="${TOP - 6}" x2="${floorX.toFixed(1)}" y2="${TOP + groups.length * groupHeight - GROUP_GAP + 4}" stroke="#cf222e" stroke-dasharray="4 3"/>`,
    `<text x="${(floorX + 4).toFixed(1)}" y="${TOP - 8}" fill="#cf222e">1.00 = node:crypto verify</text>`,
    ...legend,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

function isDrawn(result: MicroResult): boolean {
  return SERIES.some((series) => series.subject === result.subject);
}

/** Where the chart is written, beside the results it is drawn from. */
export const CHART_FILE = new URL('./results/cold-path.svg', import.meta.url);

/** The caption of a results file: its date, machine and load. */
export function captionOf(run: {
  date: string;
  machine: { cores: number; cpu: string; node: string; loadAverageAtStart: number[] };
}): string {
  return (
    `${run.date.slice(0, 10)}, ${run.machine.cores} × ${run.machine.cpu}, Node ${run.machine.node}, ` +
    `load average ${run.machine.loadAverageAtStart[0]} at start; ratios within one run only`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const directory = new URL('./results/', import.meta.url);
  const newest = readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ name, run: JSON.parse(readFileSync(new URL(name, directory), 'utf8')) }))
    .filter(({ run }) => Array.isArray(run.micro) && run.micro.some((r: MicroResult) => 'concurrency' in r))
    .sort((a, b) => String(a.run.date).localeCompare(String(b.run.date)))
    .at(-1);
  if (newest === undefined)
    throw new Error('no results with micro rows in bench/results/: run npm run bench');
  writeFileSync(CHART_FILE, drawChart(newest.run.micro, captionOf(newest.run)));
  console.log(`drew bench/results/cold-path.svg from ${newest.name}`);
}
