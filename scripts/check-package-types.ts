import { execFileSync } from 'node:child_process';

// npm run check:package: @arethetypeswrong/cli on the packed tarball, for the resolution modes the
// package supports (README, Requirements: ESM through node16/nodenext or a bundler). attw's
// `--profile esm-only` hides node10 and node16-from-CJS rows but still fails on a problem it files
// under node10 without a resolution kind (the `#signature` import, which node10 cannot read), so the
// JSON report is filtered here by resolution instead; any other problem fails the check.
const UNSUPPORTED = new Set(['node10', 'node16-cjs']);

interface Problem {
  readonly kind: string;
  readonly entrypoint?: string;
  readonly resolutionKind?: string;
  readonly resolutionOption?: string;
  readonly fileName?: string;
}

// The table, for the log; its exit code is not the verdict (see above).
try {
  execFileSync('attw', ['--pack', '.', '--profile', 'esm-only'], { stdio: 'inherit' });
} catch {}

let output: string;
try {
  output = execFileSync('attw', ['--pack', '.', '--format', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
} catch (error) {
  // attw exits 1 whenever it finds any problem; its report is on stdout all the same.
  output = (error as { stdout?: string }).stdout ?? '';
}
const report = JSON.parse(output) as { analysis: { problems: Problem[] } };
const problems = report.analysis.problems.filter(
  (problem) => !UNSUPPORTED.has(problem.resolutionKind ?? problem.resolutionOption ?? ''),
);
const ignored = report.analysis.problems.length - problems.length;
for (const problem of problems) {
  console.error(
    `attw: ${problem.kind} in ${problem.entrypoint ?? problem.fileName ?? '?'} (${problem.resolutionKind ?? problem.resolutionOption ?? 'all resolutions'})`,
  );
}
console.log(
  `attw: ${problems.length} problem(s) for node16 (ESM) and bundler; ${ignored} under node10 and node16-from-CJS, which the package does not support`,
);
process.exitCode = problems.length === 0 ? 0 : 1;
