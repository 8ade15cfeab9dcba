import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { freePort } from "../helpers/ports.js";

const [ephemeralFrom] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
  .trim()
  .split(/\s+/)
  .map(Number);

describe("the tests' own ports (test/helpers/ports.ts)", () => {
  it("are never handed out twice in one process, and lie below the ephemeral range", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 60; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port).toBeLessThan(ephemeralFrom ?? 32_768);
  });
});
