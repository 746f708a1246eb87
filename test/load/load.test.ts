import { describe, expect, it } from 'vitest';
import { LOAD_FRAMEWORKS, type LoadFramework, type LoadReport, runLoadScenario } from './load-scenario.js';

/** About 2 000 requests in all: six phases per framework, two frameworks. */
const REQUESTS_PER_PHASE = 170;

describe.each(Object.keys(LOAD_FRAMEWORKS) as LoadFramework[])(
  'load (short run): the %s example under a token mix while keys rotate and the key server restarts',
  (framework) => {
    let report: LoadReport;

    it('answers every request of every phase with its expected status, without transport errors', {
      timeout: 120_000,
    }, async () => {
      report = await runLoadScenario({ framework, requestsPerPhase: REQUESTS_PER_PHASE });
      // Reported, not asserted: the machine is shared with other test runs.
      console.info(
        `${framework}: ${report.totalRequests} requests, event-loop delay max ${report.eventLoopMaxMs.toFixed(1)} ms, ` +
          `heap ${report.heapMb.start.toFixed(0)} -> ${report.heapMb.peak.toFixed(0)} MB`,
      );
      for (const phase of report.phases) {
        expect({ phase: phase.name, unexpected: phase.unexpected }).toEqual({
          phase: phase.name,
          unexpected: {},
        });
        expect(phase.requests).toBe(REQUESTS_PER_PHASE);
        expect(phase.transportErrors).toBe(0);
      }
      expect(report.passed).toBe(true);
    });

    it('gives no 5xx other than the intended 503 once no usable key set remains', () => {
      expect(report.phases.map((phase) => phase.unintendedServerErrors)).toEqual(report.phases.map(() => 0));
      const intended = report.phases.find((phase) => phase.name.includes('intended 503'));
      expect(intended?.statuses.valid).toEqual({ 503: expect.any(Number) });
    });

    it('keeps valid tokens at 200 through both rotations, the outage within stale-if-error and the restart', () => {
      const served = report.phases.filter((phase) => !phase.name.includes('intended 503'));
      expect(served).toHaveLength(5);
      for (const phase of served) expect(Object.keys(phase.statuses.valid ?? {})).toEqual(['200']);
      const withdrawn = report.phases.find((phase) => phase.name.includes('withdrawn'));
      expect(Object.keys(withdrawn?.statuses['withdrawn-key'] ?? {})).toEqual(['401']);
    });
  },
);
