import type { OtpService } from "../otp/request-otp.js";

/** What every resolver gets for one GraphQL request. */
export interface GraphQLContext {
  otp: OtpService;
  /** The caller's IP as the transport decided it (socket, or trusted `X-Forwarded-For`). */
  clientIp: string | null;
}
