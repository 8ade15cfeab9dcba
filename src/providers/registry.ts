/**
 * The providers, as one list. Everything else is derived from it: the `OtpProvider` enum and the
 * `RequestOtpInput` members (`src/graphql/`), the settings (`src/config.ts`), the adapters (here), the docs' tables
 * (`scripts/docs.ts`), the sandbox (`src/sandbox/`) and the keys the logs redact (`src/log.ts`).
 * Adding a provider is a module under `src/providers/<id>/` and one line here (README: "Adding a provider").
 */
// Before the providers' GraphQL input classes are decorated.
import "reflect-metadata";
import type { ProviderAdapter, ProviderAdapters } from "../otp/ports.js";
import type { ProviderDescriptor } from "./descriptor.js";
import { dmt } from "./dmt/index.js";
import { gst } from "./gst/index.js";
import type { UpstreamClient } from "./http-client.js";
import { itr } from "./itr/index.js";
import { paytm } from "./paytm/index.js";
import { phone } from "./phone/index.js";

/** Every provider, in the contract's order. */
export const PROVIDERS = [gst, itr, dmt, paytm, phone] as const satisfies readonly ProviderDescriptor[];

/** The same list, each provider seen through the descriptor interface (its own types forgotten). */
const DESCRIPTORS: readonly ProviderDescriptor[] = PROVIDERS;

type Provider = (typeof PROVIDERS)[number];
export type ProviderId = Provider["id"];

/** The provider ids, in the contract's order (the `OtpProvider` enum). */
export const PROVIDER_IDS: readonly ProviderId[] = PROVIDERS.map((provider) => provider.id);

/** Each configured provider's settings, as its environment variables give them. */
export type ProviderSettings = {
  readonly [P in Provider as P["id"]]?: Parameters<P["createAdapter"]>[0];
};

/**
 * One adapter for each provider that has settings, by its descriptor's id (the one key the use case looks it up
 * by); the others answer "not configured". Each gets a client of its own from `clientFor`, so a breaker or an
 * in-flight cap never spans two providers.
 */
export function createAdapters(
  settings: ProviderSettings,
  clientFor: (provider: ProviderId) => UpstreamClient,
): ProviderAdapters {
  const own: Readonly<Record<string, unknown>> = settings;
  return new Map(
    DESCRIPTORS.flatMap((provider): [ProviderId, ProviderAdapter][] => {
      const values = own[provider.id];
      const id = provider.id as ProviderId;
      return values === undefined ? [] : [[id, provider.createAdapter(values, clientFor(id))]];
    }),
  );
}

/** The field names every provider marks as secret or personal, its secret settings' fields included. */
export const PROVIDER_SENSITIVE_FIELDS: readonly string[] = DESCRIPTORS.flatMap((provider) => [
  ...provider.sensitiveFields,
  ...Object.values(provider.settings).flatMap((variable) => (variable.secret ? [variable.field] : [])),
]);

/** The field names secret only in what providers send back. */
export const PROVIDER_SENSITIVE_REPLY_FIELDS: readonly string[] = DESCRIPTORS.flatMap(
  (provider) => provider.sensitiveReplyFields ?? [],
);
