import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_FIELDS, MAX_TOKENS } from "../../src/graphql/document-limits.js";
import { post } from "../helpers/client.js";
import { rawRequest, statusOf } from "../helpers/raw-http.js";
import { startCapturedApp, type CapturedApp } from "../observability/capture.js";

/** Small, so that a GET's document can be over it within node's 16 KB request line. */
const MAX_DOCUMENT_BYTES = 8192;
const TOO_LARGE = `The document is larger than ${MAX_DOCUMENT_BYTES} bytes, the most this subgraph parses.`;
const TOO_MANY_FIELDS = `{ ${"__typename ".repeat(MAX_FIELDS + 100)}}`;
/** A value that must never reach a log line, in the variables and the URL. */
const SECRET = "hunter2-in-the-url";

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function get(url: string, search: string, headers: Record<string, string> = {}): Promise<Answer> {
  // Apollo Server's CSRF prevention wants a GET to say it is no simple request.
  const response = await fetch(`${url}?${search}`, {
    headers: { "apollo-require-preflight": "true", ...headers },
  });
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

const firstError = (answer: Answer) => answer.body.errors?.[0];

describe("one gate for every document, however it comes", () => {
  let app: CapturedApp;
  beforeAll(async () => {
    app = await startCapturedApp({ OTP_MAX_DOCUMENT_BYTES: String(MAX_DOCUMENT_BYTES), LOG_LEVEL: "trace" });
  });
  afterAll(() => app.close());

  const padded = `# ${"x".repeat(MAX_DOCUMENT_BYTES)}\n{ __typename }`;

  it("refuses a document over the size bound before parsing, over POST and GET alike", async () => {
    const posted = await post(app.url, { query: padded });
    const got = await get(app.url, new URLSearchParams({ query: padded }).toString());
    for (const answer of [posted, got]) {
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({ errors: [{ message: TOO_LARGE, extensions: { code: "BAD_REQUEST" } }] });
    }
    // Multi-byte characters count as their UTF-8 bytes.
    const wide = `# ${"é".repeat(MAX_DOCUMENT_BYTES / 2)}\n{ __typename }`;
    expect(wide.length).toBeLessThan(MAX_DOCUMENT_BYTES);
    expect((await post(app.url, { query: wide })).status).toBe(413);
    expect((await post(app.url, { query: "# a comment under the bound\n{ __typename }" })).body).toEqual({
      data: { __typename: "Query" },
    });
  });

  it("stops the parser at the token bound within the size bound", async () => {
    const answer = await post(app.url, { query: `{ ${"a ".repeat(MAX_TOKENS)}}` });
    expect(firstError(answer)?.message).toMatch(/^Syntax Error: Document contains more th\w+ 1000 tokens/);
  });

  it.each([
    ["percent-encoded", (query: string) => new URLSearchParams({ query }).toString()],
    ["with an encoded parameter name", (query: string) => `%71uery=${encodeURIComponent(query)}`],
    ["with spaces as +", (query: string) => `query=${encodeURIComponent(query).replace(/%20/g, "+")}`],
    ["after other parameters", (query: string) => `a=1&b&query=${encodeURIComponent(query)}&c=2`],
  ])("applies the document bounds to a GET %s as to a POST", async (_name, search) => {
    const posted = await post(app.url, { query: TOO_MANY_FIELDS });
    const got = await get(app.url, search(TOO_MANY_FIELDS));
    expect(firstError(posted)?.message).toMatch(/^The operation selects 400 fields/);
    expect(got.body).toEqual(posted.body);
    // The same encoding of a document within the bounds runs.
    expect((await get(app.url, search("{ __typename }"))).body).toEqual({ data: { __typename: "Query" } });
  });

  it.each([
    [
      "a repeated query parameter",
      `query=${encodeURIComponent("{ __typename }")}&query=${encodeURIComponent(TOO_MANY_FIELDS)}`,
    ],
    [
      "a repeated, encoded query parameter",
      `query=%7B__typename%7D&%71uery=${encodeURIComponent(TOO_MANY_FIELDS)}`,
    ],
  ])("refuses %s (never skipped)", async (_name, search) => {
    const answer = await get(app.url, search);
    expect(answer.status).toBe(400);
    expect(firstError(answer)?.extensions?.code).toBe("BAD_REQUEST");
    expect(answer.body.data).toBeUndefined();
  });

  it("refuses a raw # in the request target, whatever follows it", async () => {
    const { port } = new URL(app.url);
    for (const target of [
      `/graphql?query=${encodeURIComponent(TOO_MANY_FIELDS)}#`,
      `/graphql?query=%7B__typename%7D#&query=${encodeURIComponent(TOO_MANY_FIELDS)}`,
      `/graphql?#query=${encodeURIComponent(TOO_MANY_FIELDS)}`,
    ]) {
      const answer = await rawRequest(
        app.origin,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
      );
      expect(statusOf(answer)).toBe(400);
      expect(answer).not.toContain('"data"');
    }
  });

  it("has no automatic persisted queries: a hash neither registers nor runs a document", async () => {
    const query = "{ __typename }";
    const sha256Hash = createHash("sha256").update(query).digest("hex");
    const persistedQuery = { version: 1, sha256Hash };
    const register = await post(app.url, { query, extensions: { persistedQuery } });
    const byHash = await get(app.url, `extensions=${encodeURIComponent(JSON.stringify({ persistedQuery }))}`);
    for (const answer of [register, byHash]) {
      expect(firstError(answer)?.extensions?.code).toBe("PERSISTED_QUERY_NOT_SUPPORTED");
      expect(answer.body.data).toBeUndefined();
    }
  });

  it("answers _service once per operation", async () => {
    const once = await post<{ _service: { sdl: string } }>(app.url, { query: "{ _service { sdl } }" });
    expect(once.body.data?._service.sdl).toContain("requestOtp");
    const aliases = Array.from({ length: 150 }, (_, index) => `s${index}: _service { sdl }`).join(" ");
    const many = await post(app.url, { query: `{ ${aliases} }` });
    expect(many.body).toEqual({
      errors: [
        expect.objectContaining({
          message: "At most one _service per operation; this one has 150.",
          extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
        }),
      ],
    });
    const throughFragments = await post(app.url, {
      query:
        "{ ...A ...B } fragment A on Query { _service { sdl } } fragment B on Query { b: _service { sdl } }",
    });
    expect(firstError(throughFragments)?.message).toBe("At most one _service per operation; this one has 2.");
  });

  it("answers a subscription as the client's error, and logs no error with its document", async () => {
    const before = app.lines().length;
    const answer = await post(app.url, {
      query: `subscription { __typename } # \u001b[31m${SECRET}\u202e`,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      errors: [
        expect.objectContaining({
          message: "This subgraph does not serve subscription operations.",
          extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
        }),
      ],
    });
    const logged = app.raw.slice(before);
    expect(
      app
        .lines()
        .slice(before)
        .filter((line) => line.level >= 50),
    ).toEqual([]);
    expect(logged.join("")).not.toContain(SECRET);
  });

  it.each(["GET", "POST", "OPTIONS", "DELETE"])(
    "answers %s with a malformed Host 400, logging nothing of the URL",
    async (method) => {
      const before = app.raw.length;
      const variables = encodeURIComponent(JSON.stringify({ password: SECRET }));
      for (const host of ["exa mple", "[::1", "a/b", "x@y", "h:port"]) {
        const answer = await rawRequest(
          app.origin,
          `${method} /graphql?query=%7B__typename%7D&variables=${variables}&p=${SECRET} HTTP/1.1\r\n` +
            `Host: ${host}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
        );
        expect(statusOf(answer)).toBe(400);
        expect(answer).toContain('"BAD_REQUEST"');
      }
      expect(app.raw.slice(before).join("")).not.toContain(SECRET);
    },
  );

  it("answers a malformed request line 400, logging nothing of it", async () => {
    const before = app.raw.length;
    for (const line of [
      `GET /graphql?p=${SECRET} HTTP/1.1 extra`,
      `GET /graphql?p=${SECRET}\u0001 HTTP/1.1`,
      `G@T /graphql?p=${SECRET} HTTP/1.1`,
      `GET /graphql?p=${SECRET} HTTP/9.9`,
    ]) {
      const answer = await rawRequest(app.origin, `${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(statusOf(answer)).toBeGreaterThanOrEqual(400);
      expect(statusOf(answer)).toBeLessThan(500);
    }
    expect(app.raw.slice(before).join("")).not.toContain(SECRET);
  });

  it("still serves a well-formed GET", async () => {
    expect(await get(app.url, "query=%7B__typename%7D")).toEqual({
      status: 200,
      body: { data: { __typename: "Query" } },
    });
  });
});
