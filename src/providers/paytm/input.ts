/** The `paytm` member of `RequestOtpInput`: its GraphQL input type, and its validation into the request. */
import { Field, InputType } from "type-graphql";
import type { Parsed } from "../../otp/ports.js";
import type { FieldErrors } from "../../otp/field-errors.js";
import type { ProviderBinding } from "../binding.js";
import type { Fields } from "../descriptor.js";
import { normaliseIndianMobile } from "../../otp/validators/indian-mobile.js";
import type { PaytmRequest } from "./adapter.js";

/** The only `locale` the document lists, and the default. */
export const PAYTM_LOCALE = "en-IN";

@InputType({ description: "Ask Paytm to send a sign-in OTP." })
export class PaytmOtpInput {
  @Field(() => String, {
    description: "The user's Indian mobile number; `+91`, `0`, spaces and dashes are accepted.",
  })
  phone!: string;

  @Field(() => String, {
    description: "The device: Android ID, iOS identifierForVendor, or a cookie-bound id on the web.",
  })
  deviceIdentifier!: string;

  @Field(() => [String], {
    nullable: true,
    description: "The Paytm scopes to ask for; defaults to the server's configured scopes.",
  })
  scopes?: string[] | null;

  @Field(() => String, { nullable: true, description: "The app's hash, for reading the SMS automatically." })
  autoReadHash?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The language and zone; Paytm documents "en-IN" (the default).',
  })
  locale?: string | null;
}

/** The `paytm` input as it arrives. */
export type PaytmOtpFields = Fields<PaytmOtpInput>;

const LIMITS = {
  phone: 32,
  deviceIdentifier: 256,
  scopes: 16,
  scope: 64,
  autoReadHash: 64,
  locale: 16,
};

/** Header values must be printable ASCII, or the HTTP client refuses to send them. */
const HEADER_SAFE = /^[\x20-\x7e]+$/;

/**
 * Validate a Paytm input: an Indian mobile, a device identifier, scopes (the input's, each one of
 * `allowedScopes`, else all of them), `en-IN` as the only locale; every string capped. Reports every failing field
 * at once. Scopes are shared by Paytm with this service, so one outside `PAYTM_SCOPES` is the caller's mistake,
 * refused here rather than sent for Paytm to answer BE1425005 (which would read as our credentials failing).
 */
export function parsePaytmInput(
  provider: ProviderBinding,
  input: PaytmOtpFields,
  allowedScopes: readonly string[],
): Parsed<PaytmRequest> {
  const errors = provider.fieldErrors();

  const rawPhone = errors.text("phone", input.phone, { max: LIMITS.phone, required: true });
  const phone = rawPhone ? normaliseIndianMobile(rawPhone) : null;
  if (rawPhone && !phone) errors.add("phone", "Not an Indian mobile number (10 digits starting 6–9).");

  const deviceIdentifier = errors.text("deviceIdentifier", input.deviceIdentifier, {
    max: LIMITS.deviceIdentifier,
    required: true,
  });
  if (deviceIdentifier && !HEADER_SAFE.test(deviceIdentifier)) {
    errors.add("deviceIdentifier", "Printable ASCII characters only.");
  }

  const scopes = parseScopes(errors, input.scopes, allowedScopes);

  const autoReadHash = errors.text("autoReadHash", input.autoReadHash, { max: LIMITS.autoReadHash });
  if (autoReadHash && !/^[\x21-\x7e]+$/.test(autoReadHash)) {
    errors.add("autoReadHash", "Printable ASCII characters only, no spaces.");
  }

  const locale = errors.text("locale", input.locale, { max: LIMITS.locale });
  if (locale && locale.toLowerCase() !== PAYTM_LOCALE.toLowerCase()) {
    errors.add("locale", `Paytm documents only ${PAYTM_LOCALE}.`);
  }

  return errors.result(() => ({
    body: { phone: phone ?? "", scopes },
    deviceIdentifier: deviceIdentifier ?? "",
    autoReadHash: autoReadHash ?? null,
    locale: PAYTM_LOCALE,
  }));
}

function parseScopes(
  errors: FieldErrors,
  scopes: readonly string[] | null | undefined,
  allowedScopes: readonly string[],
): string[] {
  if (scopes === null || scopes === undefined) {
    if (allowedScopes.length === 0) errors.add("scopes", "Required: this server has no default scopes.");
    return [...allowedScopes];
  }
  if (scopes.length === 0)
    errors.add("scopes", "At least one scope, or none given for the server's default.");
  if (scopes.length > LIMITS.scopes) {
    errors.add("scopes", `At most ${LIMITS.scopes} scopes.`);
    return [];
  }
  const checked = scopes.flatMap((scope, index) => {
    const text = errors.text(`scopes.${index}`, scope, { max: LIMITS.scope, required: true });
    return text ? [text] : [];
  });
  if (checked.some((scope) => !allowedScopes.includes(scope))) {
    errors.add(
      "scopes",
      `Only the scopes this server has from Paytm (${allowedScopes.join(", ")}); leave scopes out for all of them.`,
    );
  }
  return checked;
}
