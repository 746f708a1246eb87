import { readFileSync } from 'node:fs';
import { summaryHttpTable, summaryMicroTable } from './report.js';

// npx tsx bench/summary.ts [results file…]: the README's summary tables, printed from saved results
// (default: today's full run), so no number in them is typed by hand.
const files = process.argv.slice(2);
if (files.length === 0) files.push(`bench/results/${new Date().toISOString().slice(0, 10)}.json`);
for (const file of files) {
  const run = JSON.parse(readFileSync(file, 'utf8'));
  const load = `load average ${run.machine.loadAverageAtStart[0]} at start, ${run.machine.loadAverageAtEnd[0]} at end`;
  console.log(
    `## ${file}: ${run.date}, ${run.machine.cores} × ${run.machine.cpu}, Node ${run.machine.node}, ${load}\n`,
  );
  if (Array.isArray(run.micro)) console.log(`${summaryMicroTable(run.micro)}\n`);
  if (Array.isArray(run.http)) console.log(`${summaryHttpTable(run.http)}\n`);
}
