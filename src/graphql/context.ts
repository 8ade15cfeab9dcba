import DataLoader from "dataloader";
import type { Challenge } from "../otp/model.js";
import type { OtpService } from "../otp/otp-service.js";
import type { OtpStore } from "../otp/store/store.js";

/** What every resolver gets for one GraphQL request. */
export interface GraphQLContext {
  otp: Pick<OtpService, "requestOtp">;
  /** The caller's IP as the transport decided it (socket, or trusted `X-Forwarded-For`). */
  clientIp: string | null;
  /** The HTTP request's id (the router's `x-request-id`, or a fresh one), for the log line. */
  requestId: string;
  /** Challenges by id, batched: N entity references in one request cost one store round trip. */
  challenges: DataLoader<string, Challenge | null>;
}

/** A fresh context for one request (the loader's cache lives no longer than the request). */
export function createContext(
  otp: GraphQLContext["otp"],
  store: OtpStore,
  clientIp: string | null,
  requestId: string,
): GraphQLContext {
  let challenges: GraphQLContext["challenges"] | undefined;
  return {
    otp,
    clientIp,
    requestId,
    // Made on first use: most requests are the mutation, which loads no challenge.
    get challenges() {
      challenges ??= new DataLoader((ids) => store.loadChallenges(ids));
      return challenges;
    },
  };
}
