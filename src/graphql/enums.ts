/** The schema's enums, built from the constants that define their values once. */
import { registerEnumType } from "type-graphql";
import { RATE_LIMIT_SOURCES } from "../otp/model.js";
import { PROVIDERS, type ProviderId } from "../providers/registry.js";

/** A GraphQL enum object (`{ NAME: "NAME" }`) of `names`. */
function enumOf<Name extends string>(names: readonly Name[]): { [N in Name]: N } {
  return Object.fromEntries(names.map((name) => [name, name])) as { [N in Name]: N };
}

/** The providers, as the schema names them: the registry's ids, in its order. */
export const OtpProvider = enumOf<ProviderId>(PROVIDERS.map((provider) => provider.id));
registerEnumType(OtpProvider, {
  name: "OtpProvider",
  description: "A provider that can send a one-time password.",
  valuesConfig: Object.fromEntries(PROVIDERS.map(({ id, description }) => [id, { description }])),
});

/** Who refused a request for being too frequent. */
export const RateLimitSource = enumOf(RATE_LIMIT_SOURCES);
registerEnumType(RateLimitSource, {
  name: "RateLimitSource",
  description: "Who refused the request for being too frequent.",
  valuesConfig: {
    LOCAL_POLICY: {
      description: "This service's own limits (cooldown, hourly caps per destination, device or IP).",
    },
    PROVIDER: { description: "The provider's limits." },
  },
});
