/**
 * The floor: `node:http` + `undici.request` making the same upstream call and answering the same JSON,
 * with no GraphQL at all. Nothing can be faster than this for the same exchange.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";

const upstream = `${process.env.PHONE_BASE_URL ?? ""}/auth/otp/request`;

const server = createServer((req, res) => {
  if (req.method !== "POST") {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    void (async () => {
      const { variables } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        variables: { input: { phone: { phone: string } } };
      };
      const phone = variables.input.phone;
      const reply = await request(upstream, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(phone),
      });
      const body = (await reply.body.json()) as { message: string; data?: { otp?: number } };
      const answer = JSON.stringify({
        data: {
          requestOtp: {
            __typename: "OtpSent",
            challenge: {
              id: randomUUID(),
              destinationHint: phone.phone.slice(-4),
              devOtp: String(body.data?.otp ?? ""),
              providerMessage: body.message,
            },
          },
        },
      });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
      res.end(answer);
    })();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${String((server.address() as AddressInfo).port)}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
