import { createVerifier, type TokenwardenEvent, type Verifier, type VerifierOptions } from 'tokenwarden';

/** A verifier built from `options`, with every event it reports collected in `events`. */
export function verifierWithEvents(options: VerifierOptions): {
  readonly verifier: Verifier;
  readonly events: TokenwardenEvent[];
} {
  const events: TokenwardenEvent[] = [];
  const verifier = createVerifier({ ...options, onEvent: (event) => events.push(event) });
  return { verifier, events };
}
