import { hang, hugeBody, reply, resetMidBody, slowDrip, type FaultHandler } from "./fault-server.js";

/** The member a PHONE request gets for a fault, as a user sees it. */
export interface Expected {
  __typename: "ProviderUnavailable" | "UnexpectedProviderResponse";
  providerCode: string | null;
  retryable: boolean;
}

/** One way an upstream misbehaves, and what the subgraph answers for it. */
export interface FaultScenario {
  name: string;
  handler: FaultHandler;
  expected: Expected;
}

const unavailable = (providerCode: string | null): Expected => ({
  __typename: "ProviderUnavailable",
  providerCode,
  retryable: true,
});
const unexpected = (providerCode: string): Expected => ({
  __typename: "UnexpectedProviderResponse",
  providerCode,
  retryable: false,
});

const TEN_MEGABYTES = 10 * 1024 * 1024;

/** An upstream that answers with what it was sent (headers and body): what reaches the logs then? */
function echo(status: number, asJson: boolean): FaultHandler {
  return (res, req, body) => {
    const text = asJson
      ? JSON.stringify({ youSent: safeJson(body), headers: req.headers })
      : `<html><body><pre>${JSON.stringify(req.headers)}\n${body}</pre></body></html>`;
    res.writeHead(status, { "content-type": asJson ? "application/json" : "text/html" });
    res.end(text);
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Every fault the suite injects, with the PHONE member it maps to. */
export const FAULT_SCENARIOS: readonly FaultScenario[] = [
  { name: "hang with no bytes", handler: hang, expected: unavailable(null) },
  { name: "slow drip past the timeout", handler: slowDrip(50), expected: unavailable("200") },
  { name: "reset mid-body", handler: resetMidBody, expected: unavailable("200") },
  {
    name: "HTML 502",
    handler: reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", {
      "content-type": "text/html",
    }),
    expected: unavailable("502"),
  },
  {
    name: "malformed JSON",
    handler: reply(200, '{"success":true,"message":"ok","data":{"otp":482913'),
    expected: unexpected("200"),
  },
  { name: "empty body", handler: reply(200, ""), expected: unexpected("200") },
  {
    name: "10 MB body, length declared",
    handler: hugeBody(TEN_MEGABYTES, true),
    expected: unexpected("200"),
  },
  { name: "10 MB body, streamed", handler: hugeBody(TEN_MEGABYTES, false), expected: unexpected("200") },
  {
    name: "undocumented 418",
    handler: reply(418, { success: false, message: "I'm a teapot" }),
    expected: unexpected("418"),
  },
  {
    name: "undocumented 503",
    handler: reply(503, { error: "maintenance" }, { "retry-after": "120" }),
    expected: unavailable("503"),
  },
  {
    name: "undocumented 200 shape",
    handler: reply(200, { success: "yes", data: { otp: 771234 } }),
    expected: unexpected("200"),
  },
  {
    name: "redirect",
    handler: reply(302, "", { location: "/auth/otp/elsewhere" }),
    expected: unexpected("302"),
  },
  { name: "request echoed as JSON", handler: echo(200, true), expected: unexpected("200") },
  { name: "request echoed in an HTML 500", handler: echo(500, false), expected: unavailable("500") },
];
