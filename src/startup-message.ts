import { LIMIT_DEFAULTS, type Config } from "./config.js";

/** A request anyone can paste into a shell: a PHONE OTP, answered by the sandbox with its `devOtp`. */
export function exampleCurl(endpoint: string): string {
  const body = {
    query:
      "mutation ($input: RequestOtpInput!) { requestOtp(input: $input) { __typename " +
      "... on OtpSent { challenge { id destinationHint devOtp } } ... on OtpError { message retryable } } }",
    variables: { input: { phone: { phone: "+919876543210", country: "IN", deviceId: "device-1" } } },
  };
  return `curl -s ${endpoint} -H 'content-type: application/json' -d '${JSON.stringify(body)}'`;
}

/**
 * What `npm start` prints once it listens: where GraphQL is, where Apollo Sandbox opens (outside production), a
 * request to paste, and in sandbox mode which local limits were relaxed.
 */
export function startupMessage(config: Config, address: string): string {
  // A browser cannot open 0.0.0.0 or [::]; the same port answers on localhost.
  const origin = address.replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\])(?=:)/, "$1localhost");
  const endpoint = `${origin}/graphql`;
  const lines = [`OTP subgraph (${config.mode}) listening on ${endpoint}`];
  if (config.mode === "live") {
    const every = config.host === "0.0.0.0" || config.host === "::";
    lines.push(
      `  bound to ${config.host}${every ? " (every interface; HOST=127.0.0.1 or an address binds one)" : ""}`,
    );
  }
  if (config.mode === "sandbox") {
    lines.push(
      "  sandbox: built-in fakes of every provider answer; OtpSent shows devOtp; see README.md#sandbox",
    );
    if (config.relaxedLimits.length > 0) {
      const relaxed = config.relaxedLimits.map((name) => `${name}=${LIMIT_DEFAULTS[name].sandbox}`);
      lines.push(`  relaxed local limits for the sandbox (set them to change): ${relaxed.join(", ")}`);
    }
  }
  if (config.introspection && !config.production) {
    lines.push(`  Apollo Sandbox: open ${endpoint} in a browser`);
  }
  if (config.mode === "sandbox") lines.push(`  try: ${exampleCurl(endpoint)}`);
  return `${lines.join("\n")}\n`;
}

/** Why the server could not listen, in one line naming the setting to change; null for any other failure. */
export function listenProblem(error: unknown, config: Pick<Config, "port" | "host">): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const where = `${config.host}:${String(config.port)}`;
  if (code === "EADDRINUSE") {
    return `PORT ${String(config.port)} is taken (${where} is in use): stop what listens there, or set PORT to a free port (e.g. PORT=4002).`;
  }
  if (code === "EACCES") {
    return `PORT ${String(config.port)} needs privileges this process lacks (${where}): set PORT to 1024 or above.`;
  }
  if (code === "EADDRNOTAVAIL") {
    return `HOST ${config.host} is not an address of this machine: set HOST to one of its addresses (0.0.0.0 for all).`;
  }
  return null;
}
