import type { LimitPolicy } from "../../src/otp/limits.js";

/** The contract's default limits (live mode), written out independently of `src/settings.ts`. */
export const DEFAULT_LIMITS: LimitPolicy = {
  cooldownSeconds: 30,
  maxPerDestinationPerHour: 5,
  maxPerDevicePerHour: 10,
  maxPerIpPerHour: 30,
  maxPerRangePerHour: 20,
  rangeSuffixDigits: 3,
  maxPerProviderPerHour: 0,
  maxPerCountryPerHour: 0,
};

/** Every local limit off (a cap of 0 is no cap), for tests of something else. */
export const NO_LIMITS: LimitPolicy = {
  cooldownSeconds: 0,
  maxPerDestinationPerHour: 0,
  maxPerDevicePerHour: 0,
  maxPerIpPerHour: 0,
  maxPerRangePerHour: 0,
  rangeSuffixDigits: 3,
  maxPerProviderPerHour: 0,
  maxPerCountryPerHour: 0,
};
