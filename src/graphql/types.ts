import { GraphQLDateTimeISO } from "graphql-scalars";
import {
  createUnionType,
  Directive,
  Field,
  ID,
  InputType,
  Int,
  InterfaceType,
  ObjectType,
  registerEnumType,
} from "type-graphql";
import type * as inputs from "../otp/inputs.js";
import type { OutcomeKind } from "../otp/model.js";

/** The providers, as the schema names them. */
export enum OtpProvider {
  GST = "GST",
  ITR = "ITR",
  DMT = "DMT",
  PAYTM = "PAYTM",
  PHONE = "PHONE",
}
registerEnumType(OtpProvider, {
  name: "OtpProvider",
  description: "A provider that can send a one-time password.",
  valuesConfig: {
    GST: { description: "The GST portal (GSTR), through a verification aggregator." },
    ITR: { description: "The income-tax portal, through KwikID." },
    DMT: { description: "iServeU DMT-lite (domestic money transfer)." },
    PAYTM: { description: "Paytm sign-in." },
    PHONE: { description: "A generic phone sign-in provider." },
  },
});

/** iServeU's OTP types (wire values "1" and "2"). */
export enum DmtOtpType {
  CUSTOMER_REGISTRATION = "CUSTOMER_REGISTRATION",
  TRANSACTION = "TRANSACTION",
}
registerEnumType(DmtOtpType, {
  name: "DmtOtpType",
  description: "What an iServeU DMT OTP is for.",
  valuesConfig: {
    CUSTOMER_REGISTRATION: {
      description:
        'Registering a customer (wire "1"): needs ovdData; valid 10 minutes, resend after 30 s, 5 attempts.',
    },
    TRANSACTION: {
      description: 'Confirming a transaction (wire "2"): needs externalRefNumber and requestedAmount.',
    },
  },
});

/** Who refused a request for being too frequent. */
export enum RateLimitSource {
  LOCAL_POLICY = "LOCAL_POLICY",
  PROVIDER = "PROVIDER",
}
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

/** The human verifiers whose widget a frontend may be asked to show. */
export enum HumanVerifierKind {
  TURNSTILE = "TURNSTILE",
  HCAPTCHA = "HCAPTCHA",
  RECAPTCHA = "RECAPTCHA",
}
registerEnumType(HumanVerifierKind, {
  name: "HumanVerifierKind",
  description: "A human verifier (CAPTCHA-like widget) whose token `requestOtp` accepts as `humanProof`.",
  valuesConfig: {
    TURNSTILE: { description: "Cloudflare Turnstile." },
    HCAPTCHA: { description: "hCaptcha." },
    RECAPTCHA: { description: "Google reCAPTCHA (v2)." },
  },
});

/** Why a proof that a person is asking is needed. */
export enum HumanVerificationReason {
  ALWAYS_REQUIRED = "ALWAYS_REQUIRED",
  RECENT_ACTIVITY = "RECENT_ACTIVITY",
  PROOF_REJECTED = "PROOF_REJECTED",
}
registerEnumType(HumanVerificationReason, {
  name: "HumanVerificationReason",
  description: "Why `requestOtp` asks for a human verifier's proof.",
  valuesConfig: {
    ALWAYS_REQUIRED: { description: "This service asks for a proof before every send." },
    RECENT_ACTIVITY: {
      description: "The device, network or number range asked for several OTPs in the last hour.",
    },
    PROOF_REJECTED: {
      description: "The proof given was rejected by the verifier (wrong, expired or already used).",
    },
  },
});

@InputType({ description: "Ask the GST portal for an OTP for a GSTIN's registered user." })
export class GstOtpInput implements inputs.GstOtpInput {
  @Field(() => String, { description: "The 15-character GSTIN, with its check character." })
  gstin!: string;

  @Field(() => String, { description: "The username registered on the GST portal." })
  username!: string;
}

@InputType({ description: "Ask the income-tax portal (through KwikID) for an OTP." })
export class ItrOtpInput implements inputs.ItrOtpInput {
  @Field(() => String, { description: "The PAN, `AAAAA9999A`." })
  pan!: string;

  @Field(() => String, {
    description: "The income-tax portal password. Sent to the provider only; never logged or stored.",
  })
  password!: string;
}

@InputType({ description: "Ask iServeU DMT-lite to send an OTP to a customer." })
export class DmtOtpInput implements inputs.DmtOtpInput {
  @Field(() => String, {
    description: "The customer's Indian mobile number; `+91`, `0`, spaces and dashes are accepted.",
  })
  customerMobileNumber!: string;

