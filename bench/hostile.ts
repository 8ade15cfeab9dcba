/**
 * Hostile documents against a running subgraph: how long each takes to be answered, and how long `/healthz` waits
 * when it is asked right behind one, as ratios to a plain request (medians of `repeats`). Every send carries a
 * fresh comment, so no document is answered from a cache.
 */
import { HOSTILE_DOCUMENTS, HOSTILE_VARIABLES } from "./hostile-documents.js";

/** A small, ordinary operation: what a hostile document is compared with. */
const PLAIN = '{ otpChallenge(id: "plain") { id } }';

export interface HostileTiming {
  document: string;
  /** Median milliseconds until the hostile document was answered. */
  ms: number;
  /** Median milliseconds `/healthz` took, asked as soon as the hostile document was sent. */
  healthzMs: number;
}

export interface HostileResult {
  plainMs: number;
  documents: HostileTiming[];
  worst: HostileTiming;
  /** The worst document's time over a plain request's. */
  worstVsPlain: number;
  /** The longest `/healthz` wait behind a hostile document, over a plain request's time. */
  healthzVsPlain: number;
}

let sequence = 0;

async function timed(request: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const response = await request();
  await response.arrayBuffer();
  return performance.now() - started;
}

function post(origin: string, query: string): Promise<Response> {
  sequence += 1;
  return fetch(`${origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `# ${sequence}\n${query}`, variables: HOSTILE_VARIABLES }),
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Time every hostile document against the subgraph at `port`. */
export async function timeHostileDocuments(port: number, repeats = 15): Promise<HostileResult> {
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < repeats; i++) await timed(() => post(origin, PLAIN));
  const plain: number[] = [];
  for (let i = 0; i < repeats * 2; i++) plain.push(await timed(() => post(origin, PLAIN)));
  const plainMs = median(plain);

  const documents: HostileTiming[] = [];
  for (const [document, query] of Object.entries(HOSTILE_DOCUMENTS)) {
    const times: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const hostile = timed(() => post(origin, query));
      // Asked right behind it: the event loop answers it only once the hostile document lets go.
      const healthz = timed(() => fetch(`${origin}/healthz`));
      const [ms, healthzMs] = await Promise.all([hostile, healthz]);
      times.push(ms);
      waits.push(healthzMs);
    }
    documents.push({ document, ms: round(median(times)), healthzMs: round(median(waits)) });
  }
  const worst = documents.reduce((a, b) => (b.ms > a.ms ? b : a));
  const longestWait = Math.max(...documents.map((timing) => timing.healthzMs));
  return {
    plainMs: round(plainMs),
    documents,
    worst,
    worstVsPlain: round(worst.ms / plainMs),
    healthzVsPlain: round(longestWait / plainMs),
  };
}
