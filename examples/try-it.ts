/**
 * Ask the running subgraph for a PHONE OTP with the typed client and print what the screen would do next.
 *   npm start          (in one terminal: the subgraph in sandbox mode on http://localhost:4001/graphql)
 *   npm run example    (in another: runs `npm run codegen` first, then this, against that endpoint)
 *   npm run example -- http://localhost:4000/graphql   (another endpoint, e.g. your gateway or router)
 */
import { GraphQLRequestError, nextStep, requestOtp } from "./request-otp.js";

const endpoint = process.argv[2] ?? "http://localhost:4001/graphql";
try {
  const result = await requestOtp(endpoint, {
    input: { phone: { phone: "+919876543210", country: "IN", deviceId: "device-1" } },
  });
  process.stdout.write(`${result.__typename}: ${JSON.stringify(nextStep(result))}\n`);
} catch (error) {
  const why =
    error instanceof GraphQLRequestError ? `${error.code ?? "error"}: ${error.message}` : String(error);
  process.stderr.write(`requestOtp at ${endpoint} failed (${why}); is \`npm start\` running?\n`);
  process.exitCode = 1;
}