  @Field(() => DmtOtpType, { description: "What the OTP is for." })
  otpType!: DmtOtpType;

  @Field(() => String, { description: "The iServeU username of the agent." })
  username!: string;

  @Field(() => String, {
    nullable: true,
    description: "6 to 22 characters; required for TRANSACTION. Change it to get a new TRANSACTION OTP.",
  })
  externalRefNumber?: string | null;

  @Field(() => String, { nullable: true, description: "The amount in digits; required for TRANSACTION." })
  requestedAmount?: string | null;

  @Field(() => String, { description: 'The officially valid document type, e.g. "Aadhaar Card".' })
  ovdType!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "The document number (12-digit Aadhaar for Aadhaar); required for CUSTOMER_REGISTRATION. Never logged or stored.",
  })
  ovdData?: string | null;

  @Field(() => String, { nullable: true, description: "`latitude,longitude` of the device." })
  latLong?: string | null;

  @Field(() => String, { nullable: true, description: "The public IPv4 or IPv6 address of the device." })
  publicIp?: string | null;

  @Field(() => String, { nullable: true, description: "Free for the client's use; echoed by iServeU." })
  paramA?: string | null;

  @Field(() => String, { nullable: true, description: "Free for the client's use; echoed by iServeU." })
  paramB?: string | null;

  @Field(() => String, { nullable: true, description: "Free for the client's use; echoed by iServeU." })
  paramC?: string | null;
}

@InputType({ description: "Ask Paytm to send a sign-in OTP." })
export class PaytmOtpInput implements inputs.PaytmOtpInput {
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

@InputType({ description: "Ask the phone sign-in provider to send an OTP." })
export class PhoneOtpInput implements inputs.PhoneOtpInput {
  @Field(() => String, {
    description: "The phone number in international format (E.164), e.g. `+919876543210`.",
  })
  phone!: string;

  @Field(() => String, { description: "The ISO 3166-1 alpha-2 country of the number, e.g. `IN`." })
  country!: string;

  @Field(() => String, { description: "A stable identifier of the user's device." })
  deviceId!: string;
}

@Directive("@oneOf")
@InputType({
  description: "The provider that sends the OTP, with its input. Exactly one member must be set.",
})
export class RequestOtpInput implements inputs.RequestOtpInput {
  @Field(() => GstOtpInput, { nullable: true, description: "The GST portal." })
  gst?: GstOtpInput | null;

  @Field(() => ItrOtpInput, { nullable: true, description: "The income-tax portal, through KwikID." })
  itr?: ItrOtpInput | null;

  @Field(() => DmtOtpInput, { nullable: true, description: "iServeU DMT-lite." })
  dmt?: DmtOtpInput | null;

  @Field(() => PaytmOtpInput, { nullable: true, description: "Paytm sign-in." })
  paytm?: PaytmOtpInput | null;

  @Field(() => PhoneOtpInput, { nullable: true, description: "The generic phone sign-in provider." })
  phone?: PhoneOtpInput | null;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: "An OTP that was sent: where (masked), when, and when another may be asked for." })
export class OtpChallenge {
  @Field(() => ID, { description: "Unguessable id of this challenge." })
  id!: string;

  @Field(() => OtpProvider, { description: "The provider that sent the OTP." })
  provider!: OtpProvider;

  @Field(() => String, {
    description:
      "Where the OTP went, masked: never more than the last 4 digits of a phone; PAN and GSTIN partly masked.",
  })
  destinationHint!: string;

  @Field(() => GraphQLDateTimeISO, { description: "When the provider accepted the request." })
  sentAt!: Date;

  @Field(() => GraphQLDateTimeISO, {
    nullable: true,
    description:
      "When the OTP stops being valid, where the provider documents it (DMT CUSTOMER_REGISTRATION: 10 minutes).",
  })
  expiresAt?: Date | null;

  @Field(() => GraphQLDateTimeISO, {
    description:
      "The earliest time another OTP may be asked for: the later of the local cooldown and the provider's resend gap.",
  })
  resendAvailableAt!: Date;

  @Field(() => Int, {
    nullable: true,
    description:
      "How many tries the user has to enter the OTP, where documented (DMT CUSTOMER_REGISTRATION: 5).",
  })
  attemptsAllowed?: number | null;

