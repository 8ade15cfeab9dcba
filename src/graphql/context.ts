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

/**
 * One request's context. The challenge loader is made on first use (most requests are the mutation, which loads
 * none); it is a getter on the prototype, with its state in plain own properties, because Apollo Server copies the
 * context's own properties onto an object of the same prototype for each operation (an own getter would be
 * called by that copy).
 */
class RequestContext implements GraphQLContext {
  /** Not a `#private` field: the copy Apollo Server makes is not constructed, so it would have none. */
  private loader: GraphQLContext["challenges"] | undefined = undefined;

  constructor(
    readonly otp: GraphQLContext["otp"],
    readonly store: OtpStore,
    readonly clientIp: string | null,
    readonly requestId: string,
  ) {}

  get challenges(): GraphQLContext["challenges"] {
    this.loader ??= new DataLoader((ids) => this.store.loadChallenges(ids));
    return this.loader;
  }
}

/** A fresh context for one request (the loader's cache lives no longer than the request). */
export function createContext(
  otp: GraphQLContext["otp"],
  store: OtpStore,
  clientIp: string | null,
  requestId: string,
): GraphQLContext {
  return new RequestContext(otp, store, clientIp, requestId);
}
