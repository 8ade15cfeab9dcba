/**
 * The re-login hook of a client, for a provider whose calls carry an access from a login (GST): a 401 means the
 * access was refused and nothing was sent, so renewable credentials forget it, fetch one new access, and the call
 * is made once more. Never a loop: the second answer stands, whatever it is.
 */
import type { SendFailure } from "../otp/ports.js";
import type { UpstreamResult } from "./http-types.js";

/** Why there is no access to call with (nothing was sent). */
export interface NoAccess {
  ok: false;
  failure: SendFailure;
}

/** Where a call's access comes from: fixed, or a login that a 401 may renew. */
export interface Credentials<Access> {
  /** Whether a 401 may be answered by a new login. */
  readonly renewable: boolean;
  access(): Promise<{ ok: true; access: Access } | NoAccess>;
  /** The provider refused `access` (401): forget it, so that the next `access()` logs in again. */
  refused(access: Access): void;
}

/** `call` with the current access, and once more with a new one after a 401 (see above). */
export async function withRenewal<Access>(
  credentials: Credentials<Access>,
  call: (access: Access) => Promise<UpstreamResult>,
): Promise<UpstreamResult | NoAccess> {
  for (let attempt = 1; ; attempt++) {
    const got = await credentials.access();
    if (!got.ok) return got;
    const reply = await call(got.access);
    if (!(reply.ok && reply.status === 401 && credentials.renewable && attempt === 1)) return reply;
    credentials.refused(got.access);
  }
}
