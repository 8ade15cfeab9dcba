/**
 * The members of `RequestOtpInput` as the use case sees them: plain shapes, as they arrive from GraphQL
 * (already type-checked by it, not yet validated). The GraphQL input classes implement these.
 */

export interface GstOtpInput {
  gstin: string;
  username: string;
}

export interface ItrOtpInput {
  pan: string;
  password: string;
}

/** iServeU's `otpType`: "1" for customer registration, "2" for a transaction. */
export type DmtOtpType = "CUSTOMER_REGISTRATION" | "TRANSACTION";

export interface DmtOtpInput {
  customerMobileNumber: string;
  otpType: DmtOtpType;
  username: string;
  externalRefNumber?: string | null;
  requestedAmount?: string | null;
  ovdType: string;
  ovdData?: string | null;
  latLong?: string | null;
  publicIp?: string | null;
  paramA?: string | null;
  paramB?: string | null;
  paramC?: string | null;
}

export interface PaytmOtpInput {
  phone: string;
  deviceIdentifier: string;
  scopes?: string[] | null;
  autoReadHash?: string | null;
  locale?: string | null;
}

export interface PhoneOtpInput {
  phone: string;
  country: string;
  deviceId: string;
}

/** Exactly one member is set (graphql-js enforces `@oneOf` before the use case runs). */
export interface RequestOtpInput {
  gst?: GstOtpInput | null;
  itr?: ItrOtpInput | null;
  dmt?: DmtOtpInput | null;
  paytm?: PaytmOtpInput | null;
  phone?: PhoneOtpInput | null;
}
