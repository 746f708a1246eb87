// autocannon ships no type declarations; these cover the part of its programmatic API the bench uses.
declare module 'autocannon' {
  /** The raw request autocannon is about to send; `setupRequest` returns a changed copy. */
  export interface RawRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }

  /** One step of the request sequence each connection loops over. */
  export interface RequestStep extends RawRequest {
    setupRequest?: (request: RawRequest) => RawRequest;
  }

  /** Options of a run (the subset used here). */
  export interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /**
     * Milliseconds between samples [1000]. A run only ends at a sample, so a run shorter than a
     * second needs a shorter interval.
     */
    sampleInt?: number;
    headers?: Record<string, string>;
    requests?: RequestStep[];
    /** Seconds before a request counts as timed out. */
    timeout?: number;
  }

  /** A histogram summary; latency in whole milliseconds, requests in requests per second. */
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }

  /** The result of a run (the subset used here). */
  export interface Result {
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    latency: Histogram;
    requests: Histogram;
  }

  /** A running load test; resolves with its result. */
  export interface Instance extends PromiseLike<Result> {
    /** Each response, with its latency in (fractional) milliseconds. */
    on(
      event: 'response',
      listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void,
    ): this;
  }

  /** Starts a load test. */
  function autocannon(options: Options): Instance;
  export default autocannon;
}
