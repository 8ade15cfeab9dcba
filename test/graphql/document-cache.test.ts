import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { DocumentCache, documentBytes, MAX_KEPT_DOCUMENT_CHARS } from "../../src/graphql/document-cache.js";

const documentOf = (index: number) => parse(`query Q${index} { a${index}: __typename }`);

describe("the parsed-document cache", () => {
  it("counts an entry's source and nodes, and drops the least recently used past its bound", async () => {
    const one = documentBytes(documentOf(0));
    // Four entries' room: the fifth drops the least recently used (1, since 0 was read since).
    const cache = new DocumentCache(4 * one + 3);
    for (const index of [0, 1, 2, 3]) await cache.set(`k${index}`, documentOf(index));
    expect(await cache.get("k0")).toBeDefined();
    await cache.set("k4", documentOf(4));
    expect(await cache.get("k1")).toBeUndefined();
    for (const key of ["k0", "k2", "k3", "k4"]) expect(await cache.get(key)).toBeDefined();
    expect(cache.bytes).toBeLessThanOrEqual(4 * one + 3);
  });

  it("keeps the order of use when the most recent entry is read again, or removed", async () => {
    const one = documentBytes(documentOf(0));
    const cache = new DocumentCache(3 * one + 2);
    for (const index of [0, 1, 2]) await cache.set(`k${index}`, documentOf(index));
    await cache.get("k2");
    await cache.get("k0");
    await cache.get("k0");
    // Used order: 1, 2, 0. Removing 0 and reading 1 makes it 2, 1; two more entries drop 2.
    await cache.delete("k0");
    await cache.get("k1");
    await cache.set("k3", documentOf(3));
    await cache.set("k4", documentOf(4));
    expect(await cache.get("k2")).toBeUndefined();
    for (const key of ["k1", "k3", "k4"]) expect(await cache.get(key)).toBeDefined();
  });

  it("counts what a comment-padded document keeps: its source", () => {
    const padded = parse(`# ${"x".repeat(3000)}\n{ __typename }`);
    expect(documentBytes(padded)).toBeGreaterThan(3000);
  });

  it("keeps no document with a long text", async () => {
    const cache = new DocumentCache();
    await cache.set("long", parse(`# ${"x".repeat(MAX_KEPT_DOCUMENT_CHARS)}\n{ __typename }`));
    expect(await cache.get("long")).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });
});
