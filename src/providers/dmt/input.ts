/** The `dmt` member of `RequestOtpInput`: its GraphQL input type, and its validation into the wire request. */
import { Field, InputType, registerEnumType } from "type-graphql";
import type { Parsed } from "../../otp/ports.js";
import type { ProviderBinding } from "../binding.js";
import type { Fields } from "../descriptor.js";
import { normaliseAadhaar } from "../../otp/validators/aadhaar.js";
import { isIpAddress, isLatLong } from "../../otp/validators/geo-ip.js";
import { normaliseIndianMobile } from "../../otp/validators/indian-mobile.js";
import type { DmtWireRequest } from "./adapter.js";

/** What an iServeU DMT OTP is for, and its `otpType` on the wire. */
export const DMT_OTP_TYPE = { CUSTOMER_REGISTRATION: "1", TRANSACTION: "2" } as const;
export type DmtOtpType = keyof typeof DMT_OTP_TYPE;

/** The `DmtOtpType` enum: the names of {@link DMT_OTP_TYPE}. */
const DmtOtpTypeEnum = Object.fromEntries(Object.keys(DMT_OTP_TYPE).map((name) => [name, name])) as {
  [Name in DmtOtpType]: Name;
};
registerEnumType(DmtOtpTypeEnum, {
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

@InputType({ description: "Ask iServeU DMT-lite to send an OTP to a customer." })
export class DmtOtpInput {
  @Field(() => String, {
    description: "The customer's Indian mobile number; `+91`, `0`, spaces and dashes are accepted.",
  })
  customerMobileNumber!: string;

  @Field(() => DmtOtpTypeEnum, { description: "What the OTP is for." })
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

  @Field(() => String, {
    nullable: true,
    description:
      "Comma-separated latitude and longitude of the device in decimal degrees (the document's sample: `123.23,21.345`); sent as given.",
  })
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

/** The `dmt` input as it arrives. */
export type DmtOtpFields = Fields<DmtOtpInput>;

const LIMITS = {
  customerMobileNumber: 32,
  username: 64,
  externalRefNumber: 22,
  requestedAmount: 12,
  ovdType: 32,
  ovdData: 64,
  latLong: 48,
  publicIp: 64,
  param: 100,
};

/**
 * Validate a DMT input: an Indian mobile; ovdData for CUSTOMER_REGISTRATION; externalRefNumber (6–22 printable
 * characters) and requestedAmount (digits) for TRANSACTION; a valid Aadhaar when ovdType names Aadhaar; latLong
 * (two numbers within ±180) and publicIp when given; every string capped. Reports every failing field at once and never echoes a value.
 */
export function parseDmtInput(provider: ProviderBinding, input: DmtOtpFields): Parsed<DmtWireRequest> {
  const errors = provider.fieldErrors();
  const transaction = input.otpType === "TRANSACTION";
  const required = (when: boolean) => ({ required: when });

  const rawMobile = errors.text("customerMobileNumber", input.customerMobileNumber, {
    max: LIMITS.customerMobileNumber,
    required: true,
  });
  const mobile = rawMobile ? normaliseIndianMobile(rawMobile) : null;
  if (rawMobile && !mobile) {
    errors.add("customerMobileNumber", "Not an Indian mobile number (10 digits starting 6–9).");
  }

  const otpType = Object.hasOwn(DMT_OTP_TYPE, input.otpType) ? DMT_OTP_TYPE[input.otpType] : undefined;
  if (otpType === undefined) errors.add("otpType", "Must be CUSTOMER_REGISTRATION or TRANSACTION.");

  const username = errors.text("username", input.username, { max: LIMITS.username, required: true });

  const externalRefNumber = errors.text("externalRefNumber", input.externalRefNumber, {
    max: LIMITS.externalRefNumber,
    ...required(transaction),
  });
  // The document: "min-6 & max-22 char/digit": any printable character, not only letters and digits.
  if (externalRefNumber && !/^[\x21-\x7e]{6,22}$/.test(externalRefNumber)) {
    errors.add("externalRefNumber", "6 to 22 printable characters, no spaces.");
  }

  const requestedAmount = errors.text("requestedAmount", input.requestedAmount, {
    max: LIMITS.requestedAmount,
    ...required(transaction),
  });
  if (requestedAmount && !/^\d+$/.test(requestedAmount)) {
    errors.add("requestedAmount", "Digits only.");
  }

  const ovdType = errors.text("ovdType", input.ovdType, { max: LIMITS.ovdType, required: true });
  const rawOvdData = errors.text("ovdData", input.ovdData, {
    max: LIMITS.ovdData,
    ...required(!transaction),
  });
  let ovdData = rawOvdData;
  if (ovdType && rawOvdData && /aadha?ar/i.test(ovdType)) {
    ovdData = normaliseAadhaar(rawOvdData);
    if (!ovdData) {
      errors.add("ovdData", "Not a valid Aadhaar number (12 digits, the first 2–9, with its check digit).");
    }
  }

  const latLong = errors.text("latLong", input.latLong, { max: LIMITS.latLong });
  if (latLong && !isLatLong(latLong)) {
    errors.add("latLong", "Must be two decimal numbers within ±180, comma-separated, e.g. `123.23,21.345`.");
  }

  const publicIp = errors.text("publicIp", input.publicIp, { max: LIMITS.publicIp });
  if (publicIp && !isIpAddress(publicIp)) errors.add("publicIp", "Not an IPv4 or IPv6 address.");

  const paramA = errors.text("paramA", input.paramA, { max: LIMITS.param });
  const paramB = errors.text("paramB", input.paramB, { max: LIMITS.param });
  const paramC = errors.text("paramC", input.paramC, { max: LIMITS.param });

  return errors.result(() =>
    withoutAbsent({
      customerMobileNumber: mobile ?? "",
      externalRefNumber,
      requestedAmount,
      username: username ?? "",
      otpType: otpType ?? DMT_OTP_TYPE.CUSTOMER_REGISTRATION,
      latLong,
      publicIP: publicIp,
      ovdType: ovdType ?? "",
      ovdData,
      paramA,
      paramB,
      paramC,
    }),
  );
}

type Optional<T> = { [K in keyof T]: T[K] | null | undefined };

/** Drops the fields the user did not give (see {@link DmtWireRequest} for why they are omitted). */
function withoutAbsent(request: Optional<DmtWireRequest>): DmtWireRequest {
  return Object.fromEntries(
    Object.entries(request).filter(([, value]) => value !== null && value !== undefined),
  ) as unknown as DmtWireRequest;
}
