import { pino, type Logger } from "pino";

/**
 * Paths that may hold secrets or personal data, removed by configuration rather than by care at each call.
 * A log line never carries an OTP, a password, an Aadhaar number, a client secret or a token.
 */
export const REDACTED_PATHS = [
  "password",
  "*.password",
  "otp",
  "*.otp",
  "devOtp",
  "*.devOtp",
  "ovdData",
  "*.ovdData",
  "clientSecret",
  "*.clientSecret",
  "accessToken",
  "*.accessToken",
  "apiToken",
  "*.apiToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
  'headers["client_secret"]',
  "phone",
  "*.phone",
  "customerMobileNumber",
  "*.customerMobileNumber",
];

/** The process's structured JSON logger. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: undefined, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } },
    destination,
  );
}
