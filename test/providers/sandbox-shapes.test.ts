/**
 * The sandbox fakes answer in the seeds' shapes: ITR's `detail` an object (the document shows `"detail": {}`), GST's
 * missing-route 404 an HTML page (not a JSON-encoded string).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGstSandbox } from "../../src/providers/gst/sandbox.js";
import { ITR_PATH } from "../../src/providers/itr/adapter.js";
import { itr as itrProvider } from "../../src/providers/itr/index.js";
import { ITR_MAGIC, ITR_SANDBOX_API_TOKEN } from "../../src/providers/itr/sandbox.js";
import { startFake, type RunningFake } from "../../src/sandbox/fake-server.js";

describe("the sandbox fakes, in the seeds' shapes", () => {
  let gst: RunningFake;
  let itr: RunningFake;
  beforeAll(async () => {
    gst = await startFake(createGstSandbox());
    itr = await startFake(itrProvider.sandbox.fake);
  });
  afterAll(async () => {
    await gst.close();
    await itr.close();
  });

  it("GST answers a path it does not have with an HTML page, as a web server does", async () => {
    const response = await fetch(`${gst.url}/no/such/path`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("text/html");
    expect(await response.text()).toBe("Cannot POST /no/such/path");
  });

  it("ITR's 400 detail is an object keyed by the field it names, as the document shows", async () => {
    const post = (json: unknown) =>
      fetch(`${itr.url}${ITR_PATH}`, {
        method: "POST",
        headers: { authorization: `Bearer ${ITR_SANDBOX_API_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(json),
      });
    const missing = await post({ pan: "ABCPE1234F" });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      detail: { password: "Field required" },
      message: "Validation error",
    });
    const wrong = await post({ pan: "ABCPE1234F", password: ITR_MAGIC.wrongPassword });
    expect(await wrong.json()).toMatchObject({ detail: { password: "Incorrect password" } });
  });
});