  @Field(() => String, { nullable: true, description: "The provider's own message about the send." })
  providerMessage?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The OTP itself, in sandbox mode only; always null in live mode.",
  })
  devOtp?: string | null;

  @Directive("@inaccessible")
  @Field(() => String, {
    nullable: true,
    description:
      "The provider's handle for this OTP (GST appKey, Paytm state_token, DMT externalRefNumber), for other subgraphs.",
  })
  providerReference?: string | null;
}

@ObjectType({ description: "The OTP was sent." })
export class OtpSent {
  @Field(() => OtpChallenge, { description: "The challenge the user now has to answer." })
  challenge!: OtpChallenge;
}

@InterfaceType({
  description: "Why no OTP was sent.",
  resolveType: (value: { kind: OutcomeKind }) => value.kind,
})
export abstract class OtpError {
  @Field(() => String, { description: "Safe to show an end user: no upstream internals, no secrets." })
  message!: string;

  @Field(() => OtpProvider, { description: "The provider the request was for." })
  provider!: OtpProvider;

  @Field(() => String, {
    nullable: true,
    description:
      "The provider's documented code or HTTP status that produced this; null when raised by this service.",
  })
  providerCode?: string | null;

  @Field(() => Boolean, {
    description: "Whether the same request may succeed later without changing the input or calling support.",
  })
  retryable!: boolean;
}

@ObjectType({ description: "One failing input field." })
export class FieldError {
  @Field(() => String, { description: 'The path of the field in RequestOtpInput, e.g. "dmt.ovdData".' })
  field!: string;

  @Field(() => String, { description: "What is wrong with it." })
  message!: string;
}

@ObjectType({ implements: OtpError, description: "The input was refused, here or by the provider." })
export class InvalidInput extends OtpError {
  @Field(() => [FieldError], { description: "Every failing field; empty when the provider named none." })
  fieldErrors!: FieldError[];
}

@ObjectType({ implements: OtpError, description: "Too many requests; try again later." })
export class RateLimited extends OtpError {
  @Field(() => Int, { nullable: true, description: "Seconds to wait before trying again, when known." })
  retryAfterSeconds?: number | null;

  @Field(() => RateLimitSource, { description: "Whose limit was reached." })
  limitedBy!: RateLimitSource;
}

@ObjectType({
  implements: OtpError,
  description: "The provider has blocked the account; the user must contact the provider.",
})
export class AccountBlocked extends OtpError {}

@ObjectType({ implements: OtpError, description: "The provider knows no such account." })
export class AccountNotFound extends OtpError {}

@ObjectType({
  implements: OtpError,
  description: "The provider refused this service's credentials or permissions; operators must act.",
})
export class ProviderAuthFailed extends OtpError {}

@ObjectType({
  implements: OtpError,
  description: "The provider is down, slow, not configured, or its circuit is open.",
})
export class ProviderUnavailable extends OtpError {
  @Field(() => Int, { nullable: true, description: "Seconds to wait before trying again, when known." })
  retryAfterSeconds?: number | null;
}

@ObjectType({
  implements: OtpError,
  description: "The provider answered something its documentation does not describe.",
})
export class UnexpectedProviderResponse extends OtpError {}

@ObjectType({
  implements: OtpError,
  description:
    "Prove a person is asking first: show the verifier's widget with `siteKey`, then repeat the request with its token as `humanProof`. Nothing was sent or counted.",
})
export class HumanVerificationRequired extends OtpError {
  @Field(() => HumanVerifierKind, { description: "Which verifier's widget to show." })
  verifier!: HumanVerifierKind;

  @Field(() => String, { description: "The verifier's public site key to render the widget with." })
  siteKey!: string;

  @Field(() => HumanVerificationReason, { description: "Why a proof is asked for." })
  reason!: HumanVerificationReason;
}

/** What `requestOtp` answers. */
export const RequestOtpResult = createUnionType({
  name: "RequestOtpResult",
  description: "The OTP was sent, or why not.",
  types: () =>
    [
      OtpSent,
      InvalidInput,
      RateLimited,
      AccountBlocked,
      AccountNotFound,
      ProviderAuthFailed,
      ProviderUnavailable,
      UnexpectedProviderResponse,
      HumanVerificationRequired,
    ] as const,
  // Resolvers return the use case's outcomes, whose `kind` is the member's name.
  resolveType: (value) => (value as unknown as { kind: OutcomeKind }).kind,
});
